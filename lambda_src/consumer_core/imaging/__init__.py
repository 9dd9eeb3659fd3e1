"""Untrusted image bytes, shared by every consumer that reads pixels: one way to open them, one set of limits.

- `open_image(data, limits)`: format sniffed, structure walked and costs checked before Pillow reads a header
  (opening.py, structure/, costs.py); raises PermanentError with a stable reason.
- `cpu_budget(seconds)`: the hard stop around the image work of one upload (guard.py).
- `ImageLimits`: pixels, CPU and memory budgets, structural caps (limits.py).
- `formats`, `orientation`, `pixels`: one table per fact, small pure verbs.

Pure (no AWS). Pillow is imported on first use only: importing this package costs nothing at cold start.
"""

from consumer_core.imaging.guard import cpu_budget
from consumer_core.imaging.limits import DEFAULT_LIMITS, ImageLimits
from consumer_core.imaging.opening import DECODE_ERRORS, OpenedImage, load_pillow, open_image
from consumer_core.imaging.structure import Structure

__all__ = [
    "DECODE_ERRORS",
    "DEFAULT_LIMITS",
    "ImageLimits",
    "OpenedImage",
    "Structure",
    "cpu_budget",
    "load_pillow",
    "open_image",
]
