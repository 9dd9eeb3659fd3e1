"""Hostile uploads: small files whose processing cost has nothing to do with their size, one generator per class
of attack (not per sample). Each returns the encoded bytes; sizes and counts are parameters, so tests can make a
class cheap to build and still far over a limit.

    from tools.testimages import hostile
    hostile.progressive_scan_flood(7000, 7000, repeats=2000)   # one refinement scan repeated: minutes of decode
    hostile.CORPUS                                            # name -> (generator, what it attacks)

Every file here is a valid or nearly valid file of an accepted format: the point is what a reader does with it.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Callable

from PIL import Image, ImageCms

from tools import testimages as images

# ------------------------------------------------------------------------------------------------------ JPEG


def _segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of each JPEG segment; a scan's end includes its entropy-coded data."""
    position, found = 2, []
    while position < len(data):
        marker = data[position + 1]
        if marker == 0xD9:
            found.append((marker, position, position + 2))
            break
        end = position + 2 + struct.unpack(">H", data[position + 2 : position + 4])[0]
        if marker == 0xDA:
            while True:
                end = data.index(b"\xff", end)
                if data[end + 1] == 0 or 0xD0 <= data[end + 1] <= 0xD7:
                    end += 2
                    continue
                break
        found.append((marker, position, end))
        position = end
    return found


