"""HEIF (HEIC) and AVIF structure: the primary image, its size, tiles, bit depth, alpha, and metadata items.

What an upload controls that costs more than its size suggests:
- the picture's size, from its `ispe` property (or a grid's output size): libheif and libavif decode the
  primary image in full, into planes of the coded format and then an interleaved RGB(A) copy, before Pillow
  stores it: DECODER_BYTES per pixel beside Pillow's own image (measured 3.8 for HEIC and 5.6 for AVIF at
  8 bits: HEIC 7.8, AVIF 9.6 bytes a pixel in all);
- the decode's CPU, which grows with the coded bytes as much as with the pixels (measured here, one core: HEVC
  33 ns a pixel + 60 ns a coded byte, AV1 12 + 82), so it is estimated from both; more than 8 bits a sample cost
  more (HIGH_DEPTH_FACTOR); each tile of a grid has a fixed cost (libheif starts a decoder for each: ~0.2 ms);
- counts: boxes, items, references, grid tiles and sequence frames are capped (isobmff.py).
Oversized Exif and XMP items and ICC profiles are dropped without moving a byte: the item's type (or the
property's box type) is renamed to one no reader knows, which HEIF's readers skip (ISO/IEC 23008-12: unknown
item types and non-essential properties are ignored).
"""

from __future__ import annotations

from consumer_core.errors import PermanentError
from consumer_core.imaging.limits import ImageLimits
from consumer_core.imaging.structure import isobmff
from consumer_core.imaging.structure.model import (
    POINTER_BYTES,
    Structure,
    check_count,
    metadata_limit,
    pipeline_bytes,
)

# Item types of coded pictures, by the format whose reader decodes them.
CODED_TYPES = {"HEIF": b"hvc1", "AVIF": b"av01"}
# Measured (see the module docstring), with a small margin: ns per pixel, ns per coded byte. A 24 MP HEIC of 16 MB
# (heavy grain at q80, in 96 tiles) decodes in 1.61 s here and is estimated at 1.90 s, just inside the 2 s budget:
# phones' 24 MP HEICs are 4-6 MB. A 48 MP HEIC needs a larger budget (image_cpu_budget_ms).
NS_PER_PIXEL = {"HEIF": 35.0, "AVIF": 16.0}
NS_PER_CODED_BYTE = {"HEIF": 62.0, "AVIF": 95.0}
NS_PER_TILE = 500_000.0
HIGH_DEPTH_FACTOR = 1.5
DECODER_BYTES = 7  # per pixel beside Pillow's image, 8 bits a sample (12 above: 16-bit planes and output)
DECODER_BYTES_HIGH_DEPTH = 12
ALPHA_BYTES = 2  # the alpha plane and its share of the interleaved output
TRANSFORM_BYTES = 4  # libheif rotates or mirrors (irot/imir) into a new RGBA image
_DROPPED_NAME = b"xxxx"  # no reader knows this type: an item or property renamed to it is skipped
_XMP_TYPE = b"application/rdf+xml"


