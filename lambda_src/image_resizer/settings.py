"""image_resizer settings from the environment, validated once (a bad value fails the first invocation loudly)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from consumer_core.config import env_int, output_prefix

DEFAULT_SIZES = (512, 256, 128, 64)
MAX_SIZE = 4096
FORMATS = ("webp", "jpeg")


@dataclass(frozen=True)
class ResizerSettings:
    thumbnail_prefix: str
    sizes: tuple[int, ...]
    output_format: str
    quality: int
    cache_control: str


def parse_sizes(raw: str) -> tuple[int, ...]:
    from image_resizer.thumbnails import parse_sizes as parse

    try:
        sizes = parse(raw)
    except ValueError as exc:
        raise ValueError(f"THUMBNAIL_SIZES must be comma-separated positive integers, got {raw!r}: {exc}") from None
    if any(size > MAX_SIZE for size in sizes):
        raise ValueError(f"THUMBNAIL_SIZES must not exceed {MAX_SIZE}, got {raw!r}")
    return sizes


@lru_cache(maxsize=1)
def resizer_settings() -> ResizerSettings:
    thumbnail_prefix = output_prefix("THUMBNAIL_PREFIX", "thumbnails/")
    output_format = os.environ.get("THUMBNAIL_FORMAT", "webp").strip().lower()
    if output_format not in FORMATS:
        raise ValueError(f"THUMBNAIL_FORMAT must be one of {FORMATS}, got {output_format!r}")
    return ResizerSettings(
        thumbnail_prefix=thumbnail_prefix,
        sizes=parse_sizes(os.environ.get("THUMBNAIL_SIZES", ",".join(map(str, DEFAULT_SIZES)))),
        output_format=output_format,
        quality=env_int("THUMBNAIL_QUALITY", 80),
        cache_control=os.environ.get("THUMBNAIL_CACHE_CONTROL", "public, max-age=31536000, immutable"),
    )
