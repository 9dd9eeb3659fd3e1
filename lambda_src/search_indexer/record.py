"""The public view of an index item: what queries return. Bookkeeping attributes stay internal."""

from __future__ import annotations

from typing import Any

from search_indexer.dynamo_values import from_dynamo

PUBLIC = (
    "bucket",
    "key",
    "owner",
    "version_id",
    "size",
    "etag",
    "content_type",
    "uploaded_at",
    "thumbnails",
    "metadata",
    "metadata_key",
    "sha256",
)


def status_of(item: dict[str, Any]) -> str:
    """Derived on read, so it converges with the attributes it summarises.

    rejected: a consumer rejected this version; ready: thumbnails and metadata recorded;
    processing: the upload is indexed and results are pending; pending: results arrived before the S3 event;
    needs_reprocessing: S3 serves a version whose outputs are gone (its newer versions were deleted for good).
    """
    if item.get("rejections"):
        return "rejected"
    if item.get("reprocess"):
        return "needs_reprocessing"
    if "uploaded_at" not in item:
        return "pending"
    if item.get("thumbnails") and item.get("metadata"):
        return "ready"
    return "processing"


def to_record(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """The image record, or None for no image (absent, deleted, or only a record of deleted versions)."""
    if not item or item.get("deleted") or "live" not in item:
        return None
    record = {name: from_dynamo(item[name]) for name in PUBLIC if name in item}
    record["status"] = status_of(item)
    record["rejections"] = from_dynamo(item.get("rejections") or {})
    return record
