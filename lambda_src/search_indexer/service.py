"""search_indexer's AWS side: apply one event to the index table, then delete the outputs it reports as orphaned."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from consumer_core import storage
from consumer_core.clients import resource_table
from consumer_core.config import output_prefix
from consumer_core.observability import logger, metrics
from search_indexer.events import IndexEvent


@lru_cache(maxsize=1)
def indexer_settings() -> tuple[str, tuple[str, ...]]:
    table = os.environ.get("SEARCH_INDEX_TABLE", "")
    if not table:
        raise RuntimeError("missing required environment variable: SEARCH_INDEX_TABLE")
    # Only derived outputs may ever be deleted by the indexer (IAM says the same): never an upload.
    prefixes = (output_prefix("THUMBNAIL_PREFIX", "thumbnails/"), output_prefix("METADATA_PREFIX", "metadata/"))
    return table, prefixes


def index_event(event: IndexEvent) -> dict[str, Any]:
    from search_indexer.index import apply_event

    table_name, output_prefixes = indexer_settings()
    outcome = apply_event(resource_table(table_name), event)
    deletable = [key for key in outcome.keys_to_delete if key.startswith(output_prefixes)]
    refused = sorted(set(outcome.keys_to_delete) - set(deletable))
    if refused:
        logger.error("refusing to delete keys outside the output prefixes", keys=refused[:10])
    if deletable:
        # Exact keys, not a prefix listing: a re-upload's fresh outputs may already sit under the same prefix.
        storage.delete_objects(outcome.bucket, deletable)
        metrics.add_metric(name="OutputsDeleted", unit="Count", value=len(deletable))
    if outcome.stale:
        metrics.add_metric(name="StaleEvents", unit="Count", value=1)
        logger.info("stale event ignored: the index already holds a newer state for this key")
    return {"status": outcome.action, "pk": outcome.pk, "outputs_deleted": len(deletable)}
