"""TIFF structure: the directory chain (pages), the first page's tags, strips or tiles, compression, metadata.

What an upload controls that costs more than its size suggests:
- pages: Pillow counts them by parsing every directory again from the start (quadratic: 100,000 pages of 1x1
  take ~80 s), so the chain is walked once here, loops refused, and the number capped;
- directories: Pillow reads every tag of the first page and the EXIF directories in Python, so entries per
  directory and the bytes of each tag's data are capped (a tag of ten million numbers becomes a tuple of ten
  million Python ints);
- strips and tiles: decoded one by one by libtiff; their number is capped, and a compressed strip is inflated
  into a buffer of its full size before Pillow unpacks it;
- compression: only the lossless schemes in common use (none, LZW, Deflate, PackBits) are accepted.
Metadata tags over their caps (ICC, XMP) make the file `too_complex`: TIFF data is found by offsets, so it is not
cut out as in the other formats.
"""

from __future__ import annotations

import struct

from consumer_core.errors import PermanentError
from consumer_core.imaging.limits import ImageLimits
from consumer_core.imaging.structure.model import Structure, check_count, metadata_limit, pipeline_bytes, too_complex

ACCEPTED_COMPRESSION = {1: "none", 5: "LZW", 8: "Deflate", 32946: "Deflate", 32773: "PackBits"}
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_WIDTH, _HEIGHT, _BITS, _COMPRESSION, _PHOTOMETRIC = 256, 257, 258, 259, 262
_STRIP_OFFSETS, _SAMPLES, _ROWS_PER_STRIP, _PLANAR = 273, 277, 278, 284
_TILE_WIDTH, _TILE_LENGTH, _TILE_OFFSETS = 322, 323, 324
_XMP, _ICC, _EXIF_IFD, _GPS_IFD = 700, 34675, 34665, 34853
_METADATA_TAGS = {_XMP: "xmp", _ICC: "icc_profile"}
_OFFSET_ARRAYS = frozenset({_STRIP_OFFSETS, 279, _TILE_OFFSETS, 325})
MAX_TAG_BYTES = 1024 * 1024  # any other tag's data
# Measured on the reference machines: decoding per raw (inflated) byte, the work after it per pixel, and
# libtiff's work per strip or tile.
_NS_PER_RAW_BYTE = {1: 1.5, 5: 6.5, 8: 9.0, 32946: 9.0, 32773: 3.0}
_NS_PER_PIXEL = 4.0
_NS_PER_TILE = 2_000.0


def inspect(data: bytes, limits: ImageLimits) -> Structure | None:
    """The structure of a TIFF, or None when it is too broken to walk (the decoder then decides)."""
    order = "<" if data[:2] == b"II" else ">"
    if len(data) < 8:
        return None
    (offset,) = struct.unpack_from(order + "I", data, 4)
    first = _directory(data, order, offset, limits)
    if first is None:
        return None
    tags, next_offset = first
    pages, seen = 1, {offset}
    while next_offset and next_offset not in seen:
        seen.add(next_offset)
        pages += 1
        check_count("TIFF pages", pages, limits.max_frames)
        next_offset = _next_directory(data, order, next_offset, limits)
    if next_offset and next_offset in seen:
        raise PermanentError("corrupt_image", "TIFF directories form a loop")
    for pointer in (_EXIF_IFD, _GPS_IFD):
        offset = tags.get(pointer)
        if isinstance(offset, int):
            _directory(data, order, offset, limits)  # checked for size; Pillow reads it for EXIF
    return _first_page(data, tags, pages, limits)


