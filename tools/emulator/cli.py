"""`make demo` and `make run-local`: the real root stack on the embedded emulator, images through it.

    python -m tools.emulator demo [--keep]
    python -m tools.emulator run-local --images DIR --report FILE.json [--prefix uploads/local/] [--html FILE]

Steps: build artifacts for this interpreter's runtime/architecture (build/emulator/dist, so dist/ is left
alone), start moto, apply the stack, run the functions locally, upload, wait until settled, report, destroy. The
demo's HTML report links the capacity report (`make capacity`'s, at 10 uploads/s), made meanwhile.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tools.capacity import cli as capacity_cli
from tools.emulator.discovery import aws_client
from tools.emulator.report import text_table, write_html
from tools.emulator.results import Consumers, Upload, collect
from tools.emulator.server import REPO_ROOT
from tools.emulator.session import (
    EmulatorSession,
    StackSpec,
    artifact_zips,
    local_lambda_platform,
    real_stack_variables,
)

BUILD_DIR = REPO_ROOT / "build" / "emulator"
SAMPLES = REPO_ROOT / "samples" / "images"
# The demo links a capacity report (tools.capacity) for this peak, from `make bench`'s profile when there is one.
DEMO_PEAK = 10.0
BENCH_PROFILE = REPO_ROOT / "build" / "bench.json"
CAPACITY_REPORT = capacity_cli.BUILD / "report.html"
CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain",
}


def build_artifacts(out: Path, log_path: Path | None = None) -> Path:
    """`tools.build` for the local interpreter, so the Pillow layer's wheels import in the workers. With
    `log_path`, its output (pip's included) goes there instead of the terminal."""
    target = local_lambda_platform()
    command = [
        sys.executable,
        "-m",
        "tools.build",
        "--runtime",
        target["lambda_runtime"],
        "--arch",
        target["lambda_architecture"],
        "--out",
        str(out),
    ]
    if log_path is None:
        subprocess.run(command, cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
        return out
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        if subprocess.run(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, check=False).returncode:
            raise RuntimeError(f"building the artifacts failed, see {log_path}")
    return out


def upload_folder(endpoint: str, region: str, bucket: str, folder: Path, prefix: str) -> list[Upload]:
    """Object key = prefix + path relative to the folder (forward slashes)."""
    s3 = aws_client("s3", endpoint, region)
    uploads = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = prefix + path.relative_to(folder).as_posix()
        content_type = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        response = s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type)
        uploads.append(Upload(bucket, key, response.get("VersionId"), response["ETag"].strip('"')))
    return uploads


def fetch_thumbnails(endpoint: str, region: str, bucket: str, report: dict[str, Any]) -> dict[str, bytes]:
    s3 = aws_client("s3", endpoint, region)
    return {
        t["key"]: s3.get_object(Bucket=bucket, Key=t["key"])["Body"].read()
        for obj in report["objects"]
        for t in obj["thumbnails"]
    }


def run(
    images: Path, prefix: str, report_path: Path | None, html_path: Path | None, keep: bool, capacity: bool = False
) -> dict[str, Any]:
    started = time.monotonic()
    # The capacity report (`make capacity`) plans the root stack and reads (or measures) the cost profile: in its
    # own process, alongside the apply.
    capacity_run = (
        subprocess.Popen(
            [sys.executable, "-m", "tools.capacity", "--peak", f"{DEMO_PEAK:g}", "--profile", str(BENCH_PROFILE)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if capacity
        else None
    )
    report, thumbnails = _run(images, prefix, report_path, keep, started)
    links: dict[str, Path] = {}
    if capacity_run is not None:
        output, _ = capacity_run.communicate()
        print(output, end="")
        if capacity_run.returncode != 0:
            raise SystemExit(f"the capacity report failed (exit {capacity_run.returncode})")
        links["Concurrency & scaling report"] = CAPACITY_REPORT
    if html_path:
        print(f"html report: {write_html(report, thumbnails, html_path, links)}")
    return report


def _run(
    images: Path, prefix: str, report_path: Path | None, keep: bool, started: float
) -> tuple[dict[str, Any], dict[str, bytes]]:
    dist = build_artifacts(BUILD_DIR / "dist")
    print(f"artifacts: {dist} ({local_lambda_platform()})", flush=True)
    session = EmulatorSession(
        [StackSpec("reference", REPO_ROOT, real_stack_variables(artifacts_dir=dist))],
        BUILD_DIR / "session",
        artifact_zips(dist),
        destroy=not keep,
    )
    with session:
        assert session.server is not None and session.runner is not None
        print(f"emulator {session.server.endpoint}; applied in {session.timings['apply_s']} s", flush=True)
        bucket = _bucket_name(session.outputs["reference"])
        t0 = time.monotonic()
        uploads = upload_folder(session.server.endpoint, session.region, bucket, images, prefix)
        print(f"uploaded {len(uploads)} objects to s3://{bucket}/{prefix}", flush=True)
        settled = session.runner.wait_until_settled(timeout_s=180)
        report = collect(
            session.server.endpoint, session.region, Consumers.from_runner(session.runner.functions), uploads
        )
        report["elapsed_s"] = round(time.monotonic() - t0, 1)
        report["settled"] = settled
        report["runner"] = session.runner.summary()
        thumbnails = fetch_thumbnails(session.server.endpoint, session.region, bucket, report)
    report["timings"] = {**session.timings, "total_s": round(time.monotonic() - started, 1)}
    print(text_table(report))
    print(f"timings: {report['timings']}")
    if report_path:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(report, indent=2, default=str))
        print(f"report: {report_path}")
    return report, thumbnails


def _bucket_name(outputs: dict[str, Any]) -> str:
    for name in ("bucket_name", "images_bucket", "bucket", "images_bucket_name"):
        if isinstance(outputs.get(name), str):
            return outputs[name]
    candidates = [v for k, v in outputs.items() if "bucket" in k and isinstance(v, str) and not v.startswith("arn:")]
    if not candidates:
        raise SystemExit(f"no bucket output in {sorted(outputs)}")
    return candidates[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tools.emulator", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the bundled samples/ through the real stack")
    demo.add_argument("--keep", action="store_true", help="do not destroy (the emulator still stops)")
    local = sub.add_parser("run-local", help="run a folder of images through the real stack")
    local.add_argument("--images", type=Path, required=True)
    local.add_argument("--report", type=Path, required=True)
    local.add_argument("--prefix", default="uploads/local/")
    local.add_argument("--html", type=Path)
    args = parser.parse_args(argv)
    if args.command == "demo":
        report = run(
            SAMPLES,
            "uploads/demo/",
            BUILD_DIR.parent / "demo" / "report.json",
            BUILD_DIR.parent / "demo" / "report.html",
            args.keep,
            capacity=True,
        )
    else:
        if not args.images.is_dir():
            raise SystemExit(f"--images {args.images} is not a folder")
        report = run(args.images, args.prefix, args.report, args.html, keep=False)
    missing = [o["key"] for o in report["objects"] if any(c["status"] == "missing" for c in o["consumers"].values())]
    if missing or not report["settled"]:
        raise SystemExit(f"not settled: {missing}")


if __name__ == "__main__":
    main()
