"""The search index converges: whatever the order and duplication of the events of many uploads, deletes and
results, the items equal those of applying the events once in order, and the records equal an independent model
of S3 (the version stack of each key). Cleanup deletes exactly the outputs of the versions that left the history,
never one of the live image's."""

from __future__ import annotations

import copy
import itertools
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from search_indexer.events import parse_index_event
from search_indexer.index import ItemRead, apply_event, clear_pending, read_item
from search_indexer.query import duplicates, get_image, images_of_owner
from search_indexer.state import HISTORY, Served
from search_indexer.table_schema import create_table
from tests.support import index_events
from tests.support.memory_table import MemoryTable
from tools import s3_events

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
        return index_events.thumbnail_keys(self.key, self.version_id, (256, 64))

    def metadata_key(self) -> str:
        return index_events.metadata_key(self.key, self.version_id)

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
        for step in range(draw(st.integers(1, 6))):
            seq += draw(st.integers(1, 2**40))
            clock += 1
            time = f"2026-11-27T10:{clock // 60:02d}:{clock % 60:02d}Z"
            kinds = ["put", "put", "delete_marker", "delete_version"] if versions else ["put", "delete_marker"]
            kind = "put" if step == 0 else draw(st.sampled_from(kinds))
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
                versions.remove(op.version_id)  # S3 deletes a version once
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


def stack(ops: list[Any], key: str) -> list[Any]:
    """S3's version stack of `key` after every op (oldest first): uploads and delete markers, minus the versions
    deleted for good."""
    mine = [op for op in ops if op.key == key]
    gone = {op.version_id for op in mine if isinstance(op, DeleteVersion)}
    return sorted(
        (op for op in mine if isinstance(op, (Put, DeleteMarker)) and op.version_id not in gone), key=lambda op: op.seq
    )


def served(ops: list[Any], key: str) -> Served:
    """What S3 serves for `key` once every op happened (the indexer's read-back, at the end of the scenario)."""
    top = (stack(ops, key) or [None])[-1]
    if not isinstance(top, Put):
        return Served(exists=False)
    etag = s3_events.object_created(BUCKET, key)["detail"]["object"]["etag"]
    return Served(exists=True, version_id=top.version_id, etag=etag, size=top.size, last_modified=top.time)


def history(ops: list[Any], key: str) -> list[Put]:
    """The versions whose outputs the index keeps: not deleted, newer than the last delete marker, and among the
    HISTORY newest uploads of the key (deleted ones count: they were uploads too)."""
    mine = [op for op in ops if op.key == key]
    puts = sorted((op for op in mine if isinstance(op, Put)), key=lambda op: op.seq, reverse=True)
    newest = {op.version_id for op in puts[:HISTORY]}
    markers = [op.seq for op in mine if isinstance(op, DeleteMarker)]
    return [
        op
        for op in stack(ops, key)
        if isinstance(op, Put) and op.version_id in newest and op.seq > max(markers, default=-1)
    ]


