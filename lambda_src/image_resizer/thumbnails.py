"""Thumbnail rendering: bytes in, encoded thumbnails out. Pure Pillow, no AWS.

`render()` reads top to bottom, and each step says why it is fast:
1. open: format, structure and costs checked before a header is parsed (consumer_core.imaging), all of it
   inside the CPU budget's hard stop;
2. decode once: a JPEG shrunk in the DCT domain (draft) to the smallest scale that still covers the largest
   thumbnail; a still WebP shrunk by libwebp while it decodes, to that thumbnail's size (webp_decoder); an
   8-bit truecolour PNG by libspng (png_decoder); anything else by Pillow;
3. working mode and largest size in one step: alpha premultiplied once (opaque alpha dropped) while resampling
   to the largest thumbnail (consumer_core.imaging.pixels.shrink); nothing below touches full-size pixels;
4. colour: 8 bits, embedded ICC profile to sRGB (colour.py); 5. orientation from EXIF;
6. smaller sizes, each from the previous one (a cascade);
7. per output: one un-premultiply (and a flatten on the background for JPEG), then encode without metadata.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from consumer_core.errors import PermanentError
from consumer_core.imaging import (
    DECODE_ERRORS,
    OpenedImage,
    cpu_budget,
    load_pillow,
    open_image,
    orientation,
    pixels,
    png_decoder,
    webp_decoder,
)
from image_resizer import allocator, colour, geometry
from image_resizer.probe import ImageInfo, describe
from image_resizer.spec import ThumbnailSpec

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class Thumbnail:
    size: int  # the requested long edge
    width: int
    height: int
    format: str  # "webp" | "jpeg" | "avif"
    content_type: str
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class Rendered:
    source: ImageInfo
    thumbnails: list[Thumbnail]


def render(data: bytes, spec: ThumbnailSpec | None = None) -> Rendered:
    """One thumbnail per size of `spec` (same order). Raises PermanentError with a stable reason."""
    spec = spec or ThumbnailSpec()
    allocator.keep_freed_blocks()
    with cpu_budget(spec.limits.hard_stop_s), open_image(data, spec.limits) as opened:
        stored = opened.image.size  # before a draft shrinks it
        decoded, upright_as = decode(opened, spec)
        plan = geometry.plan(stored, upright_as, spec.sizes)
        source = describe(opened.image, opened.structure, upright_as)  # the header's mode, not the decoder's
        profile = decoded.info.get("icc_profile")

        work = pixels.resamplable(decoded)
        if work is not decoded:
            decoded.close()  # free the decoded pixels before resampling allocates more
        work = pixels.shrink(work, plan.largest_stored)
        work = colour.to_srgb(colour.to_8bit(work), profile)
        work = orientation.upright(work, upright_as)

        encoded: dict[tuple[int, int], bytes] = {}
        for dims in plan.distinct:
            work = pixels.shrink(work, dims)
            encoded[dims] = _encode(_output(work, spec), spec)
    out = spec.output
    thumbnails = [
        Thumbnail(size, w, h, spec.format, out.content_type, encoded[(w, h)]) for size, (w, h) in plan.targets.items()
    ]
    return Rendered(source=source, thumbnails=thumbnails)


def decode(opened: OpenedImage, spec: ThumbnailSpec) -> tuple[Image.Image, int]:
    """Step 2 of render(): the decoded first frame (as small as its format allows) and its EXIF orientation; the
    bench times it alone as the floor of each input class. A JPEG's orientation is read first (its draft target
    depends on it); a PNG may carry eXIf after the pixel data, so other formats are read after decoding."""
    im = opened.image
    try:
        if im.format in ("JPEG", "MPO"):
            upright_as = orientation.read(im)
            im.draft(None, geometry.plan(im.size, upright_as, spec.sizes).largest_stored)
            config = getattr(im, "decoderconfig", None)
            if isinstance(config, tuple) and len(config) == 2:
                # libjpeg "draft" flag: merged (non-fancy) chroma upsampling. The chroma is shrunk further right
                # after, so the loss is not measurable (bench PSNR) and decoding is ~15% faster.
                im.decoderconfig = (config[0], 1)  # type: ignore[attr-defined]  # JpegImageFile's, set by draft()
            im.load()
            return im, upright_as
        largest = geometry.plan(im.size, 1, spec.sizes).largest_stored  # long edges: whatever the orientation
        decoded = png_decoder.decode(opened) or webp_decoder.decode(opened, largest) or im
        decoded.load()
        return decoded, orientation.read(decoded)
    except PermanentError:
        raise
    except DECODE_ERRORS as exc:
        raise PermanentError("corrupt_image", f"cannot decode: {exc}") from exc


def _output(work: Image.Image, spec: ThumbnailSpec) -> Image.Image:
    """The pixels an encoder takes: straight alpha (RGBA) for WebP, flattened on the background for JPEG."""
    im = pixels.straight(work)
    if im.mode == "LA":
        im = im.convert("RGBA")
    if im.mode == "RGBA" and spec.format == "jpeg":
        flat: Image.Image = load_pillow().new("RGB", im.size, spec.background)
        flat.paste(im.convert("RGB"), (0, 0), im.getchannel("A"))
        return flat
    return im


def _encode(im: Image.Image, spec: ThumbnailSpec) -> bytes:
    im.info = {}  # Pillow copies info (comment, exif, icc_profile, ...) into outputs otherwise
    out = io.BytesIO()
    if spec.format == "webp":
        im.save(out, "WEBP", quality=spec.quality, method=spec.webp_method)
    elif spec.format == "avif":
        # One encoder thread, as for every decode: the CPU budget counts the process's CPU.
        im.save(out, "AVIF", quality=spec.quality, speed=spec.avif_speed, max_threads=1)
    else:
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        im.save(out, "JPEG", quality=spec.quality, optimize=False, progressive=False)
    return out.getvalue()


__all__ = ["Rendered", "Thumbnail", "decode", "render"]
