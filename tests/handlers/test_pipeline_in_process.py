"""All three handlers together on moto, in-process: what the producers emit is what the indexer converges on.

Real images go to S3; the resizer and the extractor run on the S3 events; every event they publish is
validated against its JSON Schema; the indexer then receives S3 and domain events shuffled and duplicated,
and the index must say the same thing whatever the order. Deleting an upload must leave nothing behind.
"""

from __future__ import annotations

import random
from typing import Any

import boto3
import pytest

from search_indexer.query import duplicates, get_image, images_of_owner
from tests.support.schemas import validate_event
from tools import s3_events
from tools import testimages as images


@pytest.fixture
def handlers(aws, monkeypatch):
    from image_resizer import app as resizer_app
    from metadata_extractor import app as extractor_app
    from search_indexer import app as indexer_app

    for module in (resizer_app, extractor_app, indexer_app):
        module.handler.__dict__.pop("_runtime", None)  # a fresh cold start against this test's moto
    return resizer_app.handler, extractor_app.handler, indexer_app.handler


def upload(aws, key: str, body: bytes, sequencer: str) -> dict[str, Any]:
    response = boto3.client("s3").put_object(Bucket=aws.bucket, Key=key, Body=body)
    return s3_events.object_created(
        aws.bucket,
        key,
        size=len(body),
        etag=response["ETag"].strip('"'),
        version_id=response["VersionId"],
        sequencer=sequencer,
    )


def run_producers(handlers, events, context) -> list[dict[str, Any]]:
    resizer, extractor, _ = handlers
    assert resizer(s3_events.sqs_batch(*events), context) == {"batchItemFailures": []}
    assert extractor(s3_events.sqs_batch(*events), context) == {"batchItemFailures": []}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_index_converges_on_what_the_producers_emit(handlers, aws, lambda_context, seed: int) -> None:
    same_picture = images.jpeg(900, 600, seed=4)
    uploads = [
        upload(aws, "uploads/alice/beach.jpg", same_picture, "00000000000000000A"),
        upload(aws, "uploads/alice/copy of beach.jpg", same_picture, "00000000000000000B"),
        upload(aws, "uploads/bob/logo+1.png", images.rgba_png(400, 300), "00000000000000000C"),
        upload(aws, "uploads/bob/broken.jpg", images.truncated_jpeg(), "00000000000000000D"),
    ]
    run_producers(handlers, uploads, lambda_context)
    domain_events = aws.published_events()
    for event in [*uploads, *domain_events]:
        validate_event(event)
    assert sorted(e["detail-type"] for e in domain_events).count("Image Rejected") == 2  # both producers

    deliveries = [*uploads, *domain_events]
    deliveries += random.Random(seed).sample(deliveries, k=4)  # at-least-once: duplicates
    random.Random(seed).shuffle(deliveries)
    indexer = handlers[2]
    assert indexer(s3_events.sqs_batch(*deliveries), lambda_context) == {"batchItemFailures": []}

    table = boto3.resource("dynamodb").Table(aws.search_index_table)
    alice = images_of_owner(table, "alice")
    assert {r["key"] for r in alice} == {"uploads/alice/beach.jpg", "uploads/alice/copy of beach.jpg"}
    for record in alice:
        assert record["status"] == "ready"
        assert len(record["thumbnails"]) == 4
        assert record["metadata"]["width"] == 900
    assert len(duplicates(table, alice[0]["sha256"])) == 2
    broken = get_image(table, aws.bucket, "uploads/bob/broken.jpg")
    assert broken["status"] == "rejected"
    assert {r["reason"] for r in broken["rejections"].values()} == {"corrupt_image"}
    assert aws.dlq_messages(), "rejections are kept in the DLQ too"


def test_deleting_an_upload_leaves_nothing_behind(handlers, aws, lambda_context) -> None:
    created = upload(aws, "uploads/carol/avatar.jpg", images.jpeg(640, 640), "0000000000000000A0")
    other = upload(aws, "uploads/carol/keep.jpg", images.jpeg(320, 200), "0000000000000000A1")
    run_producers(handlers, [created, other], lambda_context)
    indexer = handlers[2]
    indexer(s3_events.sqs_batch(created, other, *aws.published_events()), lambda_context)
    outputs_before = aws.keys("thumbnails/") + aws.keys("metadata/")
    assert len(outputs_before) == 10

    marker = boto3.client("s3").delete_object(Bucket=aws.bucket, Key="uploads/carol/avatar.jpg")
    deleted = s3_events.object_deleted(
        aws.bucket, "uploads/carol/avatar.jpg", version_id=marker["VersionId"], sequencer="0000000000000000B0"
    )
    assert indexer(s3_events.sqs_batch(deleted, deleted), lambda_context) == {"batchItemFailures": []}

    table = boto3.resource("dynamodb").Table(aws.search_index_table)
    assert get_image(table, aws.bucket, "uploads/carol/avatar.jpg") is None
    assert [r["key"] for r in images_of_owner(table, "carol")] == ["uploads/carol/keep.jpg"]
    outputs_after = aws.keys("thumbnails/") + aws.keys("metadata/")
    assert len(outputs_after) == 5, "only the other image's 4 thumbnails and 1 metadata document remain"
    assert set(outputs_after) < set(outputs_before)


def versions_of(aws, prefix: str) -> list[tuple[str, str]]:
    """Every version and delete marker under `prefix`: what a deleted upload must not leave behind."""
    s3 = boto3.client("s3")
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=aws.bucket, Prefix=prefix):
        found += [(v["Key"], v["VersionId"]) for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]]
    return found


