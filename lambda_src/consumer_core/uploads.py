"""Reading the upload an S3 event names: the prologue every consumer that reads image bytes shares, and the
prefetch that lets downloads overlap other work.

The runtime calls `prefetch(model, upcoming)` before claiming each record: its download starts then (overlapping
the idempotency write), and the next record's too (overlapping this record's work); `prefetch(None, None)` once
the batch is done. An upload of at most PREFETCH_MAX_BYTES is
downloaded in the background and `read_upload` takes it instead of waiting for its own GET. One upload at most is
held beside the one being processed (the memory budget counts it: docs/threat-model.md); a prefetch that fails is
not used: the record reads its upload itself and gets the usual verdict.
"""

from __future__ import annotations

from typing import Any

from consumer_core import storage
from consumer_core.concurrency import Ahead
from consumer_core.config import core_settings
from consumer_core.errors import PermanentError
from consumer_core.events import S3ObjectEvent

PREFETCH_MAX_BYTES = 8 * 1024 * 1024

_downloads: Ahead[bytes] = Ahead(slots=2)


def read_upload(event: S3ObjectEvent, consumer: str) -> bytes:
    """The bytes of the object version the `Object Created` event names, at most MAX_OBJECT_BYTES of them.
    Raises PermanentError (unsupported_event, object_too_large, object_not_found) or a transient AWS error."""
    if not event.is_created:
        raise PermanentError("unsupported_event", f"{consumer} handles Object Created only, got {event.detail_type}")
    limit = core_settings().max_object_bytes
    if event.size is not None and event.size > limit:
        # Checked before downloading: a huge upload costs nothing but this event.
        raise PermanentError("object_too_large", f"object has {event.size} bytes, limit is {limit}")
    ahead = _downloads.take(event.identity)
    return ahead if ahead is not None else _download(event)


def prefetch(model: Any, upcoming: Any) -> None:
    """Start downloading the uploads of the record about to be claimed and of the next one (`Object Created`
    events, small uploads only); (None, None) drops whatever is held."""
    if model is None and upcoming is None:
        _downloads.clear()
        return
    for event in (model, upcoming):
        if not isinstance(event, S3ObjectEvent) or not event.is_created:
            continue
        if event.size is None or event.size > min(PREFETCH_MAX_BYTES, core_settings().max_object_bytes):
            continue
        _downloads.start(event.identity, _download, event)


def _download(event: S3ObjectEvent) -> bytes:
    limit = core_settings().max_object_bytes
    return storage.get_object_bytes(event.bucket, event.key, event.version_id, limit, event.etag)


__all__ = ["PREFETCH_MAX_BYTES", "prefetch", "read_upload"]
