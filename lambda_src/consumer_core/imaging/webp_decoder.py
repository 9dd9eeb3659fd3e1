"""Still WebPs without alpha decoded by libwebp at reduced scale (through libvips: pyvips + pyvips-binary)
instead of Pillow.

Why: Pillow reads every WebP through libwebp's animation decoder at full size, with two RGBA canvases and a bytes
copy of the frame (~18 bytes a pixel at the peak): ~90 ms of CPU for a 2048x1536 photo, where libwebp's own
decode is ~60 ms. libwebp can scale while it emits the picture (the bitstream is still decoded in full, the rows
come out already shrunk): ~75 ms for that photo at 1/4, and no full-size pixels at all for a lossy one. The
thumbnails have the quality of Pillow's full decode followed by our resampling (bench PSNR within 0.1 dB).

Only still WebPs without alpha take this path (lossy or lossless: `structure.webp.scales_cleanly`): libwebp
averages straight alpha while it scales (dark fringes against transparency, where pixels.shrink premultiplies),
and animations are composed on a canvas; both stay with Pillow, whose canvas model their cost estimate follows.
The caller names the size it needs and gets the smallest libwebp scale that still covers it (never upscaled,
never longer than MAX_DECODE_EDGE); the result may be a pixel off that size, and the caller's resample makes it
exact.

libwebp is also the decoder behind Pillow's reader, so a file it refuses here is `corrupt_image` (no second
try with Pillow: the memory estimate for these WebPs is this path's, not Pillow's). Without pyvips (a layer
built with `--no-webp-decoder`) every WebP goes to Pillow and the estimate is Pillow's (structure/webp.py asks
`available()`). libvips is imported on the first such WebP only, with its operation cache off (nothing of one
upload stays in memory), one worker thread, and every loader blocked but the WebP one.
"""

from __future__ import annotations

import functools
import logging
from types import ModuleType
from typing import TYPE_CHECKING

from consumer_core.errors import PermanentError
from consumer_core.imaging.limits import MAX_DECODE_EDGE
from consumer_core.imaging.structure.webp import scales_cleanly

if TYPE_CHECKING:
    from PIL import Image

    from consumer_core.imaging.opening import OpenedImage

_MODES = {3: "RGB", 4: "RGBA"}
# The one libvips operation this module calls; every other loader is blocked (defence in depth: no other codec
# in libvips can ever see upload bytes).
_LOADER = "VipsForeignLoadWebpBuffer"


@functools.cache
def _pyvips() -> ModuleType | None:
    """pyvips, set up for untrusted input, imported on first use; None when it is not installed or libvips does
    not load."""
    try:
        import pyvips
    except (ImportError, OSError) as exc:
        # Once per execution environment: a layer built without the WebP decoder (or a broken one) is visible.
        logging.getLogger(__name__).info("WebPs are decoded by Pillow: pyvips is not usable (%s)", exc)
        return None
    pyvips.cache_set_max(0)
    pyvips.concurrency_set(1)
    pyvips.block_untrusted_set(True)
    pyvips.operation_block_set("VipsForeignLoad", True)
    pyvips.operation_block_set(_LOADER, False)
    module: ModuleType = pyvips
    return module


def available() -> bool:
    """Whether still WebPs are decoded here (the cost estimate depends on it)."""
    return _pyvips() is not None


def scale_for(picture: tuple[int, int], size: tuple[int, int]) -> float:
    """The libwebp scale whose output covers `size` on both axes: never upscaled, and never longer than
    MAX_DECODE_EDGE (the cost estimate's bound)."""
    width, height = picture
    return min(1.0, MAX_DECODE_EDGE / max(width, height), max(size[0] / width, size[1] / height))


def largest_output(width: int, height: int) -> tuple[int, int]:
    """The largest output any consumer can get from decode() for a width x height canvas."""
    scale = min(1.0, MAX_DECODE_EDGE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def decode(opened: OpenedImage, size: tuple[int, int]) -> Image.Image | None:
    """The WebP decoded at the smallest scale that covers `size`, as RGB with the header's info (ICC profile,
    EXIF, XMP); None when it does not scale cleanly or pyvips is not usable (then decode with Pillow).
    Raises PermanentError(corrupt_image) when libwebp refuses the pixel data."""
    header = opened.image
    if header.format != "WEBP" or not scales_cleanly(opened.structure.data):
        return None
    vips = _pyvips()
    if vips is None:
        return None
    try:
        image = vips.Image.webpload_buffer(
            opened.structure.data, scale=scale_for(header.size, size), fail_on="truncated"
        )
        width, height, bands = image.width, image.height, image.bands
        pixels = image.write_to_memory()
    except vips.Error as exc:
        raise PermanentError("corrupt_image", f"cannot decode: {str(exc).strip()[:200]}") from exc
    del image  # libvips' own copy of the pixels goes before Pillow's
    mode = _MODES.get(bands)
    if mode is None:
        raise PermanentError("corrupt_image", f"unexpected WebP output: {bands} bands")
    from consumer_core.imaging.opening import load_pillow

    # RGBA wraps libvips' buffer without a copy; RGB is unpacked to Pillow's 4 bytes a pixel.
    im: Image.Image = load_pillow().frombuffer(mode, (width, height), pixels, "raw", mode, 0, 1)
    im.format = "WEBP"
    im.info = dict(header.info)
    return im


__all__ = ["available", "decode", "largest_output", "scale_for"]
