"""Search index behaviour event by event: fields, ordering by sequencer, deletes and cleanup, invalid events."""

from __future__ import annotations

import itertools
import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from consumer_core.errors import PermanentError
from search_indexer.events import parse_index_event
from search_indexer.index import DEFAULT_TOMBSTONE_TTL_SECONDS, apply_event
from search_indexer.query import duplicates, get_image, images_of_owner
from search_indexer.table_schema import create_table
from tests.support import index_events, s3_events

BUCKET = "pipeline-uploads"
KEY = "uploads/alice/holiday/beach photo+1.jpg"
_tables = itertools.count()
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.fixture(scope="module")
def dynamodb():
    # One moto session per module (starting one costs ~0.4 s); every test gets its own table.
    with mock_aws():
        yield boto3.resource("dynamodb", region_name="us-east-1")


@pytest.fixture
def table(dynamodb):
    name = f"search-index-{next(_tables)}"
    create_table(dynamodb.meta.client, name)
    return dynamodb.Table(name)


def created(
    seq: str, version: str | None = "v1", *, key: str = KEY, size: int = 2048, time: str = "2026-11-27T10:00:00Z"
):
    event = s3_events.object_created(BUCKET, key, size=size, version_id=version, sequencer=seq)
    event["time"] = time
    return event


def obj(seq: str, version: str | None = "v1", *, key: str = KEY, time: str = "2026-11-27T10:00:00Z") -> dict[str, Any]:
    return index_events.object_ref(BUCKET, key, version_id=version, sequencer=seq, event_time=time, size=2048)


def thumbs(seq: str, version: str | None = "v1", **kw: Any) -> dict[str, Any]:
    keys = {s: f"thumbnails/d1g/{version}/{s}.webp" for s in (512, 64)}
    return index_events.thumbnails_generated(obj(seq, version, **kw), keys)


def meta(seq: str, version: str | None = "v1", sha: str = SHA, **kw: Any) -> dict[str, Any]:
    return index_events.metadata_extracted(obj(seq, version, **kw), f"metadata/d1g/{version}/metadata.json", sha)


def derived(version: str) -> tuple[str, ...]:
    """The outputs reported for a version by thumbs() and meta(), sorted."""
    thumbnails = [f"thumbnails/d1g/{version}/{size}.webp" for size in (512, 64)]
    return tuple(sorted([*thumbnails, f"metadata/d1g/{version}/metadata.json"]))


def test_upload_then_results_build_one_ready_record(table):
    assert apply_event(table, created("00A1")).action == "applied"
    record = get_image(table, BUCKET, KEY)
    assert record is not None
    assert (record["owner"], record["version_id"], record["size"], record["status"]) == (
        "alice",
        "v1",
        2048,
        "processing",
    )
    assert record["uploaded_at"] == "2026-11-27T10:00:00Z"
    assert record["etag"] == s3_events.object_created(BUCKET, KEY)["detail"]["object"]["etag"]

    apply_event(table, thumbs("00A1"))
    apply_event(table, meta("00A1"))
    record = get_image(table, BUCKET, KEY)
    assert record["status"] == "ready"
    assert record["content_type"] == "image/jpeg"
    assert record["sha256"] == SHA
    assert record["metadata"]["exposure_time"] == 0.004  # floats survive the Decimal round trip
    assert [t["size"] for t in record["thumbnails"]] == [512, 64]
    assert images_of_owner(table, "alice") == [record]
    assert duplicates(table, SHA) == [record]


def test_results_before_the_upload_event_are_kept_but_not_listed_until_it_arrives(table):
    apply_event(table, meta("00A1"))
    apply_event(table, thumbs("00A1"))
    assert get_image(table, BUCKET, KEY)["status"] == "pending"
    assert images_of_owner(table, "alice") == []  # no upload time yet: the owner index is sparse
    apply_event(table, created("00A1"))
    record = get_image(table, BUCKET, KEY)
    assert record["status"] == "ready"
    assert images_of_owner(table, "alice") == [record]


def test_older_version_never_overwrites_newer(table):
    apply_event(table, created("0B00", "v2", size=9))
    apply_event(table, thumbs("0B00", "v2"))
    # v1's events arrive late: its sequencer "A1" is shorter but lower-case and smaller once padded.
    late_rejection = index_events.image_rejected(obj("a1", "v1"), "metadata_extractor", "corrupt_image")
    for event in (created("a1", "v1"), thumbs("a1", "v1"), meta("a1", "v1"), late_rejection):
        outcome = apply_event(table, event)
        assert outcome.stale and outcome.keys_to_delete == ()
    record = get_image(table, BUCKET, KEY)
    assert (record["version_id"], record["size"], record["rejections"]) == ("v2", 9, {})
    assert "sha256" not in record


