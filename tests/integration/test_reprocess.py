"""The reprocess workflow on the emulator, on the one applied stack (conftest `session`): upload images, count
them with a dry run, change a setting (thumbnail_format = "jpeg", applied with Terraform), run `make reprocess`
against the stack, and see regenerated outputs for every image, the index following, nothing sent to a DLQ; then
continue the run and see nothing processed twice. The state machine runs on moto's interpreter
(tools/emulator/stepfunctions.py). These tests run last before test_destroy_is_clean (conftest), and leave the
stack with the changed setting.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import time
from typing import Any

import pytest
from PIL import Image

from tests.support.schemas import validate_event
from tools import reprocess_diagram
from tools.emulator.discovery import aws_client
from tools.emulator.localstack import LocalStackSession
from tools.emulator.results import Upload, collect, deployed_workflow, read_dlqs
from tools.emulator.runner import LocalLambdaRunner
from tools.emulator.server import REPO_ROOT
from tools.emulator.session import EmulatorSession

# moto only: the upload API, the demo and the reprocess workflow are not compared on LocalStack core.
pytestmark = [pytest.mark.integration, pytest.mark.exclude_backends("localstack-core")]
Session = EmulatorSession | LocalStackSession
PREFIX = "uploads/rp"  # walks uploads/rp/... and uploads/rp-loose.png (no owner folder: skipped)
CONSUMERS = ("image_resizer", "metadata_extractor")


def image(fmt: str, color: tuple[int, int, int], size: tuple[int, int] = (360, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA" if fmt == "PNG" else "RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def put(session: Session, key: str, body: bytes) -> Upload:
    bucket = session.outputs["reference"]["bucket_name"]
    response = aws_client("s3", session.endpoint, session.region).put_object(Bucket=bucket, Key=key, Body=body)
    return Upload(bucket, key, response.get("VersionId"), response["ETag"].strip('"'))


def restart_runner(session: EmulatorSession) -> None:
    """The runner reads the functions' configuration when it starts: after an apply that changed it, start anew."""
    assert session.runner is not None
    session.runner.stop()
    session.runner = LocalLambdaRunner(
        session.endpoint,
        session.build_dir / "runner",
        session.artifacts,
        region=session.region,
        local_concurrency=session.local_concurrency,
        failed_visibility_timeout_s=session.failed_visibility_timeout_s,
    ).start()


def apply_with(session: EmulatorSession, **variables: Any) -> float:
    """Re-apply the stack with changed variables, as an operator changes a setting; returns the seconds it took.
    Without a refresh: nothing changes the emulator's resources behind Terraform's back, and a refresh of the
    whole stack would cost a minute or more on a loaded machine."""
    workspace = session.workspaces["reference"]
    workspace.variables = {**workspace.variables, **variables}
    (workspace.work_dir / "emulator.tfvars.json").write_text(json.dumps(workspace.variables, indent=2))
    started = time.monotonic()
    workspace.run("apply", "-no-color", "-auto-approve", "-refresh=false", "-var-file=emulator.tfvars.json")
    restart_runner(session)
    return time.monotonic() - started


