"""Reprocess requests as the consumers parse them (consumer_core.reprocess): keys as listings and S3 Inventory give
them, the run in the identity, and nothing malformed accepted."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from consumer_core.errors import PermanentError
from consumer_core.events import S3ObjectEvent
from consumer_core.reprocess import ReprocessRequest, parse_reprocess_request, parse_upload_event, with_mark
from tests.support.reprocess import reprocess_request
from tools import s3_events


def request(**changes: Any) -> dict[str, Any]:
    event = reprocess_request("bkt-1", "uploads/alice/a b+c.jpg", etag="abc123", size=10, run="run-1")
    event["detail"]["object"].update(changes)
    return event


def test_a_listed_object_is_taken_as_named() -> None:
    parsed = parse_reprocess_request(request())
    assert (parsed.bucket, parsed.key, parsed.etag, parsed.size, parsed.run) == (
        "bkt-1",
        "uploads/alice/a b+c.jpg",
        "abc123",
        10,
        "run-1",
    )
    assert parsed.identity == "s3://bkt-1/uploads/alice/a%20b%2Bc.jpg?etag=abc123&reprocess=run-1"
    assert parsed.context()["object_version"] == "abc123"


@pytest.mark.parametrize(
    "encoded", ["uploads%2Falice%2Fa+b%2Bc.jpg", "uploads/alice/a%20b%2Bc.jpg"], ids=["form", "percent"]
)
def test_an_inventory_key_is_decoded(encoded: str) -> None:
    assert parse_reprocess_request(request(key=encoded, key_encoding="url")).key == "uploads/alice/a b+c.jpg"


def test_runs_have_identities_of_their_own() -> None:
    one, other = request(), request()
    other["detail"]["run"] = "run-2"
    assert parse_reprocess_request(one).identity != parse_reprocess_request(other).identity


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (("detail", "run"), "../etc", "invalid_event"),
        (("detail", "run"), "", "invalid_event"),
        (("detail", "object", "key_encoding"), "base64", "invalid_event"),
        (("detail", "object", "key"), "uploads/%E0%A4%A.jpg", "invalid_event"),
        (("detail", "schema_version"), "2.0", "unsupported_event"),
        (("source",), "aws.s3", "unsupported_event"),
    ],
)
def test_malformed_requests_are_permanent(path: tuple[str, ...], value: Any, reason: str) -> None:
    event = request(key_encoding="url") if path[-1] == "key" else request()
    target = event
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    with pytest.raises(PermanentError) as caught:
        parse_reprocess_request(event)
    assert caught.value.reason == reason


def test_the_image_consumers_take_both_kinds() -> None:
    assert isinstance(parse_upload_event(request()), ReprocessRequest)
    assert isinstance(parse_upload_event(s3_events.object_created("bkt-1", "uploads/alice/a.jpg")), S3ObjectEvent)


def test_a_mark_goes_into_the_detail_only() -> None:
    item = {"detail_type": "Thumbnails Generated", "detail": {"schema_version": "1.1", "object": {}}}
    marked = with_mark(copy.deepcopy(item), {"run": "r", "generated_at": "t"})
    assert marked["detail"]["reprocess"] == {"run": "r", "generated_at": "t"} and "reprocess" not in item["detail"]
