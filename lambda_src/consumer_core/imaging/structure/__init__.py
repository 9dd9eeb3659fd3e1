"""Header walks, one module per accepted format: what an upload's structure will cost, before any pixel is decoded.

`inspect(data, limits)` sniffs the format from its signature and walks that format's structure with bounded work.
It raises `PermanentError` (`not_an_image`, `unsupported_format`, `too_complex`, `corrupt_image`) for what no
reader should be given, and otherwise returns a `Structure`, or None when the headers are too broken to walk (the
reader then decides what the bytes are).
"""

from __future__ import annotations

from collections.abc import Callable

from consumer_core.errors import PermanentError
from consumer_core.imaging import formats
from consumer_core.imaging.limits import ImageLimits
from consumer_core.imaging.structure import bmp, gif, heif, jpeg, png, tiff, webp
from consumer_core.imaging.structure.model import Structure

_INSPECTORS: dict[str, Callable[[bytes, ImageLimits], Structure | None]] = {
    "JPEG": jpeg.inspect,
    "PNG": png.inspect,
    "GIF": gif.inspect,
    "WEBP": webp.inspect,
    "TIFF": tiff.inspect,
    "BMP": bmp.inspect,
    "HEIF": lambda data, limits: _heif(data, limits, "HEIF"),
    "AVIF": lambda data, limits: heif.inspect(data, limits, "AVIF"),
}


def _heif(data: bytes, limits: ImageLimits, image_format: str) -> Structure:
    from consumer_core.imaging.heif_support import heif_available

    if not heif_available():
        raise PermanentError("unsupported_format", "HEIC is not accepted here: the image layer was built without it")
    return heif.inspect(data, limits, image_format)


def inspect(data: bytes, limits: ImageLimits) -> Structure | None:
    if not data:
        raise PermanentError("not_an_image", "empty object")
    name = formats.sniff(data)
    if name is None:
        if formats.is_other_image(data):
            raise PermanentError("unsupported_format", "an image format this pipeline does not accept")
        raise PermanentError("not_an_image", "not a recognised image format")
    return _INSPECTORS[name](data, limits)


__all__ = ["Structure", "inspect"]