def index_all(handlers, aws, context, *events) -> None:
    indexer = handlers[2]
    assert indexer(s3_events.sqs_batch(*events, *aws.published_events()), context) == {"batchItemFailures": []}


def test_a_delete_removes_every_version_of_every_output(handlers, aws, lambda_context) -> None:
    created = upload(aws, "uploads/dana/avatar.jpg", images.jpeg(640, 480), "0000000000000000C0")
    run_producers(handlers, [created], lambda_context)
    index_all(handlers, aws, lambda_context, created)
    thumbnail = aws.keys("thumbnails/")[0]
    boto3.client("s3").put_object(Bucket=aws.bucket, Key=thumbnail, Body=b"rendered again")  # a second version
    assert len(versions_of(aws, "thumbnails/")) == 5

    marker = boto3.client("s3").delete_object(Bucket=aws.bucket, Key="uploads/dana/avatar.jpg")
    deleted = s3_events.object_deleted(
        aws.bucket, "uploads/dana/avatar.jpg", version_id=marker["VersionId"], sequencer="0000000000000000C1"
    )
    assert handlers[2](s3_events.sqs_batch(deleted), lambda_context) == {"batchItemFailures": []}
    assert versions_of(aws, "thumbnails/") == [] and versions_of(aws, "metadata/") == []


def test_a_permanent_delete_of_the_current_version_shows_the_version_s3_serves(handlers, aws, lambda_context) -> None:
    key = "uploads/erin/photo.jpg"
    first = upload(aws, key, images.jpeg(800, 600, seed=1), "0000000000000000D0")
    run_producers(handlers, [first], lambda_context)
    index_all(handlers, aws, lambda_context, first)
    second = upload(aws, key, images.jpeg(400, 300, seed=2), "0000000000000000D1")
    run_producers(handlers, [second], lambda_context)
    index_all(handlers, aws, lambda_context, second)
    table = boto3.resource("dynamodb").Table(aws.search_index_table)
    assert get_image(table, aws.bucket, key)["version_id"] == second["detail"]["object"]["version-id"]

    version = second["detail"]["object"]["version-id"]
    boto3.client("s3").delete_object(Bucket=aws.bucket, Key=key, VersionId=version)
    gone = s3_events.object_deleted(
        aws.bucket, key, version_id=version, sequencer="0000000000000000D2", deletion_type="Permanently Deleted"
    )
    assert handlers[2](s3_events.sqs_batch(gone), lambda_context) == {"batchItemFailures": []}

    record = get_image(table, aws.bucket, key)
    assert record["version_id"] == first["detail"]["object"]["version-id"]  # read back: what S3 serves now
    assert record["status"] == "ready" and record["metadata"]["width"] == 800
    assert all(t["key"] in aws.keys("thumbnails/") for t in record["thumbnails"])
    assert not any(version in k for k, _ in versions_of(aws, "thumbnails/")), "the deleted version's outputs are gone"


def test_a_forged_result_event_changes_nothing_and_deletes_nothing(handlers, aws, lambda_context) -> None:
    victim = upload(aws, "uploads/frank/private.jpg", images.jpeg(500, 400), "0000000000000000E0")
    forger = upload(aws, "uploads/mallory/mine.jpg", images.jpeg(300, 200), "0000000000000000E1")
    run_producers(handlers, [victim, forger], lambda_context)
    index_all(handlers, aws, lambda_context, victim, forger)
    table = boto3.resource("dynamodb").Table(aws.search_index_table)
    victims_outputs = sorted(t["key"] for t in get_image(table, aws.bucket, "uploads/frank/private.jpg")["thumbnails"])
    assert len(victims_outputs) == 4

    forged_object = dict(forger["detail"]["object"])
    forged = {
        "version": "0",
        "id": "forged-1",
        "detail-type": "Thumbnails Generated",
        "source": "image-pipeline",
        "account": s3_events.ACCOUNT,
        "time": forger["time"],
        "region": s3_events.REGION,
        "resources": [],
        "detail": {
            "schema_version": "1.0",
            "object": {
                "bucket": aws.bucket,
                "key": "uploads/mallory/mine.jpg",
                "version_id": forged_object["version-id"],
                "etag": forged_object["etag"],
                "size": forged_object["size"],
                "sequencer": forged_object["sequencer"],
                "event_time": forger["time"],
            },
            "thumbnails": [
                {"key": k, "size": 64, "width": 64, "height": 48, "format": "webp", "bytes": 1} for k in victims_outputs
            ],
            "source": {"width": 1, "height": 1, "format": "JPEG"},
        },
    }
    before_dlq = len(aws.dlq_messages())
    assert handlers[2](s3_events.sqs_batch(forged), lambda_context) == {"batchItemFailures": []}
    assert [m["attributes"]["reason"] for m in aws.dlq_messages()[before_dlq:]] == ["forged_event"]

    marker = boto3.client("s3").delete_object(Bucket=aws.bucket, Key="uploads/mallory/mine.jpg")
    deleted = s3_events.object_deleted(
        aws.bucket, "uploads/mallory/mine.jpg", version_id=marker["VersionId"], sequencer="0000000000000000E2"
    )
    assert handlers[2](s3_events.sqs_batch(deleted), lambda_context) == {"batchItemFailures": []}
    assert set(victims_outputs) <= set(aws.keys("thumbnails/")), "the victim's thumbnails are still there"