def expected_record(ops: list[Any], key: str) -> dict[str, Any] | None:
    """Independent model: the record shows what S3 serves; a version outside the history needs reprocessing."""
    top = (stack(ops, key) or [None])[-1]
    if not isinstance(top, Put):
        return None
    if top not in history(ops, key):
        return {
            "key": key,
            "version_id": top.version_id,
            "size": top.size,
            "uploaded_at": top.time,
            "has_thumbnails": False,
            "sha256": None,
            "rejections": {},
            "status": "needs_reprocessing",
        }
    rejections = {}
    if top.thumbnails == "rejected":
        rejections["image_resizer"] = {"reason": "corrupt_image", "message": "corrupt_image (image_resizer)"}
    if top.metadata == "rejected":
        rejections["metadata_extractor"] = {"reason": "corrupt_image", "message": "corrupt_image (metadata_extractor)"}
    return {
        "key": key,
        "version_id": top.version_id,
        "size": top.size,
        "uploaded_at": top.time,
        "has_thumbnails": top.thumbnails == "ok",
        "sha256": top.sha256 if top.metadata == "ok" else None,
        "rejections": rejections,
        "status": "rejected" if rejections else ("ready" if top.thumbnails == top.metadata == "ok" else "processing"),
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


def apply_all(
    table: Any, events: list[dict[str, Any]], ops: list[Any], stale_reads: st.DataObject | None = None
) -> set[str]:
    """Apply each event as the service does (read-back for version deletes, pending outputs deleted); returns
    every output deleted. With `stale_reads`, each event's first read is made ahead, and is any read of its item
    made since the start (as if other events changed the item between the read and the claim)."""
    deleted: set[str] = set()
    reads: dict[str, list[ItemRead]] = {}
    for event in events:
        version_delete = event["detail"].get("deletion-type") == "Permanently Deleted"
        key = unquote(event["detail"]["object"]["key"])  # S3 events carry keys percent-encoded
        read_ahead = None
        if stale_reads is not None:
            pk = parse_index_event(event).pk
            seen = reads.setdefault(pk, [(None, 0)])
            seen.append(copy.deepcopy(read_item(table, pk)))
            read_ahead = stale_reads.draw(st.sampled_from(seen), label="read ahead")
        outcome = apply_event(table, event, served=served(ops, key) if version_delete else None, read_ahead=read_ahead)
        deleted.update(outcome.pending_deletes)
        clear_pending(table, outcome.pk, set(outcome.pending_deletes))
    return deleted


def snapshot(table: Any, ops: list[Any]) -> dict[str, Any]:
    keys = sorted({op.key for op in ops})
    items = {
        item["pk"]: {k: v for k, v in item.items() if k != "rev"} for item in table.scan(ConsistentRead=True)["Items"]
    }
    return {
        "items": items,
        "records": {key: get_image(table, BUCKET, key) for key in keys},
        "owners": {owner: images_of_owner(table, owner) for owner in ("alice", "bob")},
        "duplicates": {h: duplicates(table, h) for h in HASHES},
    }


def new_table(dynamodb: Any) -> Any:
    name = f"search-index-{next(_tables)}"
    create_table(dynamodb.meta.client, name)
    return dynamodb.Table(name)


# The in-memory table makes an example cost milliseconds; the DynamoDB layer itself runs on moto in
# test_index_apply.py and in test_replaying_everything_changes_nothing below. Stress it after changing state.py:
# INDEX_EXAMPLES=5000 pytest tests/unit/test_index_convergence.py
@settings(
    max_examples=int(os.environ.get("INDEX_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scenario=scenarios(), data=st.data())
def test_index_converges_under_reordering_and_duplicates(dynamodb: Any, scenario: Scenario, data: st.DataObject):
    events = scenario.events
    dupes = data.draw(st.lists(st.sampled_from(events), max_size=len(events) // 2 + 1), label="duplicates")
    shuffled = data.draw(st.permutations(events + dupes), label="arrival order")

    in_order, shuffled_table, read_ahead_table = MemoryTable(), MemoryTable(), MemoryTable()
    deleted_in_order = apply_all(in_order, events, scenario.ops)
    deleted_shuffled = apply_all(shuffled_table, shuffled, scenario.ops)
    deleted_read_ahead = apply_all(read_ahead_table, shuffled, scenario.ops, stale_reads=data)

    expected = snapshot(in_order, scenario.ops)
    assert snapshot(shuffled_table, scenario.ops) == expected
    assert snapshot(read_ahead_table, scenario.ops) == expected, "a read made ahead, however stale, changes nothing"
    assert deleted_read_ahead == deleted_shuffled
    for key, record in expected["records"].items():
        assert summary(record) == expected_record(scenario.ops, key)

    # Owner listings are newest first and hold exactly the live images; deleted ones leave nothing queryable.
    for owner, records in expected["owners"].items():
        assert [r["uploaded_at"] for r in records] == sorted((r["uploaded_at"] for r in records), reverse=True)
        assert {r["key"] for r in records} == {
            k for k, r in expected["records"].items() if r is not None and r["owner"] == owner
        }

    # Cleanup: exactly the outputs of every version outside the history, in either order.
    for key in {op.key for op in scenario.ops}:
        puts = [op for op in scenario.ops if isinstance(op, Put) and op.key == key]
        produced = set().union(*(op.derived_keys() for op in puts))
        kept = set().union(*(op.derived_keys() for op in history(scenario.ops, key)))
        for deleted in (deleted_in_order, deleted_shuffled):
            mine = {k for k in deleted if k in produced}
            assert mine == produced - kept


def test_replaying_everything_changes_nothing(dynamodb: Any):
    """Every event applied a second time changes nothing: the table is byte-for-byte unchanged."""
    key = "uploads/alice/avatar.jpg"
    op = Put(key, 0x10, "v1", "2026-11-27T10:00:00Z", 10, HASHES[0], "ok", "ok")
    created = s3_events.object_created(BUCKET, key, size=10, version_id="v1", sequencer="10")
    created["time"] = op.time
    events = [created, *result_events(op, "10")]
    table = new_table(dynamodb)
    apply_all(table, events, [op])
    before = table.scan(ConsistentRead=True)["Items"]
    apply_all(table, events, [op])
    assert table.scan(ConsistentRead=True)["Items"] == before
