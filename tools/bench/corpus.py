"""The bench corpus: generated once into build/bench/corpus and reused (generation takes seconds)."""

from __future__ import annotations

from pathlib import Path

from tools import testimages as images
from tools.testimages import hostile

# name -> (generator, description). Sizes follow the issue: 12 and 24 MP JPEGs and a large RGBA PNG.
CORPUS = {
    "jpeg_12mp.jpg": (lambda: images.jpeg(4000, 3000, seed=12, quality=90), "12 MP JPEG (4000x3000, q90)"),
    "jpeg_24mp.jpg": (lambda: images.jpeg(6000, 4000, seed=24, quality=90), "24 MP JPEG (6000x4000, q90)"),
    "rgba_8mp.png": (lambda: images.rgba_png(3264, 2448, seed=8), "8 MP RGBA PNG (3264x2448)"),
}
# Largest input accepted by default (MAX_IMAGE_PIXELS = 50,000,000): used for the peak-memory row only.
LARGEST = {"jpeg_50mp.jpg": (lambda: images.jpeg(8192, 6100, seed=50, quality=90), "50 MP JPEG (8192x6100)")}
# Distinct phone photos (12 MP JPEGs), one full batch of them, for the cost per image (bench.cost).
COST_PHOTOS = {
    f"photo_{seed}.jpg": (lambda seed=seed: images.jpeg(4000, 3000, seed=100 + seed, quality=90), "12 MP JPEG")
    for seed in range(5)
}
# The largest legitimate uploads, checked against the CPU and memory budgets (bench.limits).
LARGEST_LEGITIMATE = hostile.LARGEST_LEGITIMATE


def ensure(directory: Path, which: dict = CORPUS) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (generate, _) in which.items():
        path = directory / name
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(generate())
            tmp.rename(path)
        paths[name] = path
    return paths
