"""Parsing S3 EventBridge events into typed models: shapes, key decoding, identity, rejections."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consumer_core.errors import PermanentError
from consumer_core.events import decode_key, parse_s3_event
from tools import s3_events


def test_parses_documented_object_created_event() -> None:
    event = s3_events.object_created("photos", "uploads/alice/cat.jpg", size=5, etag="b1946ac92492d2347c6235b4d2611184")
    parsed = parse_s3_event(event)
    assert parsed.detail_type == "Object Created"
    assert parsed.bucket == "photos"
    assert parsed.key == "uploads/alice/cat.jpg"
    assert parsed.size == 5
    assert parsed.etag == "b1946ac92492d2347c6235b4d2611184"
    assert parsed.version_id == "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
    assert parsed.sequencer == "0055AED6DCD90281E5"
    assert parsed.identity == "s3://photos/uploads/alice/cat.jpg?version=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"


def test_parses_documented_object_deleted_event() -> None:
    parsed = parse_s3_event(s3_events.object_deleted("photos", "uploads/alice/cat.jpg"))
    assert parsed.detail_type == "Object Deleted"
    assert parsed.deletion_type == "Delete Marker Created"
    assert parsed.size is None


def test_identity_is_the_object_not_the_event() -> None:
    first = parse_s3_event(s3_events.object_created("b", "uploads/a.jpg", event_id="id-1"))
    second = parse_s3_event(s3_events.object_created("b", "uploads/a.jpg", event_id="id-2"))
    new_version = parse_s3_event(s3_events.object_created("b", "uploads/a.jpg", version_id="v2"))
    assert first.identity == second.identity
    assert first.identity != new_version.identity


@pytest.mark.parametrize("version", [None, "null", ""])
def test_unversioned_objects_are_identified_by_etag(version: str | None) -> None:
    event = s3_events.object_created("b", "uploads/a.jpg", version_id=version, etag="abc123")
    parsed = parse_s3_event(event)
    assert parsed.version_id is None
    assert parsed.identity == "s3://b/uploads/a.jpg?etag=abc123"


def test_emulator_style_etag_field_is_accepted() -> None:
    event = s3_events.object_created("b", "uploads/a.jpg", version_id=None)
    event["detail"]["object"]["eTag"] = event["detail"]["object"].pop("etag")
    assert parse_s3_event(event).etag is not None


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        ("uploads/my%20photo.jpg", "uploads/my photo.jpg"),
        ("uploads/c++/a+b.jpg", "uploads/c++/a+b.jpg"),  # literal '+' is not a space
        ("uploads/c%2B%2B.jpg", "uploads/c++.jpg"),
        ("uploads/100%25.jpg", "uploads/100%.jpg"),
        ("uploads/%E5%86%99%E7%9C%9F/%C3%A9t%C3%A9.png", "uploads/写真/été.png"),
    ],
)
def test_key_decoding(encoded: str, expected: str) -> None:
    assert decode_key(encoded) == expected


def test_1024_byte_key_is_accepted_and_1025_rejected() -> None:
    key = "uploads/" + "é" * 508  # 8 + 1016 bytes = 1024
    assert len(key.encode()) == 1024
    assert parse_s3_event(s3_events.object_created("b", key)).key == key
    with pytest.raises(PermanentError) as info:
        parse_s3_event(s3_events.object_created("b", key + "x"))
    assert info.value.reason == "invalid_event"


@given(st.text(min_size=1, max_size=200).filter(lambda s: "\x00" not in s))
def test_any_key_round_trips_through_the_event(key: str) -> None:
    event = s3_events.object_created("b", key)
    assert parse_s3_event(event).key == key


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda e: e.pop("detail"), "invalid_event"),
        (lambda e: e["detail"]["object"].pop("key"), "invalid_event"),
        (lambda e: e["detail"]["object"].update(size="big"), "invalid_event"),
        (lambda e: e["detail"]["bucket"].update(name=7), "invalid_event"),
        (lambda e: e.update({"detail-type": "Object Tags Added"}), "unsupported_event"),
        (lambda e: e.update(source="custom.app"), "unsupported_event"),
        (lambda e: e["detail"]["object"].update(key="uploads/%FF%FE.jpg"), "invalid_event"),
        (lambda e: e["detail"]["object"].update(key=""), "invalid_event"),
    ],
)
def test_malformed_events_are_permanent_errors(mutate, reason: str) -> None:
    event = copy.deepcopy(s3_events.object_created("b", "uploads/a.jpg"))
    mutate(event)
    with pytest.raises(PermanentError) as info:
        parse_s3_event(event)
    assert info.value.reason == reason


@pytest.mark.parametrize("value", [None, [], "text", 42])
def test_non_object_events_are_rejected(value) -> None:
    with pytest.raises(PermanentError) as info:
        parse_s3_event(value)
    assert info.value.reason == "invalid_event"
