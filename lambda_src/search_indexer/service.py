"""search_indexer's AWS side: read back what S3 serves when a version is deleted, apply the event to the index,
then delete every version of the outputs of dead versions and forget them. The index item's first read and the
read-back are started before the event is claimed (the runtime's prefetch hook), so their waits overlap the
idempotency write (index.py explains why an early read changes no outcome)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from consumer_core import storage
from consumer_core.clients import resource_table
from consumer_core.concurrency import Ahead
from consumer_core.errors import TransientError
from consumer_core.observability import logger, metrics
from search_indexer.events import IndexEvent
from search_indexer.settings import indexer_settings
from search_indexer.state import Served, UnrankedResult

if TYPE_CHECKING:  # index.py imports botocore: not at handler import
    from search_indexer.index import ItemRead

_items: Ahead[ItemRead] = Ahead(slots=2)
_read_backs: Ahead[Served] = Ahead(slots=2)


def index_event(event: IndexEvent) -> dict[str, Any]:
    from search_indexer.index import apply_event, clear_pending

    settings = indexer_settings()
    table = resource_table(settings.table)
    served = (_read_backs.take(event.identity) or read_back(event)) if event.is_version_delete else None
    try:
        outcome = apply_event(table, event, served=served, read_ahead=_items.take(event.identity))
    except UnrankedResult:
        # A reprocess result about a version the record does not hold: dead if S3 serves another version now;
        # otherwise its upload is not indexed yet (or never was), and SQS delivers it again later.
        try:
            outcome = apply_event(table, event, served=read_back(event))
        except UnrankedResult as exc:
            raise TransientError(f"{exc}; S3 still serves it, so its upload event is awaited") from None
    pending = set(outcome.pending_deletes)
    # Only derived outputs may ever be deleted by the indexer (IAM says the same): never an upload. Events are
    # checked for this when parsed (forged_event); this is the last line.
    outputs = (settings.outputs.thumbnails, settings.outputs.metadata)
    deletable = {key for key in pending if key.startswith(outputs)}
    if pending - deletable:
        logger.error("refusing to delete keys outside the output prefixes", keys=sorted(pending - deletable)[:10])
    if deletable:
        storage.delete_every_version(event.bucket, deletable)
        metrics.add_metric(name="OutputsDeleted", unit="Count", value=len(deletable))
    if pending:
        clear_pending(table, outcome.pk, pending)
    if outcome.stale:
        metrics.add_metric(name="StaleEvents", unit="Count", value=1)
        logger.info("event changed nothing: the index already holds it or a newer state")
    return {"status": outcome.action, "pk": outcome.pk, "live": outcome.live, "outputs_deleted": len(deletable)}


def prefetch(event: Any, upcoming: Any) -> None:
    """Start reading the event's index item, and the read-back a version delete needs (the runtime calls this
    before claiming the event); (None, None) drops what is held. Nothing is read for the upcoming event: this
    one may change the same item first."""
    if event is None and upcoming is None:
        _items.clear()
        _read_backs.clear()
        return
    if not isinstance(event, IndexEvent):
        return
    _items.start(event.identity, _read_item, indexer_settings().table, event.pk)
    if event.is_version_delete:
        _read_backs.start(event.identity, read_back, event)


def _read_item(table_name: str, pk: str) -> ItemRead:
    from search_indexer.index import read_item

    return read_item(resource_table(table_name, thread=threading.get_ident()), pk)


def read_back(event: IndexEvent) -> Served:
    """What S3 serves for the event's key now: after a permanent delete of one version, an older one may be."""
    current = storage.current_version(event.bucket, event.key)
    if current is None:
        return Served(exists=False)
    modified: Any = current.get("LastModified")
    return Served(
        exists=True,
        version_id=current.get("VersionId") if current.get("VersionId") not in (None, "null") else None,
        etag=str(current.get("ETag", "")).strip('"') or None,
        size=current.get("Size"),
        last_modified=modified.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(modified, "strftime") else None,
    )
