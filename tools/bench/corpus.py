"""The bench corpus: generated once into build/bench/corpus and reused (generation takes seconds).

One file per class of what users upload (issue #15): large and small JPEGs, 2-8 MP PNGs with and without alpha,
a still lossy WebP, an animated GIF (its first frame is the thumbnail), a phone's HEIC (12 MP in 512 px tiles, as
iPhones write them) and a browser's AVIF."""

from __future__ import annotations

from pathlib import Path

from tools import testimages as images
from tools.testimages import hostile

# name -> (generator, description)
CORPUS = {
    "jpeg_small.jpg": (lambda: images.jpeg(800, 600, seed=3, quality=85), "small JPEG (800x600, q85)"),
    "jpeg_12mp.jpg": (lambda: images.jpeg(4000, 3000, seed=12, quality=90), "12 MP JPEG (4000x3000, q90)"),
    "jpeg_24mp.jpg": (lambda: images.jpeg(6000, 4000, seed=24, quality=90), "24 MP JPEG (6000x4000, q90)"),
    "rgb_2mp.png": (lambda: images.rgb_png(1920, 1080, seed=20), "2 MP RGB PNG (1920x1080)"),
    "rgb_4mp.png": (lambda: images.rgb_png(2000, 2000, seed=4), "4 MP RGB PNG (2000x2000)"),
    "rgba_4mp.png": (lambda: images.rgba_png(2000, 2000, seed=5), "4 MP RGBA PNG (2000x2000)"),
    "rgba_8mp.png": (lambda: images.rgba_png(3264, 2448, seed=8), "8 MP RGBA PNG (3264x2448)"),
    "webp_3mp.webp": (lambda: images.webp(2048, 1536, seed=6, quality=80), "3 MP lossy WebP (2048x1536, q80)"),
    "gif.gif": (lambda: images.photo_gif(800, 600, seed=7), "animated GIF (800x600, 3 frames)"),
    "heic_12mp.heic": (
        lambda: images.heic(4032, 3024, seed=9, quality=75, tile=512),
        "12 MP HEIC (4032x3024 in 512 px tiles, q75)",
    ),
    "avif_3mp.avif": (lambda: images.avif(2048, 1536, seed=10, quality=70), "3 MP AVIF (2048x1536, q70)"),
}
# The classes the "3x the naive way" target was set for (the large JPEGs and PNG). On small pictures and
# GIFs the naive way costs little more than decoding (no DCT scaling to win, a palette to expand either way): there
# the speed-up is reported, without a target.
NAIVE_TARGET = frozenset({"jpeg_12mp.jpg", "jpeg_24mp.jpg", "rgba_8mp.png"})
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
