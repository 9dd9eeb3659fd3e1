"""JPEG (and MPO) structure: marker segments before the first scan, every scan of the first picture, metadata.

What an upload controls that costs more than its size suggests:
- scans: libjpeg decodes each scan over every block of the components it names, so one small refinement scan
  repeated 2,000 times costs ~70 s on a 7000x7000 picture. The cost is estimated from the blocks each scan
  covers (measured: ~35 ns per block and scan when progressive, ~23 ns sequential) plus the entropy-coded bytes
  (~36 ns/byte progressive, ~9 ns/byte sequential), and the number of scans is capped;
- marker segments before the first scan: Pillow parses each one in Python (Photoshop blocks too);
- a progressive (or multi-scan) JPEG keeps every DCT coefficient of the picture: 128 bytes per 8x8 block.
Metadata: ICC profiles (APP2, possibly split), EXIF (the first APP1 `Exif`), XMP (APP1) over their caps are cut
out of the bytes the readers get.
"""

from __future__ import annotations

import re
import struct

from consumer_core.imaging.limits import ImageLimits
from consumer_core.imaging.structure.model import POINTER_BYTES, Structure, check_count, metadata_limit, without

_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_PROGRESSIVE = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
_SOS, _EOI, _APP1, _APP2, _APP13 = 0xDA, 0xD9, 0xE1, 0xE2, 0xED
# A marker inside or after entropy-coded data: 0xFF followed by anything but stuffing (00), RSTn or fill (FF).
_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")

# Measured on the reference machines (Pillow 13, libjpeg-turbo 3.2, decoding with draft as both consumers do).
_NS_PER_BYTE = {True: 36.0, False: 9.2}  # keyed by "progressive"
_NS_PER_BLOCK_SCAN = {True: 35.0, False: 23.0}
COEFFICIENT_BYTES_PER_BLOCK = 64 * 2
# Both consumers decode JPEGs shrunk in the DCT domain (draft) to at least the largest output; thumbnails are at
# most 4096 px, so a full-size decode only happens to pictures of at most 4096x4096.
_FULL_SIZE_DECODE_PIXELS = 4096 * 4096


def inspect(data: bytes, limits: ImageLimits) -> Structure | None:
    """The structure of a JPEG, or None when the headers are too broken to walk (the decoder then decides)."""
    position, segments = 2, 0
    frame: tuple[int, int, dict[int, int], bool] | None = None
    metadata = {"icc_profile": 0, "exif": 0, "xmp": 0}
    spans: dict[str, list[tuple[int, int]]] = {"icc_profile": [], "exif": [], "xmp": []}
    photoshop_blocks = 0
    while True:
        marker, position = _next_marker(data, position)
        if marker is None or marker == _EOI:
            return None
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        segment = _segment(data, position)
        if segment is None:
            return None
        start, end = segment
        segments += 1
        check_count("JPEG marker segments before the first scan", segments, limits.max_segments)
        payload = data[start:end]
        if marker in _SOF and frame is None:
            frame = _frame(payload, progressive=marker in _PROGRESSIVE)
            if frame is None:
                return None
        elif marker == _APP1 and payload.startswith(b"Exif\x00\x00"):
            _count(metadata, spans, "exif", position - 2, end, len(payload))
        elif marker == _APP1 and payload.startswith((b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp")):
            _count(metadata, spans, "xmp", position - 2, end, len(payload))
        elif marker == _APP2 and payload.startswith(b"ICC_PROFILE\x00"):
            _count(metadata, spans, "icc_profile", position - 2, end, len(payload) - 14)
        elif marker == _APP13:
            photoshop_blocks += payload.count(b"8BIM")
            check_count("Photoshop resource blocks", photoshop_blocks, limits.max_blocks)
        position = end
        if marker == _SOS:
            break
    if frame is None:
        return None
    width, height, blocks, progressive = frame
    scans, block_scans, entropy_start = 1, _scan_blocks(data[start:end], blocks), end
    multi_scan = progressive
    while True:
        marker, position = _next_marker(data, position, entropy=True)
        if marker is None or marker == _EOI:
            break
        segment = _segment(data, position)
        if segment is None:
            break
        start, end = segment
        if marker == _SOS:
            scans += 1
            multi_scan = True
            check_count("JPEG scans", scans, limits.max_scans)
            block_scans += _scan_blocks(data[start:end], blocks)
        position = end
    entropy_bytes = max(0, position - entropy_start)
    dropped = tuple(kind for kind, size in metadata.items() if size > metadata_limit(limits, kind))
    cut = sorted(span for kind in dropped for span in spans[kind])
    coefficients = sum(blocks.values()) * COEFFICIENT_BYTES_PER_BLOCK if multi_scan else 0
    cpu_ns = entropy_bytes * _NS_PER_BYTE[progressive] + block_scans * _NS_PER_BLOCK_SCAN[progressive]
    return Structure(
        format="JPEG",
        width=width,
        height=height,
        data=without(data, cut),
        memory_bytes=coefficients + min(width * height, _FULL_SIZE_DECODE_PIXELS) * 4 + height * POINTER_BYTES,
        decode_cpu_s=cpu_ns / 1e9,
        dropped=dropped,
        counts={"segments": segments, "scans": scans, "block_scans": block_scans},
    )


def _next_marker(data: bytes, position: int, *, entropy: bool = False) -> tuple[int | None, int]:
    """The next marker code at or after `position` and the position after it. Between segments only fill bytes
    may precede a marker; after a scan, entropy-coded data does."""
    if entropy:
        match = _MARKER.search(data, position)
        if match is None:
            return None, len(data)
        return data[match.start() + 1], match.end()
    if position >= len(data) or data[position] != 0xFF:
        return None, position
    while position < len(data) and data[position] == 0xFF:
        position += 1
    if position >= len(data):
        return None, position
    return data[position], position + 1


def _segment(data: bytes, position: int) -> tuple[int, int] | None:
    """(payload start, end) of the length-prefixed segment at `position`, or None when it does not fit."""
    if position + 2 > len(data):
        return None
    (length,) = struct.unpack_from(">H", data, position)
    end = position + length
    if length < 2 or end > len(data):
        return None
    return position + 2, end


def _frame(payload: bytes, *, progressive: bool) -> tuple[int, int, dict[int, int], bool] | None:
    """(width, height, blocks per component id, progressive) from a SOF payload."""
    if len(payload) < 6:
        return None
    _precision, height, width, count = struct.unpack_from(">BHHB", payload)
    components = []
    for index in range(count):
        offset = 6 + 3 * index
        if offset + 3 > len(payload):
            return None
        component, sampling = payload[offset], payload[offset + 1]
        components.append((component, max(1, sampling >> 4), max(1, sampling & 0x0F)))
    if not components:
        return None
    h_max = max(h for _, h, _ in components)
    v_max = max(v for _, _, v in components)
    blocks = {component: -(-width * h // (h_max * 8)) * -(-height * v // (v_max * 8)) for component, h, v in components}
    return width, height, blocks, progressive


def _scan_blocks(header: bytes, blocks: dict[int, int]) -> int:
    """Blocks one scan walks: those of every component it names (unknown ids: the largest component)."""
    if not header:
        return 0
    named = header[1 : 1 + 2 * header[0] : 2]
    largest = max(blocks.values())
    return sum(blocks.get(component, largest) for component in named)


def _count(
    metadata: dict[str, int], spans: dict[str, list[tuple[int, int]]], kind: str, start: int, end: int, size: int
) -> None:
    metadata[kind] += size
    spans[kind].append((start, end))
