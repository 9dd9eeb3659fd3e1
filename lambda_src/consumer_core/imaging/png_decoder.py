"""8-bit RGB/RGBA PNGs decoded with libspng (pyspng-seunglab) instead of Pillow's own PNG decoder.

Why: for a large PNG, decoding is most of the resizer's time and cannot be shrunk like a JPEG's. libspng
decodes the bench's 8 MP RGBA PNG in ~130 ms of CPU where Pillow 13 takes
~175 ms (one core, `make bench`). The pixels are identical (tests/unit/test_png_decoder.py).

Only the common photo layouts take this path: 8-bit truecolour with or without alpha, not animated, no tRNS.
Both are decoded to 4 bytes a pixel, which Pillow wraps without a copy: RGBA, or RGBX for a PNG without alpha
(the fourth byte is padding: no opaque alpha to check or drop at full size; pixels.shrink drops it once the
picture is small).
Everything else, any libspng error, or libspng not being installed, returns None and the caller decodes with
Pillow, which keeps the final word on what is corrupt: the rejection reason never depends on the decoder.
The header has already been parsed and the pixel limit enforced (consumer_core.imaging.open_image) before
anything here allocates pixels.
"""

from __future__ import annotations

import functools
import logging
import struct
from types import ModuleType
from typing import TYPE_CHECKING

from consumer_core.imaging.opening import OpenedImage, load_pillow

if TYPE_CHECKING:
    from PIL import Image

# IHDR colour types libspng takes here (bit depth 8): truecolour, truecolour with alpha.
_TRUECOLOUR = frozenset({2, 6})


@functools.cache
def _pyspng() -> ModuleType | None:
    """pyspng (and numpy with it) imported on the first PNG, never at cold start; None when not installed."""
    try:
        import pyspng
    except ImportError as exc:
        # Once per execution environment: a layer built with PNG_DECODER=0 (or a broken one) is visible.
        logging.getLogger(__name__).info("PNGs are decoded by Pillow: pyspng is not importable (%s)", exc)
        return None
    module: ModuleType = pyspng
    return module


def _takes(opened: OpenedImage) -> bool:
    """Whether libspng should decode this PNG. Pillow has already checked the signature and read the size from
    the same IHDR; it does not say the bit depth, hence the read."""
    data, header = opened.structure.data, opened.image
    if header.format != "PNG" or data[12:16] != b"IHDR":
        return False
    bit_depth, colour_type = data[24], data[25]
    if bit_depth != 8 or colour_type not in _TRUECOLOUR:
        return False
    # APNG frames and tRNS colour keys stay with Pillow.
    return opened.structure.frames == 1 and "transparency" not in header.info


def decode(opened: OpenedImage) -> Image.Image | None:
    """Decoded pixels of the lazily opened PNG, or None (then decode with Pillow). The result carries the
    header's info (ICC profile, ...) and the eXIf chunk wherever it is in the file."""
    spng = _pyspng() if _takes(opened) else None
    if spng is None:
        return None
    data, header = opened.structure.data, opened.image
    try:
        pixels = spng.load(data, "RGBA")
    except RuntimeError:  # libspng refuses (CRC, truncation, ...): Pillow decides what that is
        return None
    if pixels.shape[:2] != (header.height, header.width):
        return None
    pillow = load_pillow()
    mode = "RGBA" if data[25] == 6 else "RGBX"  # colour type 6 has alpha, 2 has none
    im: Image.Image = pillow.frombuffer(mode, header.size, pixels, "raw", mode, 0, 1)  # shares the array
    im.format = "PNG"
    im.info = dict(header.info)
    exif = exif_chunk(data)
    if exif is not None:
        im.info["exif"] = exif
    return im


def exif_chunk(data: bytes) -> bytes | None:
    """The eXIf chunk's payload in the form Pillow keeps it (`Exif\\0\\0` + TIFF data), or None. PNG allows the
    chunk after the pixel data, where Pillow only finds it by decoding; walking the chunk headers is cheap."""
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == b"eXIf":
            return b"Exif\x00\x00" + data[position + 8 : position + 8 + length]  # as PngImagePlugin keeps it
        if kind == b"IEND":
            return None
        position += 12 + length
    return None
