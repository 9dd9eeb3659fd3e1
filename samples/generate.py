"""Regenerate the bundled sample images used by `make demo` (deterministic; the outputs are committed).

    python samples/generate.py [--out samples/images]

Good images of different shapes (EXIF camera data and orientation, RGBA with transparency, palette GIF,
a wide panorama) plus broken files a real upload folder would contain: a truncated PNG, a file with a .jpg
name that is not an image, and a text file.
"""

from __future__ import annotations

import argparse
import io
import math
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent


def _scene(width: int, height: int, seed: int) -> Image.Image:
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # a smooth sky gradient compresses well
        t = y / height
        draw.line([(0, y), (width, y)], fill=(int(40 + 150 * t), int(90 + 100 * t), int(200 - 80 * t)))
    for i in range(6):
        cx = (seed * 97 + i * 211) % width
        cy = height // 2 + int(math.sin(seed + i) * height / 4)
        r = 30 + (seed * 13 + i * 29) % (min(width, height) // 5)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=((seed * 50 + i * 40) % 256, 160, (i * 70) % 256))
    draw.rectangle([0, int(height * 0.8), width, height], fill=(60, 110, 50))
    return image


def _exif(make: str, model: str, when: str, orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = model
    exif[0x0112] = orientation
    exif[0x0132] = when
    exif.get_ifd(0x8769)[0x9003] = when  # DateTimeOriginal, in the Exif sub-IFD
    return exif


def generate(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def save(name: str, image: Image.Image, **kwargs: object) -> None:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, **kwargs)
        written.append(path)

    save("holiday/beach.jpg", _scene(1600, 1067, 1), quality=80, exif=_exif("Canon", "EOS 90D", "2025:07:14 10:31:02"))
    # Stored landscape, displayed portrait (EXIF orientation 6 = rotate 90 degrees clockwise).
    save(
        "holiday/tower rotated.jpg",
        _scene(1200, 900, 2),
        quality=80,
        exif=_exif("Apple", "iPhone 15", "2025:07:15 18:02:41", orientation=6),
    )
    save("panorama.jpg", _scene(2400, 600, 3), quality=75)
    logo = Image.new("RGBA", (640, 640), (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse([40, 40, 600, 600], fill=(230, 80, 40, 200), outline=(20, 20, 20, 255), width=12)
    save("logo+transparent.png", logo, optimize=True)
    save("icons/palette.gif", _scene(400, 300, 4).convert("P", palette=Image.Palette.ADAPTIVE, colors=32))
    save("small 50%.png", _scene(120, 80, 5))

    buffer = io.BytesIO()
    _scene(800, 600, 6).save(buffer, format="PNG")
    (out / "broken/truncated.png").parent.mkdir(parents=True, exist_ok=True)
    (out / "broken/truncated.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 3])
    (out / "broken/not-really.jpg").write_bytes(b"This file has a .jpg name but it is plain text.\n" * 20)
    (out / "broken/notes.txt").write_text("Upload folders contain other files too; this one must be rejected.\n")
    written += [out / "broken/truncated.png", out / "broken/not-really.jpg", out / "broken/notes.txt"]
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE / "images")
    args = parser.parse_args()
    for path in generate(args.out):
        print(f"{path.stat().st_size:>8}  {path.relative_to(args.out)}")


if __name__ == "__main__":
    main()
