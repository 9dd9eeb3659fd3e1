"""Colour at thumbnail size: 16-bit and float greys to 8 bits, embedded ICC profiles to sRGB.

Profiles come from uploads, so the transform cache is keyed on the profile's SHA-256 (never its bytes), bounded by
the bytes its entries hold, and never remembers a profile that failed (a broken profile costs its sender the
attempt, every time). Translucent pictures are premultiplied while they are resampled; lcms takes straight
alpha, so they take one round trip through straight alpha here, at thumbnail size, when they carry a profile.
"""

from __future__ import annotations

import functools
import hashlib
import io
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, cast

from consumer_core.imaging import pixels

if TYPE_CHECKING:
    from PIL import Image

CACHE_BYTES = 8 * 1024 * 1024
# What a built transform holds besides the profile (lcms's precalculated tables), as the cache counts it.
TRANSFORM_BYTES = 256 * 1024
_SPACES = {("RGB", "RGB"), ("RGB", "RGBA"), ("CMYK", "CMYK"), ("GRAY", "L")}


class TransformCache:
    """Least-recently-used transforms, at most `capacity` bytes (profile + TRANSFORM_BYTES each)."""

    def __init__(self, capacity: int = CACHE_BYTES) -> None:
        self.capacity = capacity
        self.entries: OrderedDict[tuple[bytes, str], tuple[Any, int]] = OrderedDict()
        self.size = 0
        self._lock = threading.Lock()

    def transform(self, profile: bytes, mode: str) -> Any | None:
        """A transform from `profile` to sRGB for pixels of `mode`, or None when the profile is unusable or does
        not describe such pixels (then they are taken as sRGB)."""
        key = (hashlib.sha256(profile).digest(), mode)
        with self._lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key][0]
        built = _build(profile, mode)
        cost = len(profile) + TRANSFORM_BYTES
        if built is not None and cost <= self.capacity:
            with self._lock:
                self.entries[key] = (built, cost)
                self.size += cost
                while self.size > self.capacity:
                    _, (_, evicted) = self.entries.popitem(last=False)
                    self.size -= evicted
        return built


TRANSFORMS = TransformCache()


def to_8bit(im: Image.Image) -> Image.Image:
    """16-bit (I;16*), 32-bit integer (I) and float (F) greys as 8-bit L, scaled by their range."""
    if im.mode in pixels.SIXTEEN_BIT or im.mode == "I":
        high = _high(im)
        wide = im if im.mode == "I" else im.convert("I")
        scale = 1 / 256 if high > 255 else 1  # 16-bit range, or 8-bit values stored wide
        return wide.point(lambda v: v * scale).convert("L")
    if im.mode == "F":
        high = _high(im)
        return (im.point(lambda v: v * 255) if high <= 1.0 else im).convert("L")
    return im


def _high(im: Image.Image) -> float:
    """The largest value of a single-band image (Pillow types getextrema() for every mode at once)."""
    low_high = im.getextrema()
    return float(low_high[1])  # type: ignore[arg-type]  # a single band: (low, high), never a tuple per band


def to_srgb(im: Image.Image, profile: bytes | None) -> Image.Image:
    """Pixels described by `profile` converted to sRGB (CMYK always ends as RGB). Premultiplied input comes back
    premultiplied."""
    from PIL import ImageCms

    premultiplied = im.mode in ("RGBa", "La")
    if profile:
        straight = pixels.straight(im)
        transform = TRANSFORMS.transform(profile, straight.mode)
        if transform is not None:
            # applyTransform returns None only when asked to transform in place.
            converted = cast("Image.Image", ImageCms.applyTransform(straight, transform))
            return converted.convert("RGBa") if premultiplied and converted.mode == "RGBA" else converted
    if im.mode == "CMYK":
        return im.convert("RGB")
    return im


def _build(profile: bytes, mode: str) -> Any | None:
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        space = source.profile.xcolor_space.strip()
        if (space, mode) not in _SPACES:
            return None
        return ImageCms.buildTransform(source, _srgb(), mode, "RGBA" if mode == "RGBA" else "RGB")
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError):
        return None


@functools.cache
def _srgb() -> Any:
    from PIL import ImageCms

    return ImageCms.createProfile("sRGB")


__all__ = ["CACHE_BYTES", "TRANSFORMS", "TransformCache", "to_8bit", "to_srgb"]
