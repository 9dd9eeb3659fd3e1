"""Reading the upload an S3 event names: the prologue every consumer that reads image bytes shares."""

from __future__ import annotations

from consumer_core import storage
from consumer_core.config import core_settings
from consumer_core.errors import PermanentError
from consumer_core.events import S3ObjectEvent


def read_upload(event: S3ObjectEvent, consumer: str) -> bytes:
    """The bytes of the object version the `Object Created` event names, at most MAX_OBJECT_BYTES of them.
    Raises PermanentError (unsupported_event, object_too_large, object_not_found) or a transient AWS error."""
    if not event.is_created:
        raise PermanentError("unsupported_event", f"{consumer} handles Object Created only, got {event.detail_type}")
    limit = core_settings().max_object_bytes
    if event.size is not None and event.size > limit:
        # Checked before downloading: a huge upload costs nothing but this event.
        raise PermanentError("object_too_large", f"object has {event.size} bytes, limit is {limit}")
    return storage.get_object_bytes(event.bucket, event.key, event.version_id, limit, event.etag)


__all__ = ["read_upload"]
