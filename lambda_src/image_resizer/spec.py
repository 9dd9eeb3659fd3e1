"""What to render: output formats (one table), thumbnail sizes and their parsing, the render spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from consumer_core.imaging.limits import DEFAULT_LIMITS, MAX_DECODE_EDGE, ImageLimits

DEFAULT_SIZES: tuple[int, ...] = (512, 256, 128, 64)
MAX_SIZE = MAX_DECODE_EDGE  # what the WebP decoder's cost estimate assumes at most


@dataclass(frozen=True)
class OutputFormat:
    pillow_name: str
    content_type: str
    extension: str


# The output formats, by the name settings and events use.
OUTPUT_FORMATS: Mapping[str, OutputFormat] = MappingProxyType(
    {
        "webp": OutputFormat("WEBP", "image/webp", "webp"),
        "jpeg": OutputFormat("JPEG", "image/jpeg", "jpg"),
        "avif": OutputFormat("AVIF", "image/avif", "avif"),
    }
)


def parse_sizes(text: str) -> tuple[int, ...]:
    """ "512, 256,128" -> (512, 256, 128); duplicates dropped, order kept. Raises ValueError."""
    sizes: list[int] = []
    for part in text.split(","):
        if part.strip():
            size = int(part)
            if not 1 <= size <= MAX_SIZE:
                raise ValueError(f"thumbnail size must be 1..{MAX_SIZE}, got {size}")
            if size not in sizes:
                sizes.append(size)
    if not sizes:
        raise ValueError("no thumbnail sizes given")
    return tuple(sizes)


@dataclass(frozen=True)
class ThumbnailSpec:
    """What to render. `sizes` are long-edge pixel sizes; `quality` is the encoder quality (1..100);
    `webp_method` is libwebp's speed/size trade-off (0 fastest .. 6 smallest); `avif_speed` libaom's (0 smallest
    .. 10 fastest; 9 is as fast as 10 here and a little smaller); `limits` what an upload may cost."""

    sizes: tuple[int, ...] = DEFAULT_SIZES
    format: str = "webp"
    quality: int = 80
    background: tuple[int, int, int] = (255, 255, 255)
    webp_method: int = 0
    avif_speed: int = 9
    limits: ImageLimits = DEFAULT_LIMITS

    def __post_init__(self) -> None:
        if not self.sizes or any(not isinstance(s, int) or not 1 <= s <= MAX_SIZE for s in self.sizes):
            raise ValueError(f"sizes must be integers 1..{MAX_SIZE}, got {self.sizes!r}")
        if self.format not in OUTPUT_FORMATS:
            raise ValueError(f"format must be one of {sorted(OUTPUT_FORMATS)}, got {self.format!r}")
        if not 1 <= self.quality <= 100:
            raise ValueError(f"quality must be 1..100, got {self.quality}")

    @property
    def output(self) -> OutputFormat:
        return OUTPUT_FORMATS[self.format]


__all__ = ["DEFAULT_SIZES", "MAX_SIZE", "OUTPUT_FORMATS", "OutputFormat", "ThumbnailSpec", "parse_sizes"]
