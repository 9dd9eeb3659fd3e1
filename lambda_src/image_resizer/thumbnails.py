"""Thumbnail rendering: bytes in, encoded thumbnails out. Pure Pillow, no AWS.

Pipeline (why it is fast): the header is parsed and the pixel limit checked before anything is decoded;
a JPEG is decoded once, already shrunk in the DCT domain (`draft`) to the smallest scale that still covers
the largest thumbnail; every colour fix-up (16-bit, CMYK, ICC -> sRGB, alpha, EXIF orientation) runs on the
largest thumbnail, never on the full-size pixels; each smaller size is resampled from the previous one.

Opening (format check, rejection reasons, pixel limit) is consumer_core.imaging.open_image. PIL is imported
lazily so that importing this module (and the Lambda handler) stays cheap.
"""

from __future__ import annotations

import functools
import io
import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

# Opening and classifying the bytes is shared with metadata_extractor (one upload, one reason); the reason
# constants and ImageRejected are re-exported here for callers and tools.
from consumer_core.imaging import (
    CORRUPT_IMAGE,
    NOT_AN_IMAGE,
    REASONS,
    SUPPORTED_FORMATS,
    TOO_MANY_PIXELS,
    UNSUPPORTED_FORMAT,
    ImageRejected,
    load_pillow,
    open_image,
)
from image_resizer import png_decoder

if TYPE_CHECKING:
    from PIL import Image

DEFAULT_SIZES = (512, 256, 128, 64)
DEFAULT_MAX_PIXELS = 50_000_000
OUTPUT_FORMATS = {"webp": ("WEBP", "image/webp"), "jpeg": ("JPEG", "image/jpeg")}


@dataclass(frozen=True)
class ThumbnailSpec:
    """What to render. `sizes` are long-edge pixel sizes; `quality` is the encoder quality (1..100);
    `webp_method` is libwebp's speed/size trade-off (0 fastest .. 6 smallest)."""

    sizes: tuple[int, ...] = DEFAULT_SIZES
    format: str = "webp"
    quality: int = 80
    max_pixels: int = DEFAULT_MAX_PIXELS
    background: tuple[int, int, int] = (255, 255, 255)
    webp_method: int = 0

    def __post_init__(self) -> None:
        if not self.sizes or any(not isinstance(s, int) or s < 1 for s in self.sizes):
            raise ValueError(f"sizes must be positive integers, got {self.sizes!r}")
        if self.format not in OUTPUT_FORMATS:
            raise ValueError(f"format must be one of {sorted(OUTPUT_FORMATS)}, got {self.format!r}")
        if not 1 <= self.quality <= 100:
            raise ValueError(f"quality must be 1..100, got {self.quality}")
        if self.max_pixels < 1:
            raise ValueError("max_pixels must be positive")

    @classmethod
    def from_strings(cls, sizes: str = "", format: str = "", max_pixels: str = "", **kwargs: object) -> ThumbnailSpec:
        """Build from environment-style strings ("512,256", "WebP", "50000000"); empty means default."""
        values: dict[str, object] = dict(kwargs)
        if sizes.strip():
            values["sizes"] = parse_sizes(sizes)
        if format.strip():
            values["format"] = format.strip().lower().replace("jpg", "jpeg")
        if max_pixels.strip():
            values["max_pixels"] = int(max_pixels)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def content_type(self) -> str:
        return OUTPUT_FORMATS[self.format][1]


def parse_sizes(text: str) -> tuple[int, ...]:
    """ "512, 256,128" -> (512, 256, 128); duplicates dropped, order kept."""
    sizes: list[int] = []
    for part in text.split(","):
        if part.strip():
            size = int(part)
            if size < 1:
                raise ValueError(f"thumbnail size must be positive, got {size}")
            if size not in sizes:
                sizes.append(size)
    if not sizes:
        raise ValueError("no thumbnail sizes given")
    return tuple(sizes)


@dataclass(frozen=True)
class ImageInfo:
    """What the header says. `width`/`height` are as displayed (EXIF orientation applied)."""

    format: str
    width: int
    height: int
    mode: str
    orientation: int = 1
    animated: bool = False
    has_icc_profile: bool = False


