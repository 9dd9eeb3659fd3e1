"""Pillow's allocator, tuned for a warm function.

Pillow frees image memory back to the C allocator, which hands big blocks back to the kernel: the next large
image then page-faults every page in again (~15 ms of CPU for an 8 MP RGBA PNG). Keeping up to this many 16 MB
blocks for reuse removes that on warm invocations; it never raises the peak above the largest image already seen
(or 128 MB). PILLOW_BLOCKS_MAX in the environment, when set, wins.
"""

from __future__ import annotations

import functools
import os

from consumer_core.imaging import load_pillow

PILLOW_BLOCKS_KEPT = 8


@functools.cache
def keep_freed_blocks() -> None:
    if "PILLOW_BLOCKS_MAX" not in os.environ:
        load_pillow().core.set_blocks_max(PILLOW_BLOCKS_KEPT)


__all__ = ["PILLOW_BLOCKS_KEPT", "keep_freed_blocks"]
