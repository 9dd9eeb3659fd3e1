"""The one error vocabulary of every consumer: what is retried, and what goes to the dead-letter queue at once.

Every failure while processing one event ends as one of two exceptions:
- `PermanentError(reason, message)`: retrying cannot help. The event goes to the consumer's DLQ at once, with
  `reason` as a message attribute; image consumers also announce it (`Image Rejected`).
- `TransientError(message)`: may succeed later. The record is reported as a batch item failure and retried.

`classify()` maps any other exception to one of the two. The pure image code raises `PermanentError` itself,
so there is nothing to translate between layers.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Stable reason codes with what they mean. They appear in DLQ message attributes, the `RejectedByReason` metric,
# logs, `Image Rejected` events and the search index, so they never change meaning; new codes may be added.
# docs/threat-model.md lists the same table (a test keeps the two equal).
PERMANENT_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "invalid_event": "the record is not a well-formed event of a type this consumer accepts",
        "unsupported_event": "a well-formed event of a type this consumer does not handle",
        "forged_event": "a domain event that names objects outside the upload it is about",
        "not_an_image": "the object is not an image in any format the pipeline knows",
        "corrupt_image": "an image format the pipeline accepts, but truncated or undecodable",
        "unsupported_format": "an image format (or variant) the pipeline does not accept",
        "too_many_pixels": "the decoded image would exceed the pixel limit or the memory budget",
        "too_complex": "the file's structure would cost more CPU than the budget allows (scans, frames, chunks)",
        "object_too_large": "the object is larger than the byte limit",
        "object_not_found": "the object was deleted or overwritten before it was read",
        "item_too_large": "the search index record would exceed DynamoDB's item size limit",
        "timeout": "the invocation timed out while this record was being processed",
        "out_of_memory": "the execution environment ended (memory limit) while this record was being processed",
        "retries_exhausted": "transient failures on every allowed delivery; the last error is in the message",
    }
)

# S3/DynamoDB/SQS error codes that mean "the object is gone or not the one the event names".
_GONE_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404", "NotFound", "PreconditionFailed", "412"})


class PermanentError(Exception):
    """Retrying cannot help: the event goes to the consumer's DLQ at once, with `reason` as an attribute."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in PERMANENT_REASONS:
            raise ValueError(f"unknown permanent reason code: {reason!r}")
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class TransientError(Exception):
    """May succeed later (throttling, 5xx, timeouts): reported as a batch item failure so SQS retries."""


def classify(exc: BaseException) -> PermanentError | TransientError:
    """Map any exception raised while processing one event to PermanentError or TransientError.

    Unknown exceptions count as transient: the record is retried and, on its last delivery, sent to the DLQ with
    `retries_exhausted`, so even a bug never loses an event.
    """
    if isinstance(exc, (PermanentError, TransientError)):
        return exc
    if isinstance(exc, MemoryError):
        # The allocation that failed belongs to this record (images are processed one at a time).
        return PermanentError("out_of_memory", f"memory ran out while processing: {exc}")
    code = client_error_code(exc)
    if code in _GONE_CODES:
        return PermanentError("object_not_found", f"object is gone: {code}")
    if code is not None:
        return TransientError(f"AWS error {code}: {exc}")
    return TransientError(f"{type(exc).__name__}: {exc}")


def client_error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (duck-typed: importing this module never imports botocore)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


__all__ = ["PERMANENT_REASONS", "PermanentError", "TransientError", "classify", "client_error_code"]
