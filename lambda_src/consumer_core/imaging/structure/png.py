"""PNG (and APNG) structure: the chunk list, the decoded size, animation frames, metadata chunks.

What an upload controls that costs more than its size suggests:
- chunks: Pillow handles every chunk in Python (a 50 MB file of empty chunks is ~4 million of them), so their
  number is capped;
- compressed text and ICC chunks (zTXt, iTXt, iCCP) inflate to far more than they take: each is inflated here
  at most to its cap and dropped if larger (Pillow would call a text chunk over 1 MB a corrupt file);
- the decoded size: one row pointer per row (a 1 x 50,000,000 picture carries 400 MB of them) and the pixels
  in Pillow's storage (1, 2 or 4 bytes), plus an RGBA copy for palette pictures.
"""

from __future__ import annotations

import struct
import zlib

from consumer_core.imaging.limits import ImageLimits
from consumer_core.imaging.structure.model import (
    Structure,
    check_count,
    metadata_limit,
    pipeline_bytes,
    without,
)

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEXT_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt"})
# Pillow refuses compressed text and ICC chunks that inflate to more than this (PngImagePlugin.MAX_TEXT_CHUNK).
PILLOW_INFLATE_LIMIT = 1024 * 1024
# Measured on the reference machines (24 and 50 MP files of every colour type, the slower of the two consumers):
# decode and the work after it per decompressed byte and per compressed byte (inflating dense data costs more
# than flat data), a palette's full-size RGBA conversion per pixel, Adam7 interlacing ~1.6x, and Pillow's Python
# overhead per chunk.
_NS_PER_INFLATED_BYTE = 5.5
_NS_PER_COMPRESSED_BYTE = 18.0
_NS_PER_CONVERTED_PIXEL = 10.0
_INTERLACE_FACTOR = 1.6
_NS_PER_CHUNK = 3_000.0


def inspect(data: bytes, limits: ImageLimits) -> Structure | None:
    """The structure of a PNG, or None when it is too broken to walk (the decoder then decides)."""
    chunks, frames, compressed, position = 0, 0, 0, len(SIGNATURE)
    header: tuple[int, int, int, int, int] | None = None
    text_kept = 0
    dropped: set[str] = set()
    cut: list[tuple[int, int]] = []
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        start, end = position + 8, position + 12 + length
        if end > len(data):
            break
        chunks += 1
        check_count("PNG chunks", chunks, limits.max_chunks)
        if kind == b"IHDR" and header is None and length >= 13:
            width, height, depth, colour, _method, _filter, interlace = struct.unpack_from(">IIBBBBB", data, start)
            header = (width, height, depth, colour, interlace)
        elif kind in (b"IDAT", b"fdAT"):
            compressed += length
        elif kind == b"fcTL":
            frames += 1
            check_count("PNG animation frames", frames, limits.max_frames)
        elif kind in _TEXT_CHUNKS:
            size = _text_size(kind, data[start : start + length], metadata_limit(limits, "text") - text_kept)
            if size is None:
                dropped.add("text")
                cut.append((position, end))
            else:
                text_kept += size
        elif (
            kind == b"iCCP"
            and _inflated_size(_after_keyword(data[start : start + length], 1), _icc_cap(limits)) is None
        ):
            dropped.add("icc_profile")
            cut.append((position, end))
        elif kind == b"eXIf" and length > metadata_limit(limits, "exif"):
            dropped.add("exif")
            cut.append((position, end))
        position = end
        if kind == b"IEND":
            break
    if header is None:
        return None
    width, height, bit_depth, colour_type, interlace = header
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour_type, 4)
    row_bytes = 1 + -(-width * channels * bit_depth // 8)
    cpu_ns = height * row_bytes * _NS_PER_INFLATED_BYTE * (_INTERLACE_FACTOR if interlace else 1)
    cpu_ns += (
        compressed * _NS_PER_COMPRESSED_BYTE
        + chunks * _NS_PER_CHUNK
        + (width * height * _NS_PER_CONVERTED_PIXEL if colour_type == 3 else 0)
    )
    return Structure(
        format="PNG",
        width=width,
        height=height,
        data=without(data, cut),
        frames=max(1, frames),
        memory_bytes=pipeline_bytes(
            width, height, _storage_bytes(colour_type, bit_depth), converted=colour_type == 3, row_bytes=row_bytes
        ),
        decode_cpu_s=cpu_ns / 1e9,
        dropped=tuple(sorted(dropped)),
        counts={"chunks": chunks, "frames": max(1, frames)},
    )


def _storage_bytes(colour_type: int, bit_depth: int) -> int:
    """Bytes per pixel of Pillow's mode for this PNG: L, P and 1 take 1, I;16 takes 2, everything else 4."""
    if colour_type in (0, 3):
        return 2 if bit_depth == 16 else 1
    return 4


def _icc_cap(limits: ImageLimits) -> int:
    return min(metadata_limit(limits, "icc_profile"), PILLOW_INFLATE_LIMIT)


def _text_size(kind: bytes, payload: bytes, allowance: int) -> int | None:
    """The text's size once inflated, or None when it is over `allowance` (then the chunk is dropped)."""
    cap = min(allowance, PILLOW_INFLATE_LIMIT)
    if kind == b"tEXt":
        return len(payload) if len(payload) <= cap else None
    if kind == b"zTXt":
        return _inflated_size(_after_keyword(payload, 1), cap)
    # iTXt: keyword \0 flag method language \0 translated keyword \0 text
    keyword_end = payload.find(b"\x00")
    if keyword_end < 0 or keyword_end + 3 > len(payload):
        return len(payload) if len(payload) <= cap else None
    compressed = payload[keyword_end + 1] == 1
    rest = payload[keyword_end + 3 :]
    parts = rest.split(b"\x00", 2)
    text = parts[2] if len(parts) == 3 else rest
    if not compressed:
        return len(text) if len(text) <= cap else None
    return _inflated_size(text, cap)


def _after_keyword(payload: bytes, skip: int) -> bytes:
    """The compressed data of zTXt/iCCP: after the keyword, its NUL and `skip` method byte(s)."""
    keyword_end = payload.find(b"\x00")
    return payload[keyword_end + 1 + skip :] if keyword_end >= 0 else b""


def _inflated_size(compressed: bytes, cap: int) -> int | None:
    """Inflated size of zlib data if at most `cap` (inflating no further than that), else None. Data that does
    not inflate is left to the reader, which ignores it."""
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(compressed, cap + 1)
    except zlib.error:
        return 0
    return len(inflated) if len(inflated) <= cap else None
