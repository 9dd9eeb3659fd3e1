"""A compact placeholder a UI can paint before the thumbnail arrives: dominant colour + a 4x4 colour grid.

Computed from the small upright RGB image the extractor already has, so it costs well under a millisecond.
A 4x4 grid stretched over the image's aspect ratio (with CSS or a canvas, bilinear) gives a blurry preview
in 16 colours; the dominant colour alone is enough for a flat background.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from PIL import Image

GRID_WIDTH = GRID_HEIGHT = 4
_PALETTE_SIZE = 8


def placeholder(image: Image.Image) -> dict[str, Any]:
    """{"dominant_color": "#rrggbb", "grid_width": 4, "grid_height": 4, "grid": [16 x "#rrggbb", row-major]}."""
    from PIL import Image

    rgb = image.convert("RGB")
    grid = rgb.resize((GRID_WIDTH, GRID_HEIGHT), Image.Resampling.BOX)
    return {
        "dominant_color": dominant_color(rgb),
        "grid_width": GRID_WIDTH,
        "grid_height": GRID_HEIGHT,
        "grid": [_hex(grid.getpixel((x, y))) for y in range(GRID_HEIGHT) for x in range(GRID_WIDTH)],
    }


def dominant_color(rgb: Image.Image) -> str:
    """The most frequent colour after median-cut quantisation (the mean of a two-colour picture is neither)."""
    from PIL import Image

    quantised = rgb.quantize(colors=_PALETTE_SIZE, method=Image.Quantize.MEDIANCUT)
    counts = cast("list[tuple[int, int]]", quantised.getcolors() or [(1, 0)])  # a "P" image's: palette indexes
    _, index = max(counts, key=lambda item: (item[0], -item[1]))  # ties: lowest palette index, deterministic
    palette = quantised.getpalette() or [0, 0, 0]
    start = index * 3
    return _hex(tuple(palette[start : start + 3]))


def _hex(colour: Any) -> str:
    red, green, blue = colour[:3]
    return f"#{red:02x}{green:02x}{blue:02x}"
