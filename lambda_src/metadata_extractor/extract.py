"""Image metadata from bytes: pure, no AWS, never a full-resolution decode of a JPEG.

`extract_metadata()` opens the upload through consumer_core.imaging (format, structure and costs checked first,
the frame count taken from that walk: Pillow's own count is quadratic for TIFF pages and walks GIF blocks in
Python), reads the header (format, size, mode, bit depth, alpha, ICC, EXIF), then decodes one small version of
the first frame for the perceptual hash and the placeholder: JPEGs through DCT scaling (at most 1/8 of the
pixels), other formats in full and shrunk band by band (consumer_core.imaging.pixels), never copied at full
size. All of it runs inside the CPU budget's hard stop. Rejections are PermanentError with the same stable reason
the resizer gives the same upload. `summarise()` gives the compact form that events and the index carry.

Pillow is imported inside the functions: importing this module costs nothing at cold start.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from typing import TYPE_CHECKING, Any

from consumer_core.errors import PermanentError
from consumer_core.imaging import (
    DECODE_ERRORS,
    DEFAULT_LIMITS,
    ImageLimits,
    OpenedImage,
    Structure,
    cpu_budget,
    open_image,
    orientation,
    pixels,
    png_decoder,
    webp_decoder,
)
from consumer_core.imaging.formats import FORMAT_ALIASES, mime_type
from metadata_extractor import exif as exif_values
from metadata_extractor import phash
from metadata_extractor.placeholder import placeholder

if TYPE_CHECKING:
    from PIL import Image

# Version of the metadata document (docs/metadata.md), not of the event that carries its summary.
SCHEMA_VERSION = "1.0"

ANIMATED_FORMATS = frozenset({"GIF", "PNG", "WEBP"})
# Long edge of the decoded working image the hash and the placeholder come from.
WORK_SIZE = 64
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "La", "RGBa"})
_BIT_DEPTH_BY_MODE = {"1": 1, "I": 32, "F": 32}


def extract_metadata(
    data: bytes, *, include_gps_coordinates: bool, limits: ImageLimits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """The metadata document of one image (JSON-ready; see docs/metadata.md). Raises PermanentError."""
    with cpu_budget(limits.hard_stop_s), open_image(data, limits) as opened:
        image, structure = opened.image, opened.structure
        stored_width, stored_height = image.size
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Pillow warns about broken EXIF; our limits are the ones that count
                header = _header(image, structure)
                decoded = _decode(opened)  # before getexif(): a PNG's getexif() would load the full image
                work = _small(decoded)
                exif = _exif(decoded)
        except PermanentError:
            raise
        except DECODE_ERRORS as error:  # Pillow reports truncated/broken data in many ways
            raise PermanentError("corrupt_image", f"cannot decode: {type(error).__name__}: {error}") from error
        xmp_has_gps = _xmp_has_gps(dict(image.info))

        upright_as = exif["camera"]["orientation"] or 1
        swapped = orientation.swaps_axes(upright_as)
        width, height = (stored_height, stored_width) if swapped else (stored_width, stored_height)
        work = _flattened(orientation.upright(work, upright_as))
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
            "metadata_dropped": list(structure.dropped),
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


def _header(image: Image.Image, structure: Structure) -> dict[str, Any]:
    """What the header says, before any decode. Frames come from the structure walk (bounded), not Pillow."""
    pillow_format = image.format or ""
    return {
        "format": FORMAT_ALIASES.get(pillow_format, pillow_format),
        "mime_type": mime_type(pillow_format),
        "mode": image.mode,
        "bit_depth": _bit_depth(image, structure.data),
        "has_alpha": image.mode in _ALPHA_MODES or "transparency" in image.info,
        "is_animated": pillow_format in ANIMATED_FORMATS and structure.frames > 1,
        "frame_count": structure.frames,
        **_icc(image.info.get("icc_profile")),
    }


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
    except PermanentError:
        raise
    except Exception:  # a broken profile is not a broken image
        description = None
    return {"has_icc_profile": True, "icc_profile_description": description}


def _exif(image: Image.Image) -> dict[str, Any]:
    """Selected EXIF, normalised. Broken EXIF yields empty values, never an error."""
    try:
        ifd0: Any = image.getexif()
    except PermanentError:
        raise
    except Exception:  # unparseable EXIF block: as if there were none
        ifd0 = {}
    exif_ifd = _ifd(ifd0, exif_values.EXIF_IFD)
    gps_ifd = _ifd(ifd0, exif_values.GPS_IFD)
    return {"camera": exif_values.camera(ifd0, exif_ifd), "gps": gps_ifd}


def _ifd(raw: Any, tag: int) -> Any:
    try:
        return dict(raw.get_ifd(tag))
    except PermanentError:
        raise
    except Exception:
        return {}


def _xmp_has_gps(info: dict[Any, Any]) -> bool:
    """GPS can hide in XMP too (exif:GPSLatitude); a substring test is enough to flag it."""
    for key in ("xmp", "XML:com.adobe.xmp"):
        value = info.get(key)
        if isinstance(value, str):
            value = value.encode("utf-8", errors="replace")
        if isinstance(value, (bytes, bytearray)) and (b"GPSLatitude" in value or b"GPSLongitude" in value):
            return True
    return False


def _decode(opened: OpenedImage) -> Image.Image:
    """The first frame decoded as small as the format allows: a JPEG through DCT scaling (1/2..1/8 of each side),
    a still WebP scaled by libwebp while it decodes, an 8-bit truecolour PNG by libspng (the resizer's decoders,
    so both give one verdict), anything else by Pillow. The result carries the header's info and a PNG's eXIf
    wherever it is in the file."""
    image = opened.image
    if image.format in ("JPEG", "MPO"):
        image.draft(None, (WORK_SIZE, WORK_SIZE))
    small = pixels.fit(*image.size, WORK_SIZE)
    decoded = png_decoder.decode(opened) or webp_decoder.decode(opened, small) or image
    decoded.load()
    return decoded


def _small(image: Image.Image) -> Image.Image:
    """The decoded frame shrunk to a long edge of at most WORK_SIZE, in L, RGB or premultiplied RGBa/La. Never a
    full-size copy of the decoded pixels beyond a mode conversion."""
    mode = image.mode
    frame = pixels.resamplable(image)
    small = pixels.shrink(frame, pixels.fit(*frame.size, WORK_SIZE), gap=2.0)
    if small.mode == "CMYK":
        return small.convert("RGB")  # at 64 px, not at full size
    if small.mode in pixels.SIXTEEN_BIT:
        return _to_8bit(small.convert("I"), 16)
    if small.mode in ("I", "F"):
        return _to_8bit(small, 16 if mode.startswith("I;16") else None)
    return small


def _to_8bit(frame: Image.Image, bits: int | None) -> Image.Image:
    """16/32-bit greyscale to L: 16-bit by its scale, 32-bit by its actual range (convert('L') would clip)."""
    if bits is not None:
        low, high = 0.0, float(2**bits - 1)
    else:
        extrema = frame.getextrema()  # one (low, high) pair for a single-band image
        low, high = float(extrema[0]), float(extrema[1])  # type: ignore[arg-type]  # Pillow types every mode's tuple
    if not high > low:  # flat (or NaN) image
        return frame.point(lambda value: value * 0).convert("L")
    scale = 255.0 / (high - low)
    return frame.point(lambda value: value * scale - low * scale).convert("L")


def _flattened(frame: Image.Image) -> Image.Image:
    """RGB as a viewer shows it: alpha (premultiplied or straight) flattened on white."""
    from PIL import Image

    frame = pixels.straight(frame)
    if frame.mode in ("RGBA", "LA"):
        background = Image.new("RGBA", frame.size, (255, 255, 255, 255))
        background.alpha_composite(frame.convert("RGBA"))
        return background.convert("RGB")
    return frame.convert("RGB")