def make_reprocess(session: EmulatorSession, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`make reprocess` against the emulator's deployment directory, as an operator runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_VAR_"))}
    env.update(
        AWS_ENDPOINT_URL=session.endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION=session.region,
        TF_CLI_CONFIG_FILE=str(session.workspaces["reference"].work_dir / "emulator.cli.tfrc"),
    )
    command = ["make", "--no-print-directory", "reprocess", f"STACK={session.workspaces['reference'].work_dir}"]
    # A guard against a hang, not a measure: the run paces itself at RATE objects a second.
    return subprocess.run(
        [*command, *arguments], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def thumbnail_formats(report: dict[str, Any]) -> dict[str, set[str]]:
    return {obj["key"]: {t["key"].rsplit(".", 1)[-1] for t in obj["thumbnails"]} for obj in report["objects"]}


def object_versions(session: Session, prefix: str) -> int:
    bucket = session.outputs["reference"]["bucket_name"]
    s3 = aws_client("s3", session.endpoint, session.region)
    return len(s3.list_object_versions(Bucket=bucket, Prefix=prefix).get("Versions", []))


@pytest.fixture(scope="module")
def uploads(session: Session) -> list[Upload]:
    if not isinstance(session, EmulatorSession) or session.runner is None:
        pytest.skip("runs the workflow on moto's interpreter; LocalStack runs neither the workflow nor the runner here")
    images = [
        put(session, f"{PREFIX}/a.jpg", image("JPEG", (200, 40, 40))),
        put(session, f"{PREFIX}/b.png", image("PNG", (40, 200, 40, 160))),
        put(session, f"{PREFIX}/trip/c d.jpg", image("JPEG", (40, 40, 200), (240, 360))),
        put(session, f"{PREFIX}/e.webp", image("WEBP", (120, 120, 20))),
    ]
    put(session, "uploads/rp-loose.png", image("PNG", (1, 2, 3, 255)))  # no owner folder: no consumer, no run
    assert session.settle(timeout_s=180), "queues did not drain"
    return images


def test_the_deployed_definition_draws_the_documented_diagram(session: Session, uploads: list[Upload]) -> None:
    """What the demo report draws (tools/emulator/cli.py: the deployed definition) is docs/reprocess.md's diagram."""
    deployed = deployed_workflow(session.endpoint, session.region, session.outputs["reference"])
    assert deployed is not None
    documented = re.search(r"```mermaid\n(.*?)```", reprocess_diagram.DOCUMENT.read_text(), re.DOTALL)
    assert documented is not None
    assert reprocess_diagram.mermaid(deployed) == documented.group(1)


def test_a_dry_run_counts_and_sends_nothing(session: EmulatorSession, uploads: list[Upload]) -> None:
    assert session.runner is not None
    with session.runner.held():  # anything sent would stay in the queues
        run = make_reprocess(session, f"PREFIX={PREFIX}", "CONSUMERS=image_resizer", "DRY_RUN=1", "RUN=rp-dry")
        queues = session.outputs["reference"]["buffer_queue_urls"].values()
        sqs = aws_client("sqs", session.endpoint, session.region)
        depths = [sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"] for q in queues]
    assert run.returncode == 0, run.stdout + run.stderr
    assert "image_resizer 0 sent, 1 skipped (4 eligible)" in run.stdout, run.stdout  # the progress line
    counts = [
        (c["consumer"], c["eligible"], c["sent"], c["skipped"]) for c in summary_of(session, "rp-dry")["consumers"]
    ]
    assert counts == [("image_resizer", 4, 0, 1)]
    for attributes in depths:
        assert attributes["ApproximateNumberOfMessages"] == attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_a_setting_changed_then_a_run_regenerates_every_image(session: EmulatorSession, uploads: list[Upload]) -> None:
    before = collect(session.endpoint, session.region, session.consumers(), uploads)
    assert all(formats == {"webp"} for formats in thumbnail_formats(before).values()), thumbnail_formats(before)
    session.timings["reprocess_apply_s"] = round(apply_with(session, thumbnail_format="jpeg"), 1)

    assert session.runner is not None
    with session.runner.held():  # the messages stay in the queues until they are checked
        run = make_reprocess(session, f"PREFIX={PREFIX}", f"CONSUMERS={','.join(CONSUMERS)}", "RATE=2", "RUN=rp-jpeg")
        assert run.returncode == 0, run.stdout + run.stderr
        took = re.search(r"SUCCEEDED in (\d+) s", run.stdout)
        assert took is not None and "summary: s3://" in run.stdout, run.stdout
        # Five objects listed at 2 a second: three batches, each followed by a second's pause.
        assert int(took.group(1)) >= 2, run.stdout
        sqs = aws_client("sqs", session.endpoint, session.region)
        queue = session.outputs["reference"]["buffer_queue_urls"]["image_resizer"]
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
        sent = [json.loads(m["Body"]) for m in messages]
        for event in sent:
            validate_event(event)  # what the state machine builds is the Reprocess Requested of the schema
        assert {e["detail"]["object"]["key"] for e in sent} == {u.key for u in uploads}
    assert session.settle(timeout_s=180), "queues did not drain"

    after = collect(session.endpoint, session.region, session.consumers(), uploads)
    for obj in after["objects"]:
        assert thumbnail_formats(after)[obj["key"]] == {"webp", "jpg"}, obj["thumbnails"]  # new names beside the old
        assert {t["format"] for t in obj["index"]["thumbnails"]} == {"jpeg"}, obj["index"]
        assert obj["index"]["status"] == "ready"
    mine = [d for d in read_dlqs(session.endpoint, session.region, session.consumers()) if d.key.startswith(PREFIX)]
    assert mine == [], "nothing sent to a DLQ"

    summary = summary_of(session, "rp-jpeg")
    assert summary["failure"] is None
    assert {c["consumer"]: (c["eligible"], c["sent"], c["skipped"]) for c in summary["consumers"]} == dict.fromkeys(
        CONSUMERS, (4, 4, 1)
    )


def test_a_continued_run_processes_nothing_twice(session: EmulatorSession, uploads: list[Upload]) -> None:
    written = object_versions(session, session.outputs["reference"]["thumbnail_prefix"])
    run = make_reprocess(session, f"PREFIX={PREFIX}", f"CONSUMERS={','.join(CONSUMERS)}", "RATE=10", "RUN=rp-jpeg")
    assert run.returncode == 0, run.stdout + run.stderr
    assert session.settle(timeout_s=180), "queues did not drain"
    assert object_versions(session, session.outputs["reference"]["thumbnail_prefix"]) == written, "replayed only"
    assert summary_of(session, "rp-jpeg")["consumers"][0]["sent"] == 4, "sent again: at least once"


def test_invalid_input_fails_the_execution_at_once(session: EmulatorSession, uploads: list[Upload]) -> None:
    run = make_reprocess(session, "PREFIX=thumbnails/", "CONSUMERS=image_resizer")
    # The tool exits 1 (make then reports "Error 1" and exits 2); the execution failed at the input check.
    assert run.returncode != 0 and "Error 1" in run.stderr, run.stdout + run.stderr
    assert "FAILED" in run.stdout and "Reprocess.InvalidInput" in run.stdout, run.stdout


def summary_of(session: Session, run: str) -> dict[str, Any]:
    workflow = session.outputs["reference"]["reprocess_workflow"]
    location = workflow["report_location"]
    s3 = aws_client("s3", session.endpoint, session.region)
    body = s3.get_object(Bucket=location["bucket"], Key=f"{location['prefix']}{run}/summary.json")["Body"].read()
    document: dict[str, Any] = json.loads(body)
    return document
