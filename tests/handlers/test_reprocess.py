"""Reprocess requests through the three handlers on moto, in-process: a reprocess run is never swallowed by
idempotency, a run processes each object once, its results replace the live upload's in the index (whatever the
order), and the rare cases (overwritten since the listing, a rejection fixed by a run) end where they should.

The choice these tests pin (consumer_core.reprocess, docs/reprocess.md): a request's idempotency key is the object
*and the run*, so a run regenerates every object once, and a request sent again within the run is replayed.
"""

from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import unquote

import boto3
import pytest

from search_indexer.query import get_image
from tests.support.reprocess import reprocess_request
from tests.support.schemas import validate_event
from tools import s3_events
from tools import testimages as images


@pytest.fixture
def handlers(aws):
    from image_resizer import app as resizer_app
    from metadata_extractor import app as extractor_app
    from search_indexer import app as indexer_app

    for module in (resizer_app, extractor_app, indexer_app):
        module.handler.__dict__.pop("_runtime", None)
    return resizer_app.handler, extractor_app.handler, indexer_app.handler


def upload(aws, key: str, body: bytes, sequencer: str) -> dict[str, Any]:
    response = boto3.client("s3").put_object(Bucket=aws.bucket, Key=key, Body=body)
    return s3_events.object_created(
        aws.bucket, key, size=len(body), etag=response["ETag"].strip('"'), version_id=response["VersionId"],
        sequencer=sequencer,
    )  # fmt: skip


def request_for(aws, created: dict[str, Any], run: str) -> dict[str, Any]:
    obj = created["detail"]["object"]
    return reprocess_request(aws.bucket, unquote(obj["key"]), etag=obj["etag"], size=obj["size"], run=run)


def statuses(handler, events, context) -> dict[str, Any]:
    """Invoke with one SQS batch; return the batch response."""
    return handler(s3_events.sqs_batch(*events), context)


def produce(handlers, events, context) -> None:
    resizer, extractor, _ = handlers
    assert statuses(resizer, events, context) == {"batchItemFailures": []}
    assert statuses(extractor, events, context) == {"batchItemFailures": []}


def index(handlers, events, context) -> dict[str, Any]:
    return statuses(handlers[2], events, context)


def use_jpeg_thumbnails(monkeypatch) -> None:
    """Change a setting that shapes the output, as a redeploy with thumbnail_format = "jpeg" would."""
    from image_resizer.settings import resizer_settings

    monkeypatch.setenv("THUMBNAIL_FORMAT", "jpeg")
    resizer_settings.cache_clear()


def thumbnail_keys(aws) -> set[str]:
    return set(aws.keys("thumbnails/"))


def test_a_run_regenerates_what_idempotency_would_replay(handlers, aws, lambda_context, monkeypatch) -> None:
    created = [
        upload(aws, "uploads/alice/beach.jpg", images.jpeg(900, 600, seed=4), "00000000000000000A"),
        upload(aws, "uploads/bob/logo+1.png", images.rgba_png(400, 300), "00000000000000000B"),
    ]
    produce(handlers, created, lambda_context)
    assert index(handlers, [*created, *aws.published_events()], lambda_context) == {"batchItemFailures": []}
    webp = thumbnail_keys(aws)
    assert len(webp) == 8 and all(key.endswith(".webp") for key in webp)

    use_jpeg_thumbnails(monkeypatch)
    # The live event again, within the idempotency TTL: replayed, nothing regenerated. This is what a reprocess
    # keyed on the object version alone would get.
    produce(handlers, created, lambda_context)
    assert thumbnail_keys(aws) == webp

    requests = [request_for(aws, event, run="jpeg-thumbnails") for event in created]
    for request in requests:
        validate_event(request)
    produce(handlers, requests, lambda_context)
    jpeg = thumbnail_keys(aws) - webp
    assert len(jpeg) == 8 and all(key.endswith(".jpg") for key in jpeg), "every image regenerated"
    results = aws.published_events()
    assert len(results) == 8, "live replays (2 x 2) and the run's results (2 x 2)"
    run_results = [e for e in results if "reprocess" in e["detail"]]
    assert len(run_results) == 4
    for event in run_results:
        validate_event(event)
        assert event["detail"]["reprocess"]["run"] == "jpeg-thumbnails"
        assert event["detail"]["object"]["sequencer"] == "0"
        assert event["detail"]["object"]["version_id"] in {c["detail"]["object"]["version-id"] for c in created}

    # The index takes the run's results over the live ones, in any order and with duplicates.
    deliveries = results + random.Random(7).sample(results, k=3)
    random.Random(7).shuffle(deliveries)
    assert index(handlers, deliveries, lambda_context) == {"batchItemFailures": []}
    table = boto3.resource("dynamodb").Table(aws.search_index_table)
    for event in created:
        key = unquote(event["detail"]["object"]["key"])
        record = get_image(table, aws.bucket, key)
        assert record["status"] == "ready"
        assert {t["format"] for t in record["thumbnails"]} == {"jpeg"}
    assert aws.dlq_messages() == []

    # The same run again (a redriven batch, a restarted run): replayed, processed once.
    produce(handlers, requests, lambda_context)
    assert thumbnail_keys(aws) == webp | jpeg
    replayed = aws.published_events()
    assert sorted(json.dumps(e["detail"], sort_keys=True) for e in replayed) == sorted(
        json.dumps(e["detail"], sort_keys=True) for e in run_results
    ), "a replay announces the same results, generation included"