def test_newer_version_replaces_every_attribute_of_the_older(table):
    for event in (created("A1"), thumbs("A1"), meta("A1")):
        apply_event(table, event)
    apply_event(table, created("B2", "v2", size=7, time="2026-11-27T11:00:00Z"))
    record = get_image(table, BUCKET, KEY)
    assert (record["version_id"], record["size"], record["status"]) == ("v2", 7, "processing")
    assert "thumbnails" not in record and "sha256" not in record
    assert duplicates(table, SHA) == []


def test_rejections_are_recorded_per_consumer(table):
    apply_event(table, created("A1"))
    apply_event(table, index_events.image_rejected(obj("A1"), "image_resizer", "too_many_pixels", "120 MP"))
    apply_event(table, index_events.image_rejected(obj("A1"), "metadata_extractor", "too_many_pixels", "120 MP"))
    record = get_image(table, BUCKET, KEY)
    assert record["status"] == "rejected"
    assert record["rejections"] == {
        "image_resizer": {"reason": "too_many_pixels", "message": "120 MP"},
        "metadata_extractor": {"reason": "too_many_pixels", "message": "120 MP"},
    }


def test_delete_marker_removes_everything_queryable_and_returns_outputs(table):
    for event in (created("A1"), thumbs("A1"), meta("A1")):
        apply_event(table, event)
    deleted = s3_events.object_deleted(BUCKET, KEY, version_id="dm1", sequencer="B0")
    outcome = apply_event(table, deleted)
    assert (outcome.action, outcome.bucket, outcome.keys_to_delete) == ("deleted", BUCKET, derived("v1"))
    assert get_image(table, BUCKET, KEY) is None
    assert images_of_owner(table, "alice") == []
    assert duplicates(table, SHA) == []
    item = table.get_item(Key={"pk": f"s3://{BUCKET}/{KEY}"})["Item"]
    # A tombstone without owner, hash, metadata or thumbnails, that expires; it remembers the outputs to delete.
    assert set(item) == {
        "pk",
        "bucket",
        "key",
        "seq",
        "deleted",
        "deletion",
        "deleted_at",
        "expires_at",
        "derived_keys",
    }
    assert item["expires_at"] == 1795773600 + DEFAULT_TOMBSTONE_TTL_SECONDS  # 2026-11-27T10:00:00Z + TTL

    # A retried delete (the handler failed before cleaning up) lists the same outputs again; nothing else changes.
    assert apply_event(table, deleted).keys_to_delete == derived("v1")
    assert table.get_item(Key={"pk": f"s3://{BUCKET}/{KEY}"})["Item"] == item


def test_late_events_do_not_resurrect_a_deleted_image_and_their_outputs_are_deleted(table):
    apply_event(table, created("A1"))
    apply_event(table, s3_events.object_deleted(BUCKET, KEY, version_id="dm1", sequencer="B0"))
    late_thumbs = apply_event(table, thumbs("A1"))
    assert late_thumbs.stale and late_thumbs.keys_to_delete == derived("v1")[1:]
    assert apply_event(table, meta("A1")).keys_to_delete == ("metadata/d1g/v1/metadata.json",)
    assert apply_event(table, created("A1")).stale
    assert get_image(table, BUCKET, KEY) is None


def test_upload_after_delete_is_live_again_and_its_delete_lists_only_its_outputs(table):
    apply_event(table, created("A1"))
    apply_event(table, thumbs("A1"))
    apply_event(table, s3_events.object_deleted(BUCKET, KEY, version_id="dm1", sequencer="B0"))
    apply_event(table, thumbs("C0", "v3"))
    apply_event(table, created("C0", "v3"))
    assert get_image(table, BUCKET, KEY)["version_id"] == "v3"
    outcome = apply_event(table, s3_events.object_deleted(BUCKET, KEY, version_id="dm2", sequencer="D0"))
    assert outcome.keys_to_delete == derived("v3")[1:]


