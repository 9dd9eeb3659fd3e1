"""Error classification: what is retried, and what goes to the dead-letter queue at once."""

from __future__ import annotations

# Stable reason codes. They appear in DLQ message attributes, metrics dimensions, logs, `Image Rejected`
# events and the search index, so they never change meaning; new codes may be added.
PERMANENT_REASONS = frozenset(
    {
        "invalid_event",  # the record is not a well-formed event of a type this consumer accepts
        "unsupported_event",  # a well-formed event of a type this consumer does not handle
        "not_an_image",
        "corrupt_image",  # truncated or undecodable
        "unsupported_format",
        "too_many_pixels",  # over the pixel limit, decompression bombs included
        "object_too_large",  # over the byte limit
        "object_not_found",  # deleted or overwritten before we read it
    }
)

# S3/DynamoDB/SQS error codes that mean "the object is gone or not the one the event names".
_GONE_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404", "NotFound", "PreconditionFailed", "412"})


class PermanentError(Exception):
    """Retrying cannot help: the event goes to the consumer's DLQ at once, with `reason` as an attribute."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in PERMANENT_REASONS:
            raise ValueError(f"unknown permanent reason code: {reason!r}")
        super().__init__(message)
        self.reason = reason
        self.message = message


class TransientError(Exception):
    """May succeed later (throttling, 5xx, timeouts): reported as a batch item failure so SQS retries."""


def classify(exc: BaseException) -> PermanentError | TransientError:
    """Map any exception raised while processing one event to PermanentError or TransientError.

    Unknown exceptions count as transient: the record is retried and, after maxReceiveCount, redriven to the
    DLQ by SQS, so even a bug never loses an event.
    """
    if isinstance(exc, (PermanentError, TransientError)):
        return exc
    code = _client_error_code(exc)
    if code in _GONE_CODES:
        return PermanentError("object_not_found", f"object is gone: {code}")
    if code is not None:
        return TransientError(f"AWS error {code}: {exc}")
    return TransientError(f"{type(exc).__name__}: {exc}")


def _client_error_code(exc: BaseException) -> str | None:
    # Duck-typed so that importing this module never imports botocore.
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None
