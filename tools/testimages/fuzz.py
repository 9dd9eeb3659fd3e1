"""Mutation fuzzing of the two image readers (the resizer's render, the extractor's extract_metadata).

    PYTHONPATH=lambda_src:. python tools/testimages/fuzz.py --seconds 25 --seed 20261130 --crash-dir build/fuzz

Small seed files of every accepted format (and their variants: progressive, palette, 16-bit, interlaced,
animated, multi-page, RLE, grid, alpha plane, image sequence) are mutated (bit flips, interesting values in
fields, duplicated, deleted and truncated spans) with a fixed seed, as many as fit in the time given, and each
goes through both readers. Every file must be processed or refused with a PermanentError of the one vocabulary,
both readers must agree, and each call must end within the CPU hard stop. The file being processed is written to
the crash directory first, so a crash of the interpreter leaves it behind. Prints one JSON summary line; exits 1
on the first violation.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from consumer_core.errors import PERMANENT_REASONS, PermanentError
from consumer_core.imaging import DEFAULT_LIMITS
from image_resizer.spec import ThumbnailSpec
from image_resizer.thumbnails import render
from metadata_extractor.extract import extract_metadata
from tools import testimages as images

INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF)


def seeds() -> list[bytes]:
    photo = images.photo(64, 48)
    enc = images.encode
    return [
        enc(photo, "JPEG", quality=80),
        enc(photo, "JPEG", quality=80, progressive=True),
        images.metadata_jpeg(),
        images.cmyk_jpeg(),
        enc(photo, "PNG"),
        images.rgba_png(64, 48),
        images.palette_png(),
        images.png16(),
        enc(photo, "PNG", optimize=True),
        enc(photo, "PNG", save_all=True, append_images=[images.photo(64, 48, seed=3)]),
        images.animated_gif(),
        enc(photo, "WEBP", quality=70),
        enc(photo, "WEBP", lossless=True),
        images.animated_webp(),
        enc(photo, "TIFF", compression="tiff_lzw"),
        enc(photo, "TIFF", save_all=True, append_images=[images.photo(64, 48, seed=5)]),
        enc(photo, "BMP"),
        enc(photo.quantize(16), "BMP"),
        images.heic(64, 48, quality=50, exif=images.exif_bytes(orientation=6)),
        images.heic(64, 48, quality=50, alpha=True),
        images.heic(64, 64, quality=50, tile=32),
        images.avif(64, 48, quality=50, exif=images.exif_bytes(orientation=3)),
        images.avif(64, 48, quality=50, alpha=True),
        images.avif(32, 24, quality=50, frames=2),
    ]


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        position = rng.randrange(len(out)) if out else 0
        if choice < 0.3 and out:
            for _ in range(rng.randint(1, 8)):
                out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        elif choice < 0.55 and len(out) > 4:
            width = rng.choice((1, 2, 4))
            value = rng.choice(INTERESTING) & ((1 << (8 * width)) - 1)
            position = min(position, len(out) - width)
            out[position : position + width] = value.to_bytes(width, rng.choice(("big", "little")))
        elif choice < 0.75 and out:
            span = out[position : position + rng.randint(1, 64)]
            out[position:position] = bytes(span) * rng.randint(1, 50)
        elif choice < 0.9 and out:
            del out[position : position + rng.randint(1, 64)]
        else:
            del out[max(1, position) :]
    return bytes(out)


def verdict(consume: Callable[[bytes], object], data: bytes) -> tuple[str, float]:
    started = time.process_time()
    try:
        consume(data)
        result = "ok"
    except PermanentError as exc:
        result = exc.reason
    return result, time.process_time() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--crash-dir", type=Path, default=Path("build/fuzz"))
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # Pillow warns about the broken data it is fed on purpose
    args.crash_dir.mkdir(parents=True, exist_ok=True)
    current = args.crash_dir / "current.bin"

    spec = ThumbnailSpec(sizes=(64, 32))
    consumers = {
        "image_resizer": lambda data: render(data, spec),
        "metadata_extractor": lambda data: extract_metadata(data, include_gps_coordinates=False),
    }
    rng = random.Random(args.seed)
    corpus = seeds()
    reasons: Counter[str] = Counter()
    disagreements: list[dict[str, str]] = []
    max_cpu, files, deadline = 0.0, 0, time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        data = mutate(rng.choice(corpus), rng)
        current.write_bytes(data)
        results = {}
        for name, consume in consumers.items():
            try:
                results[name], spent = verdict(consume, data)
            except Exception:
                (args.crash_dir / f"failure-{files}.bin").write_bytes(data)
                print(f"{name} raised outside the vocabulary on failure-{files}.bin", file=sys.stderr)
                traceback.print_exc()
                return 1
            max_cpu = max(max_cpu, spent)
            if results[name] != "ok" and results[name] not in PERMANENT_REASONS:
                print(f"unknown reason {results[name]!r}", file=sys.stderr)
                return 1
        if len(set(results.values())) > 1:
            (args.crash_dir / f"disagreement-{files}.bin").write_bytes(data)
            disagreements.append({"file": f"disagreement-{files}.bin", **results})
        reasons.update(results.values())
        files += 1
    current.unlink(missing_ok=True)
    summary = {
        "files": files,
        "reasons": dict(reasons),
        "max_cpu_s": round(max_cpu, 3),
        "peak_rss_mb": _peak_rss_mb(),
        "disagreements": disagreements[:20],
        "hard_stop_s": DEFAULT_LIMITS.hard_stop_s,
    }
    print(json.dumps(summary))
    return 0


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


if __name__ == "__main__":
    raise SystemExit(main())
