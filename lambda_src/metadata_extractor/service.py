"""metadata_extractor's AWS side: read the upload, extract (pure), store the JSON document, announce it."""

from __future__ import annotations

import json
from typing import Any

from consumer_core import results, storage
from consumer_core.config import core_settings
from consumer_core.errors import PermanentError
from consumer_core.events import OBJECT_CREATED, S3ObjectEvent
from consumer_core.naming import derived_key
from metadata_extractor.settings import extractor_settings

DOCUMENT_NAME = "metadata.json"


def extract_and_store_metadata(event: S3ObjectEvent) -> dict[str, Any]:
    from metadata_extractor.extract import MetadataRejected, extract_metadata, summarise

    if event.detail_type != OBJECT_CREATED:
        raise PermanentError(
            "unsupported_event", f"metadata_extractor handles Object Created only, got {event.detail_type}"
        )
    core = core_settings()
    settings = extractor_settings()
    if event.size is not None and event.size > core.max_object_bytes:
        raise PermanentError("object_too_large", f"object has {event.size} bytes, limit is {core.max_object_bytes}")
    data = storage.get_object_bytes(event.bucket, event.key, event.version_id, core.max_object_bytes, event.etag)
    try:
        metadata = extract_metadata(
            data, max_pixels=core.max_image_pixels, include_gps_coordinates=settings.include_gps_coordinates
        )
    except MetadataRejected as exc:
        raise PermanentError(exc.reason, exc.message) from exc

    document = {"object": event.object_ref(), **metadata}
    key = derived_key(settings.metadata_prefix, event.key, event.version_or_etag, DOCUMENT_NAME)
    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")
    storage.put_object(event.bucket, key, body, "application/json", "no-cache")
    summary = summarise(metadata)
    results.publish(
        "Image Metadata Extracted", {"object": event.object_ref(), "metadata_key": key, "metadata": summary}
    )
    return {"status": "processed", "source_bytes": len(data), "metadata_key": key, "metadata": summary}