def inspect(data: bytes, limits: ImageLimits, image_format: str) -> Structure:
    """The structure of a HEIF or AVIF file; `corrupt_image` when its boxes cannot be walked."""
    parsed = isobmff.parse(data, max_boxes=limits.max_chunks, max_items=limits.max_blocks)
    if parsed.primary is None:
        return _sequence_only(data, parsed, limits, image_format)
    primary = parsed.items.get(parsed.primary)
    if primary is None:
        raise PermanentError("corrupt_image", f"primary item {parsed.primary} is not in the file")
    coded = CODED_TYPES[image_format]
    if primary.item_type == b"grid":
        width, height, tiles = _grid(data, parsed, primary, limits)
    elif primary.item_type == coded:
        width, height = _size(parsed, primary.item_id)
        tiles = [primary.item_id]
    else:
        raise PermanentError(
            "unsupported_format",
            f"{image_format} primary image coded as {primary.item_type.decode('latin-1')!r}, not {coded.decode()!r}",
        )
    alpha = [
        item_id
        for item_id in parsed.referencing(b"auxl", primary.item_id)
        if (prop := parsed.property_of(item_id, b"auxC")) is not None
        and any(urn in prop.payload for urn in isobmff.ALPHA_URNS)
    ]
    high_depth = any(_bits(parsed, item_id) > 8 for item_id in tiles[:1] + alpha[:1])
    transformed = any(parsed.property_of(primary.item_id, kind) for kind in (b"irot", b"imir"))
    rotation = parsed.property_of(primary.item_id, b"irot")
    if image_format == "HEIF" and rotation is not None and rotation.payload[:1] and rotation.payload[0] & 1:
        # libheif hands out the picture rotated (a quarter or three): the size its reader reports. (Pillow's AVIF
        # reader reports the coded size and an EXIF orientation instead.)
        width, height = height, width
    frames = max(1, parsed.samples) if image_format == "AVIF" else 1
    check_count(f"{image_format} frames", frames, limits.max_frames)

    pixels = width * height
    coded_bytes = min(len(data), sum(_coded_bytes(parsed, item_id, len(data)) for item_id in tiles + alpha))
    decoder = DECODER_BYTES_HIGH_DEPTH if high_depth else DECODER_BYTES
    decoder += ALPHA_BYTES if alpha else 0
    decoder += TRANSFORM_BYTES if transformed and image_format == "HEIF" else 0
    ns = pixels * NS_PER_PIXEL[image_format] + coded_bytes * NS_PER_CODED_BYTE[image_format]
    ns = ns * (HIGH_DEPTH_FACTOR if high_depth else 1.0) + len(tiles) * NS_PER_TILE
    cleaned, dropped = _without_oversized_metadata(data, parsed, limits)
    return Structure(
        format=image_format,
        width=width,
        height=height,
        data=cleaned,
        frames=frames,
        memory_bytes=pipeline_bytes(width, height, 4) + pixels * decoder + height * POINTER_BYTES,
        decode_cpu_s=ns / 1e9,
        dropped=dropped,
        counts={"boxes": parsed.boxes, "items": len(parsed.items), "tiles": len(tiles), "frames": frames},
    )


def _size(parsed: isobmff.Parsed, item_id: int) -> tuple[int, int]:
    prop = parsed.property_of(item_id, b"ispe")
    if prop is None or len(prop.payload) < 12:
        raise PermanentError("corrupt_image", f"image item {item_id} has no size (ispe)")
    width, height = int.from_bytes(prop.payload[4:8], "big"), int.from_bytes(prop.payload[8:12], "big")
    if width < 1 or height < 1:
        raise PermanentError("corrupt_image", f"invalid dimensions {width}x{height}")
    return width, height


def _grid(data: bytes, parsed: isobmff.Parsed, grid: isobmff.Item, limits: ImageLimits) -> tuple[int, int, list[int]]:
    """A grid's output size and its tiles (ISO/IEC 23008-12, ImageGrid)."""
    descriptor = isobmff.item_data(data, parsed, grid, 12)
    if len(descriptor) < 8:
        raise PermanentError("corrupt_image", "grid image without its descriptor")
    wide = descriptor[1] & 1
    rows, columns = descriptor[2] + 1, descriptor[3] + 1
    check_count("grid tiles", rows * columns, limits.max_blocks)
    field_bytes = 4 if wide else 2
    if len(descriptor) < 4 + 2 * field_bytes:
        raise PermanentError("corrupt_image", "grid descriptor truncated")
    width = int.from_bytes(descriptor[4 : 4 + field_bytes], "big")
    height = int.from_bytes(descriptor[4 + field_bytes : 4 + 2 * field_bytes], "big")
    tiles = list(parsed.referenced(b"dimg", grid.item_id))
    if len(tiles) != rows * columns:
        raise PermanentError("corrupt_image", f"grid of {rows}x{columns} names {len(tiles)} tiles")
    if width < 1 or height < 1:
        raise PermanentError("corrupt_image", f"invalid dimensions {width}x{height}")
    return width, height, tiles


