"""Opening untrusted image bytes: the one place that decides which uploads are images at all.

Every consumer that reads pixels opens them through `open_image()`, so one upload gets one rejection reason
from all of them. Pure (no AWS). Pillow is imported on first use only: importing this module costs nothing at
cold start.
"""

from __future__ import annotations

import functools
import io
import struct
import warnings
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

# Stable rejection reasons (also the DLQ `reason` attribute and the metric dimension; see consumer_core.errors).
NOT_AN_IMAGE = "not_an_image"
CORRUPT_IMAGE = "corrupt_image"
UNSUPPORTED_FORMAT = "unsupported_format"
TOO_MANY_PIXELS = "too_many_pixels"
REASONS = (NOT_AN_IMAGE, CORRUPT_IMAGE, UNSUPPORTED_FORMAT, TOO_MANY_PIXELS)

# What the pipeline accepts; Pillow opens only these (its JPEG reader also yields MPO, multi-picture JPEG).
SUPPORTED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP")

# Magic numbers of the supported formats: bytes that start like one but do not open are corrupt, not "not an
# image" (Pillow reports both as UnidentifiedImageError).
SUPPORTED_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (0, b"\xff\xd8\xff"),
    (0, b"\x89PNG\r\n\x1a\n"),
    (0, b"GIF87a"),
    (0, b"GIF89a"),
    (8, b"WEBP"),
    (0, b"II*\x00"),
    (0, b"MM\x00*"),
    (0, b"BM"),
)

# Image formats we recognise but do not accept: unsupported_format. Matched by signature rather than by letting
# every Pillow plugin parse untrusted bytes.
OTHER_IMAGE_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (4, b"ftypheic"),
    (4, b"ftypheix"),
    (4, b"ftyphevc"),
    (4, b"ftypmif1"),
    (4, b"ftypmsf1"),
    (4, b"ftypavif"),
    (4, b"ftypavis"),
    (0, b"8BPS"),  # Photoshop
    (0, b"\x00\x00\x01\x00"),  # ICO
    (0, b"\x00\x00\x00\x0cjP  "),  # JPEG 2000
    (0, b"\xff\x4f\xff\x51"),  # JPEG 2000 codestream
    (0, b"\xff\x0a"),  # JPEG XL codestream
    (0, b"\x00\x00\x00\x0cJXL "),  # JPEG XL container
    (0, b"qoif"),
    (0, b"DDS "),
    (0, b"%!PS"),
)


class ImageRejected(Exception):
    """The bytes can never be processed. `reason` is one of REASONS (stable; callers map it to a permanent
    error)."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown rejection reason: {reason!r}")
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@functools.cache
def load_pillow() -> ModuleType:
    """Import PIL.Image with exactly the readers we accept registered, so Image.open never falls back to
    loading (and trying) every plugin. Returns the PIL.Image module."""
    from PIL import (  # noqa: F401  (importing a plugin registers it)
        BmpImagePlugin,
        GifImagePlugin,
        Image,
        JpegImagePlugin,
        MpoImagePlugin,
        PngImagePlugin,
        TiffImagePlugin,
        WebPImagePlugin,
    )

    return Image


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open `data` lazily (header only) with the supported readers, and enforce the pixel limit (inclusive)
    before any pixel is decoded. Raises ImageRejected with a stable reason; the caller closes the image."""
    if not data:
        raise ImageRejected(NOT_AN_IMAGE, "empty object")
    canvas = _webp_canvas(data)
    if canvas is not None:
        _check_pixels(*canvas, max_pixels)
    Image = load_pillow()
    try:
        with warnings.catch_warnings():
            # Our limit (below) is the one that counts; Pillow's warning at half its hard limit is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=SUPPORTED_FORMATS)
    except Image.DecompressionBombError as exc:  # over twice Pillow's own limit
        raise ImageRejected(TOO_MANY_PIXELS, str(exc)) from exc
    except Image.UnidentifiedImageError as exc:
        if is_other_image(data):
            raise ImageRejected(UNSUPPORTED_FORMAT, "an image format this pipeline does not accept") from exc
        if _matches(data, SUPPORTED_SIGNATURES):
            raise ImageRejected(CORRUPT_IMAGE, "header of a supported format, but unreadable") from exc
        raise ImageRejected(NOT_AN_IMAGE, "not a recognised image format") from exc
    except Exception as exc:  # readers report broken headers as OSError, ValueError, EOFError, ...
        raise ImageRejected(CORRUPT_IMAGE, f"unreadable header: {type(exc).__name__}: {exc}") from exc
    width, height = im.size
    if width < 1 or height < 1:
        im.close()
        raise ImageRejected(CORRUPT_IMAGE, f"invalid dimensions {width}x{height}")
    try:
        _check_pixels(width, height, max_pixels)
    except ImageRejected:
        im.close()
        raise
    return im


def is_other_image(data: bytes) -> bool:
    """A recognised image format this pipeline does not accept (by signature; SVG by its opening tag)."""
    if _matches(data, OTHER_IMAGE_SIGNATURES):
        return True
    text = data[:512].lstrip().lower()
    return text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text)


def _matches(data: bytes, signatures: tuple[tuple[int, bytes], ...]) -> bool:
    return any(data[offset : offset + len(magic)] == magic for offset, magic in signatures)


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageRejected(TOO_MANY_PIXELS, f"{width}x{height} = {width * height} pixels exceeds {max_pixels}")


def _webp_canvas(data: bytes) -> tuple[int, int] | None:
    """Canvas size from a WebP header. Needed because Pillow's WebP reader has libwebp allocate the canvas
    inside Image.open, before the size can be checked (a WebP decompression bomb)."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None
