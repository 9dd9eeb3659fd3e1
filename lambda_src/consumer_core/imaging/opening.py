"""Opening untrusted image bytes: the one place that decides which uploads are images at all, and which ones are
worth their cost.

Every consumer that reads pixels opens them through `open_image()`, so one upload gets one rejection reason from
all of them: the format is sniffed from its signature, its structure walked and its costs checked against the
limits (structure/, costs.py) before Pillow sees the bytes, then Pillow reads the header with only the accepted
readers. Pure (no AWS). Pillow is imported on first use only: importing this module costs nothing at cold start.
"""

from __future__ import annotations

import functools
import io
import struct
import warnings
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING

from consumer_core.errors import PermanentError
from consumer_core.imaging import costs, formats, structure
from consumer_core.imaging.limits import ImageLimits

if TYPE_CHECKING:
    from PIL import Image


# What readers raise for broken pixel data, once the header was read: Pillow's readers use many types (its AVIF
# reader RuntimeError, and ZeroDivisionError for a sequence whose timescale is 0: found by tools/testimages/fuzz.py).
# Every consumer treats these as `corrupt_image`.
DECODE_ERRORS: tuple[type[Exception], ...] = (
    ArithmeticError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    RuntimeError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
)


@dataclass
class OpenedImage:
    """An image opened lazily (header only) and the structure its costs were judged by. Close it when done."""

    image: Image.Image
    structure: structure.Structure

    def close(self) -> None:
        self.image.close()

    def __enter__(self) -> OpenedImage:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


@functools.cache
def load_pillow() -> ModuleType:
    """Import PIL.Image with exactly the readers we accept registered, so Image.open never falls back to
    loading (and trying) every plugin. Returns the PIL.Image module."""
    from PIL import (  # noqa: F401  (importing a plugin registers it)
        AvifImagePlugin,
        BmpImagePlugin,
        GifImagePlugin,
        Image,
        JpegImagePlugin,
        MpoImagePlugin,
        PngImagePlugin,
        TiffImagePlugin,
        WebPImagePlugin,
    )

    from consumer_core.imaging import heif_support

    heif_support.configure_avif()
    return Image


def open_image(data: bytes, limits: ImageLimits) -> OpenedImage:
    """Open `data` lazily (header only) once its structure and costs are within `limits`. Raises PermanentError
    with a stable reason; nothing is decoded and no pixel buffer exists when it does."""
    walked = structure.inspect(data, limits)
    if walked is not None:
        costs.check_costs(walked, limits)
    source = walked.data if walked is not None else data
    # Only the reader of the sniffed format may look at the bytes (and only its plugin need be registered: HEIC's
    # is registered when the first HEIC arrives; naming an unregistered format makes Pillow load every plugin).
    reader = walked.format if walked is not None else formats.sniff(data)
    if reader is None:  # structure.inspect refuses what is not sniffed; kept for the type checker
        raise PermanentError("not_an_image", "not a recognised image format")
    Image = load_pillow()
    try:
        with warnings.catch_warnings():
            # Our limits are the ones that count; Pillow's warning at half its own hard limit is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(source), formats=(reader,))
    except PermanentError:
        raise
    except Image.DecompressionBombError as exc:  # over twice Pillow's own limit
        raise PermanentError("too_many_pixels", str(exc)) from exc
    except Image.UnidentifiedImageError as exc:
        raise PermanentError("corrupt_image", "header of an accepted format, but unreadable") from exc
    except Exception as exc:  # readers report broken headers as OSError, ValueError, EOFError, ...
        raise PermanentError("corrupt_image", f"unreadable header: {type(exc).__name__}: {exc}") from exc
    try:
        return OpenedImage(im, _judged(im, walked, source, limits))
    except BaseException:
        im.close()
        raise


def _judged(
    im: Image.Image, walked: structure.Structure | None, source: bytes, limits: ImageLimits
) -> structure.Structure:
    """The structure to go by: the walked one, unless the reader sees a larger picture than the headers said
    (or they could not be walked); then a conservative estimate from the reader's size, checked again."""
    width, height = im.size
    if width < 1 or height < 1:
        raise PermanentError("corrupt_image", f"invalid dimensions {width}x{height}")
    if walked is not None and width * height <= walked.pixels:
        return walked
    estimate = costs.fallback(im.format or "", width, height, source)
    costs.check_costs(estimate, limits)
    return estimate


__all__ = ["DECODE_ERRORS", "OpenedImage", "load_pillow", "open_image"]