@dataclass(frozen=True)
class Thumbnail:
    size: int  # the requested long edge
    width: int
    height: int
    format: str  # "webp" | "jpeg"
    content_type: str
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class Rendered:
    source: ImageInfo
    thumbnails: list[Thumbnail]


# ---------------------------------------------------------------------------------------------- geometry


def fit(width: int, height: int, size: int) -> tuple[int, int]:
    """Dimensions of a thumbnail whose long edge is `size`: aspect ratio kept (to the nearest pixel),
    never upscaled, never 0."""
    if width < 1 or height < 1 or size < 1:
        raise ValueError(f"dimensions must be positive: {width}x{height} -> {size}")
    long_edge = max(width, height)
    if long_edge <= size:
        return width, height
    if width >= height:
        return size, max(1, round(height * size / width))
    return max(1, round(width * size / height)), size


# ---------------------------------------------------------------------------------------------- probing


def _orientation(im: Image.Image) -> int:
    # PNG keeps eXIf anywhere in the file; Pillow loads the whole image to find it, so only read it once
    # the caller has decoded (or when it was already seen in the header).
    if im.format == "PNG" and "exif" not in im.info and im.im is None:
        return 1
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block must not reject a readable picture
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _info(im: Image.Image, orientation: int, stored_size: tuple[int, int] | None = None) -> ImageInfo:
    width, height = stored_size or im.size
    if orientation >= 5:
        width, height = height, width
    return ImageInfo(
        format=im.format or "",
        width=width,
        height=height,
        mode=im.mode,
        orientation=orientation,
        animated=bool(getattr(im, "is_animated", False)),
        has_icc_profile=bool(im.info.get("icc_profile")),
    )


