"""The search index with reprocess runs (search_indexer.state): results of a run name their version, not its rank;
per version and result type the newest generation wins; and the record is the same whatever the order and the
duplicates of the live events and of any number of runs' events.

Runs here change the thumbnail format (new output names), re-extract metadata, or reject what the live upload
processed and the other way round."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumer_core.naming import derived_key
from search_indexer import state as states
from search_indexer.events import parse_index_event
from search_indexer.index import apply_event
from search_indexer.record import status_of
from tests.support import index_events as ev
from tests.support.memory_table import MemoryTable
from tests.support.schemas import validate_event

BUCKET, KEY, TOKEN = "photos", "uploads/alice/a.jpg", "v1"
PK = f"s3://{BUCKET}/{KEY}"
LIVE = ev.object_ref(BUCKET, KEY, version_id=TOKEN, sequencer="0A", event_time="2026-11-27T10:00:00Z")


def as_reprocess(event: dict[str, Any], run: str, generated_at: str) -> dict[str, Any]:
    """The same result as a run produces it: sequencer "0", the run's mark, schema 1.1."""
    detail = {**event["detail"], "schema_version": "1.1", "reprocess": {"run": run, "generated_at": generated_at}}
    detail["object"] = {**detail["object"], "sequencer": "0"}
    return {**event, "detail": detail}


def thumbnails(fmt: str) -> dict[str, Any]:
    extension = {"webp": "webp", "jpeg": "jpg"}[fmt]
    keys = {size: derived_key("thumbnails/", KEY, TOKEN, f"{size}.{extension}") for size in (512, 64)}
    return ev.thumbnails_generated(LIVE, keys, fmt=fmt)


def metadata(sha: str) -> dict[str, Any]:
    return ev.metadata_extracted(LIVE, ev.metadata_key(KEY, TOKEN), sha)


CREATED = ev.s3_events.object_created(BUCKET, KEY, version_id=TOKEN, sequencer="0A")
# Live results, then two runs: the first makes JPEG thumbnails, the second (newer) WebP again and a new hash.
EVENTS = {
    "created": CREATED,
    "live thumbnails": thumbnails("webp"),
    "live metadata": metadata("a" * 64),
    "run1 thumbnails": as_reprocess(thumbnails("jpeg"), "run1", "2026-11-30T09:00:00.000Z"),
    "run1 metadata": as_reprocess(metadata("b" * 64), "run1", "2026-11-30T09:00:00.500Z"),
    "run2 thumbnails": as_reprocess(thumbnails("webp"), "run2", "2026-11-30T10:00:00.000Z"),
    "run2 metadata": as_reprocess(metadata("c" * 64), "run2", "2026-11-30T10:00:00.500Z"),
}


def apply_all(events: list[dict[str, Any]], table: MemoryTable | None = None) -> dict[str, Any]:
    table = table or MemoryTable()
    for event in events:
        apply_event(table, event)
    return table.items[PK]


def without_revision(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "rev"}


def test_reprocess_results_validate_and_get_keys_of_their_own() -> None:
    for event in EVENTS.values():
        validate_event(event)
    live, run = parse_index_event(EVENTS["live thumbnails"]), parse_index_event(EVENTS["run1 thumbnails"])
    assert live.identity != run.identity and run.identity.endswith("&reprocess=run1")
    assert run.generation == ("2026-11-30T09:00:00.000Z", "run1") and live.generation is None


@settings(max_examples=150, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=4))
def test_the_newest_generation_wins_in_any_order(rng: random.Random, duplicates: int) -> None:
    events = list(EVENTS.values())
    expected = apply_all(events)
    shuffled = events + [rng.choice(events) for _ in range(duplicates)]
    rng.shuffle(shuffled)
    # The upload event first only: results of a run about a version the record has no rank for wait for it.
    shuffled.remove(CREATED)
    got = apply_all([CREATED, *shuffled])
    assert without_revision(got) == without_revision(expected)
    assert {t["format"] for t in got["thumbnails"]} == {"webp"} and got["sha256"] == "c" * 64
    # Every name any generation wrote stays listed, to be deleted with the version.
    assert {k for k in got["versions"][TOKEN]["outputs"] if k.endswith(".jpg")}


def test_live_results_never_replace_a_run_s() -> None:
    item = apply_all([CREATED, EVENTS["run1 thumbnails"], EVENTS["live thumbnails"]])
    assert {t["format"] for t in item["thumbnails"]} == {"jpeg"}


def test_a_result_of_a_run_about_an_unknown_version_is_unranked() -> None:
    with pytest.raises(states.UnrankedResult):
        apply_all([EVENTS["run1 thumbnails"]])


@pytest.mark.parametrize(
    "served", [states.Served(exists=True, version_id="v2"), states.Served(exists=False)], ids=["overwritten", "deleted"]
)
def test_an_unknown_version_that_s3_no_longer_serves_is_dead(served: states.Served) -> None:
    transition = states.apply(None, parse_index_event(EVENTS["run1 thumbnails"]), served=served)
    written = {t["key"] for t in EVENTS["run1 thumbnails"]["detail"]["thumbnails"]}
    assert set(transition.state["pending_deletes"]) == written


def test_an_unknown_version_that_s3_serves_stays_unranked() -> None:
    with pytest.raises(states.UnrankedResult):
        states.apply(
            None, parse_index_event(EVENTS["run1 thumbnails"]), served=states.Served(exists=True, version_id=TOKEN)
        )


def test_a_newer_success_withdraws_a_rejection_and_a_newer_rejection_stands() -> None:
    rejected = ev.image_rejected(LIVE, "image_resizer", "unsupported_format")
    fixed = as_reprocess(thumbnails("jpeg"), "run1", "2026-11-30T09:00:00.000Z")
    item = apply_all([CREATED, rejected, fixed, EVENTS["live metadata"]])
    assert item["rejections"] == {} and status_of(item) == "ready"
    item = apply_all([CREATED, fixed, rejected, EVENTS["live metadata"]])
    assert item["rejections"] == {}, "the same state in the other order"

    rejection = ev.image_rejected(LIVE, "image_resizer", "too_complex")
    rejected_by_run2 = as_reprocess(rejection, "run2", "2026-11-30T10:00:00Z")
    item = apply_all([CREATED, fixed, rejected_by_run2, EVENTS["live metadata"]])
    assert item["rejections"]["image_resizer"]["reason"] == "too_complex" and status_of(item) == "rejected"


def test_a_reprocess_request_rederives_the_record_and_creates_none() -> None:
    from tests.support.reprocess import reprocess_request

    request = reprocess_request(BUCKET, KEY, etag="abc", size=10, run="reindex")
    table = MemoryTable()
    assert apply_event(table, request).action == "unchanged" and table.items == {}
    before = apply_all([CREATED, EVENTS["live thumbnails"]], table)
    assert apply_event(table, request).action == "unchanged"
    assert table.items[PK] == before
