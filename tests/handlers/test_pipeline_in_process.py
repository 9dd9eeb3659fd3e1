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
from tests.support import s3_events
from tests.support.schemas import validate_event
from tools import testimages as images


@pytest.fixture
def handlers(aws, monkeypatch):
    from image_resizer import app as resizer_app
    from metadata_extractor import app as extractor_app
    from search_indexer import app as indexer_app

    for module in (resizer_app, extractor_app, indexer_app):
        module.handler._entry = None  # fresh cold start against this test's moto
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
