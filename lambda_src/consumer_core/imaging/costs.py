"""The verdict on an upload's estimated costs, before any pixel is decoded."""

from __future__ import annotations

from consumer_core.errors import PermanentError
from consumer_core.imaging.limits import MB, ImageLimits
from consumer_core.imaging.structure import Structure

# Used when the headers were too broken to walk but a reader still opened the file: Pillow's storage of the
# widest mode (4 bytes), an RGBA copy, and the most expensive decode per pixel measured (WebP lossless).
FALLBACK_BYTES_PER_PIXEL = 9
FALLBACK_NS_PER_PIXEL = 36.0
# Pillow allocates pixels in 16 MB blocks and the C allocator keeps some: room for that on top of the estimate.
ALLOCATOR_SLACK_BYTES = 32 * MB


def check_pixels(width: int, height: int, limits: ImageLimits) -> None:
    if width * height > limits.max_pixels:
        raise PermanentError(
            "too_many_pixels", f"{width}x{height} = {width * height} pixels exceeds {limits.max_pixels}"
        )


def check_costs(structure: Structure, limits: ImageLimits) -> None:
    """Refuse what would exceed the pixel limit, the memory budget or the CPU budget."""
    check_pixels(structure.width, structure.height, limits)
    if structure.memory_bytes + ALLOCATOR_SLACK_BYTES > limits.image_memory_bytes:
        raise PermanentError(
            "too_many_pixels",
            f"decoding this {structure.format} ({structure.width}x{structure.height}) needs about "
            f"{(structure.memory_bytes + ALLOCATOR_SLACK_BYTES) / MB:.0f} MB, over the "
            f"{limits.image_memory_bytes / MB:.0f} MB the memory budget leaves for images",
        )
    if structure.decode_cpu_s > limits.cpu_budget_s:
        raise PermanentError(
            "too_complex",
            f"decoding this {structure.format} would take about {structure.decode_cpu_s:.1f} s of CPU "
            f"({dict(structure.counts)}), over the {limits.cpu_budget_s:g} s budget",
        )


def fallback(image_format: str, width: int, height: int, data: bytes) -> Structure:
    """A conservative structure for a file whose headers could not be walked but which a reader opened."""
    return Structure(
        format=image_format,
        width=width,
        height=height,
        data=data,
        memory_bytes=width * height * FALLBACK_BYTES_PER_PIXEL + height * 16,
        decode_cpu_s=width * height * FALLBACK_NS_PER_PIXEL / 1e9,
    )


__all__ = ["check_costs", "check_pixels", "fallback"]
