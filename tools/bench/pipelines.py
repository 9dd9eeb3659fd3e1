"""The pipelines compared by the bench: ours, the naive Pillow way, and the high-quality reference."""

from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageOps

from consumer_core.imaging import open_image
from image_resizer.spec import ThumbnailSpec
from image_resizer.thumbnails import decode, render


def ours(data: bytes, spec: ThumbnailSpec) -> list[tuple[int, int, bytes]]:
    return [(t.width, t.height, t.body) for t in render(data, spec).thumbnails]


def floor(data: bytes, spec: ThumbnailSpec) -> tuple[int, int]:
    """What decoding alone costs in our pipeline: render()'s open and decode steps (checks, header, the reduced
    decode: DCT scaling for JPEG, libwebp's scaling for WebP, pixels loaded); nothing resized or encoded."""
    with open_image(data, spec.limits) as opened:
        decoded, _ = decode(opened, spec)
        size: tuple[int, int] = decoded.size
        decoded.close()
    return size


def naive(data: bytes, spec: ThumbnailSpec) -> list[tuple[int, int, bytes]]:
    """The naive Pillow way as the issue names it (open, transpose, thumbnail() per size): every size is made
    on its own from the upload, default encoder settings at the same quality. This is what "decode once" and
    "smaller sizes from larger ones" are measured against; exif_transpose() loads the full image, so each
    size pays a full decode."""
    return [_naive_thumbnail(ImageOps.exif_transpose(Image.open(io.BytesIO(data))), size, spec) for size in spec.sizes]


def naive_decode_once(data: bytes, spec: ThumbnailSpec) -> list[tuple[int, int, bytes]]:
    """A stricter baseline, reported beside the issue's: one open and exif_transpose (full decode), then
    thumbnail() per size on a copy of the full image."""
    im = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    return [_naive_thumbnail(im.copy(), size, spec) for size in spec.sizes]


def _naive_thumbnail(thumb: Image.Image, size: int, spec: ThumbnailSpec) -> tuple[int, int, bytes]:
    thumb.thumbnail((size, size))
    buf = io.BytesIO()
    if spec.format == "jpeg":
        if thumb.mode in ("RGBA", "LA", "P"):
            thumb = thumb.convert("RGBA")
            flat = Image.new("RGB", thumb.size, spec.background)
            flat.paste(thumb, (0, 0), thumb.getchannel("A"))
            thumb = flat
        thumb.convert("RGB").save(buf, "JPEG", quality=spec.quality)
    else:
        thumb.save(buf, "WEBP", quality=spec.quality)
    return thumb.width, thumb.height, buf.getvalue()


class Reference:
    """High-quality reference: full decode, orientation applied, one Lanczos resize straight to the
    output's dimensions (no draft, no reduce, no cascade)."""

    def __init__(self, data: bytes, background: tuple[int, int, int]) -> None:
        self.full = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGBA")
        self.background = background
        self._cache: dict[tuple[int, int], Image.Image] = {}

    def at(self, size: tuple[int, int]) -> Image.Image:
        if size not in self._cache:
            self._cache[size] = flatten(self.full.resize(size, Image.Resampling.LANCZOS), self.background)
        return self._cache[size]


def flatten(im: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """RGB on `background` (so images with and without alpha compare on what a viewer shows)."""
    if im.mode in ("RGBA", "LA", "P", "PA", "RGBa"):
        im = im.convert("RGBA")
        flat = Image.new("RGB", im.size, background)
        flat.paste(im.convert("RGB"), (0, 0), im.getchannel("A"))
        return flat
    return im.convert("RGB")


def psnr(a: Image.Image, b: Image.Image) -> float:
    """PSNR in dB over the RGB channels (histogram of absolute differences: no numpy needed)."""
    hist = ImageChops.difference(a, b).histogram()
    squared = sum(count * (i % 256) ** 2 for i, count in enumerate(hist))
    mse = squared / (a.width * a.height * 3)
    if mse == 0:
        return 99.0
    import math

    return 10 * math.log10(255**2 / mse)


def quality(outputs: list[tuple[int, int, bytes]], reference: Reference) -> float:
    """Mean PSNR of the decoded outputs against the reference at the same dimensions."""
    values = []
    for width, height, body in outputs:
        decoded = flatten(Image.open(io.BytesIO(body)), reference.background)
        values.append(psnr(decoded, reference.at((width, height))))
    return sum(values) / len(values)
