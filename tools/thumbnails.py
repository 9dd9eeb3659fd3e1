"""`make thumbnails IN=<file or folder> OUT=<folder> REPORT=<file.json>`: the resizer's image logic on local
files, no AWS involved.

Each input file gives OUT/<path relative to IN>.<size>.<ext> per thumbnail size, and one report entry:
{"input", "status": "ok" | "rejected", "reason", "message", "ms", "thumbnails": [{"path", "size", "width",
"height", "format", "bytes"}]}. Rejected files are reported, not fatal: the exit status is 0 unless the
command itself is misused (missing input, bad settings).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from image_resizer.thumbnails import DEFAULT_MAX_PIXELS, ImageRejected, ThumbnailSpec, parse_sizes, render

EXTENSIONS = {"webp": "webp", "jpeg": "jpg"}


def inputs(root: Path) -> list[Path]:
    """The file itself, or every non-hidden file under the folder, in a stable order."""
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def process(path: Path, root: Path, out_dir: Path, spec: ThumbnailSpec) -> dict:
    relative = path.name if root.is_file() else path.relative_to(root).as_posix()
    entry: dict = {"input": str(path), "status": "ok", "reason": None, "message": None, "ms": 0.0, "thumbnails": []}
    data = path.read_bytes()
    started = time.perf_counter()
    try:
        rendered = render(data, spec)
    except ImageRejected as exc:
        entry.update(status="rejected", reason=exc.reason, message=exc.message)
        entry["ms"] = round((time.perf_counter() - started) * 1000, 2)
        return entry
    entry["ms"] = round((time.perf_counter() - started) * 1000, 2)
    for thumb in rendered.thumbnails:
        target = out_dir / f"{relative}.{thumb.size}.{EXTENSIONS[thumb.format]}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(thumb.body)
        entry["thumbnails"].append(
            {
                "path": str(target),
                "size": thumb.size,
                "width": thumb.width,
                "height": thumb.height,
                "format": thumb.format,
                "bytes": len(thumb.body),
            }
        )
    return entry


def _warm_up(spec: ThumbnailSpec) -> None:
    """Load the codecs once so the first file's "ms" is its processing time, not Pillow's import time."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    render(buf.getvalue(), spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make thumbnails", description=__doc__.split("\n\n")[0])
    parser.add_argument("--in", dest="input", required=True, type=Path, help="an image file or a folder")
    parser.add_argument("--out", required=True, type=Path, help="folder for the thumbnails")
    parser.add_argument("--report", type=Path, help="JSON report path (default: <out>/report.json)")
    parser.add_argument("--sizes", default="512,256,128,64", help="comma-separated long-edge sizes")
    parser.add_argument("--format", default="webp", choices=sorted(EXTENSIONS))
    parser.add_argument("--quality", type=int, default=ThumbnailSpec().quality)
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS)
    args = parser.parse_args(argv)

    if not args.input.exists():
        parser.error(f"input not found: {args.input}")
    try:
        spec = ThumbnailSpec(
            sizes=parse_sizes(args.sizes), format=args.format, quality=args.quality, max_pixels=args.max_pixels
        )
    except ValueError as exc:
        parser.error(str(exc))
    report_path = args.report or args.out / "report.json"

    args.out.mkdir(parents=True, exist_ok=True)
    _warm_up(spec)
    entries = [process(path, args.input, args.out, spec) for path in inputs(args.input)]
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(entries, indent=2) + "\n")

    ok = sum(e["status"] == "ok" for e in entries)
    for entry in entries:
        if entry["status"] == "rejected":
            print(f"rejected  {entry['input']}: {entry['reason']}", file=sys.stderr)
    print(f"{ok} ok, {len(entries) - ok} rejected, {sum(len(e['thumbnails']) for e in entries)} thumbnails")
    print(f"report: {report_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
