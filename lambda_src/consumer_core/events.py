"""Typed S3 `Object Created` / `Object Deleted` EventBridge events (shape per the AWS S3 EventBridge docs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from consumer_core.errors import PermanentError
from consumer_core.event_types import OBJECT_CREATED, S3_DETAIL_TYPES, S3_SOURCE
from consumer_core.naming import version_token

# S3 keys are at most 1,024 bytes of UTF-8.
MAX_KEY_BYTES = 1024


@dataclass(frozen=True)
class S3ObjectEvent:
    detail_type: str
    event_id: str
    event_time: str
    bucket: str
    key: str
    version_id: str | None
    etag: str | None
    size: int | None
    sequencer: str | None
    reason: str | None
    deletion_type: str | None
    raw: dict[str, Any]

    @property
    def identity(self) -> str:
        """The object this event is about: bucket + key + version id (ETag when unversioned).

        This is the idempotency key. It is never the event id: S3 may emit the same change twice with
        different ids, and replays get new ids too.
        """
        base = f"s3://{self.bucket}/{quote(self.key, safe='/')}"
        if self.version_id:
            return f"{base}?version={self.version_id}"
        if self.etag:
            return f"{base}?etag={self.etag}"
        # Neither (only possible for some delete events): fall back to the sequencer, which orders per key.
        return f"{base}?sequencer={self.sequencer or ''}"

    @property
    def version_or_etag(self) -> str:
        return version_token(self.version_id, self.etag, self.sequencer)

    @property
    def is_created(self) -> bool:
        return self.detail_type == OBJECT_CREATED

    def context(self) -> dict[str, str]:
        """Log keys and DLQ attributes naming the object."""
        return {"bucket": self.bucket, "object_key": self.key, "object_version": self.version_or_etag}

    def object_ref(self) -> dict[str, Any]:
        """The `object` block carried by every domain event about this object."""
        return {
            "bucket": self.bucket,
            "key": self.key,
            "version_id": self.version_id,
            "etag": self.etag,
            "size": self.size,
            "sequencer": self.sequencer,
            "event_time": self.event_time,
        }


def decode_key(encoded: str) -> str:
    """Percent-decode an S3 event key; a literal '+' stays '+' (unquote, not unquote_plus)."""
    key = unquote(encoded, errors="strict")
    if not key:
        raise PermanentError("invalid_event", "object key is empty")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise PermanentError("invalid_event", f"object key longer than {MAX_KEY_BYTES} bytes")
    return key


def parse_s3_event(event: Any) -> S3ObjectEvent:
    """Validate an EventBridge event from S3 and return the typed model; anything malformed is permanent."""
    if not isinstance(event, dict):
        raise PermanentError("invalid_event", f"event must be a JSON object, got {type(event).__name__}")
    detail_type = event.get("detail-type")
    if event.get("source") != S3_SOURCE or detail_type not in S3_DETAIL_TYPES:
        raise PermanentError(
            "unsupported_event", f"not an S3 Object Created/Deleted event: {event.get('source')!r} {detail_type!r}"
        )
    # Powertools' parser (pydantic) is imported here, on first use, to keep handler imports cheap.
    from aws_lambda_powertools.utilities.parser import ValidationError, parse
    from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel

    try:
        model = parse(event=event, model=S3EventNotificationEventBridgeModel)
    except ValidationError as exc:
        raise PermanentError("invalid_event", _summarise_validation_error(exc)) from None
    obj = model.detail.object
    raw_object = event["detail"]["object"]
    # AWS sends `etag`; some emulators send `eTag`. Quotes are never part of the identity.
    etag = (obj.etag or raw_object.get("eTag") or "").strip('"') or None
    version_id = obj.version_id if obj.version_id not in (None, "", "null") else None
    size = int(obj.size) if obj.size is not None else None
    try:
        key = decode_key(obj.key)
    except UnicodeDecodeError:
        raise PermanentError("invalid_event", "object key is not valid percent-encoded UTF-8") from None
    return S3ObjectEvent(
        detail_type=detail_type,
        event_id=model.id,
        event_time=event.get("time", ""),
        bucket=model.detail.bucket.name,
        key=key,
        version_id=version_id,
        etag=etag,
        size=size,
        sequencer=obj.sequencer,
        reason=model.detail.reason,
        deletion_type=model.detail.deletion_type,
        raw=event,
    )


def _summarise_validation_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in errors()[:5]]
        return "invalid S3 event: " + "; ".join(parts)
    return f"invalid S3 event: {exc}"[:500]
