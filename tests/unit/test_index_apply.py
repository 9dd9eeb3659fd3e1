"""Search index behaviour event by event: fields, ordering by sequencer, a bounded history, deletes with the
version S3 serves read back, cleanup of outputs, authentic domain events, invalid events."""

from __future__ import annotations

import itertools
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from consumer_core.errors import PermanentError
from search_indexer.events import parse_index_event
from search_indexer.index import apply_event, clear_pending
from search_indexer.query import duplicates, get_image, images_of_owner
from search_indexer.state import DEFAULT_TOMBSTONE_TTL_SECONDS, HISTORY, Served
from search_indexer.table_schema import create_table
from tests.support import index_events
from tools import s3_events

BUCKET = "pipeline-uploads"
KEY = "uploads/alice/holiday/beach photo+1.jpg"
_tables = itertools.count()
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
NOTHING = Served(exists=False)


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


def thumbs(seq: str, version: str = "v1", **kw: Any) -> dict[str, Any]:
    return index_events.thumbnails_generated(obj(seq, version, **kw), index_events.thumbnail_keys(KEY, version))


def meta(seq: str, version: str = "v1", sha: str = SHA, **extra: Any) -> dict[str, Any]:
    return index_events.metadata_extracted(obj(seq, version), index_events.metadata_key(KEY, version), sha, **extra)


def derived(version: str) -> tuple[str, ...]:
    """The outputs reported for a version by thumbs() and meta(), sorted."""
    return tuple(sorted([*index_events.thumbnail_keys(KEY, version).values(), index_events.metadata_key(KEY, version)]))


def delete_marker(seq: str, marker: str = "dm1") -> dict[str, Any]:
    return s3_events.object_deleted(BUCKET, KEY, version_id=marker, sequencer=seq)


def version_delete(seq: str, version: str) -> dict[str, Any]:
    return s3_events.object_deleted(BUCKET, KEY, version_id=version, sequencer=seq, deletion_type="Permanently Deleted")


def served(version: str, size: int = 2048) -> Served:
    etag = s3_events.object_created(BUCKET, KEY)["detail"]["object"]["etag"]
    return Served(exists=True, version_id=version, etag=etag, size=size, last_modified="2026-11-27T10:00:00Z")


def settle(table: Any, outcome: Any) -> tuple[str, ...]:
    """What the service does after each event: delete the pending outputs, then forget them."""
    clear_pending(table, outcome.pk, set(outcome.pending_deletes))
    return outcome.pending_deletes


def item(table: Any) -> dict[str, Any]:
    return table.get_item(Key={"pk": f"s3://{BUCKET}/{KEY}"}, ConsistentRead=True)["Item"]


def test_upload_then_results_build_one_ready_record(table):
    outcome = apply_event(table, created("00A1"))
    assert (outcome.action, outcome.live) == ("changed", "v1")
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
    apply_event(table, meta("00A1", mime_type="image/jpeg"))
    record = get_image(table, BUCKET, KEY)
    assert record["status"] == "ready"
    assert record["content_type"] == "image/jpeg"
    assert record["sha256"] == SHA
    assert record["metadata"]["exposure_time"] == 0.004  # floats survive the Decimal round trip
    assert [t["size"] for t in record["thumbnails"]] == [512, 64]
    assert images_of_owner(table, "alice") == [record]
    assert duplicates(table, SHA) == [record]


def test_content_type_is_the_summary_mime_type_not_a_guess_from_the_format(table):
    apply_event(table, created("A1"))
    apply_event(table, meta("A1", format="JPEG", mime_type="image/webp"))  # only the summary's field decides
    assert get_image(table, BUCKET, KEY)["content_type"] == "image/webp"


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
    # v1's events arrive late: its sequencer "a1" is shorter and lower-case, and smaller once padded.
    late_rejection = index_events.image_rejected(obj("a1", "v1"), "metadata_extractor", "corrupt_image")
    for event in (created("a1", "v1"), thumbs("a1", "v1"), meta("a1", "v1"), late_rejection):
        outcome = apply_event(table, event)
        assert outcome.live == "v2" and outcome.pending_deletes == ()  # v1 is kept in the history
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


def test_repeated_overwrites_keep_the_item_bounded_and_delete_superseded_outputs(table):
    """946 overwrites once pushed the item past DynamoDB's 400 KB: now the history keeps HISTORY versions and
    every version that leaves it has its outputs deleted."""
    deleted: list[str] = []
    sizes = []
    for n in range(1, 41):
        seq, version = f"{n:04X}", f"v{n}"
        for event in (created(seq, version), thumbs(seq, version), meta(seq, version)):
            deleted.extend(settle(table, apply_event(table, event)))
        sizes.append(len(json.dumps(item(table), default=str)))
    assert get_image(table, BUCKET, KEY)["version_id"] == "v40"
    assert max(sizes[10:]) <= max(sizes[:10]) + 64, sizes  # bounded, not growing with the overwrites
    assert max(sizes) < 16_000
    assert sorted(deleted) == sorted(k for n in range(1, 41 - HISTORY) for k in derived(f"v{n}"))


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


