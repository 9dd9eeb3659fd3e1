"""`make redrive` end to end on the shared stack (issue 10, part 2): a setting makes the image_resizer reject a
batch, the setting is fixed, the rejected messages are redriven by reason, and every upload ends processed.

The test leaves the stack as it found it: the function's configuration is restored (the plan test that follows
in test_pipeline.py would show any difference), and the messages it sent to the DLQ are moved out again.
"""

from __future__ import annotations

import io
import os
import subprocess
from typing import Any

import pytest
from PIL import Image

from tools.emulator.discovery import aws_client
from tools.emulator.localstack import LocalStackSession
from tools.emulator.results import Upload, collect
from tools.emulator.server import REPO_ROOT
from tools.emulator.session import EmulatorSession
from tools.redrive.cli import group
from tools.redrive.sweep import look

Session = EmulatorSession | LocalStackSession

pytestmark = pytest.mark.integration
CONSUMER = "image_resizer"
REASON = "object_too_large"  # what MAX_OBJECT_BYTES=1 makes of every upload; no other test uploads one that large
PREFIX = "uploads/redrive/"


def jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (shade, 90, 200 - shade)).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def make_redrive(session: Session, *arguments: str) -> str:
    """`make redrive` as an operator runs it, against the applied stack's state and the emulator's endpoint."""
    workspace = session.workspaces["reference"]
    env = {
        **workspace.env(),
        # The session's endpoints as boto3 reads them: on localstack-core AWS_ENDPOINT_URL is moto's and
        # AWS_ENDPOINT_URL_SQS LocalStack's, so the command must leave the choice to boto3.
        **session.endpoints.environ(),
        "AWS_ACCESS_KEY_ID": session.endpoints.access_key,
        "AWS_SECRET_ACCESS_KEY": "test",
        "PATH": os.environ.get("PATH", ""),
    }
    proc = subprocess.run(
        ["make", "-s", "redrive", f"CONSUMER={CONSUMER}", f"TF_DIR={workspace.work_dir}", *arguments],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def set_environment(session: Session, variables: dict[str, str]) -> None:
    lam = aws_client("lambda", session.endpoints, session.region)
    name = session.outputs["reference"]["function_names"][CONSUMER]
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
    if session.runner is not None:
        session.runner.reload()  # Lambda applies a configuration change to the invocations after it


def ours(session: Session) -> dict[str, int]:
    """This test's messages in the consumer's DLQ, by reason."""
    sqs = aws_client("sqs", session.endpoints, session.region)
    messages = look(sqs, session.outputs["reference"]["dlq_urls"][CONSUMER], wait_s=0)
    return {g.reason: g.count for g in group([m for m in messages if (m.key or "").startswith(PREFIX)])}


def test_a_rejected_batch_is_redriven_after_the_fix_and_processed(session: Session) -> None:
    lam = aws_client("lambda", session.endpoints, session.region)
    name = session.outputs["reference"]["function_names"][CONSUMER]
    original: dict[str, str] = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    s3 = aws_client("s3", session.endpoints, session.region)
    bucket = session.outputs["reference"]["bucket_name"]
    uploads: list[Upload] = []
    try:
        set_environment(session, {**original, "MAX_OBJECT_BYTES": "1"})  # the faulty setting
        for i in range(3):
            key = f"{PREFIX}photo-{i}.jpg"
            response = s3.put_object(Bucket=bucket, Key=key, Body=jpeg(40 * i), ContentType="image/jpeg")
            uploads.append(Upload(bucket, key, response.get("VersionId"), response["ETag"].strip('"')))
        assert session.settle(timeout_s=120), "queues did not drain"
        assert ours(session) == {REASON: 3}

        listing = make_redrive(session, f"REASON={REASON}", "DRY_RUN=1")
        assert "dry run: nothing moved" in listing and REASON in listing and f"{PREFIX}photo-" in listing
        assert ours(session) == {REASON: 3}, "a dry run moves nothing and hides nothing"
    finally:
        set_environment(session, original)  # the fix
    assert lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"] == original

    moved = make_redrive(session, f"REASON={REASON}")
    # One reason chosen: the loop, also where SQS has a message move task (LocalStack; moto has none)
    assert "moved 3 (receive/send/delete)" in moved, moved
    assert session.settle(timeout_s=120), "queues did not drain"

    assert ours(session) == {}
    report = collect(session.endpoints, session.region, session.consumers(), uploads)
    for obj in report["objects"]:
        statuses: dict[str, Any] = {c: e["status"] for c, e in obj["consumers"].items()}
        assert statuses == dict.fromkeys(statuses, "processed"), obj["consumers"]
        assert len(obj["thumbnails"]) == 4
        # The index saw the rejection, then the thumbnails: the result supersedes the rejection.
        assert obj["index"]["status"] == "ready" and obj["index"]["rejections"] == {}, obj["index"]
