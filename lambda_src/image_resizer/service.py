"""image_resizer's AWS side: read the upload, render (pure), store the thumbnails, announce them."""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import datetime
from typing import Any

from consumer_core import results, storage
from consumer_core.event_types import THUMBNAILS_GENERATED
from consumer_core.events import S3ObjectEvent
from consumer_core.naming import derived_key
from consumer_core.observability import metrics
from consumer_core.uploads import read_upload
from image_resizer.settings import resizer_settings

CONSUMER = "image_resizer"
# Upload to thumbnails: from the time of the S3 event to the moment the thumbnails are written (the dashboard's
# pipeline latency). EventBridge's `time` has whole seconds, so this is accurate to a second; an upload that waited
# in a DLQ and was redriven counts its whole wait.
UPLOAD_TO_THUMBNAILS_METRIC = "UploadToThumbnailsLatency"


def make_and_store_thumbnails(event: S3ObjectEvent) -> dict[str, Any]:
    from image_resizer.thumbnails import render

    data = read_upload(event, CONSUMER)
    settings = resizer_settings()
    rendered = render(data, settings.spec)
    extension = settings.spec.output.extension
    keys = [
        derived_key(settings.thumbnail_prefix, event.key, event.version_or_etag, f"{thumb.size}.{extension}")
        for thumb in rendered.thumbnails
    ]
    # All sizes at once: one wait for the uploads, not one each.
    storage.put_objects(
        event.bucket,
        [(key, thumb.body, thumb.content_type) for key, thumb in zip(keys, rendered.thumbnails, strict=True)],
        settings.cache_control,
    )
    report_latency(event.event_time)
    written = [
        {
            "key": key,
            "size": thumb.size,
            "width": thumb.width,
            "height": thumb.height,
            "format": thumb.format,
            "bytes": len(thumb.body),
        }
        for key, thumb in zip(keys, rendered.thumbnails, strict=True)
    ]
    announced = results.event(
        THUMBNAILS_GENERATED, {"object": event.object_ref(), "thumbnails": written, "source": asdict(rendered.source)}
    )
    return {"status": "processed", "source_bytes": len(data), "thumbnails": written, "events": [announced]}


def report_latency(event_time: str) -> None:
    """The upload-to-thumbnails latency, unless the event has no parseable time."""
    try:
        # Python 3.10 (a supported runtime) reads no "Z" suffix.
        uploaded = datetime.fromisoformat(event_time.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return
    metrics.add_metric(
        name=UPLOAD_TO_THUMBNAILS_METRIC, unit="Milliseconds", value=max(0.0, (time.time() - uploaded) * 1000)
    )
