"""The search index converges: whatever the order and duplication of the events of many uploads, deletes and
results, the records equal those of applying the events once in order, and equal an independent model of what
the final state must be. Cleanup never deletes the outputs of the image that is live at the end."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from search_indexer.index import apply_event
from search_indexer.query import duplicates, get_image, images_of_owner
from search_indexer.table_schema import create_table
from tests.support import index_events, s3_events

BUCKET = "pipeline-uploads"
REGION = "us-east-1"
HASHES = ["a" * 64, "b" * 64, "c" * 64]
_tables = itertools.count()


@pytest.fixture(scope="module")
def dynamodb():
    with mock_aws():
        yield boto3.resource("dynamodb", region_name=REGION)


@dataclass
class Put:
    key: str
    seq: int
    version_id: str
    time: str
    size: int
    sha256: str
    thumbnails: str  # "ok" | "rejected" | "missing" (the consumer has not reported yet)
    metadata: str

    def thumbnail_keys(self) -> dict[int, str]:
        # Derived names depend on key + version (image_resizer's rule), so versions never share outputs.
        return {size: f"thumbnails/{self.key}/{self.version_id}/{size}.webp" for size in (256, 64)}

    def metadata_key(self) -> str:
        return f"metadata/{self.key}/{self.version_id}.json"

    def derived_keys(self) -> set[str]:
        keys = set()
        if self.thumbnails == "ok":
            keys.update(self.thumbnail_keys().values())
        if self.metadata == "ok":
            keys.add(self.metadata_key())
        return keys


@dataclass
class DeleteMarker:
    key: str
    seq: int
    version_id: str
    time: str


@dataclass
class DeleteVersion:
    key: str
    seq: int
    version_id: str
    time: str


@dataclass
class Scenario:
    ops: list[Any]
    events: list[dict[str, Any]] = field(default_factory=list)


def render(seq: int, width: int, upper: bool) -> str:
    text = format(seq, "X" if upper else "x")
    return text.rjust(max(width, len(text)), "0")


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    names = draw(
        st.lists(
            st.sampled_from(["uploads/alice/avatar.jpg", "uploads/alice/a b+c%.png", "uploads/bob/photo.jpg"]),
            min_size=1,
            max_size=2,
            unique=True,
        )
    )
    ops: list[Any] = []
    events: list[dict[str, Any]] = []
    clock = 0
    for key in names:
        seq = draw(st.integers(0x0055AED6DCD9000000, 0x0055AED6DCD9FFFFFF))
        versions: list[str] = []
        for step in range(draw(st.integers(1, 4))):
            seq += draw(st.integers(1, 2**40))
            clock += 1
            time = f"2026-11-27T10:{clock // 60:02d}:{clock % 60:02d}Z"
            kind = "put" if step == 0 else draw(st.sampled_from(["put", "put", "delete_marker", "delete_version"]))
            # Sequencers are rendered with and without leading zeros, in either case (AWS vs emulators).
            sequencer = render(seq, draw(st.sampled_from([16, 18, 20])), draw(st.booleans()))
            if kind == "put":
                version_id = f"v{seq:x}"
                versions.append(version_id)
                op = Put(
                    key,
                    seq,
                    version_id,
                    time,
                    draw(st.integers(1, 10**6)),
                    draw(st.sampled_from(HASHES)),
                    draw(st.sampled_from(["ok", "ok", "rejected", "missing"])),
                    draw(st.sampled_from(["ok", "ok", "rejected", "missing"])),
                )
                created = s3_events.object_created(
                    BUCKET, key, size=op.size, version_id=version_id, sequencer=sequencer, reason="PutObject"
                )
                created["time"] = time
                events.append(created)
                events.extend(result_events(op, sequencer.lower() if draw(st.booleans()) else sequencer))
            elif kind == "delete_marker":
                op = DeleteMarker(key, seq, f"dm{seq:x}", time)
                deleted = s3_events.object_deleted(BUCKET, key, version_id=op.version_id, sequencer=sequencer)
                deleted["time"] = time
                events.append(deleted)
            else:
                op = DeleteVersion(key, seq, draw(st.sampled_from(versions)), time)
                deleted = s3_events.object_deleted(
                    BUCKET, key, version_id=op.version_id, sequencer=sequencer, deletion_type="Permanently Deleted"
                )
                deleted["time"] = time
                events.append(deleted)
            ops.append(op)
    return Scenario(ops, events)


def result_events(op: Put, sequencer: str) -> list[dict[str, Any]]:
    obj = index_events.object_ref(
        BUCKET, op.key, version_id=op.version_id, sequencer=sequencer, event_time=op.time, size=op.size
    )
    events = []
    if op.thumbnails == "ok":
        events.append(index_events.thumbnails_generated(obj, op.thumbnail_keys()))
    elif op.thumbnails == "rejected":
        events.append(index_events.image_rejected(obj, "image_resizer", "corrupt_image"))
    if op.metadata == "ok":
        events.append(index_events.metadata_extracted(obj, op.metadata_key(), op.sha256))
    elif op.metadata == "rejected":
        events.append(index_events.image_rejected(obj, "metadata_extractor", "corrupt_image"))
    return events


def expected_record(ops: list[Any], key: str) -> dict[str, Any] | None:
    """Independent model: the newest change of the key decides; a permanently deleted version is gone."""
    mine = [op for op in ops if op.key == key]
    deleted_versions = {op.version_id for op in mine if isinstance(op, DeleteVersion)}
    head = max((op for op in mine if not isinstance(op, DeleteVersion)), key=lambda op: op.seq)
    if isinstance(head, DeleteMarker) or head.version_id in deleted_versions:
        return None
    rejections = {}
    if head.thumbnails == "rejected":
        rejections["image_resizer"] = {"reason": "corrupt_image", "message": "corrupt_image (image_resizer)"}
    if head.metadata == "rejected":
        rejections["metadata_extractor"] = {"reason": "corrupt_image", "message": "corrupt_image (metadata_extractor)"}
    return {
        "key": key,
        "version_id": head.version_id,
        "size": head.size,
        "uploaded_at": head.time,
        "has_thumbnails": head.thumbnails == "ok",
        "sha256": head.sha256 if head.metadata == "ok" else None,
        "rejections": rejections,
        "status": "rejected" if rejections else ("ready" if head.thumbnails == head.metadata == "ok" else "processing"),
    }


def summary(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "key": record["key"],
        "version_id": record["version_id"],
        "size": record["size"],
        "uploaded_at": record["uploaded_at"],
        "has_thumbnails": bool(record.get("thumbnails")),
        "sha256": record.get("sha256"),
        "rejections": record["rejections"],
        "status": record["status"],
    }


def apply_all(table: Any, events: list[dict[str, Any]]) -> tuple[list[str], int]:
    deleted: list[str] = []
    stale = 0
    for event in events:
        outcome = apply_event(table, event)
        deleted.extend(outcome.keys_to_delete)
        stale += outcome.stale
    return deleted, stale


def snapshot(table: Any, ops: list[Any]) -> dict[str, Any]:
    keys = sorted({op.key for op in ops})
    return {
        "records": {key: get_image(table, BUCKET, key) for key in keys},
        "owners": {owner: images_of_owner(table, owner) for owner in ("alice", "bob")},
        "duplicates": {h: duplicates(table, h) for h in HASHES},
    }


def new_table(dynamodb: Any) -> Any:
    name = f"search-index-{next(_tables)}"
    create_table(dynamodb.meta.client, name)
    return dynamodb.Table(name)


# Each example applies ~40 conditional writes to moto twice (moto parses expressions slowly: ~10 ms each);
# 10 examples keep this test at a few seconds. Stress it after changing index.py: INDEX_EXAMPLES=500 pytest ...
@settings(
    max_examples=int(os.environ.get("INDEX_EXAMPLES", "10")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scenario=scenarios(), data=st.data())
def test_index_converges_under_reordering_and_duplicates(dynamodb: Any, scenario: Scenario, data: st.DataObject):
    events = scenario.events
    dupes = data.draw(st.lists(st.sampled_from(events), max_size=len(events) // 2 + 1), label="duplicates")
    shuffled = data.draw(st.permutations(events + dupes), label="arrival order")

    in_order, shuffled_table = new_table(dynamodb), new_table(dynamodb)
    deleted_in_order, _ = apply_all(in_order, events)
    deleted_shuffled, _ = apply_all(shuffled_table, shuffled)

    expected = snapshot(in_order, scenario.ops)
    assert snapshot(shuffled_table, scenario.ops) == expected
    for key, record in expected["records"].items():
        assert summary(record) == expected_record(scenario.ops, key)

    # Owner listings are newest first and hold exactly the live images; deleted ones leave nothing queryable.
    for owner, records in expected["owners"].items():
        assert [r["uploaded_at"] for r in records] == sorted((r["uploaded_at"] for r in records), reverse=True)
        assert {r["key"] for r in records} == {
            k for k, r in expected["records"].items() if r is not None and r["owner"] == owner
        }

    # Cleanup: never an output of a live image; every output of an image whose last change was a delete.
    puts = [op for op in scenario.ops if isinstance(op, Put)]
    for key, record in expected["records"].items():
        mine = [op for op in puts if op.key == key]
        if record is not None:
            live = next(op for op in mine if op.version_id == record["version_id"])
            assert not live.derived_keys() & (set(deleted_in_order) | set(deleted_shuffled))
        last = max((op for op in scenario.ops if op.key == key), key=lambda op: op.seq)
        if isinstance(last, DeleteMarker):
            produced = set().union(*(op.derived_keys() for op in mine))
            assert produced <= set(deleted_shuffled)
            assert produced <= set(deleted_in_order)


def test_replaying_everything_changes_nothing(dynamodb: Any):
    """Every event applied a second time is stale or a no-op: the table is byte-for-byte unchanged."""
    key = "uploads/alice/avatar.jpg"
    op = Put(key, 0x10, "v1", "2026-11-27T10:00:00Z", 10, HASHES[0], "ok", "ok")
    created = s3_events.object_created(BUCKET, key, size=10, version_id="v1", sequencer="10")
    created["time"] = op.time
    events = [created, *result_events(op, "10")]
    table = new_table(dynamodb)
    apply_all(table, events)
    before = table.scan(ConsistentRead=True)["Items"]
    apply_all(table, events)
    assert table.scan(ConsistentRead=True)["Items"] == before
