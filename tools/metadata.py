"""`make metadata IN=<file or folder> REPORT=<file.json>`: the metadata extractor's logic on local files, no AWS
involved; the mirror of `make thumbnails`.

One report entry per input file: {"input", "status": "ok" | "rejected", "reason", "message", "ms", "cpu_ms",
"peak_rss_mb", "summary" (what `Image Metadata Extracted` carries, or null), "metadata" (the whole document, or
null)}. Rejected files are reported, not fatal: the exit status is 0 unless the command itself is misused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from consumer_core.errors import PermanentError
from consumer_core.imaging import DEFAULT_LIMITS, ImageLimits
from metadata_extractor.extract import extract_metadata, summarise
from tools import local_files


def process(path: Path, limits: ImageLimits, include_gps_coordinates: bool) -> dict[str, Any]:
    data = path.read_bytes()
    error: PermanentError | None = None
    metadata: dict[str, Any] | None = None
    with local_files.measured() as measurement:
        try:
            metadata = extract_metadata(data, include_gps_coordinates=include_gps_coordinates, limits=limits)
        except PermanentError as exc:
            error = exc
    summary = summarise(metadata) if metadata is not None else None
    return local_files.entry(path, measurement, error, summary=summary, metadata=metadata)


def _warm_up(limits: ImageLimits) -> None:
    """Load the codecs once so the first file's "ms" is its processing time, not Pillow's import time."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    extract_metadata(buf.getvalue(), include_gps_coordinates=False, limits=limits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make metadata", description=__doc__.split("\n\n")[0])
    parser.add_argument("--in", dest="input", required=True, type=Path, help="an image file or a folder")
    parser.add_argument("--report", required=True, type=Path, help="JSON report path")
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_LIMITS.max_pixels)
    parser.add_argument("--gps", action="store_true", help="include GPS coordinates (off in the pipeline by default)")
    args = parser.parse_args(argv)

    if not args.input.exists():
        parser.error(f"input not found: {args.input}")
    try:
        limits = ImageLimits(max_pixels=args.max_pixels)
    except ValueError as exc:
        parser.error(str(exc))
    _warm_up(limits)
    entries = [process(path, limits, args.gps) for path in local_files.inputs(args.input)]
    local_files.write_report(entries, args.report)
    for entry in entries:
        if entry["status"] == "rejected":
            print(f"rejected  {entry['input']}: {entry['reason']}", file=sys.stderr)
    print(local_files.summary_line(entries))
    print(f"report: {args.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
