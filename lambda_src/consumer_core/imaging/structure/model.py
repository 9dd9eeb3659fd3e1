"""What a header walk finds out about an upload before any pixel is decoded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from consumer_core.errors import PermanentError
from consumer_core.imaging.limits import ImageLimits


@dataclass(frozen=True)
class Structure:
    """One upload's structure, as its own headers say.

    `memory_bytes` is the estimated peak the decode of the first frame and its full-size steps allocate (pixels,
    row pointers, what the decoder holds besides them: progressive coefficients, canvases, strip buffers);
    `decode_cpu_s` the estimated CPU of decoding the first frame on the reference machines. `data` is what the
    readers get: the upload itself, or a copy without the metadata blocks named in `dropped` (too large to keep).
    """

    format: str
    width: int
    height: int
    data: bytes = field(repr=False)
    frames: int = 1
    memory_bytes: int = 0
    decode_cpu_s: float = 0.0
    dropped: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def pixels(self) -> int:
        return self.width * self.height


POINTER_BYTES = 8  # Pillow keeps one pointer per row of every image
# Up to this many pixels a picture is premultiplied whole (fastest); larger ones band by band (pixels.shrink).
WHOLE_IMAGE_PIXELS = 16_000_000


def pipeline_bytes(
    width: int, height: int, bytes_per_pixel: int, *, converted: bool = False, row_bytes: int | None = None
) -> int:
    """Peak bytes of the decoded first frame stored `bytes_per_pixel` (Pillow's storage: 1 for L/P/1, 2 for
    I;16, 4 for RGB/RGBA/LA/CMYK/I/F) and the decoder's two row buffers (`row_bytes` each: a 50,000,000 x 1
    PNG's rows are 200 MB apiece), plus an RGBA copy at full size when the mode must be `converted` before it
    can be resampled (palette, 1-bit), plus the first shrink (pixels.shrink): a premultiplied copy of a picture
    of up to WHOLE_IMAGE_PIXELS, or the reduced output of the banded path (at most half of RGBA)."""
    pixels = width * height
    rows = 2 * (row_bytes if row_bytes is not None else width * 4)
    decoded = pixels * bytes_per_pixel + height * POINTER_BYTES + rows
    copy = pixels * 4 + height * POINTER_BYTES if converted else 0
    first_shrink = 4 * pixels if pixels <= WHOLE_IMAGE_PIXELS else 2 * pixels
    return decoded + copy + first_shrink


def too_complex(what: str, count: int, limit: int) -> PermanentError:
    return PermanentError("too_complex", f"{what}: {count} is over the limit of {limit}")


def check_count(what: str, count: int, limit: int) -> None:
    if count > limit:
        raise too_complex(what, count, limit)


def metadata_limit(limits: ImageLimits, kind: str) -> int:
    return {
        "icc_profile": limits.max_icc_bytes,
        "exif": limits.max_exif_bytes,
        "xmp": limits.max_xmp_bytes,
        "text": limits.max_text_bytes,
    }[kind]


def without(data: bytes, spans: list[tuple[int, int]]) -> bytes:
    """`data` with the byte ranges in `spans` (sorted, disjoint) cut out: one copy, only when something is cut."""
    if not spans:
        return data
    parts, position = [], 0
    for start, end in spans:
        parts.append(data[position:start])
        position = end
    parts.append(data[position:])
    return b"".join(parts)
