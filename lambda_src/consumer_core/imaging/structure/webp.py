"""WebP structure: the canvas, every RIFF chunk, animation frames, metadata chunks.

What an upload controls that costs more than its size suggests:
- the canvas: Pillow reads every WebP through libwebp's animation decoder, which allocates two RGBA canvases
  when the file is opened, then copies the frame out as bytes before Pillow stores it: ~16 bytes per pixel at
  the peak, so a 16383 x 3000 canvas needs ~840 MB. Still WebPs without alpha are decoded by libwebp at
  reduced scale instead (webp_decoder, when pyvips is installed): what libwebp holds at full size (a lossless
  bitstream's ARGB, a lossy one's row buffers) plus the scaled output, which no consumer asks to be longer than
  MAX_DECODE_EDGE (libvips' frame and its copy, Pillow's image, the first resample's premultiplied copy);
- chunks and frames: capped (the demuxer indexes them all when the file is opened).
ICC, EXIF and XMP chunks over their caps are cut out (the RIFF size and the VP8X flags are fixed to match).
"""

from __future__ import annotations

import struct

from consumer_core.imaging.limits import ImageLimits
from consumer_core.imaging.structure.model import POINTER_BYTES, Structure, check_count, metadata_limit

# Peak bytes per canvas pixel while Pillow loads the first frame (two decoder canvases, the frame as bytes, the
# image: 16, measured 17 with the allocator's overhead), and measured CPU per canvas pixel of the decode and the
# work after it (lossless is the slower bitstream).
BYTES_PER_PIXEL = 18
# A still WebP without alpha through webp_decoder: bytes per canvas pixel libwebp holds while it decodes (measured
# on 12 and 24 MP files, both consumers: lossy 0.2, lossless 4.6), and per pixel of the scaled output (measured
# 10.2 to 12.9 at scale 1, 16 with the first resample's premultiplied copy). tests/unit/test_hostile_uploads.py
# processes a 24 MP one within the budgets.
SCALED_CANVAS_BYTES = {"lossy": 3, "lossless": 5}
SCALED_OUTPUT_BYTES = 17
_NS_PER_PIXEL = {"lossy": 20.0, "lossless": 36.0}
_METADATA = {b"ICCP": ("icc_profile", 0x20), b"EXIF": ("exif", 0x08), b"XMP ": ("xmp", 0x04)}


def canvas(data: bytes) -> tuple[int, int] | None:
    """Canvas size from the first chunk's header (VP8X, VP8 or VP8L), without walking the file."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None


def scales_cleanly(data: bytes) -> bool:
    """Whether libwebp's scaled decoding gives this WebP the pixels the pipeline would: one picture (no
    animation: a bare VP8/VP8L bitstream, or VP8X without its animation flag) and no alpha (libwebp averages
    straight alpha while it scales, which darkens every edge against transparency; pixels.shrink premultiplies)."""
    chunk = data[12:16]
    if chunk == b"VP8 ":
        return True
    if chunk == b"VP8L":
        return len(data) > 24 and not data[24] & 0x10  # the header's alpha_is_used bit
    return chunk == b"VP8X" and len(data) > 20 and not data[20] & (0x02 | 0x10)  # animation, alpha


def decoded_bytes(data: bytes, width: int, height: int, *, lossless: bool) -> int:
    """Peak bytes of decoding this WebP's first frame by the decoder it will get (webp_decoder or Pillow)."""
    if scales_cleanly(data):
        from consumer_core.imaging import webp_decoder  # imports pyvips (once) to know whether it is usable

        if webp_decoder.available():
            out_width, out_height = webp_decoder.largest_output(width, height)
            canvas = SCALED_CANVAS_BYTES["lossless" if lossless else "lossy"]
            return width * height * canvas + out_width * out_height * SCALED_OUTPUT_BYTES
    return width * height * BYTES_PER_PIXEL


def inspect(data: bytes, limits: ImageLimits) -> Structure | None:
    """The structure of a WebP, or None when it is too broken to walk (the decoder then decides)."""
    size = canvas(data)
    if size is None:
        return None
    chunks = frames = 0
    lossless = False
    cut: list[tuple[int, int]] = []
    dropped: list[str] = []
    flags_off = 0
    position = 12
    while position + 8 <= len(data):
        kind, length = data[position : position + 4], struct.unpack_from("<I", data, position + 4)[0]
        end = position + 8 + length + (length & 1)
        chunks += 1
        check_count("WebP chunks", chunks, limits.max_chunks)
        if kind == b"ANMF":
            frames += 1
            check_count("WebP animation frames", frames, limits.max_frames)
            lossless = lossless or b"VP8L" in data[position + 24 : position + 32]
        elif kind == b"VP8L":
            lossless = True
        elif kind in _METADATA:
            name, flag = _METADATA[kind]
            if length > metadata_limit(limits, name):
                dropped.append(name)
                cut.append((position, min(end, len(data))))
                flags_off |= flag
        position = end
    width, height = size
    return Structure(
        format="WEBP",
        width=width,
        height=height,
        data=_without_chunks(data, cut, flags_off),
        frames=max(1, frames),
        memory_bytes=decoded_bytes(data, width, height, lossless=lossless) + height * POINTER_BYTES,
        decode_cpu_s=width * height * _NS_PER_PIXEL["lossless" if lossless else "lossy"] / 1e9,
        dropped=tuple(sorted(dropped)),
        counts={"chunks": chunks, "frames": max(1, frames)},
    )


def _without_chunks(data: bytes, cut: list[tuple[int, int]], flags_off: int) -> bytes:
    if not cut:
        return data
    parts, position = [], 0
    for start, end in cut:
        parts.append(data[position:start])
        position = end
    parts.append(data[position:])
    out = bytearray(b"".join(parts))
    out[4:8] = struct.pack("<I", len(out) - 8)
    if out[12:16] == b"VP8X":
        out[20] &= ~flags_off & 0xFF
    return bytes(out)