def _first_page(data: bytes, tags: dict[int, int | bytes], pages: int, limits: ImageLimits) -> Structure | None:
    width, height = tags.get(_WIDTH), tags.get(_HEIGHT)
    if not isinstance(width, int) or not isinstance(height, int):
        return None
    compression = tags.get(_COMPRESSION, 1)
    if not isinstance(compression, int) or compression not in ACCEPTED_COMPRESSION:
        raise PermanentError("unsupported_format", f"TIFF compression {compression!r} is not accepted")
    samples = tags.get(_SAMPLES, 1)
    bits = tags.get(_BITS, 1)
    samples = samples if isinstance(samples, int) and 0 < samples <= 16 else 1
    bits = bits if isinstance(bits, int) and 0 < bits <= 64 else 8
    row_bytes = -(-width * samples * bits // 8)
    tiled = _TILE_WIDTH in tags
    if tiled:
        tile_w, tile_h = tags.get(_TILE_WIDTH, 0), tags.get(_TILE_LENGTH, 0)
        if not isinstance(tile_w, int) or not isinstance(tile_h, int) or tile_w < 1 or tile_h < 1:
            return None
        tiles = -(-width // tile_w) * -(-height // tile_h)
        buffer = tile_w * tile_h * samples * bits // 8
    else:
        rows = tags.get(_ROWS_PER_STRIP, height)
        rows = rows if isinstance(rows, int) and rows > 0 else height
        tiles = -(-height // min(rows, max(1, height)))
        buffer = min(rows, height) * row_bytes
    if tags.get(_PLANAR) == 2:
        tiles *= samples
    check_count("TIFF strips or tiles", tiles, limits.max_tiles)
    photometric = tags.get(_PHOTOMETRIC)
    storage = 1 if (samples == 1 and bits <= 8) else 2 if (samples == 1 and bits == 16) else 4
    cpu_ns = height * row_bytes * _NS_PER_RAW_BYTE[compression] + width * height * _NS_PER_PIXEL + tiles * _NS_PER_TILE
    return Structure(
        format="TIFF",
        width=width,
        height=height,
        data=data,
        frames=pages,
        memory_bytes=pipeline_bytes(width, height, storage, converted=photometric == 3 or bits == 1)
        + (buffer if compression != 1 else 0),
        decode_cpu_s=cpu_ns / 1e9,
        counts={"pages": pages, "tiles": tiles},
    )


def _directory(data: bytes, order: str, offset: int, limits: ImageLimits) -> tuple[dict[int, int | bytes], int] | None:
    """The tags of the directory at `offset` (single values as ints, others as their raw bytes) and the offset of
    the next one; None when it does not fit in the file. Raises for oversized directories or tag data."""
    if offset + 2 > len(data):
        return None
    (count,) = struct.unpack_from(order + "H", data, offset)
    check_count("TIFF tags in one directory", count, limits.max_ifd_entries)
    end = offset + 2 + 12 * count
    if end + 4 > len(data):
        return None
    tags: dict[int, int | bytes] = {}
    for index in range(count):
        tag, kind, number, value = struct.unpack_from(order + "HHII", data, offset + 2 + 12 * index)
        size = _TYPE_SIZES.get(kind, 1) * number
        _check_tag_size(tag, size, limits)
        if number == 1 and kind in (3, 4, 13):  # SHORT, LONG or IFD: the value itself
            tags[tag] = value >> 16 if kind == 3 and order == ">" else value & (0xFFFF if kind == 3 else 0xFFFFFFFF)
        elif tag in (_BITS, _SAMPLES) and kind == 3 and number > 1:
            position = offset + 2 + 12 * index + 8 if size <= 4 else value
            if position + 2 <= len(data):
                tags[tag] = struct.unpack_from(order + "H", data, position)[0]
    (next_offset,) = struct.unpack_from(order + "I", data, end)
    return tags, next_offset


def _next_directory(data: bytes, order: str, offset: int, limits: ImageLimits) -> int:
    """The offset after the directory at `offset` (0 when it does not fit): pages after the first are counted,
    not read."""
    if offset + 2 > len(data):
        return 0
    (count,) = struct.unpack_from(order + "H", data, offset)
    check_count("TIFF tags in one directory", count, limits.max_ifd_entries)
    end = offset + 2 + 12 * count
    return struct.unpack_from(order + "I", data, end)[0] if end + 4 <= len(data) else 0


def _check_tag_size(tag: int, size: int, limits: ImageLimits) -> None:
    if tag in _METADATA_TAGS:
        cap = metadata_limit(limits, _METADATA_TAGS[tag])
    elif tag in _OFFSET_ARRAYS:
        cap = limits.max_tiles * 8 * 16  # offsets of every strip or tile, per plane
    else:
        cap = MAX_TAG_BYTES
    if size > cap:
        raise too_complex(f"TIFF tag {tag} data bytes", size, cap)