def test_permanent_delete_of_a_noncurrent_version_leaves_the_image(table):
    apply_event(table, created("A1", "v1"))
    apply_event(table, created("B1", "v2"))
    gone = s3_events.object_deleted(BUCKET, KEY, version_id="v1", sequencer="C0", deletion_type="Permanently Deleted")
    assert apply_event(table, gone).action == "recorded"
    assert get_image(table, BUCKET, KEY)["version_id"] == "v2"
    # v1's results arriving now belong to a deleted version: their outputs are deleted.
    assert apply_event(table, thumbs("A1", "v1")).keys_to_delete == derived("v1")[1:]


def test_permanent_delete_of_the_current_version_deletes_the_image(table):
    for event in (created("A1"), thumbs("A1"), meta("A1")):
        apply_event(table, event)
    gone = s3_events.object_deleted(BUCKET, KEY, version_id="v1", sequencer="C0", deletion_type="Permanently Deleted")
    outcome = apply_event(table, gone)
    assert (outcome.action, outcome.keys_to_delete) == ("deleted", derived("v1"))
    assert get_image(table, BUCKET, KEY) is None
    assert images_of_owner(table, "alice") == [] and duplicates(table, SHA) == []
    assert apply_event(table, gone).keys_to_delete == derived("v1")  # retried: same outputs listed


def test_permanent_delete_before_the_upload_event_wins(table):
    gone = s3_events.object_deleted(BUCKET, KEY, version_id="v1", sequencer="C0", deletion_type="Permanently Deleted")
    apply_event(table, gone)
    apply_event(table, created("A1", "v1"))
    assert apply_event(table, thumbs("A1", "v1")).keys_to_delete == derived("v1")[1:]
    assert get_image(table, BUCKET, KEY) is None


def test_unversioned_delete_at_the_same_sequencer_wins_as_moto_sends_it(table):
    """moto repeats one sequencer for every event of a key: a delete at an equal sequencer wins, in any order."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        events = boto3.client("events", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_notification_configuration(
            Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        queue = sqs.create_queue(QueueName="q")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = {"source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"]}
        events.put_rule(Name="r", EventPattern=json.dumps(pattern))
        events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"x")
        s3.delete_object(Bucket=BUCKET, Key=KEY)
        bodies = [
            json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        ]
    assert [b["detail-type"] for b in bodies] == ["Object Created", "Object Deleted"]
    put, delete = bodies
    assert put["detail"]["object"]["sequencer"] == delete["detail"]["object"]["sequencer"]

    for order in ([put, delete], [delete, put]):
        table.delete_item(Key={"pk": f"s3://{BUCKET}/{KEY}"})
        for event in order:
            apply_event(table, event)
        assert get_image(table, BUCKET, KEY) is None


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (s3_events.object_created(BUCKET, "avatars/alice.jpg"), "invalid_event"),
        (s3_events.object_created(BUCKET, "uploads/alice.jpg"), "invalid_event"),
        (s3_events.object_created(BUCKET, "uploads//x.jpg"), "invalid_event"),
        (s3_events.object_created(BUCKET, KEY, sequencer="xyz"), "invalid_event"),
        ({**thumbs("A1"), "detail": {**thumbs("A1")["detail"], "schema_version": "2.0"}}, "unsupported_event"),
        ({**thumbs("A1"), "detail": {**thumbs("A1")["detail"], "thumbnails": []}}, "invalid_event"),
        ({**meta("A1"), "detail": {**meta("A1")["detail"], "metadata": {"format": "JPEG"}}}, "invalid_event"),
        ({**thumbs("A1"), "detail-type": "Object Restored"}, "unsupported_event"),
        ("not an event", "invalid_event"),
    ],
    ids=[
        "outside-uploads",
        "no-owner-folder",
        "empty-owner",
        "bad-sequencer",
        "major-2",
        "no-thumbnails",
        "no-sha256",
        "unknown-type",
        "not-a-dict",
    ],
)
def test_invalid_events_are_permanent_errors(table, event: Any, reason: str):
    with pytest.raises(PermanentError) as info:
        apply_event(table, event)
    assert info.value.reason == reason
    assert table.scan()["Items"] == []


def test_identity_is_per_object_change_and_consumer_not_per_event_id():
    first, second = thumbs("A1"), thumbs("A1")
    assert first["id"] != second["id"]
    assert parse_index_event(first).identity == parse_index_event(second).identity
    rejected = [index_events.image_rejected(obj("A1"), c, "corrupt_image") for c in ("image_resizer", "x")]
    assert len({parse_index_event(e).identity for e in rejected}) == 2
    assert parse_index_event(created("A1")).identity != parse_index_event(created("A2")).identity
