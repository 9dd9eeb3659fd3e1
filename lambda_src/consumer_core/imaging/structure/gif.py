"""GIF structure: the logical screen and the first frame's extent, every block, frame count.

What an upload controls that costs more than its size suggests: blocks and frames, which Pillow walks in Python
(counting the frames of a file of 100,000 empty frames, or seeking past a million comment blocks, takes seconds).
Both are counted here in one bounded pass and capped. Pillow grows the canvas to the first frame when the frame
is larger than the logical screen, so the decoded size is the larger of the two.
"""

from __future__ import annotations

import struct

from consumer_core.imaging.limits import ImageLimits
from consumer_core.imaging.structure.model import Structure, check_count, pipeline_bytes

# Measured on the reference machines: decoding the first frame and the work after it (palette to RGB(A), resample),
# per pixel, and LZW per compressed byte.
_NS_PER_PIXEL = 12.0
_NS_PER_BYTE = 6.0


def inspect(data: bytes, limits: ImageLimits) -> Structure | None:
    """The structure of a GIF, or None when it is too broken to walk (the decoder then decides)."""
    if len(data) < 13:
        return None
    screen_w, screen_h, packed = struct.unpack_from("<HHB", data, 6)
    position = 13 + (3 << ((packed & 0x07) + 1) if packed & 0x80 else 0)
    frames = blocks = 0
    canvas = (screen_w, screen_h)
    first_frame_bytes = 0
    while position < len(data):
        introducer = data[position]
        if introducer == 0x3B:  # trailer
            break
        if introducer == 0x21:  # extension: label, then sub-blocks
            blocks += 1
            check_count("GIF extension blocks", blocks, limits.max_frames + limits.max_blocks)
            position = _skip_sub_blocks(data, position + 2)
        elif introducer == 0x2C:  # image descriptor, optional local colour table, LZW code size, sub-blocks
            if position + 10 > len(data):
                break
            left, top, width, height, flags = struct.unpack_from("<HHHHB", data, position + 1)
            frames += 1
            check_count("GIF frames", frames, limits.max_frames)
            start = position + 10 + (3 << ((flags & 0x07) + 1) if flags & 0x80 else 0) + 1
            position = _skip_sub_blocks(data, start)
            if frames == 1:
                canvas = (max(screen_w, left + width), max(screen_h, top + height))
                first_frame_bytes = position - start
        else:
            break
        if position < 0:
            break
    width, height = canvas
    return Structure(
        format="GIF",
        width=width,
        height=height,
        data=data,
        frames=max(1, frames),
        memory_bytes=pipeline_bytes(width, height, 1, converted=True),
        decode_cpu_s=(width * height * _NS_PER_PIXEL + first_frame_bytes * _NS_PER_BYTE) / 1e9,
        counts={"frames": max(1, frames), "blocks": blocks},
    )


def _skip_sub_blocks(data: bytes, position: int) -> int:
    """Position after the chain of sub-blocks starting at `position` (its 0 terminator included); -1 when the
    chain runs past the end."""
    while position < len(data):
        size = data[position]
        position += 1 + size
        if size == 0:
            return position
    return -1