def test_every_run_is_processed_even_with_nothing_changed(handlers, aws, lambda_context) -> None:
    created = upload(aws, "uploads/carol/a.jpg", images.jpeg(300, 200), "0000000000000000C0")
    produce(handlers, [created], lambda_context)
    aws.published_events()
    s3 = boto3.client("s3")
    first = [s3.head_object(Bucket=aws.bucket, Key=key)["LastModified"] for key in aws.keys("thumbnails/")]

    produce(handlers, [request_for(aws, created, run="second-run")], lambda_context)
    produce(handlers, [request_for(aws, created, run="third-run")], lambda_context)
    runs = [e["detail"]["reprocess"]["run"] for e in aws.published_events()]
    assert sorted(runs) == ["second-run", "second-run", "third-run", "third-run"]
    versions = boto3.client("s3").list_object_versions(Bucket=aws.bucket, Prefix="thumbnails/")["Versions"]
    assert len(versions) == 3 * len(first), "each run wrote every thumbnail again"


def test_an_object_overwritten_since_the_listing_is_skipped(handlers, aws, lambda_context) -> None:
    created = upload(aws, "uploads/dave/a.jpg", images.jpeg(300, 200), "0000000000000000D0")
    stale = request_for(aws, created, run="late")
    upload(aws, "uploads/dave/a.jpg", images.jpeg(320, 200, seed=9), "0000000000000000D1")
    produce(handlers, [stale], lambda_context)
    assert aws.keys("thumbnails/") == [] and aws.published_events() == [] and aws.dlq_messages() == []


def test_a_run_withdraws_a_rejection_it_fixes(handlers, aws, lambda_context, monkeypatch) -> None:
    big = images.jpeg(1200, 1000)
    monkeypatch.setenv("MAX_OBJECT_BYTES", str(len(big) - 1))
    from consumer_core import config

    config.core_settings.cache_clear()
    created = upload(aws, "uploads/erin/big.jpg", big, "0000000000000000E0")
    produce(handlers, [created], lambda_context)
    assert {m["attributes"]["reason"] for m in aws.dlq_messages()} == {"object_too_large"}
    index(handlers, [created, *aws.published_events()], lambda_context)
    table = boto3.resource("dynamodb").Table(aws.search_index_table)
    assert get_image(table, aws.bucket, "uploads/erin/big.jpg")["status"] == "rejected"

    monkeypatch.setenv("MAX_OBJECT_BYTES", str(len(big)))  # the limit raised
    config.core_settings.cache_clear()
    produce(handlers, [request_for(aws, created, run="raised-limit")], lambda_context)
    index(handlers, aws.published_events(), lambda_context)
    record = get_image(table, aws.bucket, "uploads/erin/big.jpg")
    assert record["status"] == "ready" and record["rejections"] == {}


def test_a_result_about_a_version_the_index_never_saw_is_retried(handlers, aws, lambda_context) -> None:
    created = upload(aws, "uploads/fred/a.jpg", images.jpeg(300, 200), "0000000000000000F0")
    produce(handlers, [request_for(aws, created, run="backfill")], lambda_context)
    results = aws.published_events()
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError, match="All records failed"):
        index(handlers, results, lambda_context)  # S3 serves that version: its upload event is awaited
    # Once the upload is indexed, the same results find their version.
    assert index(handlers, [created], lambda_context) == {"batchItemFailures": []}
    assert index(handlers, results, lambda_context) == {"batchItemFailures": []}
    table = boto3.resource("dynamodb").Table(aws.search_index_table)
    assert get_image(table, aws.bucket, "uploads/fred/a.jpg")["status"] == "ready"


def test_a_result_about_a_version_deleted_since_is_cleaned_up(handlers, aws, lambda_context) -> None:
    created = upload(aws, "uploads/gina/a.jpg", images.jpeg(300, 200), "000000000000000010")
    produce(handlers, [request_for(aws, created, run="backfill")], lambda_context)
    results = aws.published_events()
    assert aws.keys("thumbnails/") and aws.keys("metadata/")
    boto3.client("s3").delete_object(Bucket=aws.bucket, Key="uploads/gina/a.jpg")  # a delete marker
    assert index(handlers, results, lambda_context) == {"batchItemFailures": []}
    assert aws.keys("thumbnails/") == [] and aws.keys("metadata/") == [], "outputs of a dead version are deleted"


def test_the_indexer_rederives_a_record_on_request(handlers, aws, lambda_context) -> None:
    created = upload(aws, "uploads/hal/a.jpg", images.jpeg(300, 200), "000000000000000020")
    produce(handlers, [created], lambda_context)
    index(handlers, [created, *aws.published_events()], lambda_context)
    table = boto3.resource("dynamodb").Table(aws.search_index_table)
    before = table.get_item(Key={"pk": f"s3://{aws.bucket}/uploads/hal/a.jpg"})["Item"]
    request = request_for(aws, created, run="reindex")
    assert index(handlers, [request, request], lambda_context) == {"batchItemFailures": []}
    assert table.get_item(Key={"pk": f"s3://{aws.bucket}/uploads/hal/a.jpg"})["Item"] == before, "nothing to change"
    never_indexed = reprocess_request(aws.bucket, "uploads/hal/other.jpg", etag="abc", size=10, run="reindex")
    assert index(handlers, [never_indexed], lambda_context) == {"batchItemFailures": []}
    assert "Item" not in table.get_item(Key={"pk": f"s3://{aws.bucket}/uploads/hal/other.jpg"})
