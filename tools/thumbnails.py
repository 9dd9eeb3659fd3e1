"""`make thumbnails IN=<file or folder> OUT=<folder> REPORT=<file.json>`: the resizer's image logic on local
files, no AWS involved.

Each input file gives OUT/<path relative to IN>.<size>.<ext> per thumbnail size, and one report entry:
{"input", "status": "ok" | "rejected", "reason", "message", "ms", "cpu_ms", "peak_rss_mb", "thumbnails": [{"path",
"size", "width", "height", "format", "bytes"}]}. Rejected files are reported, not fatal: the exit status is 0
unless the command itself is misused (missing input, bad settings).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from consumer_core.errors import PermanentError
from consumer_core.imaging import DEFAULT_LIMITS, ImageLimits
from image_resizer.spec import DEFAULT_SIZES, OUTPUT_FORMATS, ThumbnailSpec, parse_sizes
from image_resizer.thumbnails import render
from tools import local_files


def process(path: Path, root: Path, out_dir: Path, spec: ThumbnailSpec) -> dict[str, Any]:
    data = path.read_bytes()
    error: PermanentError | None = None
    with local_files.measured() as measurement:
        try:
            rendered = render(data, spec)
        except PermanentError as exc:
            error = exc
    thumbnails = []
    if error is None:
        for thumb in rendered.thumbnails:
            target = out_dir / f"{local_files.relative_name(path, root)}.{thumb.size}.{spec.output.extension}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(thumb.body)
            thumbnails.append(
                {
                    "path": str(target),
                    "size": thumb.size,
                    "width": thumb.width,
                    "height": thumb.height,
                    "format": thumb.format,
                    "bytes": len(thumb.body),
                }
            )
    return local_files.entry(path, measurement, error, thumbnails=thumbnails)


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
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="comma-separated long-edge sizes")
    parser.add_argument("--format", default=ThumbnailSpec().format, choices=sorted(OUTPUT_FORMATS))
    parser.add_argument("--quality", type=int, default=ThumbnailSpec().quality)
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_LIMITS.max_pixels)
    args = parser.parse_args(argv)

    if not args.input.exists():
        parser.error(f"input not found: {args.input}")
    try:
        limits = ImageLimits(max_pixels=args.max_pixels)
        spec = ThumbnailSpec(sizes=parse_sizes(args.sizes), format=args.format, quality=args.quality, limits=limits)
    except ValueError as exc:
        parser.error(str(exc))
    report_path = args.report or args.out / "report.json"

    args.out.mkdir(parents=True, exist_ok=True)
    _warm_up(spec)
    entries = [process(path, args.input, args.out, spec) for path in local_files.inputs(args.input)]
    local_files.write_report(entries, report_path)
    for entry in entries:
        if entry["status"] == "rejected":
            print(f"rejected  {entry['input']}: {entry['reason']}", file=sys.stderr)
    print(f"{local_files.summary_line(entries)}, {sum(len(e['thumbnails']) for e in entries)} thumbnails")
    print(f"report: {report_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
