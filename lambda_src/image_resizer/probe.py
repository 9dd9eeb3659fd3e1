"""What an upload's header says about it: the source block of `Thumbnails Generated`. Never decodes pixels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from consumer_core.imaging import DEFAULT_LIMITS, ImageLimits, Structure, open_image, orientation

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class ImageInfo:
    """`width`/`height` are as displayed (EXIF orientation applied)."""

    format: str
    width: int
    height: int
    mode: str
    orientation: int = 1
    animated: bool = False
    has_icc_profile: bool = False


def describe(im: Image.Image, structure: Structure, orientation_value: int) -> ImageInfo:
    width, height = structure.width, structure.height
    if orientation.swaps_axes(orientation_value):
        width, height = height, width
    return ImageInfo(
        format=im.format or structure.format,
        width=width,
        height=height,
        mode=im.mode,
        orientation=orientation_value,
        animated=structure.frames > 1,
        has_icc_profile=bool(im.info.get("icc_profile")),
    )


def probe(data: bytes, limits: ImageLimits = DEFAULT_LIMITS) -> ImageInfo:
    """The header's facts, or PermanentError (not_an_image, unsupported_format, corrupt_image, too_many_pixels,
    too_complex) without decoding a pixel."""
    with open_image(data, limits) as opened:
        return describe(opened.image, opened.structure, orientation.read(opened.image))


__all__ = ["ImageInfo", "describe", "probe"]