def progressive_jpeg(width: int, height: int, *, quality: int = 90, seed: int = 1, subsampling: int = 2) -> bytes:
    rng = random.Random(seed)
    small = Image.frombytes(
        "RGB",
        (max(2, width // 16), max(2, height // 16)),
        rng.randbytes(max(2, width // 16) * max(2, height // 16) * 3),
    )
    picture = small.resize((width, height), Image.Resampling.BILINEAR)
    return images.encode(picture, "JPEG", quality=quality, progressive=True, subsampling=subsampling)


def progressive_scan_flood(width: int, height: int, *, repeats: int) -> bytes:
    """A progressive JPEG whose smallest refinement scan is repeated `repeats` times before EOI: libjpeg walks
    every block of the component for each copy (a few bytes each, tens of milliseconds each). The picture is
    grey, so its colour scans are empty runs: the file stays a few hundred KB."""
    rng = random.Random(7)
    grey = Image.frombytes(
        "L", (max(2, width // 16), max(2, height // 16)), rng.randbytes(max(2, width // 16) * max(2, height // 16))
    )
    data = images.encode(
        grey.resize((width, height), Image.Resampling.BILINEAR).convert("RGB"), "JPEG", quality=90, progressive=True
    )
    scans = [
        (start, end)
        for marker, start, end in _segments(data)
        if marker == 0xDA and data[start + 5 + 2 * data[start + 4] + 2] >> 4
    ]
    start, end = min(scans, key=lambda span: span[1] - span[0])
    eoi = data.rindex(b"\xff\xd9")
    return data[:eoi] + data[start:end] * repeats + data[eoi:]


def sequential_scan_flood(width: int, height: int, *, repeats: int) -> bytes:
    """A baseline JPEG whose only scan is repeated: sequential mode decodes each copy in full."""
    data = images.encode(Image.new("RGB", (width, height), (90, 120, 150)), "JPEG", quality=50, subsampling=2)
    (start, end) = next((s, e) for marker, s, e in _segments(data) if marker == 0xDA)
    eoi = data.rindex(b"\xff\xd9")
    return data[:eoi] + data[start:end] * repeats + data[eoi:]


def jpeg_marker_flood(count: int, *, marker: int = 0xFE) -> bytes:
    """A small JPEG with `count` empty segments (COM by default) before its frame header: Pillow parses each one
    in Python."""
    data = images.jpeg(64, 64)
    segment = bytes([0xFF, marker]) + struct.pack(">H", 2)
    return data[:2] + segment * count + data[2:]


def photoshop_block_flood(segments: int) -> bytes:
    """A small JPEG with APP13 Photoshop segments full of empty 8BIM resource blocks, each parsed in Python."""
    block = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", 0)
    payload = b"Photoshop 3.0\x00" + block * ((65533 - 14) // len(block))
    segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    data = images.jpeg(64, 64)
    return data[:2] + segment * segments + data[2:]


def big_icc_profile(megabytes: float, *, seed: int = 0) -> bytes:
    """A valid sRGB ICC profile padded with a private tag to `megabytes` (distinct content per seed)."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    size = int(megabytes * 1024 * 1024)
    count = struct.unpack(">I", profile[128:132])[0]
    table = profile[132 : 132 + 12 * count]
    body = profile[132 + 12 * count :]
    padding = random.Random(seed).randbytes(size)
    new_table = table + struct.pack(">4sII", b"zzzz", 0, 0)  # patched below
    offset = 128 + 4 + len(new_table)
    shifted = bytearray()
    for index in range(count):
        signature, tag_offset, tag_size = struct.unpack(">4sII", table[12 * index : 12 * index + 12])
        shifted += struct.pack(">4sII", signature, tag_offset + 12, tag_size)
    pad_offset = offset + len(body)
    pad_offset += (-pad_offset) % 4
    shifted += struct.pack(">4sII", b"zzzz", pad_offset, len(padding))
    body_aligned = body + b"\x00" * ((-(offset + len(body))) % 4)
    header = bytearray(profile[:128])
    total = 128 + 4 + len(shifted) + len(body_aligned) + len(padding)
    header[0:4] = struct.pack(">I", total)
    return bytes(header) + struct.pack(">I", count + 1) + bytes(shifted) + body_aligned + padding


def jpeg_with_icc(megabytes: float, *, seed: int = 0) -> bytes:
    """A small JPEG carrying a `megabytes` ICC profile (split over APP2 segments, as the ICC spec allows)."""
    return images.encode(
        images.photo(96, 64, seed=seed), "JPEG", quality=85, icc_profile=big_icc_profile(megabytes, seed=seed)
    )


# ------------------------------------------------------------------------------------------------------- PNG


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def _png(
    width: int,
    height: int,
    colour_type: int,
    raw: bytes,
    *,
    bit_depth: int = 8,
    extra: bytes = b"",
    idat_size: int = 1 << 20,
    level: int = 9,
) -> bytes:
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
    compressed = zlib.compress(raw, 9)
    idats = b"".join(_chunk(b"IDAT", compressed[i : i + idat_size]) for i in range(0, len(compressed), idat_size))
    return b"\x89PNG\r\n\x1a\n" + header + extra + idats + _chunk(b"IEND", b"")


def _zeros_compressed(length: int, chunk: int = 1 << 24) -> bytes:
    compressor = zlib.compressobj(9)
    out = [compressor.compress(bytes(min(chunk, length - i))) for i in range(0, length, chunk)]
    out.append(compressor.flush())
    return b"".join(out)


def png_extreme_aspect(width: int = 1, height: int = 50_000_000, *, colour_type: int = 6) -> bytes:
    """A PNG of width x height (1 x 50,000,000 RGBA: within a 50 MP limit, ~360 KB): every row costs a row
    pointer (8 bytes) in Pillow and filter bytes in the stream."""
    channels = {0: 1, 2: 3, 6: 4}[colour_type]
    raw_length = height * (1 + width * channels)
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + _chunk(b"IDAT", _zeros_compressed(raw_length)) + _chunk(b"IEND", b"")


def png_chunk_flood(count: int, *, kind: bytes = b"prVt") -> bytes:
    """A small PNG with `count` empty ancillary chunks before its image data."""
    data = images.encode(Image.new("RGB", (8, 8)), "PNG")
    return data[:33] + _chunk(kind, b"") * count + data[33:]


def png_idat_flood(count: int) -> bytes:
    """A PNG whose compressed image data is split into `count` IDAT chunks of a byte or so each."""
    width, height = 256, 256
    raw = b"".join(b"\x00" + bytes(width * 3) for _ in range(height))
    compressed = zlib.compress(raw, 0) * 1
    size = max(1, len(compressed) // count)
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    idats = b"".join(_chunk(b"IDAT", compressed[i : i + size]) for i in range(0, len(compressed), size))
    return b"\x89PNG\r\n\x1a\n" + header + idats + _chunk(b"IEND", b"")


def png_with_text(megabytes: float, *, compressed: bool) -> bytes:
    """A legitimate small PNG carrying one large text chunk (zTXt when compressed): must be processed."""
    text = (b"lorem ipsum dolor sit amet " * (int(megabytes * 1024 * 1024) // 27 + 1))[: int(megabytes * 1024 * 1024)]
    chunk = (
        _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(text, 9))
        if compressed
        else _chunk(b"tEXt", b"Comment\x00" + text)
    )
    data = images.encode(images.photo(120, 80), "PNG")
    return data[:33] + chunk + data[33:]


def png_text_bomb(gigabytes: float = 1.0) -> bytes:
    """A PNG with a zTXt chunk that inflates to `gigabytes` (a few MB compressed)."""
    chunk = _chunk(b"zTXt", b"Comment\x00\x00" + _zeros_compressed(int(gigabytes * 1024**3)))
    data = images.encode(images.photo(64, 48), "PNG")
    return data[:33] + chunk + data[33:]


def png_icc_bomb(megabytes: float = 256) -> bytes:
    """A PNG whose iCCP chunk inflates to `megabytes`."""
    chunk = _chunk(b"iCCP", b"icc\x00\x00" + _zeros_compressed(int(megabytes * 1024 * 1024)))
    data = images.encode(images.photo(64, 48), "PNG")
    return data[:33] + chunk + data[33:]


def png_huge_exif(megabytes: float) -> bytes:
    """A PNG whose eXIf chunk holds one tag with a huge array of numbers (Pillow turns it into Python ints)."""
    count = int(megabytes * 1024 * 1024) // 4
    ifd = (
        struct.pack("<2sHI", b"II", 42, 8)
        + struct.pack("<H", 1)
        + struct.pack("<HHII", 0x9999, 4, count, 26)
        + struct.pack("<I", 0)
    )
    blob = ifd + bytes(4 * count)
    data = images.encode(images.photo(64, 48), "PNG")
    return data[:33] + _chunk(b"eXIf", blob) + data[33:]


def apng_frame_flood(count: int) -> bytes:
    """An animated PNG declaring and holding `count` 1x1 frames."""
    width = height = 1
    actl = _chunk(b"acTL", struct.pack(">II", count, 0))
    frames = []
    sequence = 0
    raw = zlib.compress(b"\x00\x00\x00\x00\xff")
    for index in range(count):
        frames.append(_chunk(b"fcTL", struct.pack(">IIIIIHHBB", sequence, width, height, 0, 0, 1, 10, 0, 0)))
        sequence += 1
        if index == 0:
            frames.append(_chunk(b"IDAT", raw))
        else:
            frames.append(_chunk(b"fdAT", struct.pack(">I", sequence) + raw))
            sequence += 1
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + actl + b"".join(frames) + _chunk(b"IEND", b"")


def palette_png(width: int, height: int) -> bytes:
    """A palette PNG with transparency (converted to RGBA at full size before resampling)."""
    raw = b"".join(
        b"\x00" + bytes((x * 7 + y) % 256 for x in range(width)) for y in range(0, height, max(1, height // 64))
    )
    raw = raw * max(1, height // 64)
    raw = raw[: height * (width + 1)] + b"\x00" * max(0, height * (width + 1) - len(raw))
    palette = _chunk(b"PLTE", bytes(range(256)) * 3)
    trns = _chunk(b"tRNS", bytes(range(256)))
    return _png(width, height, 3, raw, extra=palette + trns)


def rgba_png_large(width: int, height: int) -> bytes:
    """A flat RGBA PNG of any size, built without allocating the pixels (compressed zeros)."""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
    return (
        b"\x89PNG\r\n\x1a\n"
        + header
        + _chunk(b"IDAT", _zeros_compressed(height * (1 + width * 4)))
        + _chunk(b"IEND", b"")
    )


# ------------------------------------------------------------------------------------------------------- GIF


def gif_frame_flood(count: int) -> bytes:
    """A GIF with `count` 1x1 frames (Pillow counts them by seeking through each one in Python)."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"!\xf9\x04\x00\x00\x00\x00\x00" + b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return screen + frame * count + b";"


def gif_extension_flood(count: int) -> bytes:
    """A GIF with `count` comment extensions before its only frame."""
    data = images.encode(Image.new("P", (8, 8)), "GIF")
    comment = b"!\xfe\x01x\x00"
    split = data.index(b",")
    return data[:split] + comment * count + data[split:]


# ------------------------------------------------------------------------------------------------------ WebP


def _riff(chunks: bytes) -> bytes:
    body = b"WEBP" + chunks
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _webp_chunk(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")


def webp_frame_flood(count: int, *, canvas: tuple[int, int] = (16, 16)) -> bytes:
    """An animated WebP with `count` tiny lossless frames."""
    tiny = images.encode(Image.new("RGBA", (1, 1), (255, 0, 0, 255)), "WEBP", lossless=True)
    bitstream = tiny[12:]  # the VP8L chunk
    vp8x = _webp_chunk(
        b"VP8X", bytes([0x12, 0, 0, 0]) + (canvas[0] - 1).to_bytes(3, "little") + (canvas[1] - 1).to_bytes(3, "little")
    )
    anim = _webp_chunk(b"ANIM", b"\x00\x00\x00\x00\x00\x00")
    frame = _webp_chunk(
        b"ANMF", b"\x00" * 6 + (0).to_bytes(3, "little") * 2 + (1).to_bytes(3, "little") + b"\x00" + bitstream
    )
    return _riff(vp8x + anim + frame * count)


def webp_chunk_flood(count: int) -> bytes:
    """A WebP with `count` unknown chunks after its image data."""
    data = images.encode(Image.new("RGB", (8, 8)), "WEBP")
    return _riff(data[12:] + _webp_chunk(b"JUNK", b"") * count)


def still_webp(width: int, height: int, *, seed: int = 1) -> bytes:
    """A still lossy WebP of smooth random colour (a large phone photo re-saved as WebP, without alpha)."""
    rng = random.Random(seed)
    small = (max(2, width // 16), max(2, height // 16))
    picture = Image.frombytes("RGB", small, rng.randbytes(small[0] * small[1] * 3))
    return images.encode(picture.resize((width, height), Image.Resampling.BILINEAR), "WEBP", quality=80, method=0)


def webp_canvas(width: int, height: int) -> bytes:
    """An animated WebP whose canvas is width x height with a single 1x1 frame: libwebp allocates the canvas."""
    return webp_frame_flood(1, canvas=(width, height))


# ------------------------------------------------------------------------------------------------------ TIFF


def tiff_page_flood(pages: int) -> bytes:
    """A TIFF with `pages` 1x1 pages (Pillow counts pages by re-reading every directory: quadratic)."""
    entries = [
        (256, 3, 1, 1),
        (257, 3, 1, 1),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 0),
        (277, 3, 1, 1),
        (278, 3, 1, 1),
        (279, 4, 1, 1),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    out = bytearray(b"II*\x00" + struct.pack("<I", 8))
    pixel_offset = 8 + pages * ifd_size
    for page in range(pages):
        out += struct.pack("<H", len(entries))
        for tag, kind, count, value in entries:
            out += struct.pack("<HHII", tag, kind, count, pixel_offset if tag == 273 else value)
        next_offset = 8 + (page + 1) * ifd_size if page + 1 < pages else 0
        out += struct.pack("<I", next_offset)
    return bytes(out) + b"\x80"


def tiff_big_tag(megabytes: float) -> bytes:
    """A small TIFF with one private tag holding `megabytes` of LONG values."""
    base = images.encode(Image.new("L", (8, 8)), "TIFF")
    count = int(megabytes * 1024 * 1024) // 4
    order = "<" if base[:2] == b"II" else ">"
    (ifd,) = struct.unpack_from(order + "I", base, 4)
    (entries,) = struct.unpack_from(order + "H", base, ifd)
    table = bytearray(base[ifd + 2 : ifd + 2 + 12 * entries])
    table += struct.pack(order + "HHII", 0xC000, 4, count, len(base))  # the numbers follow the original file
    out = bytearray(base) + bytes(4 * count)
    new_ifd = len(out)
    out += struct.pack(order + "H", entries + 1) + bytes(table) + struct.pack(order + "I", 0)
    out[4:8] = struct.pack(order + "I", new_ifd)
    return bytes(out)


def tiff_ifd_loop() -> bytes:
    """A TIFF whose second directory points back to the first."""
    data = bytearray(tiff_page_flood(2))
    entries = 9
    last_next = 8 + 2 * (2 + 12 * entries + 4) - 4
    data[last_next : last_next + 4] = struct.pack("<I", 8)
    return bytes(data)


def tiff_jpeg_compressed() -> bytes:
    """A TIFF with JPEG compression (a codec the pipeline does not accept inside TIFF)."""
    return images.encode(images.photo(64, 48), "TIFF", compression="jpeg")


# ------------------------------------------------------------------------------------------------------- BMP


def bmp_rle8(width: int, height: int) -> bytes:
    """A run-length encoded 8-bit BMP of width x height: a few bytes per row, decoded by Pillow in Python."""
    rows = []
    for _ in range(height):
        row = bytearray()
        remaining = width
        while remaining:
            run = min(255, remaining)
            row += bytes([run, 7])
            remaining -= run
        rows.append(bytes(row) + b"\x00\x00")
    pixels = b"".join(rows) + b"\x00\x01"
    palette = b"".join(bytes([i, i, i, 0]) for i in range(256))
    offset = 14 + 40 + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(pixels), 2835, 2835, 256, 0)
    header = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    return header + info + palette + pixels


def bmp_rle8_dense(width: int, height: int) -> bytes:
    """An RLE8 BMP made of 1-pixel runs: the most opcodes per pixel."""
    row = bytes([1, 9]) * width + b"\x00\x00"
    pixels = row * height + b"\x00\x01"
    palette = b"".join(bytes([i, i, i, 0]) for i in range(256))
    offset = 14 + 40 + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(pixels), 2835, 2835, 256, 0)
    header = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    return header + info + palette + pixels


# ------------------------------------------------------------------------------------------------- HEIF, AVIF


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, payload: bytes, *, version: int = 0, flags: int = 0) -> bytes:
    return _box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def _heif(
    brand: bytes,
    items: list[tuple[int, bytes]],
    *,
    properties: list[bytes] = (),  # type: ignore[assignment]
    associations: dict[int, list[int]] | None = None,
    idat: bytes = b"",
    idat_items: tuple[int, ...] = (),
    references: bytes = b"",
    extra_meta: bytes = b"",
    trailer: bytes = b"",
) -> bytes:
    """A HEIF/AVIF file put together box by box: `items` (id, type) with item 1 primary, properties in `ipco`
    order, `associations` item -> 1-based property indexes, and the items in `idat_items` stored in `idat`."""
    ftyp = _box(b"ftyp", brand + b"\x00\x00\x00\x00" + b"mif1" + brand)
    hdlr = _full_box(b"hdlr", b"\x00" * 4 + b"pict" + b"\x00" * 13)
    pitm = _full_box(b"pitm", struct.pack(">H", 1))
    infe = b"".join(_full_box(b"infe", struct.pack(">HH", item, 0) + kind + b"\x00", version=2) for item, kind in items)
    iinf = _full_box(b"iinf", struct.pack(">H", len(items)) + infe)
    locations = b"".join(struct.pack(">HHHH", item, 1, 0, 1) + struct.pack(">II", 0, len(idat)) for item in idat_items)
    iloc = _full_box(b"iloc", bytes([0x44, 0x00]) + struct.pack(">H", len(idat_items)) + locations, version=1)
    ipco = _box(b"ipco", b"".join(properties))
    entries = b"".join(
        struct.pack(">HB", item, len(indexes)) + bytes(indexes) for item, indexes in (associations or {}).items()
    )
    ipma = _full_box(b"ipma", struct.pack(">I", len(associations or {})) + entries)
    meta = _full_box(
        b"meta",
        hdlr + pitm + iloc + iinf + references + _box(b"iprp", ipco + ipma) + _box(b"idat", idat) + extra_meta,
    )
    return ftyp + meta + trailer


def _ispe(width: int, height: int) -> bytes:
    return _full_box(b"ispe", struct.pack(">II", width, height))


def heif_grid_flood(rows: int = 256, columns: int = 256) -> bytes:
    """A HEIC whose primary image is a grid of rows x columns tiles (the format allows 256 x 256)."""
    descriptor = bytes([0, 0, rows - 1, columns - 1]) + struct.pack(">HH", 512, 512)
    return _heif(
        b"heic",
        [(1, b"grid")],
        properties=[_ispe(512, 512)],
        associations={1: [1]},
        idat=descriptor,
        idat_items=(1,),
    )


def heif_item_flood(count: int) -> bytes:
    """A HEIC declaring `count` coded items (phones write a few dozen: tiles, a thumbnail, Exif)."""
    return _heif(
        b"heic",
        [(item, b"hvc1") for item in range(1, count + 1)],
        properties=[_ispe(64, 64)],
        associations={1: [1]},
    )


def isobmff_box_flood(count: int) -> bytes:
    """An AVIF followed by `count` empty `free` boxes: every box is walked."""
    return avif_huge_size(64, 64) + _box(b"free", b"") * count


def isobmff_deep_nesting(depth: int) -> bytes:
    """A HEIC whose item properties sit inside `depth` nested property containers."""
    nested = _ispe(64, 64)
    for _ in range(depth):
        nested = _box(b"iprp", nested)
    return _heif(b"heic", [(1, b"hvc1")], extra_meta=nested)


def avif_huge_size(width: int, height: int) -> bytes:
    """An AVIF of a few hundred bytes whose primary image claims to be width x height."""
    return _heif(b"avif", [(1, b"av01")], properties=[_ispe(width, height)], associations={1: [1]})


def avif_frame_flood(frames: int) -> bytes:
    """A real three-picture AVIF sequence whose sample table claims `frames` pictures."""
    data = bytearray(images.avif(64, 48, frames=3, quality=40))
    stsz = data.index(b"stsz")
    data[stsz + 12 : stsz + 16] = struct.pack(">I", frames)  # after version/flags and sample_size
    return bytes(data)


def heic_with_exif(megabytes: float) -> bytes:
    """A small HEIC carrying an Exif item of that many megabytes (HEIF has no 64 KB cap as JPEG does)."""
    exif = images.exif_bytes(orientation=1)
    return images.heic(320, 240, exif=exif + b"\x00" * int(megabytes * 2**20))


def avif_with_icc(megabytes: float) -> bytes:
    """A small AVIF carrying an ICC profile of that many megabytes."""
    return images.avif(320, 240, icc_profile=big_icc_profile(megabytes))


# ---------------------------------------------------------------------------------------------------- corpus

# name -> (generator, what it attacks). Sizes are those of the issue where it names one.
CORPUS: dict[str, tuple[Callable[[], bytes], str]] = {
    "progressive_scan_flood.jpg": (
        lambda: progressive_scan_flood(4000, 4000, repeats=2000),
        "one refinement scan repeated 2,000 times",
    ),
    "sequential_scan_flood.jpg": (lambda: sequential_scan_flood(4000, 4000, repeats=200), "a baseline scan repeated"),
    "marker_flood.jpg": (lambda: jpeg_marker_flood(200_000), "200,000 COM segments before the frame"),
    "photoshop_flood.jpg": (lambda: photoshop_block_flood(64), "APP13 segments of empty 8BIM blocks"),
    "icc_15mb.jpg": (lambda: jpeg_with_icc(15), "a 15 MB ICC profile"),
    "aspect_1x50m.png": (lambda: png_extreme_aspect(1, 50_000_000), "1 x 50,000,000 RGBA"),
    "aspect_50mx1.png": (lambda: png_extreme_aspect(50_000_000, 1), "50,000,000 x 1 RGBA"),
    "chunk_flood.png": (lambda: png_chunk_flood(1_000_000), "a million empty chunks"),
    "idat_flood.png": (lambda: png_idat_flood(150_000), "image data in 150,000 IDAT chunks"),
    "text_bomb.png": (lambda: png_text_bomb(0.25), "a zTXt chunk inflating to 256 MB"),
    "icc_bomb.png": (lambda: png_icc_bomb(256), "an iCCP chunk inflating to 256 MB"),
    "huge_exif.png": (lambda: png_huge_exif(40), "an eXIf tag of ten million numbers"),
    "apng_frames.png": (lambda: apng_frame_flood(100_000), "100,000 animation frames"),
    "palette_50mp.png": (lambda: palette_png(7071, 7071), "50 MP palette with transparency"),
    "rgba_50mp.png": (lambda: rgba_png_large(7071, 7071), "50 MP RGBA"),
    "frame_flood.gif": (lambda: gif_frame_flood(300_000), "300,000 1x1 frames"),
    "extension_flood.gif": (lambda: gif_extension_flood(1_000_000), "a million comment blocks before the image"),
    "frame_flood.webp": (lambda: webp_frame_flood(200_000), "200,000 animation frames"),
    "chunk_flood.webp": (lambda: webp_chunk_flood(500_000), "500,000 unknown chunks"),
    "canvas_49mp.webp": (lambda: webp_canvas(16383, 3000), "a 49 MP canvas with one 1x1 frame"),
    "page_flood.tif": (lambda: tiff_page_flood(100_000), "100,000 pages of 1x1"),
    "big_tag.tif": (lambda: tiff_big_tag(40), "a tag of ten million numbers"),
    "ifd_loop.tif": (tiff_ifd_loop, "directories in a loop"),
    "jpeg_in.tif": (tiff_jpeg_compressed, "JPEG-compressed TIFF"),
    "rle8_50mp.bmp": (lambda: bmp_rle8(7071, 7071), "50 MP RLE8 in a few hundred KB"),
    "rle8_dense.bmp": (lambda: bmp_rle8_dense(4000, 3000), "RLE8 of one-pixel runs (Python per pixel)"),
    "grid_flood.heic": (heif_grid_flood, "a grid of 256 x 256 tiles"),
    "item_flood.heic": (lambda: heif_item_flood(50_000), "50,000 coded items"),
    "box_flood.avif": (lambda: isobmff_box_flood(1_000_000), "a million empty boxes"),
    "deep_nesting.heic": (lambda: isobmff_deep_nesting(10_000), "boxes nested 10,000 deep"),
    "size_4gp.avif": (lambda: avif_huge_size(65_535, 65_535), "a few hundred bytes claiming 4.3 G pixels"),
    "frame_flood.avif": (lambda: avif_frame_flood(1_000_000), "a sequence claiming a million pictures"),
    "exif_4mb.heic": (lambda: heic_with_exif(4), "a 4 MB Exif item"),
    "icc_6mb.avif": (lambda: avif_with_icc(6), "a 6 MB ICC profile"),
}


def high_entropy_jpeg(width: int, height: int, *, quality: int = 97, noise: float = 0.4, seed: int = 48) -> bytes:
    """A progressive JPEG of photo-like content with heavy grain: the most expensive legitimate JPEG to decode
    per pixel (8000 x 6000 at quality 97: ~42 MB)."""
    rng = random.Random(seed)
    grain = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    coarse = (max(2, width // 40), max(2, height // 40))
    base = Image.frombytes("RGB", coarse, rng.randbytes(coarse[0] * coarse[1] * 3))
    picture = Image.blend(base.resize((width, height), Image.Resampling.BILINEAR), grain, noise)
    return images.encode(picture, "JPEG", quality=quality, progressive=True)


# The largest legitimate uploads: processed by both consumers within the budgets (`make bench` checks them).
LARGEST_LEGITIMATE: dict[str, tuple[Callable[[], bytes], str]] = {
    "progressive_48mp_q97.jpg": (lambda: high_entropy_jpeg(8000, 6000), "48 MP progressive q97, heavy grain"),
    "rgba_50mp.png": (lambda: rgba_png_large(7071, 7071), "50 MP RGBA PNG"),
    "palette_50mp.png": (lambda: palette_png(7071, 7071), "50 MP palette PNG with transparency"),
    "heic_24mp.heic": (lambda: images.heic(6000, 4000, quality=80, tile=512), "24 MP HEIC in 512 px tiles, q80"),
    "avif_24mp.avif": (lambda: images.avif(6000, 4000, quality=80), "24 MP AVIF, q80"),
}

# Legitimate files that must be processed (not hostile, but near what the limits allow).
LEGITIMATE: dict[str, tuple[Callable[[], bytes], str]] = {
    "text_2mb.png": (lambda: png_with_text(2, compressed=False), "a 2 MB tEXt chunk"),
    "ztxt_3mb.png": (lambda: png_with_text(3, compressed=True), "a zTXt chunk inflating to 3 MB"),
    "icc_1mb.jpg": (lambda: jpeg_with_icc(1), "a 1 MB ICC profile"),
    "progressive_24mp.jpg": (lambda: progressive_jpeg(6000, 4000), "a 24 MP progressive JPEG"),
    # ~430 MB through Pillow's reader (too_many_pixels); libwebp's scaled decode (webp_decoder) needs ~5 MB.
    "still_24mp.webp": (lambda: still_webp(6000, 4000), "a 24 MP still lossy WebP"),
    "grid_4mp.heic": (lambda: images.heic(2048, 2048, tile=512, quality=80), "a 4 MP HEIC in 512 px tiles, as iPhones"),
    "alpha_4mp.avif": (lambda: images.avif(2000, 2000, alpha=True, quality=80), "a 4 MP AVIF with alpha"),
}


def write(directory, corpus: dict[str, tuple[Callable[[], bytes], str]] = CORPUS) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Write every file of `corpus` under `directory`; returns name -> path."""
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (generate, _) in corpus.items():
        path = directory / name
        if not path.exists():
            path.write_bytes(generate())
        paths[name] = path
    return paths
