"""BMP structure: the header's size, pixel depth and compression.

What an upload controls that costs more than its size suggests: run-length encoded bitmaps (RLE8, RLE4), which
Pillow decodes in Python byte pair by byte pair (~0.4 us per compressed byte measured, so 50 MB would take ~20 s),
into a bytearray it then copies; and a few bytes of runs describe any number of pixels.
"""

from __future__ import annotations

import struct

from consumer_core.imaging.limits import ImageLimits
from consumer_core.imaging.structure.model import Structure, pipeline_bytes

_RLE = frozenset({1, 2})
# Measured on the reference machines: Pillow's Python RLE decoder per compressed byte, raw unpacking per pixel.
_NS_PER_RLE_BYTE = 400.0
_NS_PER_PIXEL = 6.0  # unpacking and the work after it


def inspect(data: bytes, limits: ImageLimits) -> Structure | None:
    """The structure of a BMP, or None when the header is too short (the decoder then decides)."""
    if len(data) < 26:
        return None
    (header_size,) = struct.unpack_from("<I", data, 14)
    if header_size == 12:
        width, height, _planes, bits = struct.unpack_from("<HHHH", data, 18)
        compression = 0
    elif header_size >= 40 and len(data) >= 34:
        width, height, _planes, bits, compression = struct.unpack_from("<iiHHI", data, 18)
    else:
        return None
    width, height = abs(width), abs(height)
    palette = bits <= 8
    rle = compression in _RLE
    # RLE: Pillow builds the pixels in a bytearray, then copies them into bytes before storing them.
    storage = 3 if rle else (1 if palette else 4)
    compressed = max(0, len(data) - struct.unpack_from("<I", data, 10)[0])
    cpu_ns = compressed * _NS_PER_RLE_BYTE if rle else 0.0
    return Structure(
        format="BMP",
        width=width,
        height=height,
        data=data,
        memory_bytes=pipeline_bytes(width, height, storage, converted=palette),
        decode_cpu_s=(cpu_ns + width * height * _NS_PER_PIXEL) / 1e9,
        counts={"bits": bits, "compression": compression},
    )