@pytest.mark.parametrize("order", ["rejection first", "result first"])
def test_a_result_supersedes_its_consumers_rejection_of_the_same_version(table, order: str) -> None:
    """A redrive (or a reprocess) after a fix: the resizer rejected v1, then made its thumbnails. The record shows
    the thumbnails and no rejection, whichever event the index saw first; the extractor's rejection stands."""
    rejection = index_events.image_rejected(obj("A1"), "image_resizer", "object_too_large", "limit was 1 byte")
    later = [rejection, thumbs("A1")] if order == "rejection first" else [thumbs("A1"), rejection]
    for event in (created("A1"), *later):
        apply_event(table, event)
    record = get_image(table, BUCKET, KEY)
    assert (record["status"], record["rejections"]) == ("processing", {})
    assert record["thumbnails"]

    apply_event(table, index_events.image_rejected(obj("A1"), "metadata_extractor", "corrupt_image", "cut"))
    record = get_image(table, BUCKET, KEY)
    assert record["status"] == "rejected"
    assert record["rejections"] == {"metadata_extractor": {"reason": "corrupt_image", "message": "cut"}}
    apply_event(table, meta("A1"))
    assert (get_image(table, BUCKET, KEY)["status"], get_image(table, BUCKET, KEY)["rejections"]) == ("ready", {})


def test_delete_marker_removes_everything_queryable_and_lists_every_version_s_outputs(table):
    for event in (created("A1"), thumbs("A1"), meta("A1"), created("A2", "v2"), thumbs("A2", "v2"), meta("A2", "v2")):
        apply_event(table, event)
    outcome = apply_event(table, delete_marker("B0"))
    assert (outcome.action, outcome.live, outcome.bucket) == ("changed", None, BUCKET)
    assert outcome.pending_deletes == tuple(sorted(derived("v1") + derived("v2")))
    assert get_image(table, BUCKET, KEY) is None
    assert images_of_owner(table, "alice") == []
    assert duplicates(table, SHA) == []
    stored = item(table)
    assert stored["deleted"] is True and "owner" not in stored and "sha256" not in stored
    assert stored["expires_at"] == 1795773600 + DEFAULT_TOMBSTONE_TTL_SECONDS  # 2026-11-27T10:00:00Z + TTL
    # Until the service has deleted them, the outputs stay listed: a retried delete finds them again.
    assert apply_event(table, delete_marker("B0")).pending_deletes == outcome.pending_deletes
    settle(table, outcome)
    assert "pending_deletes" not in item(table)
    assert apply_event(table, delete_marker("B0")).stale


def test_late_events_do_not_resurrect_a_deleted_image_and_their_outputs_are_deleted(table):
    apply_event(table, created("A1"))
    apply_event(table, delete_marker("B0"))
    assert set(settle(table, apply_event(table, thumbs("A1")))) == set(index_events.thumbnail_keys(KEY, "v1").values())
    assert settle(table, apply_event(table, meta("A1"))) == (index_events.metadata_key(KEY, "v1"),)
    assert apply_event(table, created("A1")).live is None
    assert get_image(table, BUCKET, KEY) is None


def test_upload_after_delete_is_live_again_and_its_delete_lists_only_its_outputs(table):
    apply_event(table, created("A1"))
    settle(table, apply_event(table, thumbs("A1")))
    settle(table, apply_event(table, delete_marker("B0")))
    apply_event(table, thumbs("C0", "v3"))
    apply_event(table, created("C0", "v3"))
    assert get_image(table, BUCKET, KEY)["version_id"] == "v3"
    outcome = apply_event(table, delete_marker("D0", "dm2"))
    assert set(outcome.pending_deletes) == set(index_events.thumbnail_keys(KEY, "v3").values())


def test_permanent_delete_of_a_noncurrent_version_leaves_the_image(table):
    apply_event(table, created("A1", "v1"))
    apply_event(table, thumbs("A1", "v1"))
    apply_event(table, created("B1", "v2"))
    outcome = apply_event(table, version_delete("C0", "v1"), served=served("v2"))
    assert outcome.live == "v2"
    assert set(outcome.pending_deletes) == set(index_events.thumbnail_keys(KEY, "v1").values())
    assert get_image(table, BUCKET, KEY)["version_id"] == "v2"
    settle(table, outcome)
    # v1's results arriving now belong to a deleted version: their outputs are deleted.
    assert settle(table, apply_event(table, meta("A1", "v1"))) == (index_events.metadata_key(KEY, "v1"),)


