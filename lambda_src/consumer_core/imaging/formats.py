"""Image format facts, one table each: what the pipeline accepts, how it recognises bytes, MIME types.

Pure data (no Pillow import), so the search indexer and tools can use it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# What the pipeline accepts, by Pillow format name, with the MIME type reported for it. Pillow's JPEG reader
# also yields MPO (a JPEG with extra pictures, as phones write); it is reported as JPEG.
MIME_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "JPEG": "image/jpeg",
        "PNG": "image/png",
        "GIF": "image/gif",
        "WEBP": "image/webp",
        "TIFF": "image/tiff",
        "BMP": "image/bmp",
        "HEIF": "image/heic",  # pillow-heif's name; it decodes HEVC-coded HEIF, i.e. HEIC
        "AVIF": "image/avif",
    }
)
ACCEPTED_FORMATS: tuple[str, ...] = tuple(MIME_TYPES)
# Pillow format names that are one of the accepted formats under another name.
FORMAT_ALIASES: Mapping[str, str] = MappingProxyType({"MPO": "JPEG"})
# Content-Type values an upload of an accepted format may be labelled with: the reported MIME types and the other
# names clients use (iOS labels HEIC as image/heif as often as image/heic; sequences have their own types).
UPLOAD_CONTENT_TYPES: tuple[str, ...] = (
    *MIME_TYPES.values(),
    "image/heif",
    "image/heic-sequence",
    "image/heif-sequence",
    "image/avif-sequence",
)

# ISO base media files (HEIF, AVIF) are told apart by their brands (`ftyp`: the major brand and the compatible
# ones), not by a fixed signature. AVIF first: an AVIF may also list HEIF's structural brand `mif1`.
BRANDS: tuple[tuple[str, frozenset[bytes]], ...] = (
    ("AVIF", frozenset({b"avif", b"avis"})),
    ("HEIF", frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})),
)

# Magic numbers of the accepted formats: bytes that start like one but do not open are corrupt, not "not an
# image" (Pillow reports both as UnidentifiedImageError). (offset, magic, format)
SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "JPEG"),
    (0, b"\x89PNG\r\n\x1a\n", "PNG"),
    (0, b"GIF87a", "GIF"),
    (0, b"GIF89a", "GIF"),
    (8, b"WEBP", "WEBP"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"BM", "BMP"),
)

# Image formats recognised but not accepted: unsupported_format. Matched by signature rather than by letting
# every Pillow plugin parse untrusted bytes.
OTHER_IMAGE_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (4, b"ftyp"),  # an ISO base media file of neither brand: HEIF coded otherwise, video, ...
    (0, b"8BPS"),  # Photoshop
    (0, b"\x00\x00\x01\x00"),  # ICO
    (0, b"\x00\x00\x00\x0cjP  "),  # JPEG 2000
    (0, b"\xff\x4f\xff\x51"),  # JPEG 2000 codestream
    (0, b"\xff\x0a"),  # JPEG XL codestream
    (0, b"\x00\x00\x00\x0cJXL "),  # JPEG XL container
    (0, b"qoif"),
    (0, b"DDS "),
    (0, b"%!PS"),
    (0, b"II+\x00"),  # BigTIFF
    (0, b"MM\x00+"),
)


def sniff(data: bytes) -> str | None:
    """The accepted format whose signature `data` starts with, or None."""
    if data[4:8] == b"ftyp":
        return _by_brand(data)
    for offset, magic, name in SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if name == "WEBP" and data[:4] != b"RIFF":
                continue
            return name
    return None


def _by_brand(data: bytes) -> str | None:
    size = int.from_bytes(data[:4], "big")
    if not 16 <= size <= 8 + 4 * 64:  # major brand, minor version, up to 64 compatible brands
        return None
    brands = {data[offset : offset + 4] for offset in (8, *range(16, min(size, len(data)) - 3, 4))}
    return next((name for name, known in BRANDS if brands & known), None)


def is_other_image(data: bytes) -> bool:
    """A recognised image format this pipeline does not accept (by signature; SVG by its opening tag)."""
    if any(data[offset : offset + len(magic)] == magic for offset, magic in OTHER_IMAGE_SIGNATURES):
        return True
    text = data[:512].lstrip().lower()
    return text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text)


def mime_type(pillow_format: str) -> str | None:
    return MIME_TYPES.get(FORMAT_ALIASES.get(pillow_format, pillow_format))


__all__ = [
    "ACCEPTED_FORMATS",
    "BRANDS",
    "FORMAT_ALIASES",
    "MIME_TYPES",
    "OTHER_IMAGE_SIGNATURES",
    "SIGNATURES",
    "UPLOAD_CONTENT_TYPES",
    "is_other_image",
    "mime_type",
    "sniff",
]
