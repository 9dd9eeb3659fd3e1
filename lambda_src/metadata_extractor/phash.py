"""Perceptual hash for near-duplicate detection: dHash, 64 bits, as 16 hex digits.

dHash compares each pixel of a 9x8 greyscale thumbnail with its right neighbour: re-encoding, resizing and
mild colour changes keep most bits, different pictures differ in about half of them. Pure Pillow (the Lambda
layer ships no numpy). The caller passes an already upright, small image; this module never decodes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

ALGORITHM = "dhash64"
_WIDTH, _HEIGHT = 9, 8


def dhash(image: Image.Image) -> str:
    """64-bit difference hash, row-major, most significant bit first (bit set when right > left)."""
    from PIL import Image

    grey = image.convert("L").resize((_WIDTH, _HEIGHT), Image.Resampling.LANCZOS)
    pixels = grey.tobytes()
    bits = 0
    for row in range(_HEIGHT):
        offset = row * _WIDTH
        for column in range(_WIDTH - 1):
            bits = (bits << 1) | (pixels[offset + column + 1] > pixels[offset + column])
    return f"{bits:016x}"


def hamming(first: str, second: str) -> int:
    """Number of differing bits between two hex hashes: 0 = same picture, <= ~10 = near duplicate."""
    return (int(first, 16) ^ int(second, 16)).bit_count()
