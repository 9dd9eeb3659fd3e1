"""Builders of the pipeline's domain events (contracts.md, schemas/image-pipeline/*.v1.json) and of the S3
events they follow, for the search indexer's tests."""

from __future__ import annotations

import uuid
from typing import Any

from tools import s3_events

ACCOUNT = s3_events.ACCOUNT
REGION = s3_events.REGION


def object_ref(
    bucket: str,
    key: str,
    *,
    version_id: str | None,
    sequencer: str,
    event_time: str,
    etag: str | None = "b1946ac92492d2347c6235b4d2611184",
    size: int | None = 1024,
) -> dict[str, Any]:
    """The `object` block every domain event carries (copied from the S3 event by the producing consumer)."""
    return {
        "bucket": bucket,
        "key": key,
        "version_id": version_id,
        "etag": etag,
        "size": size,
        "sequencer": sequencer,
        "event_time": event_time,
    }


def thumbnails_generated(obj: dict[str, Any], thumbnail_keys: dict[int, str], *, fmt: str = "webp") -> dict[str, Any]:
    thumbnails = [
        {"key": key, "width": size, "height": size * 3 // 4, "format": fmt, "bytes": 100 + size, "size": size}
        for size, key in sorted(thumbnail_keys.items(), reverse=True)
    ]
    detail = {"object": obj, "thumbnails": thumbnails, "source": {"width": 4000, "height": 3000, "format": "JPEG"}}
    return domain_event("Thumbnails Generated", detail)


def metadata_extracted(obj: dict[str, Any], metadata_key: str, sha256: str, **extra: Any) -> dict[str, Any]:
    metadata = {
        "format": "JPEG",
        "width": 4000,
        "height": 3000,
        "mode": "RGB",
        "sha256": sha256,
        "perceptual_hash": "c3c3e1e1f0f0787c",
        "placeholder": {"dominant_color": "#7f6a55", "grid_width": 1, "grid_height": 1, "grid": ["#7f6a55"]},
        "has_gps": False,
        "capture_time": "2026:11:27 09:59:58",
        "camera_make": "Canon",
        "camera_model": "EOS R5",
        "exposure_time": 0.004,
        **extra,
    }
    return domain_event("Image Metadata Extracted", {"object": obj, "metadata_key": metadata_key, "metadata": metadata})


def image_rejected(obj: dict[str, Any], consumer: str, reason: str, message: str = "") -> dict[str, Any]:
    detail = {"object": obj, "consumer": consumer, "reason": reason, "message": message or f"{reason} ({consumer})"}
    return domain_event("Image Rejected", detail)


def domain_event(detail_type: str, detail: dict[str, Any], *, time: str | None = None) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "image-pipeline",
        "account": ACCOUNT,
        "time": time or detail["object"]["event_time"],
        "region": REGION,
        "resources": [],
        "detail": {"schema_version": "1.0", **detail},
    }


def thumbnail_keys(key: str, token: str, sizes: tuple[int, ...] = (512, 64)) -> dict[int, str]:
    """The keys image_resizer writes for one upload version (consumer_core.naming, default prefix)."""
    from consumer_core.naming import derived_key

    return {size: derived_key("thumbnails/", key, token, f"{size}.webp") for size in sizes}


def metadata_key(key: str, token: str) -> str:
    """The key metadata_extractor writes for one upload version (consumer_core.naming, default prefix)."""
    from consumer_core.naming import derived_key

    return derived_key("metadata/", key, token, "metadata.json")
