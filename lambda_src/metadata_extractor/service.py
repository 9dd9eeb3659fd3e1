"""metadata_extractor's AWS side: read the upload, extract (pure), store the JSON document, announce it."""

from __future__ import annotations

import json
from typing import Any

from consumer_core import results, storage
from consumer_core.config import image_limits
from consumer_core.event_types import METADATA_EXTRACTED
from consumer_core.events import S3ObjectEvent
from consumer_core.naming import derived_key
from consumer_core.uploads import read_upload
from metadata_extractor.settings import extractor_settings

CONSUMER = "metadata_extractor"
DOCUMENT_NAME = "metadata.json"


def extract_and_store_metadata(event: S3ObjectEvent) -> dict[str, Any]:
    from metadata_extractor.extract import extract_metadata, summarise

    data = read_upload(event, CONSUMER)
    settings = extractor_settings()
    metadata = extract_metadata(data, include_gps_coordinates=settings.include_gps_coordinates, limits=image_limits())
    document = {"object": event.object_ref(), **metadata}
    key = derived_key(settings.metadata_prefix, event.key, event.version_or_etag, DOCUMENT_NAME)
    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")
    storage.put_object(event.bucket, key, body, "application/json", "no-cache")
    summary = summarise(metadata)
    announced = results.event(
        METADATA_EXTRACTED, {"object": event.object_ref(), "metadata_key": key, "metadata": summary}
    )
    return {"status": "processed", "source_bytes": len(data), "metadata_key": key, "events": [announced]}
