"""image_resizer settings from the environment, validated once (a bad value fails the first invocation loudly)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from consumer_core.config import DEFAULT_THUMBNAIL_PREFIX, env_int, image_limits, output_prefix
from image_resizer.spec import DEFAULT_SIZES, OUTPUT_FORMATS, ThumbnailSpec, parse_sizes


@dataclass(frozen=True)
class ResizerSettings:
    thumbnail_prefix: str
    spec: ThumbnailSpec
    cache_control: str


@lru_cache(maxsize=1)
def resizer_settings() -> ResizerSettings:
    raw_sizes = os.environ.get("THUMBNAIL_SIZES", ",".join(map(str, DEFAULT_SIZES)))
    try:
        sizes = parse_sizes(raw_sizes)
    except ValueError as exc:
        raise ValueError(f"THUMBNAIL_SIZES must be comma-separated sizes, got {raw_sizes!r}: {exc}") from None
    output_format = os.environ.get("THUMBNAIL_FORMAT", "webp").strip().lower()
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"THUMBNAIL_FORMAT must be one of {sorted(OUTPUT_FORMATS)}, got {output_format!r}")
    quality = env_int("THUMBNAIL_QUALITY", 80)
    if quality > 100:
        raise ValueError(f"THUMBNAIL_QUALITY must be 1..100, got {quality}")
    return ResizerSettings(
        thumbnail_prefix=output_prefix("THUMBNAIL_PREFIX", DEFAULT_THUMBNAIL_PREFIX),
        spec=ThumbnailSpec(sizes=sizes, format=output_format, quality=quality, limits=image_limits()),
        cache_control=os.environ.get("THUMBNAIL_CACHE_CONTROL", "public, max-age=31536000, immutable"),
    )
