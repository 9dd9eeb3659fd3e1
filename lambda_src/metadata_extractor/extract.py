"""Image metadata from bytes: pure, no AWS, never a full-resolution decode of a JPEG.

`extract_metadata()` reads the header (format, size, mode, bit depth, alpha, frames, ICC, EXIF), checks the pixel
limit before any pixel is decoded, then decodes one small, drafted version of the first frame (JPEG DCT scaling:
at most 1/8 of the pixels) for the perceptual hash and the placeholder. Formats without DCT scaling (PNG, GIF,
WebP, TIFF, ...) are decoded in full, which the pixel limit bounds. Opening and classifying the bytes is
consumer_core.imaging.open_image, shared with the resizer: rejections raise `MetadataRejected` (= ImageRejected)
with the same stable reason for the same upload. `summarise()` gives the compact form that events and the index
carry.

Pillow is imported inside the functions: importing this module costs nothing at cold start.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import warnings
from typing import TYPE_CHECKING, Any

from consumer_core.imaging import CORRUPT_IMAGE, TOO_MANY_PIXELS, ImageRejected, open_image
from metadata_extractor import exif as exif_values
from metadata_extractor import phash
from metadata_extractor.placeholder import placeholder

if TYPE_CHECKING:
    from PIL import Image

SCHEMA_VERSION = "1.0"
# The extractor's name for the shared rejection (service.py and tests use it).
MetadataRejected = ImageRejected

ANIMATED_FORMATS = frozenset({"GIF", "PNG", "WEBP"})
MIME_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "BMP": "image/bmp",
}

# Long edge of the decoded working image the hash and the placeholder come from.
WORK_SIZE = 64
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "La", "RGBa"})
_BIT_DEPTH_BY_MODE = {"1": 1, "I": 32, "F": 32}
# Pillow's exif_transpose() operations, by EXIF orientation.
_TRANSPOSE = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270"}
_TRANSPOSE |= {7: "TRANSVERSE", 8: "ROTATE_90"}


def extract_metadata(data: bytes, *, max_pixels: int, include_gps_coordinates: bool) -> dict[str, Any]:
    """The metadata document of one image (JSON-ready; see docs/metadata.md). Raises MetadataRejected."""
    image = open_image(data, max_pixels)  # header only; pixel limit already enforced
    from PIL import Image

    with image:
        stored_width, stored_height = image.size
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our limit applies, not Pillow's
                header = _header(image, data)
                work = _decode_small(image)  # before getexif(): PNG's getexif() would load the full image
                exif = _exif(image)
        except MetadataRejected:
            raise
        except Image.DecompressionBombError as error:
            raise MetadataRejected(TOO_MANY_PIXELS, str(error)) from error
        except Exception as error:  # Pillow reports truncated/broken data as OSError, SyntaxError, ValueError, ...
            raise MetadataRejected(CORRUPT_IMAGE, f"cannot decode: {type(error).__name__}: {error}") from error
        xmp_has_gps = _xmp_has_gps(image.info)

    orientation = exif["camera"]["orientation"] or 1
    width, height = (stored_height, stored_width) if orientation >= 5 else (stored_width, stored_height)
    work = _upright_rgb(work, orientation)
    gps = exif_values.gps(exif["gps"]) if include_gps_coordinates else None
    return {
        "schema_version": SCHEMA_VERSION,
        **header,
        "width": width,
        "height": height,
        "stored_width": stored_width,
        "stored_height": stored_height,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "perceptual_hash": phash.dhash(work),
        "perceptual_hash_algorithm": phash.ALGORITHM,
        "placeholder": placeholder(work),
        "exif": exif["camera"],
        "has_gps": exif_values.has_gps(exif["gps"]) or xmp_has_gps,
        "gps": gps,
    }


def summarise(metadata: dict[str, Any]) -> dict[str, Any]:
    """The compact summary carried by `Image Metadata Extracted` and the search index (a flat subset)."""
    camera = metadata.get("exif") or {}
    return {
        "schema_version": metadata.get("schema_version", SCHEMA_VERSION),
        "format": metadata.get("format"),
        "mime_type": metadata.get("mime_type"),
        "width": metadata.get("width"),
        "height": metadata.get("height"),
        "mode": metadata.get("mode"),
        "has_alpha": metadata.get("has_alpha"),
        "is_animated": metadata.get("is_animated"),
        "sha256": metadata.get("sha256"),
        "perceptual_hash": metadata.get("perceptual_hash"),
        "placeholder": metadata.get("placeholder"),
        "has_gps": metadata.get("has_gps"),
        "capture_time": camera.get("capture_time"),
        "camera_make": camera.get("make"),
        "camera_model": camera.get("model"),
    }


# ------------------------------------------------------------------------------------------------ internals


def _header(image: Image.Image, data: bytes) -> dict[str, Any]:
    """What the header says, before any decode."""
    pillow_format = image.format or ""
    frame_count = _frame_count(image)
    return {
        "format": "JPEG" if pillow_format == "MPO" else pillow_format,  # MPO = JPEG + extra pictures (phones)
        "mime_type": MIME_TYPES.get(pillow_format, "image/jpeg" if pillow_format == "MPO" else None),
        "mode": image.mode,
        "bit_depth": _bit_depth(image, data),
        "has_alpha": image.mode in _ALPHA_MODES or "transparency" in image.info,
        "is_animated": pillow_format in ANIMATED_FORMATS and (frame_count or 1) > 1,
        "frame_count": frame_count,
        **_icc(image.info.get("icc_profile")),
    }


def _frame_count(image: Image.Image) -> int | None:
    try:
        count = int(getattr(image, "n_frames", 1))
    except Exception:  # broken later frames: the first one is still usable, as for the resizer
        count = None
    with contextlib.suppress(Exception):  # back to the first frame, which is all we decode
        image.seek(0)
    return count


def _bit_depth(image: Image.Image, data: bytes) -> int:
    """Bits per sample (per palette index for palette images) as stored, not as Pillow unpacked it."""
    if image.format == "PNG" and data[12:16] == b"IHDR" and len(data) > 24:
        return data[24]  # Pillow unpacks 16-bit RGB(A) to 8 bits; IHDR has the truth
    if image.format in ("JPEG", "MPO"):
        return int(getattr(image, "bits", 8))
    if image.format == "TIFF":
        bits = getattr(image, "tag_v2", {}).get(258)
        value = exif_values.integer(bits, minimum=1, maximum=64)
        if value is not None:
            return value
    if image.mode.startswith("I;16"):
        return 16
    return _BIT_DEPTH_BY_MODE.get(image.mode, 8)


def _icc(profile: Any) -> dict[str, Any]:
    if not profile:
        return {"has_icc_profile": False, "icc_profile_description": None}
    try:
        from PIL import ImageCms

        description = exif_values.text(
            ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(profile))), max_chars=256
        )
    except Exception:  # a broken profile is not a broken image
        description = None
    return {"has_icc_profile": True, "icc_profile_description": description}


def _exif(image: Image.Image) -> dict[str, Any]:
    """Selected EXIF, normalised. Broken EXIF yields empty values, never an error."""
    try:
        ifd0: Any = image.getexif()
    except Exception:  # unparseable EXIF block: as if there were none
        ifd0 = {}
    exif_ifd = _ifd(ifd0, exif_values.EXIF_IFD)
    gps_ifd = _ifd(ifd0, exif_values.GPS_IFD)
    return {"camera": exif_values.camera(ifd0, exif_ifd), "gps": gps_ifd}


def _ifd(raw: Any, tag: int) -> Any:
    try:
        return dict(raw.get_ifd(tag))
    except Exception:
        return {}


def _xmp_has_gps(info: dict[str, Any]) -> bool:
    """GPS can hide in XMP too (exif:GPSLatitude); a substring test is enough to flag it."""
    for key in ("xmp", "XML:com.adobe.xmp"):
        value = info.get(key)
        if isinstance(value, str):
            value = value.encode("utf-8", errors="replace")
        if isinstance(value, (bytes, bytearray)) and (b"GPSLatitude" in value or b"GPSLongitude" in value):
            return True
    return False


def _decode_small(image: Image.Image) -> Image.Image:
    """The first frame, decoded as small as the format allows, in L, LA, RGB or RGBA, long edge <= WORK_SIZE."""
    from PIL import Image

    if image.format in ("JPEG", "MPO"):
        image.draft(None, (WORK_SIZE, WORK_SIZE))  # DCT scaling: decodes at 1/2, 1/4 or 1/8 size
    image.load()
    frame: Image.Image = image
    mode = frame.mode
    if mode in ("P", "PA"):
        frame = frame.convert("RGBA" if mode == "PA" or "transparency" in frame.info else "RGB")
    elif mode == "1":
        frame = frame.convert("L")
    elif mode in ("La", "RGBa"):
        frame = frame.convert("LA" if mode == "La" else "RGBA")
    elif mode.startswith("I;16"):
        frame = frame.convert("I")  # resizing works on I, not on I;16
    elif mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):  # CMYK, YCbCr, LAB, HSV
        frame = frame.convert("RGB")
    if frame is image:
        frame = frame.copy()  # thumbnail() works in place; keep the opened image intact
    frame.thumbnail((WORK_SIZE, WORK_SIZE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    if frame.mode in ("I", "F"):
        frame = _to_8bit(frame, 16 if mode.startswith("I;16") else None)
    return frame


def _to_8bit(frame: Image.Image, bits: int | None) -> Image.Image:
    """16/32-bit greyscale to L: 16-bit by its scale, 32-bit by its actual range (convert('L') would clip)."""
    if bits is not None:
        low, high = 0.0, float(2**bits - 1)
    else:
        low, high = (float(value) for value in frame.getextrema())
    if not high > low:  # flat (or NaN) image
        return frame.point(lambda value: value * 0).convert("L")
    scale = 255.0 / (high - low)
    return frame.point(lambda value: value * scale - low * scale).convert("L")


def _upright_rgb(frame: Image.Image, orientation: int) -> Image.Image:
    """Apply EXIF orientation to the small image and flatten alpha on white (what a viewer shows)."""
    from PIL import Image

    operation = _TRANSPOSE.get(orientation)
    if operation:
        frame = frame.transpose(Image.Transpose[operation])
    if frame.mode in ("RGBA", "LA"):
        background = Image.new("RGBA", frame.size, (255, 255, 255, 255))
        background.alpha_composite(frame.convert("RGBA"))
        return background.convert("RGB")
    return frame.convert("RGB")
