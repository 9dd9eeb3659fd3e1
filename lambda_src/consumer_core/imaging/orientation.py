"""EXIF orientation: reading it safely and the transpose that makes a picture upright (one table)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from consumer_core.errors import PermanentError

if TYPE_CHECKING:
    from PIL import Image

TAG = 0x0112
# What Pillow's exif_transpose() applies, by orientation (2..8); 1 is upright.
TRANSPOSE_NAMES: dict[int, str] = {
    2: "FLIP_LEFT_RIGHT",
    3: "ROTATE_180",
    4: "FLIP_TOP_BOTTOM",
    5: "TRANSPOSE",
    6: "ROTATE_270",
    7: "TRANSVERSE",
    8: "ROTATE_90",
}


def read(im: Image.Image) -> int:
    """The EXIF orientation 1..8 of an opened image; 1 when absent, out of range or unreadable (a broken EXIF
    block must not reject a readable picture). Never decodes pixels: a PNG's eXIf after the image data is only
    seen once the caller has decoded."""
    if im.format == "PNG" and "exif" not in im.info and getattr(im, "tile", None):  # not decoded yet
        return 1
    try:
        value = im.getexif().get(TAG, 1)
    except PermanentError:
        raise
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def swaps_axes(orientation: int) -> bool:
    """Orientations 5..8 turn the picture by 90 degrees: width and height trade places."""
    return orientation >= 5


def upright(im: Image.Image, orientation: int) -> Image.Image:
    """`im` transposed as its EXIF orientation says (the same image when upright)."""
    name = TRANSPOSE_NAMES.get(orientation)
    if name is None:
        return im
    from PIL import Image

    return im.transpose(Image.Transpose[name])