def _bits(parsed: isobmff.Parsed, item_id: int) -> int:
    """Bits per sample of an item: its `pixi` property, else its codec configuration (hvcC, av1C)."""
    pixi = parsed.property_of(item_id, b"pixi")
    if pixi is not None and len(pixi.payload) > 5:
        channels = pixi.payload[4]
        return max(pixi.payload[5 : 5 + channels] or b"\x08")
    hvcc = parsed.property_of(item_id, b"hvcC")
    if hvcc is not None and len(hvcc.payload) > 17:
        return 8 + (hvcc.payload[17] & 0x07)
    av1c = parsed.property_of(item_id, b"av1C")
    if av1c is not None and len(av1c.payload) > 2:
        flags = av1c.payload[2]
        return 12 if flags & 0x20 else 10 if flags & 0x40 else 8
    return 8


def _coded_bytes(parsed: isobmff.Parsed, item_id: int, file_size: int) -> int:
    item = parsed.items.get(item_id)
    if item is None:
        return 0
    return sum(min(length or file_size, file_size) for _, _, length in item.extents)


def _sequence_only(data: bytes, parsed: isobmff.Parsed, limits: ImageLimits, image_format: str) -> Structure:
    """An image sequence without a still primary image (an AVIF 'avis' with a track only): its first frame."""
    if image_format != "AVIF" or parsed.track_size is None or not parsed.samples:
        raise PermanentError("corrupt_image", f"{image_format} file without a primary image")
    check_count("AVIF frames", parsed.samples, limits.max_frames)
    width, height = parsed.track_size
    if width < 1 or height < 1:
        raise PermanentError("corrupt_image", f"invalid dimensions {width}x{height}")
    pixels = width * height
    # Without item boxes the frame's coded size is not at hand: the whole file counts, as the worst case.
    ns = pixels * NS_PER_PIXEL["AVIF"] + len(data) * NS_PER_CODED_BYTE["AVIF"]
    return Structure(
        format=image_format,
        width=width,
        height=height,
        data=data,
        frames=parsed.samples,
        memory_bytes=pipeline_bytes(width, height, 4) + pixels * (DECODER_BYTES_HIGH_DEPTH + ALPHA_BYTES),
        decode_cpu_s=ns * HIGH_DEPTH_FACTOR / 1e9,
        counts={"boxes": parsed.boxes, "frames": parsed.samples},
    )


def _without_oversized_metadata(
    data: bytes, parsed: isobmff.Parsed, limits: ImageLimits
) -> tuple[bytes, tuple[str, ...]]:
    renames: list[int] = []
    dropped: set[str] = set()
    for item in parsed.items.values():
        kind = "exif" if item.item_type == b"Exif" else "xmp" if _is_xmp(item) else None
        if kind and item.type_offset >= 0:
            size = sum(length for _, _, length in item.extents)
            if size > metadata_limit(limits, kind):
                renames.append(item.type_offset)
                dropped.add(kind)
    for prop in parsed.properties:
        icc = prop.box_type == b"colr" and prop.payload[:4] in (b"prof", b"rICC")
        if icc and len(prop.payload) - 4 > metadata_limit(limits, "icc_profile"):
            renames.append(prop.offset + 4)
            dropped.add("icc_profile")
    if not renames:
        return data, ()
    out = bytearray(data)
    for offset in renames:
        out[offset : offset + 4] = _DROPPED_NAME
    return bytes(out), tuple(sorted(dropped))


def _is_xmp(item: isobmff.Item) -> bool:
    return item.item_type == b"mime" and item.content_type == _XMP_TYPE


__all__ = ["CODED_TYPES", "inspect"]
