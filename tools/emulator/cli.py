"""`make demo` and `make run-local`: the real root stack on the embedded emulator, images through it.

    python -m tools.emulator demo [--keep] [--serve]
    python -m tools.emulator run-local --images DIR --report FILE.json [--prefix uploads/local/] [--html FILE]

Steps: build artifacts for this interpreter's runtime/architecture (build/emulator/dist, so dist/ is left
alone), start moto, apply the stack, run the functions locally, upload, wait until settled, report, destroy.
`demo` also deploys the upload API and prints the upload page's local URL (served until Ctrl-C with --serve), and
its HTML report links the capacity report (`make capacity`'s, at 10 uploads/s), made meanwhile.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from consumer_core.imaging import formats
from tools import reprocess_diagram
from tools.capacity import cli as capacity_cli
from tools.emulator.discovery import aws_client
from tools.emulator.front_door import FrontDoor
from tools.emulator.report import text_table, write_html
from tools.emulator.results import Consumers, Upload, collect, deployed_workflow
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


def content_type(path: Path, body: bytes) -> str:
    """The Content-Type a browser would send: the image format's MIME type by its bytes (the pipeline's one table),
    else the standard table's guess by file name."""
    pillow_format = formats.sniff(body)
    known = formats.mime_type(pillow_format) if pillow_format else None
    return known or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


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
        body = path.read_bytes()
        response = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type(path, body))
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
    images: Path,
    prefix: str,
    report_path: Path | None,
    html_path: Path | None,
    keep: bool,
    front_door: FrontDoor | None = None,
    serve: bool = False,
    capacity: bool = False,
) -> dict[str, Any]:
    """`front_door`: the stack gets the upload API, and the upload page is served against it once the reports are
    written (until Ctrl-C with `serve`). `capacity`: the HTML report links a capacity report made meanwhile."""
    started = time.monotonic()
    capacity_run = start_capacity_report() if capacity else None
    dist = build_artifacts(BUILD_DIR / "dist")
    print(f"artifacts: {dist} ({local_lambda_platform()})", flush=True)
    upload_api = front_door.stack_variables() if front_door else None
    session = EmulatorSession(
        [StackSpec("reference", REPO_ROOT, real_stack_variables(artifacts_dir=dist, upload_api=upload_api))],
        BUILD_DIR / "session",
        artifact_zips(dist),
        destroy=not keep,
    )
    with session:
        assert session.server is not None
        print(f"emulator {session.server.endpoint}; applied in {session.timings['apply_s']} s", flush=True)
        report, thumbnails = images_through(session, images, prefix)
        report["timings"] = {**session.timings, "total_s": round(time.monotonic() - started, 1)}
        links = {"Concurrency & scaling report": finish_capacity_report(capacity_run)} if capacity_run else {}
        write_reports(report, thumbnails, report_path, html_path, links)
        if front_door is not None:
            serve_page(session, front_door, serve)
    return report


def images_through(session: EmulatorSession, images: Path, prefix: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Uploads the folder to the applied stack's bucket under `prefix`, waits until the functions settle, and
    collects what each consumer made of each upload: the report, and the thumbnails' bytes by key."""
    assert session.server is not None and session.runner is not None
    bucket = _bucket_name(session.outputs["reference"])
    t0 = time.monotonic()
    uploads = upload_folder(session.server.endpoint, session.region, bucket, images, prefix)
    print(f"uploaded {len(uploads)} objects to s3://{bucket}/{prefix}", flush=True)
    settled = session.runner.wait_until_settled(timeout_s=180)
    report = collect(session.server.endpoint, session.region, Consumers.from_runner(session.runner.functions), uploads)
    report["elapsed_s"] = round(time.monotonic() - t0, 1)
    report["settled"] = settled
    report["runner"] = session.runner.summary()
    # The workflow diagram of the report is drawn from the definition the stack deployed, not from the file.
    definition = deployed_workflow(session.server.endpoint, session.region, session.outputs["reference"])
    report["workflow_diagram"] = reprocess_diagram.mermaid(definition) if definition else None
    return report, fetch_thumbnails(session.server.endpoint, session.region, bucket, report)


def unfinished(report: dict[str, Any]) -> list[str]:
    """Keys some consumer has neither processed nor rejected (to its DLQ, with a reason)."""
    return [o["key"] for o in report["objects"] if any(c["status"] == "missing" for c in o["consumers"].values())]


def write_reports(
    report: dict[str, Any],
    thumbnails: dict[str, bytes],
    report_path: Path | None,
    html_path: Path | None,
    links: dict[str, Path],
) -> None:
    """The table on stdout; the JSON report and the HTML one (thumbnails embedded, `links` to other reports)."""
    print(text_table(report))
    print(f"timings: {report.get('timings')}")
    if report_path:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(report, indent=2, default=str))
        print(f"report: {report_path}")
    if html_path:
        print(f"html report: {write_html(report, thumbnails, html_path, links)}")


def start_capacity_report() -> subprocess.Popen[str]:
    """`make capacity` plans the root stack and reads (or measures) the cost profile: in its own process, alongside
    the apply. Its own session, so a Ctrl-C that stops the page leaves it alone."""
    return subprocess.Popen(
        [sys.executable, "-m", "tools.capacity", "--peak", f"{DEMO_PEAK:g}", "--profile", str(BENCH_PROFILE)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def finish_capacity_report(capacity_run: subprocess.Popen[str]) -> Path:
    output, _ = capacity_run.communicate()
    print(output, end="")
    if capacity_run.returncode != 0:
        raise SystemExit(f"the capacity report failed (exit {capacity_run.returncode})")
    return CAPACITY_REPORT


def serve_page(session: EmulatorSession, front_door: FrontDoor, until_interrupted: bool) -> None:
    """Points the upload page at the API the runner serves and prints its URL, signed in as two demo users."""
    assert session.runner is not None
    front_door.connect(session.runner.api_urls[session.outputs["reference"]["upload_api"]["api_id"]])
    print(f"upload page: {front_door.page_url()} (paste a token, or open a link below: signed in for 1 h)")
    for user in ("demo-alice", "demo-bob"):
        print(f"  as {user}: {front_door.page_url(front_door.issuer.token(user))}")
    if not until_interrupted:
        return
    print("serving the page until Ctrl-C (DEMO_SERVE=0 skips this)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        # Ctrl-C reached the emulator and the workers too (one process group): the stack lived in the
        # emulator's memory and goes with it, so there is nothing left to destroy.
        session.destroy = False
        print("stopped", flush=True)


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
    demo.add_argument("--serve", action="store_true", help="serve the upload page until Ctrl-C after the samples")
    local = sub.add_parser("run-local", help="run a folder of images through the real stack")
    local.add_argument("--images", type=Path, required=True)
    local.add_argument("--report", type=Path, required=True)
    local.add_argument("--prefix", default="uploads/local/")
    local.add_argument("--html", type=Path)
    args = parser.parse_args(argv)
    if args.command == "demo":
        with FrontDoor() as front_door:
            report = run(
                SAMPLES,
                "uploads/demo/",
                BUILD_DIR.parent / "demo" / "report.json",
                BUILD_DIR.parent / "demo" / "report.html",
                args.keep,
                front_door,
                args.serve,
                capacity=True,
            )
    else:
        if not args.images.is_dir():
            raise SystemExit(f"--images {args.images} is not a folder")
        report = run(args.images, args.prefix, args.report, args.html, keep=False)
    missing = unfinished(report)
    if missing or not report["settled"]:
        raise SystemExit(f"not settled: {missing}")


if __name__ == "__main__":
    main()
