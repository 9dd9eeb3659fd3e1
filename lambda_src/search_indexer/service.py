"""search_indexer's AWS side: read back what S3 serves when a version is deleted, apply the event to the index,
then delete every version of the outputs of dead versions and forget them. The read-back is started before the
event is claimed (the runtime's prefetch hook), so its wait overlaps the idempotency write."""

from __future__ import annotations

from typing import Any

from consumer_core import storage
from consumer_core.clients import resource_table
from consumer_core.concurrency import Ahead
from consumer_core.observability import logger, metrics
from search_indexer.events import IndexEvent
from search_indexer.settings import indexer_settings
from search_indexer.state import Served

_read_backs: Ahead[Served] = Ahead(slots=2)


def index_event(event: IndexEvent) -> dict[str, Any]:
    from search_indexer.index import apply_event, clear_pending

    settings = indexer_settings()
    table = resource_table(settings.table)
    served = (_read_backs.take(event.identity) or read_back(event)) if event.is_version_delete else None
    outcome = apply_event(table, event, served=served)
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


def prefetch(event: IndexEvent | None) -> None:
    """Start the read-back a version delete needs (the runtime calls this before claiming the event); None drops
    what is held."""
    if event is None:
        _read_backs.clear()
    elif isinstance(event, IndexEvent) and event.is_version_delete:
        _read_backs.start(event.identity, read_back, event)


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