def probe(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageInfo:
    """Read the header only: format, displayed size, mode. Raises ImageRejected (not_an_image,
    unsupported_format, corrupt_image, too_many_pixels) without decoding pixels."""
    im = open_image(data, max_pixels)
    try:
        return _info(im, _orientation(im))
    finally:
        im.close()


# ---------------------------------------------------------------------------------------------- rendering

_TRANSPOSE_FOR_ORIENTATION = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE"}
_TRANSPOSE_FOR_ORIENTATION.update({6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"})
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")


@functools.lru_cache(maxsize=16)
def _icc_transform(profile: bytes, mode: str) -> object | None:
    """Cached lcms transform from an embedded profile to sRGB, or None when the profile is unusable or
    does not describe pixels of this mode (then the pixels are taken as sRGB)."""
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        space = source.profile.xcolor_space.strip()
        out_mode = "RGBA" if mode == "RGBA" else "RGB"
        if (space, mode) not in {("RGB", "RGB"), ("RGB", "RGBA"), ("CMYK", "CMYK"), ("GRAY", "L")}:
            return None
        return ImageCms.buildTransform(source, _srgb(), mode, out_mode)
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError):
        return None


@functools.cache
def _srgb() -> object:
    from PIL import ImageCms

    return ImageCms.createProfile("sRGB")


def _resamplable(im: Image.Image) -> Image.Image:
    """Full-size conversions only for modes Pillow cannot resample (palette, 1-bit, exotic spaces)."""
    mode = im.mode
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK", "I", "F", *_SIXTEEN_BIT):
        return im
    if mode in ("P", "PA"):
        return im.convert("RGBA" if mode == "PA" or im.has_transparency_data else "RGB")
    if mode == "1":
        return im.convert("L")
    if mode in ("RGBa", "La"):
        return im
    if mode in ("RGBX", "YCbCr", "HSV"):
        return im.convert("RGB")
    raise ImageRejected(UNSUPPORTED_FORMAT, f"unsupported pixel mode {mode}")


def _resize(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    Image = load_pillow()
    if im.size == size:
        return im
    # reduce() (box filter on integer factors) does the bulk cheaply, then bicubic over the last <= 1.5x.
    # Bicubic rather than Lanczos, and a 1.5 gap rather than 2: PSNR after encoding moves by under 0.03 dB
    # (bench), resampling costs ~8 ms less on an 8 MP PNG. Pillow's reduce() does not take 16-bit modes.
    gap = None if im.mode in _SIXTEEN_BIT else 1.5
    return im.resize(size, Image.Resampling.BICUBIC, reducing_gap=gap)


def _premultiplied(im: Image.Image) -> Image.Image:
    """Alpha images are resampled premultiplied (no dark fringes). Converting once here, instead of letting
    every resize() convert there and back, keeps the whole cascade in RGBa; fully opaque alpha is dropped."""
    if im.mode not in ("RGBA", "LA"):
        return im
    if im.getchannel("A").getextrema() == (255, 255):
        return im.convert("RGB" if im.mode == "RGBA" else "L")
    return im.convert("RGBa" if im.mode == "RGBA" else "La")


def _to_8bit(im: Image.Image) -> Image.Image:
    if im.mode in _SIXTEEN_BIT or im.mode == "I":
        _low, high = im.getextrema()  # type: ignore[misc]
        wide = im if im.mode == "I" else im.convert("I")
        scale = 1 / 256 if high > 255 else 1  # 16-bit range, or 8-bit values stored wide
        return wide.point(lambda v: v * scale).convert("L")
    if im.mode == "F":
        _low, high = im.getextrema()  # type: ignore[misc]
        return (im.point(lambda v: v * 255) if high <= 1.0 else im).convert("L")
    return im


def _to_srgb(im: Image.Image, profile: bytes | None) -> Image.Image:
    from PIL import ImageCms

    if profile:
        transform = _icc_transform(profile, im.mode)
        if transform is not None:
            return ImageCms.applyTransform(im, transform)  # type: ignore[arg-type,return-value]
    if im.mode == "CMYK":
        return im.convert("RGB")
    return im


def _straight(im: Image.Image) -> Image.Image:
    """Premultiplied working pixels back to straight alpha (what ICC transforms and encoders take)."""
    if im.mode == "RGBa":
        return im.convert("RGBA")
    if im.mode == "La":
        return im.convert("LA")
    return im


def _finish_alpha(im: Image.Image, spec: ThumbnailSpec) -> Image.Image:
    """Back from premultiplied: straight RGBA for WebP (alpha kept), flattened on the background for JPEG.
    Alpha that came out fully opaque is dropped (WebP then skips the alpha plane)."""
    Image = load_pillow()
    if im.mode not in ("RGBA", "LA"):
        return im
    im = im.convert("RGBA")
    alpha = im.getchannel("A")
    if alpha.getextrema() == (255, 255):
        return im.convert("RGB")
    if spec.format == "jpeg":
        flat = Image.new("RGB", im.size, spec.background)
        flat.paste(im.convert("RGB"), (0, 0), alpha)
        return flat
    return im


def _encode(im: Image.Image, spec: ThumbnailSpec) -> bytes:
    im.info = {}  # Pillow copies info (comment, exif, icc_profile, ...) into outputs otherwise
    out = io.BytesIO()
    if spec.format == "webp":
        im.save(out, "WEBP", quality=spec.quality, method=spec.webp_method)
    else:
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        im.save(out, "JPEG", quality=spec.quality, optimize=False, progressive=False)
    return out.getvalue()


def _decode(im: Image.Image, draft_to: tuple[int, int] | None) -> Image.Image:
    try:
        if draft_to is not None:
            # DCT-domain downscale: libjpeg decodes at 1/2, 1/4 or 1/8 scale, the smallest that still
            # covers draft_to, so full-resolution pixels never exist.
            im.draft(None, draft_to)
            if isinstance(im.decoderconfig, tuple) and len(im.decoderconfig) == 2:
                # libjpeg "draft" flag: merged (non-fancy) chroma upsampling. The chroma is shrunk further
                # right after, so the loss is not measurable (bench PSNR) and decoding is ~15% faster.
                im.decoderconfig = (im.decoderconfig[0], 1)
        im.load()
    except ImageRejected:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError) as exc:
        raise ImageRejected(CORRUPT_IMAGE, f"cannot decode: {exc}") from exc
    return im


# Pillow frees image memory back to the C allocator, which hands big blocks back to the kernel: the next
# large image then page-faults every page in again (~15 ms of CPU for an 8 MP RGBA PNG). Keeping up to this
# many 16 MB blocks for reuse removes that on warm invocations; it never raises the peak above the largest
# image already seen (or 128 MB). PILLOW_BLOCKS_MAX in the environment, when set, wins.
PILLOW_BLOCKS_KEPT = 8


@functools.cache
def _keep_pillow_blocks() -> None:
    if "PILLOW_BLOCKS_MAX" not in os.environ:
        load_pillow().core.set_blocks_max(PILLOW_BLOCKS_KEPT)


def render(data: bytes, spec: ThumbnailSpec | None = None) -> Rendered:
    """Decode once and encode one thumbnail per size in `spec` (same order). Raises ImageRejected."""
    spec = spec or ThumbnailSpec()
    Image = load_pillow()
    _keep_pillow_blocks()
    im = open_image(data, spec.max_pixels)
    try:
        stored_w, stored_h = im.size  # before draft() shrinks it
        is_jpeg = im.format in ("JPEG", "MPO")
        orientation = _orientation(im) if is_jpeg else 1
        if is_jpeg:
            im = _decode(im, _plan(stored_w, stored_h, orientation, spec.sizes)[1])
        else:
            fast = png_decoder.decode(data, im)  # None unless a PNG libspng should take
            if fast is not None:
                im.close()
                im = fast
            else:
                im = _decode(im, None)
            orientation = _orientation(im)  # PNG may carry eXIf after the pixel data
        targets, largest_stored = _plan(stored_w, stored_h, orientation, spec.sizes)
        info = _info(im, orientation, (stored_w, stored_h))
        profile = im.info.get("icc_profile")

        # Premultiplied here, not inside resize(): Pillow's resize() of RGBA/LA converts itself but then
        # skips reduce(), which costs ~8 ms on an 8 MP PNG.
        work = _premultiplied(_resamplable(im))
        if work is not im:
            im.close()  # free the decoded pixels before the resize allocates more (peak: 2x, not 2x + 1/4)
        # Everything below runs on at most the largest thumbnail's pixels.
        current = _straight(_resize(work, largest_stored))
        current = _to_srgb(_to_8bit(current), profile)
        current = _finish_alpha(current, spec)
        if orientation != 1:
            op = getattr(Image.Transpose, _TRANSPOSE_FOR_ORIENTATION[orientation])
            current = current.transpose(op)

        encoded: dict[tuple[int, int], bytes] = {}
        work = current.convert("RGBa") if current.mode == "RGBA" else current
        for dims in sorted(set(targets.values()), reverse=True):
            work = _resize(work, dims)  # cascade: each size from the previous one
            encoded[dims] = _encode(_straight(work), spec)
        thumbs = [
            Thumbnail(size, w, h, spec.format, spec.content_type, encoded[(w, h)]) for size, (w, h) in targets.items()
        ]
        return Rendered(source=info, thumbnails=thumbs)
    finally:
        im.close()


def _plan(
    stored_w: int, stored_h: int, orientation: int, sizes: Iterable[int]
) -> tuple[dict[int, tuple[int, int]], tuple[int, int]]:
    """Displayed dimensions per size, and the largest one in stored (pre-rotation) orientation."""
    swapped = orientation >= 5
    shown_w, shown_h = (stored_h, stored_w) if swapped else (stored_w, stored_h)
    targets = {size: fit(shown_w, shown_h, size) for size in sizes}
    largest = max(targets.values(), key=lambda dims: dims[0] * dims[1])
    return targets, ((largest[1], largest[0]) if swapped else largest)


def make_thumbnails(data: bytes, spec: ThumbnailSpec | None = None) -> list[Thumbnail]:
    """The thumbnails of `render`, in the order of spec.sizes."""
    return render(data, spec).thumbnails


def sizes_for(width: int, height: int, sizes: Iterable[int]) -> list[tuple[int, int]]:
    """fit() for several sizes (convenience for callers that plan keys before rendering)."""
    return [fit(width, height, s) for s in sizes]


__all__: Sequence[str] = (
    "CORRUPT_IMAGE",
    "NOT_AN_IMAGE",
    "REASONS",
    "SUPPORTED_FORMATS",
    "TOO_MANY_PIXELS",
    "UNSUPPORTED_FORMAT",
    "ImageInfo",
    "ImageRejected",
    "Rendered",
    "Thumbnail",
    "ThumbnailSpec",
    "fit",
    "make_thumbnails",
    "parse_sizes",
    "probe",
    "render",
)
