"""image_resizer's AWS side: read the upload, call the pure thumbnail logic, store the results, announce them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from consumer_core import results, storage
from consumer_core.config import core_settings
from consumer_core.errors import PermanentError
from consumer_core.events import OBJECT_CREATED, S3ObjectEvent
from consumer_core.naming import derived_key
from image_resizer.settings import resizer_settings

EXTENSIONS = {"webp": "webp", "jpeg": "jpg"}


def make_and_store_thumbnails(event: S3ObjectEvent) -> dict[str, Any]:
    from image_resizer.thumbnails import ImageRejected, ThumbnailSpec, render

    if event.detail_type != OBJECT_CREATED:
        raise PermanentError("unsupported_event", f"image_resizer handles Object Created only, got {event.detail_type}")
    core = core_settings()
    settings = resizer_settings()
    if event.size is not None and event.size > core.max_object_bytes:
        # Checked before downloading: a huge upload costs nothing but this event.
        raise PermanentError("object_too_large", f"object has {event.size} bytes, limit is {core.max_object_bytes}")
    data = storage.get_object_bytes(event.bucket, event.key, event.version_id, core.max_object_bytes, event.etag)
    spec = ThumbnailSpec(
        sizes=settings.sizes,
        format=settings.output_format,
        quality=settings.quality,
        max_pixels=core.max_image_pixels,
    )
    try:
        rendered = render(data, spec)
    except ImageRejected as exc:
        raise PermanentError(exc.reason, exc.message) from exc

    written = []
    for thumb in rendered.thumbnails:
        leaf = f"{thumb.size}.{EXTENSIONS[thumb.format]}"
        key = derived_key(settings.thumbnail_prefix, event.key, event.version_or_etag, leaf)
        storage.put_object(event.bucket, key, thumb.body, thumb.content_type, settings.cache_control)
        written.append(
            {
                "key": key,
                "size": thumb.size,
                "width": thumb.width,
                "height": thumb.height,
                "format": thumb.format,
                "bytes": len(thumb.body),
            }
        )
    results.publish(
        "Thumbnails Generated",
        {"object": event.object_ref(), "thumbnails": written, "source": asdict(rendered.source)},
    )
    return {"status": "processed", "source_bytes": len(data), "thumbnails": written}
