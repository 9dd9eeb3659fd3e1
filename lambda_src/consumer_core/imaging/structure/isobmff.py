"""The ISO base media file format (ISO/IEC 14496-12) as HEIF and AVIF use it (ISO/IEC 23008-12): the boxes that say
what a still image costs, read with bounded work.

Only what the cost and metadata decisions need is read: the brands (`ftyp`), the primary item (`pitm`), the items
(`iinf`), where their data lies (`iloc`), their properties and which item has which (`iprp`: `ispe` size, `pixi`
bit depth, `colr` colour, `irot`/`imir` transforms, `auxC` alpha planes, codec configurations), the references
between items (`iref`: grid tiles, alpha planes, metadata), the inline data (`idat`), and for image sequences the
sample count of the first track (`moov`). Everything is counted against caps: an upload chooses every count.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from consumer_core.errors import PermanentError
from consumer_core.imaging.structure.model import check_count

MAX_EXTENTS = 64  # pieces of one item's data (libheif allows 32)
MAX_DEPTH = 16  # boxes inside boxes: HEIF needs 4 (meta/iprp/ipco/ispe), a sequence 7 (moov/trak/.../stsz)
ALPHA_URNS = (b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha", b"urn:mpeg:hevc:2015:auxid:1")
# Boxes whose children are boxes (and how many header bytes precede the children: a full box's version+flags).
_CONTAINERS = {
    b"meta": 4,
    b"iprp": 0,
    b"ipco": 0,
    b"moov": 0,
    b"trak": 0,
    b"mdia": 0,
    b"minf": 0,
    b"stbl": 0,
    b"dinf": 0,
}


@dataclass
class Item:
    item_id: int
    item_type: bytes = b""
    type_offset: int = -1  # where the item type's four bytes are in the file (to rename a dropped item)
    content_type: bytes = b""  # of a 'mime' item (XMP is application/rdf+xml)
    properties: list[int] = field(default_factory=list)  # 1-based indexes into Parsed.properties
    extents: list[tuple[int, int, int]] = field(default_factory=list)  # (construction method, offset, length)


@dataclass
class Property:
    box_type: bytes
    offset: int  # of the box header (to rename a dropped property)
    payload: bytes = b""


@dataclass
class Parsed:
    brands: tuple[bytes, ...] = ()
    primary: int | None = None
    items: dict[int, Item] = field(default_factory=dict)
    properties: list[Property] = field(default_factory=list)
    references: dict[bytes, list[tuple[int, tuple[int, ...]]]] = field(default_factory=dict)  # type -> (from, to)
    idat: bytes = b""
    samples: int = 0  # samples of the first track of an image sequence
    track_size: tuple[int, int] | None = None
    boxes: int = 0

    def item_properties(self, item_id: int) -> list[Property]:
        item = self.items.get(item_id)
        if item is None:
            return []
        return [self.properties[index - 1] for index in item.properties if 0 < index <= len(self.properties)]

    def property_of(self, item_id: int, box_type: bytes) -> Property | None:
        return next((p for p in self.item_properties(item_id) if p.box_type == box_type), None)

    def referenced(self, kind: bytes, from_id: int) -> tuple[int, ...]:
        return next((to for source, to in self.references.get(kind, ()) if source == from_id), ())

    def referencing(self, kind: bytes, to_id: int) -> list[int]:
        return [source for source, to in self.references.get(kind, ()) if to_id in to]


class _Reader:
    """Big-endian fields of one box payload; reading past its end is `corrupt_image`."""

    def __init__(self, data: bytes, start: int, end: int) -> None:
        self.data, self.position, self.end = data, start, end

    def take(self, size: int) -> bytes:
        if size < 0 or self.position + size > self.end:
            raise PermanentError("corrupt_image", "HEIF/AVIF box shorter than its fields")
        chunk = self.data[self.position : self.position + size]
        self.position += size
        return chunk

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big") if size else 0

    def full_box(self) -> tuple[int, int]:
        version, flags = self.uint(1), self.uint(3)
        return version, flags


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, box start, payload start, box end) of each box in data[start:end], one at a time (the caller
    counts them: a file of 8-byte boxes has millions)."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            if position + 16 > end:
                raise PermanentError("corrupt_image", "HEIF/AVIF box header truncated")
            size = struct.unpack_from(">Q", data, position + 8)[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise PermanentError("corrupt_image", f"HEIF/AVIF box {kind!r} runs past its container")
        yield kind, position, position + header, position + size
        position += size


def parse(data: bytes, *, max_boxes: int, max_items: int) -> Parsed:
    """The boxes of an ISOBMFF file that matter to a still image (see the module docstring)."""
    parsed = Parsed()
    pending: list[tuple[Iterator[tuple[bytes, int, int, int]], int]] = [(_boxes(data, 0, len(data)), 0)]
    while pending:
        boxes, depth = pending[-1]
        box = next(boxes, None)
        if box is None:
            pending.pop()
            continue
        kind, _start, payload, end = box
        parsed.boxes += 1
        check_count("HEIF/AVIF boxes", parsed.boxes, max_boxes)
        if kind in _CONTAINERS:
            if depth + 1 > MAX_DEPTH:
                raise PermanentError("too_complex", f"HEIF/AVIF boxes nested over {MAX_DEPTH} deep")
            if kind == b"ipco":
                for child, child_start, child_payload, child_end in _boxes(data, payload, end):
                    parsed.boxes += 1
                    check_count("HEIF/AVIF boxes", parsed.boxes, max_boxes)
                    parsed.properties.append(Property(child, child_start, data[child_payload:child_end]))
            else:
                pending.append((_boxes(data, payload + _CONTAINERS[kind], end), depth + 1))
            continue
        reader = _Reader(data, payload, end)
        if kind == b"ftyp":
            major = reader.take(4)
            reader.take(4)
            compatible = [data[p : p + 4] for p in range(reader.position, end - 3, 4)][:64]
            parsed.brands = (major, *compatible)
        elif kind == b"pitm":
            version, _ = reader.full_box()
            parsed.primary = reader.uint(2 if version == 0 else 4)
        elif kind == b"iinf":
            _item_infos(data, reader, parsed, max_items, max_boxes)
        elif kind == b"iloc":
            _locations(reader, parsed, max_items)
        elif kind == b"ipma":
            _associations(reader, parsed, max_items)
        elif kind == b"iref":
            _references(data, reader, parsed, max_items, max_boxes)
        elif kind == b"idat":
            parsed.idat = data[payload:end]
        elif kind == b"tkhd" and parsed.track_size is None:
            version, _ = reader.full_box()
            reader.take(32 if version == 1 else 20)  # times, track id, duration (and reserved)
            reader.take(52)  # reserved, layer, alternate group, volume, reserved, matrix
            parsed.track_size = (reader.uint(4) >> 16, reader.uint(4) >> 16)
        elif kind in (b"stsz", b"stz2") and not parsed.samples:
            reader.full_box()
            reader.take(4)  # sample size (stsz) or reserved + field size (stz2)
            parsed.samples = reader.uint(4)
    return parsed


def _item_infos(data: bytes, reader: _Reader, parsed: Parsed, max_items: int, max_boxes: int) -> None:
    version, _ = reader.full_box()
    count = reader.uint(2 if version == 0 else 4)
    check_count("HEIF/AVIF items", count, max_items)
    for kind, _start, payload, end in _boxes(data, reader.position, reader.end):
        parsed.boxes += 1
        check_count("HEIF/AVIF boxes", parsed.boxes, max_boxes)
        if kind != b"infe":
            continue
        entry = _Reader(data, payload, end)
        infe_version, _ = entry.full_box()
        if infe_version < 2:
            continue  # the ISO/IEC 14496-12 item info of files, not images
        item_id = entry.uint(2 if infe_version == 2 else 4)
        entry.take(2)  # item_protection_index
        type_offset = entry.position
        item = parsed.items.setdefault(item_id, Item(item_id))
        item.item_type, item.type_offset = entry.take(4), type_offset
        check_count("HEIF/AVIF items", len(parsed.items), max_items)
        if item.item_type == b"mime":
            strings = data[entry.position : end].split(b"\0")
            item.content_type = strings[1] if len(strings) > 1 else b""


def _locations(reader: _Reader, parsed: Parsed, max_items: int) -> None:
    version, _ = reader.full_box()
    sizes = reader.uint(1)
    offset_size, length_size = sizes >> 4, sizes & 0x0F
    sizes = reader.uint(1)
    base_offset_size, index_size = sizes >> 4, (sizes & 0x0F) if version in (1, 2) else 0
    count = reader.uint(2 if version < 2 else 4)
    check_count("HEIF/AVIF item locations", count, max_items)
    for _ in range(count):
        item_id = reader.uint(2 if version < 2 else 4)
        method = reader.uint(2) & 0x0F if version in (1, 2) else 0
        reader.take(2)  # data_reference_index
        base = reader.uint(base_offset_size)
        extents = reader.uint(2)
        check_count("HEIF/AVIF extents of one item", extents, MAX_EXTENTS)
        item = parsed.items.setdefault(item_id, Item(item_id))
        check_count("HEIF/AVIF items", len(parsed.items), max_items)
        for _ in range(extents):
            reader.take(index_size)
            offset, length = reader.uint(offset_size), reader.uint(length_size)
            item.extents.append((method, base + offset, length))


def _associations(reader: _Reader, parsed: Parsed, max_items: int) -> None:
    version, flags = reader.full_box()
    count = reader.uint(4)
    check_count("HEIF/AVIF property associations", count, max_items)
    for _ in range(count):
        item_id = reader.uint(2 if version < 1 else 4)
        associations = reader.uint(1)
        item = parsed.items.setdefault(item_id, Item(item_id))
        check_count("HEIF/AVIF items", len(parsed.items), max_items)
        for _ in range(associations):
            index = reader.uint(2) & 0x7FFF if flags & 1 else reader.uint(1) & 0x7F
            item.properties.append(index)


def _references(data: bytes, reader: _Reader, parsed: Parsed, max_items: int, max_boxes: int) -> None:
    version, _ = reader.full_box()
    width = 2 if version == 0 else 4
    for kind, _start, payload, end in _boxes(data, reader.position, reader.end):
        parsed.boxes += 1
        check_count("HEIF/AVIF boxes", parsed.boxes, max_boxes)
        entry = _Reader(data, payload, end)
        source = entry.uint(width)
        count = entry.uint(2)
        check_count("HEIF/AVIF item references", count, max_items)
        targets = tuple(entry.uint(width) for _ in range(count))
        parsed.references.setdefault(kind, []).append((source, targets))


def item_data(data: bytes, parsed: Parsed, item: Item, limit: int) -> bytes:
    """The bytes of an item (a grid's descriptor, say), at most `limit` of them."""
    parts = []
    for method, offset, length in item.extents:
        source = parsed.idat if method == 1 else data if method == 0 else b""
        length = length or len(source) - offset
        parts.append(source[offset : offset + min(length, limit)])
    return b"".join(parts)[:limit]


__all__ = ["ALPHA_URNS", "MAX_DEPTH", "MAX_EXTENTS", "Item", "Parsed", "Property", "item_data", "parse"]
