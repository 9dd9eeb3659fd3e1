"""The real root stack applied once to the embedded emulator, real images through it (issue 5).

Tests run in file order against one session (conftest `session`): plan, read-back, uploads of good / corrupt /
duplicate / odd-key objects, overwrite, deletion, a burst with injected faults, then destroy.
"""

from __future__ import annotations

import io
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from PIL import Image

from tools.emulator.discovery import aws_client
from tools.emulator.localstack import LocalStackSession
from tools.emulator.results import Upload, collect
from tools.emulator.session import EmulatorSession

Session = EmulatorSession | LocalStackSession

pytestmark = pytest.mark.integration
CONSUMERS = {"image_resizer", "metadata_extractor", "search_indexer"}
REJECTION_REASONS = {"not_an_image", "corrupt_image", "unsupported_format"}


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (320, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def png_rgba(size: tuple[int, int] = (200, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 30, 120)).save(buffer, format="PNG")
    return buffer.getvalue()


def bucket(session: Session) -> str:
    return session.outputs["reference"]["bucket_name"]


def put(session: Session, key: str, body: bytes, content_type: str = "image/jpeg") -> Upload:
    s3 = aws_client("s3", session.endpoints, session.region)
    response = s3.put_object(Bucket=bucket(session), Key=key, Body=body, ContentType=content_type)
    return Upload(bucket(session), key, response.get("VersionId"), response["ETag"].strip('"'))


def settle_and_collect(session: Session, uploads: list[Upload], timeout_s: float = 120) -> dict[str, Any]:
    assert session.settle(timeout_s=timeout_s), "queues did not drain"
    return collect(session.endpoints, session.region, session.consumers(), uploads)


def by_key(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {obj["key"]: obj for obj in report["objects"]}


def test_plan_right_after_apply_shows_no_changes(session: Session) -> None:
    with ThreadPoolExecutor(len(session.workspaces)) as pool:
        plans = dict(
            zip(session.workspaces, pool.map(lambda ws: ws.plan_changes(), session.workspaces.values()), strict=True)
        )
    for name, plan in plans.items():
        assert plan.returncode == 0, f"{name}: plan shows changes or failed:\n{plan.output[-3000:]}"


def test_runner_reads_the_deployment_back(session: Session) -> None:
    if session.runner is None:
        pytest.skip("LocalStack runs the functions itself; there is no local runner to inspect")
    described = {f["handler"].split(".")[0]: f for f in session.runner.describe()}
    assert set(described) >= CONSUMERS
    for name in CONSUMERS:
        function = described[name]
        assert function["handler"] == f"{name}.app.handler"
        assert function["code_zip"].endswith(f"functions/{name}.zip")  # matched by CodeSha256
        (mapping,) = function["mappings"]
        assert mapping["state"] == "Disabled"  # moto never polls; the runner does
        assert mapping["report_batch_item_failures"]
        assert mapping["effective_concurrency"] <= mapping["max_concurrency"]
    pillow = [layer["origin"] for layer in described["image_resizer"]["layers"]]
    assert len(pillow) == 1 and pillow[0].endswith("layers/pillow.zip")


def test_mini_stack_routes_through_tls_policy_and_archive(session: Session) -> None:
    """The mini stack has a TLS-only policy and an archive before its rule: both patched moto behaviours."""
    if "mini" not in session.outputs:
        pytest.skip("the mini stack is applied on the embedded emulator only")
    s3 = aws_client("s3", session.endpoints, session.region)
    mini_bucket = session.outputs["mini"]["bucket"]
    s3.put_object(Bucket=mini_bucket, Key="uploads/hello world+1.txt", Body=b"hi")
    assert session.settle(timeout_s=60)
    seen = json.loads(s3.get_object(Bucket=mini_bucket, Key="out/uploads/hello world+1.txt")["Body"].read())
    assert seen["layer"] == "mini-layer-1" and seen["receive_count"] == 1


ODD_KEYS = [
    "uploads/alice/with space.jpg",
    "uploads/alice/plus+sign.jpg",
    "uploads/alice/100% real.jpg",
    "uploads/alice/50%25 off.jpg",  # looks percent-encoded already: must survive decoding
    "uploads/alice/ünïcödé 写真.jpg",
]


def test_good_corrupt_and_odd_key_objects_settle_with_reasons(session: Session) -> None:
    uploads = [
        put(session, "uploads/alice/red.jpg", jpeg((200, 30, 30), (1200, 800))),
        put(session, "uploads/alice/logo.png", png_rgba(), "image/png"),
        put(session, "uploads/bob/truncated.jpg", jpeg((1, 2, 3), (800, 600))[:700]),
        put(session, "uploads/bob/not-an-image.jpg", b"plain text, not a JPEG\n" * 10),
    ]
    uploads += [put(session, key, jpeg((i * 40, 90, 120))) for i, key in enumerate(ODD_KEYS)]
    objects = by_key(settle_and_collect(session, uploads))
    for key in ["uploads/alice/red.jpg", "uploads/alice/logo.png", *ODD_KEYS]:
        statuses = {c: e["status"] for c, e in objects[key]["consumers"].items()}
        assert statuses == dict.fromkeys(CONSUMERS, "processed"), (key, objects[key]["consumers"])
        assert objects[key]["thumbnails"] and objects[key]["metadata"] and objects[key]["index"]
    for key in ["uploads/bob/truncated.jpg", "uploads/bob/not-an-image.jpg"]:
        consumers = objects[key]["consumers"]
        for name in ("image_resizer", "metadata_extractor"):
            assert consumers[name]["status"] == "dlq" and consumers[name]["reason"] in REJECTION_REASONS, consumers
        # every consumer either processed it or rejected it with a reason: nothing is lost
        assert all(e["status"] == "processed" or e["reason"] for e in consumers.values()), consumers


def thumbnail_versions(session: Session, upload: Upload) -> int:
    s3 = aws_client("s3", session.endpoints, session.region)
    from consumer_core.naming import derived_prefix

    prefix = derived_prefix(session.outputs["reference"]["thumbnail_prefix"], upload.key)
    return len(s3.list_object_versions(Bucket=upload.bucket, Prefix=prefix).get("Versions", []))


def test_duplicate_deliveries_are_processed_once(session: Session) -> None:
    upload = put(session, "uploads/carol/dup.jpg", jpeg((5, 120, 250)))
    settle_and_collect(session, [upload])
    before = thumbnail_versions(session, upload)
    assert before > 0
    # EventBridge delivers at least once: send the same event to every buffer queue again, twice.
    sqs = aws_client("sqs", session.endpoints, session.region)
    event = {
        "version": "0",
        "id": "4f0c3c0e-0000-4000-8000-000000000001",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-27T10:00:00Z",
        "region": session.region,
        "resources": [f"arn:aws:s3:::{upload.bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": upload.bucket},
            "object": {
                "key": upload.key,
                "size": 1,
                "etag": upload.etag,
                "version-id": upload.version_id,
                "sequencer": "0",
            },
            "request-id": "R",
            "requester": "123456789012",
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject",
        },
    }
    for url in session.outputs["reference"]["buffer_queue_urls"].values():
        for _ in range(2):
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
    report = settle_and_collect(session, [upload])
    assert thumbnail_versions(session, upload) == before  # no thumbnail written again
    assert all(e["status"] == "processed" for e in report["objects"][0]["consumers"].values())


def test_overwrite_is_reprocessed(session: Session) -> None:
    first = put(session, "uploads/dave/portrait.jpg", jpeg((250, 250, 0), (600, 900)))
    settle_and_collect(session, [first])
    second = put(session, "uploads/dave/portrait.jpg", jpeg((0, 0, 250), (900, 600)))
    assert second.version_id != first.version_id
    (obj,) = settle_and_collect(session, [second])["objects"]
    assert all(e["status"] == "processed" for e in obj["consumers"].values()), obj["consumers"]
    assert obj["thumbnails"]  # thumbnails exist for the new version
    summary = obj["metadata"].get("metadata", obj["metadata"])
    assert (summary.get("width"), summary.get("height")) == (900, 600)
    assert obj["index"].get("version_id") in (second.version_id, None) or second.version_id in json.dumps(obj["index"])


def test_deletion_cleans_up(session: Session) -> None:
    upload = put(session, "uploads/erin/gone.jpg", jpeg((90, 90, 90)))
    (before,) = settle_and_collect(session, [upload])["objects"]
    assert before["thumbnails"] and before["index"]
    aws_client("s3", session.endpoints, session.region).delete_object(Bucket=upload.bucket, Key=upload.key)
    (after,) = settle_and_collect(session, [upload])["objects"]
    assert after["index"] == {}, after["index"]
    assert after["thumbnails"] == [] and after["metadata"] == {}


def test_a_forged_result_changes_nothing_and_deletes_nothing(session: Session) -> None:
    """A `Thumbnails Generated` naming another upload's thumbnails, put on the results bus (on AWS only the
    producer roles may: the bus policy; the emulator does not enforce it), is refused as `forged_event`; deleting
    the forger's upload then leaves the victim's thumbnails in place."""
    victim = put(session, "uploads/victim/private.jpg", jpeg((10, 120, 10)))
    forger = put(session, "uploads/mallory/mine.jpg", jpeg((120, 10, 10)))
    report = settle_and_collect(session, [victim, forger])
    victim_thumbnails = sorted(t["key"] for t in by_key(report)[victim.key]["thumbnails"])
    assert len(victim_thumbnails) == 4
    forged = {
        "object": {
            "bucket": forger.bucket,
            "key": forger.key,
            "version_id": forger.version_id,
            "etag": forger.etag,
            "size": 1,
            "sequencer": "FF" * 16,
            "event_time": "2026-11-30T12:00:00Z",
        },
        "thumbnails": [
            {"key": key, "size": 64, "width": 64, "height": 48, "format": "webp", "bytes": 1}
            for key in victim_thumbnails
        ],
        "source": {"width": 64, "height": 48, "format": "JPEG"},
        "schema_version": "1.0",
    }
    events = aws_client("events", session.endpoints, session.region)
    entry = {
        "Source": "image-pipeline",
        "DetailType": "Thumbnails Generated",
        "Detail": json.dumps(forged),
        "EventBusName": session.outputs["reference"]["results_bus_name"],
    }
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    assert session.settle(timeout_s=60)
    refused = [e for e in report_dlq(session) if e["key"] == forger.key and e["consumer"] == "search_indexer"]
    assert [e["reason"] for e in refused] == ["forged_event"]

    aws_client("s3", session.endpoints, session.region).delete_object(Bucket=forger.bucket, Key=forger.key)
    after = settle_and_collect(session, [victim, forger])
    assert sorted(t["key"] for t in by_key(after)[victim.key]["thumbnails"]) == victim_thumbnails
    assert by_key(after)[forger.key]["thumbnails"] == [] and by_key(after)[forger.key]["index"] == {}


def report_dlq(session: Session) -> list[dict[str, Any]]:
    from tools.emulator.results import read_dlqs

    return [entry.__dict__ for entry in read_dlqs(session.endpoints, session.region, session.consumers())]


# Not on localstack-core, for time (~2.5 min there): the burst exercises the local runner, the handlers' retries
# and SQS visibility; LocalStack's SQS redrive is covered by test_one_poison_record_costs_only_itself.
@pytest.mark.exclude_backends("localstack-core")
def test_burst_with_injected_transient_faults_loses_nothing(session: Session) -> None:
    if not isinstance(session, EmulatorSession) or session.runner is None:
        pytest.skip("fault injection is a hook of the embedded emulator")
    # 12 of the 300 objects: their first 16 GETs fail with 503 SlowDown. The handlers' SDK makes 4 attempts per
    # read, and each image consumer reads an upload twice in its first invoke (ahead of its turn, then in its turn
    # when that failed), so the first invoke of both image consumers fails with a transient error and the message
    # is retried by SQS.
    session.faults.set_faults(r"^uploads/burst/img-\d[0369]0\.jpg$", times_per_key=16)
    invocations_before = len(session.runner.invocations)
    try:
        bodies = {f"uploads/burst/img-{i:03d}.jpg": jpeg((i % 256, (i * 7) % 256, 99), (96, 64)) for i in range(300)}
        with ThreadPoolExecutor(8) as pool:
            uploads = list(pool.map(lambda item: put(session, *item), bodies.items()))
        report = settle_and_collect(session, uploads, timeout_s=300)
        faults = session.faults.faults()
    finally:
        session.faults.set_faults(None)
    assert faults["injected"] == 12 * 16
    lost = [o["key"] for o in report["objects"] if any(e["status"] != "processed" for e in o["consumers"].values())]
    assert lost == []
    retried = [r for r in session.runner.invocations[invocations_before:] if r.failed]
    assert retried, "the faults never reached a handler, so the retry path was not exercised"


def test_one_poison_record_costs_only_itself(session: Session) -> None:
    """A record whose invocation times out (the read of its upload hangs past the function's timeout) goes to the
    DLQ with `timeout` on its next delivery; the four other records of its batch are processed, none in a DLQ."""
    if not isinstance(session, EmulatorSession) or session.runner is None:
        pytest.skip("fault injection is a hook of the embedded emulator")
    poison_key = "uploads/batch/poison.jpg"
    timeout_s = max(f.spec.timeout_s for f in session.runner.functions if f.spec.handler.startswith("image_"))
    # Both image consumers read it once: both invocations hang until Lambda's timeout kills them.
    session.faults.set_faults(r"^uploads/batch/poison\.jpg$", times_per_key=2, delay_s=timeout_s + 5)
    invocations_before = len(session.runner.invocations)
    sqs = aws_client("sqs", session.endpoints, session.region)
    queues = [
        url for name, url in session.outputs["reference"]["buffer_queue_urls"].items() if name != "search_indexer"
    ]
    try:
        with session.runner.held():  # all five arrive before the poller takes a batch, as from a busy queue
            uploads = [put(session, poison_key, jpeg((200, 0, 0)))]
            uploads += [put(session, f"uploads/batch/good-{i}.jpg", jpeg((0, 40 * i, 90))) for i in range(4)]
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and any(_waiting(sqs, url) < 5 for url in queues):
                time.sleep(0.2)
        report = settle_and_collect(session, uploads, timeout_s=timeout_s * 3 + 60)
    finally:
        session.faults.set_faults(None)
    objects = by_key(report)
    for consumer in ("image_resizer", "metadata_extractor"):
        assert objects[poison_key]["consumers"][consumer] == {
            "status": "dlq",
            "reason": "timeout",
            "message": objects[poison_key]["consumers"][consumer]["message"],
        }, objects[poison_key]["consumers"]
    for upload in uploads[1:]:
        assert all(e["status"] == "processed" for e in objects[upload.key]["consumers"].values()), objects[upload.key]
    assert not [e for e in report["dlq_messages"] if e["key"].startswith("uploads/batch/good-")]
    timed_out = [r for r in session.runner.invocations[invocations_before:] if r.status == "timeout"]
    assert timed_out and max(r.batch for r in timed_out) == 5, [(r.function, r.status, r.batch) for r in timed_out]


def _waiting(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_destroy_is_clean(session: Session) -> None:
    endpoints = session.endpoints
    if session.runner is not None:
        session.runner.stop()
        session.runner = None
    with ThreadPoolExecutor(len(session.workspaces)) as pool:
        results = list(pool.map(lambda ws: ws.destroy(), session.workspaces.values()))
    assert all(r.returncode == 0 for r in results)
    for workspace in session.workspaces.values():
        assert workspace.state_resources() == []
    session.workspaces = {}  # nothing left for the fixture's teardown to destroy
    lam, sqs, s3 = (aws_client(s, endpoints, session.region) for s in ("lambda", "sqs", "s3"))
    prefixes = ("emu-", "mini-")
    assert [f for f in lam.list_functions()["Functions"] if f["FunctionName"].startswith(prefixes)] == []
    assert [u for u in sqs.list_queues().get("QueueUrls", []) if u.rsplit("/", 1)[-1].startswith(prefixes)] == []
    assert [b for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(prefixes)] == []
