"""The limits every image upload is held to: pixels, a CPU budget, a memory budget and structural caps.

An upload controls everything in its file, so anything whose processing cost grows faster than the file's size,
or has nothing to do with its pixel count, is capped here (docs/threat-model.md explains each default):
- pixels and the memory the decode needs (`too_many_pixels`);
- CPU: the cost estimated from the headers must fit the budget, and a hard stop a quarter above it catches
  whatever the estimate missed (`too_complex`); the margin keeps a legitimate file estimated just under the
  budget (a 48 MP progressive JPEG at quality 97: ~1.8 s here) from being stopped by a noisy neighbour;
- structure walked before the pixel data (segments, chunks, blocks, frames, pages, scans): `too_complex`;
- metadata blocks (ICC, EXIF, XMP, text) above their caps are dropped, never a reason to reject a picture.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024
HARD_STOP_FACTOR = 1.25
# The longest edge any consumer asks a scaling decoder for (the resizer's largest thumbnail size; the metadata
# extractor asks for 64): what bounds a scaled decode's output in the cost estimates (structure/webp.py).
MAX_DECODE_EDGE = 4096


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int = 50_000_000
    # CPU seconds of one core (measured on the project's reference machines) for the whole image work of one file.
    cpu_budget_s: float = 2.0
    # Peak resident memory of the process doing the image work, the interpreter and its libraries included.
    memory_budget_bytes: int = 512 * MB
    # What the process holds beside the image work: Python, boto3, Powertools, Pillow, numpy, libvips (measured
    # ~120 MB) and the next record's upload, downloaded ahead (consumer_core.uploads.PREFETCH_MAX_BYTES, 8 MB).
    process_baseline_bytes: int = 136 * MB
    # Structure walked before (or between) the pixel data.
    max_segments: int = 256  # JPEG marker segments before the first scan
    max_scans: int = 64  # JPEG scans (a progressive JPEG has ~10)
    max_chunks: int = 20_000  # PNG chunks (a 50 MB PNG in 8 KB IDAT chunks has ~6,400), WebP chunks
    max_blocks: int = 4_096  # GIF extension blocks, Photoshop resource blocks
    max_frames: int = 10_000  # GIF/PNG/WebP animation frames, TIFF pages
    max_ifd_entries: int = 1_024  # TIFF tags per directory (a camera TIFF has ~50)
    max_tiles: int = 262_144  # TIFF strips or tiles of the first page
    # Metadata blocks: larger ones are dropped (the picture is still processed).
    max_icc_bytes: int = 4 * MB  # print CMYK profiles reach ~2.5 MB; sRGB is 3 KB
    max_exif_bytes: int = 1 * MB  # JPEG caps EXIF at 64 KB; maker notes rarely pass 256 KB
    max_xmp_bytes: int = 1 * MB
    max_text_bytes: int = 1 * MB  # PNG text chunks (tEXt, zTXt, iTXt), each, decompressed

    def __post_init__(self) -> None:
        if self.max_pixels < 1 or self.cpu_budget_s <= 0 or self.memory_budget_bytes <= self.process_baseline_bytes:
            raise ValueError(f"inconsistent image limits: {self}")

    @property
    def hard_stop_s(self) -> float:
        """CPU seconds after which the image work of one upload is stopped (guard.cpu_budget)."""
        return self.cpu_budget_s * HARD_STOP_FACTOR

    @property
    def image_memory_bytes(self) -> int:
        """What the decode and the pixel pipeline may allocate on top of the process baseline."""
        return self.memory_budget_bytes - self.process_baseline_bytes


DEFAULT_LIMITS = ImageLimits()

__all__ = ["DEFAULT_LIMITS", "HARD_STOP_FACTOR", "MB", "ImageLimits"]