def test_permanent_delete_of_the_current_version_shows_the_version_s3_serves_now(table):
    for event in (created("A1", "v1"), thumbs("A1", "v1"), meta("A1", "v1"), created("B1", "v2", size=9)):
        apply_event(table, event)
    apply_event(table, thumbs("B1", "v2"))
    outcome = apply_event(table, version_delete("C0", "v2"), served=served("v1"))
    assert outcome.live == "v1"
    assert set(outcome.pending_deletes) == set(index_events.thumbnail_keys(KEY, "v2").values())
    record = get_image(table, BUCKET, KEY)
    assert (record["version_id"], record["size"], record["status"], record["sha256"]) == ("v1", 2048, "ready", SHA)
    assert images_of_owner(table, "alice") == [record]


def test_permanent_delete_of_the_only_version_deletes_the_image(table):
    for event in (created("A1"), thumbs("A1"), meta("A1")):
        apply_event(table, event)
    outcome = apply_event(table, version_delete("C0", "v1"), served=NOTHING)
    assert (outcome.live, outcome.pending_deletes) == (None, derived("v1"))
    assert get_image(table, BUCKET, KEY) is None
    assert images_of_owner(table, "alice") == [] and duplicates(table, SHA) == []
    assert apply_event(table, version_delete("C0", "v1"), served=NOTHING).pending_deletes == derived("v1")


def test_a_served_version_older_than_the_history_needs_reprocessing(table):
    for n in range(1, HISTORY + 2):
        apply_event(table, created(f"A{n}", f"v{n}"))
    outcome = apply_event(table, version_delete("C0", f"v{HISTORY + 1}"), served=served("v0", size=5))
    record = get_image(table, BUCKET, KEY)
    assert outcome.live == "v0"
    assert (record["version_id"], record["size"], record["status"]) == ("v0", 5, "needs_reprocessing")


def test_permanent_delete_before_the_upload_event_wins(table):
    apply_event(table, version_delete("C0", "v1"), served=NOTHING)
    apply_event(table, created("A1", "v1"))
    assert set(apply_event(table, thumbs("A1", "v1")).pending_deletes) == set(
        index_events.thumbnail_keys(KEY, "v1").values()
    )
    assert get_image(table, BUCKET, KEY) is None


def test_unversioned_delete_at_the_same_sequencer_wins_as_moto_sends_it(table):
    """moto's stock server repeats one sequencer for every event of a key: a delete at an equal sequencer wins,
    in any order."""
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


def _other_upload_keys() -> dict[int, str]:
    return index_events.thumbnail_keys("uploads/bob/private.jpg", "v1")


@pytest.mark.parametrize(
    "forged",
    [
        index_events.thumbnails_generated(obj("A1"), _other_upload_keys()),  # another upload's thumbnails
        index_events.thumbnails_generated(obj("A1"), index_events.thumbnail_keys(KEY, "v9")),  # another version
        index_events.thumbnails_generated(obj("A1"), {64: "uploads/alice/holiday/beach photo+1.jpg"}),  # the upload
        index_events.thumbnails_generated(
            obj("A1"), {64: index_events.thumbnail_keys(KEY, "v1")[64].rsplit("/", 1)[0] + "/../../x/64.webp"}
        ),
        index_events.metadata_extracted(obj("A1"), index_events.metadata_key("uploads/bob/private.jpg", "v1"), SHA),
        index_events.metadata_extracted(obj("A1"), index_events.thumbnail_keys(KEY, "v1")[64], SHA),  # wrong prefix
    ],
    ids=["other-upload", "other-version", "the-upload-itself", "dot-dot", "other-metadata", "metadata-as-thumbnail"],
)
def test_forged_domain_events_change_nothing_and_delete_nothing(table, forged: dict[str, Any]) -> None:
    for event in (created("A1"), thumbs("A1"), meta("A1")):
        apply_event(table, event)
    before = table.scan(ConsistentRead=True)["Items"]
    with pytest.raises(PermanentError) as info:
        apply_event(table, forged)
    assert info.value.reason == "forged_event"
    assert table.scan(ConsistentRead=True)["Items"] == before
    # The delete that follows lists only the upload's own outputs.
    assert apply_event(table, delete_marker("B0")).pending_deletes == derived("v1")


def test_an_item_over_dynamodb_s_size_limit_is_a_permanent_error() -> None:
    class TooLarge:
        def get_item(self, **kwargs: Any) -> dict[str, Any]:
            return {}

        def put_item(self, **kwargs: Any) -> None:
            error = {"Code": "ValidationException", "Message": "Item size has exceeded the maximum allowed size"}
            raise ClientError({"Error": error}, "PutItem")

    with pytest.raises(PermanentError) as info:
        apply_event(TooLarge(), created("A1"))
    assert info.value.reason == "item_too_large"


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
        ({**thumbs("A1"), "source": "someone-else"}, "unsupported_event"),
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
        "wrong-source",
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
