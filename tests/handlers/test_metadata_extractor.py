"""metadata_extractor's handler on moto: one JSON document per image version, GPS opt-in, DLQ reasons."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tools import s3_events
from tools import testimages as images


@pytest.fixture
def extractor(aws, monkeypatch):
    from metadata_extractor import app

    monkeypatch.setenv("METADATA_PREFIX", "metadata/")
    app.handler.__dict__.pop("_runtime", None)  # a fresh "cold start" per test, against this test's moto
    return app.handler


def upload(aws, key: str, body: bytes) -> dict[str, Any]:
    response = boto3.client("s3").put_object(Bucket=aws.bucket, Key=key, Body=body)
    return s3_events.object_created(
        aws.bucket, key, size=len(body), etag=response["ETag"].strip('"'), version_id=response["VersionId"]
    )


def documents(aws) -> dict[str, dict[str, Any]]:
    s3 = boto3.client("s3")
    found = {}
    for key in aws.keys("metadata/"):
        found[key] = json.loads(s3.get_object(Bucket=aws.bucket, Key=key)["Body"].read())
    return found


def test_batch_writes_one_document_per_version_and_keeps_rejects(extractor, aws, lambda_context) -> None:
    photo = upload(aws, "uploads/alice/IMG 0001.jpg", images.metadata_jpeg())
    rotated = upload(aws, "uploads/alice/rotated.jpg", images.oriented_jpeg(6, 400, 200))
    broken = upload(aws, "uploads/bob/broken.png", images.truncated_jpeg())
    batch = s3_events.sqs_batch(photo, rotated, broken, dict(photo, id="redelivered"))

    assert extractor(batch, lambda_context) == {"batchItemFailures": []}

    docs = documents(aws)
    assert len(docs) == 2
    by_key = {doc["object"]["key"]: doc for doc in docs.values()}
    rotated_doc = by_key["uploads/alice/rotated.jpg"]
    assert (rotated_doc["stored_width"], rotated_doc["stored_height"]) == (200, 400)
    assert (rotated_doc["width"], rotated_doc["height"]) == (400, 200), "orientation 6 swaps the displayed size"
    exif_photo = by_key["uploads/alice/IMG 0001.jpg"]
    assert exif_photo["has_gps"] is True
    assert "latitude" not in json.dumps(exif_photo), "coordinates only when INCLUDE_GPS_COORDINATES opts in"
    assert len(exif_photo["sha256"]) == 64
    assert [m["attributes"]["reason"] for m in aws.dlq_messages()] == ["corrupt_image"]

    extracted = [e for e in aws.published_events() if e["detail-type"] == "Image Metadata Extracted"]
    assert len(extracted) == 2
    summary = next(e for e in extracted if e["detail"]["object"]["key"] == "uploads/alice/IMG 0001.jpg")["detail"]
    assert summary["metadata_key"] in docs
    assert summary["metadata"]["sha256"] == exif_photo["sha256"]


def test_gps_coordinates_when_opted_in(extractor, aws, lambda_context, monkeypatch) -> None:
    from metadata_extractor.settings import extractor_settings

    monkeypatch.setenv("INCLUDE_GPS_COORDINATES", "true")
    extractor_settings.cache_clear()
    extractor(upload(aws, "uploads/alice/geo.jpg", images.metadata_jpeg()), lambda_context)
    (doc,) = documents(aws).values()
    text = json.dumps(doc)
    assert "latitude" in text and "longitude" in text


def test_overlapping_prefix_is_refused(monkeypatch) -> None:
    from metadata_extractor.settings import extractor_settings

    monkeypatch.setenv("METADATA_PREFIX", "uploads/meta/")
    extractor_settings.cache_clear()
    with pytest.raises(ValueError, match="METADATA_PREFIX"):
        extractor_settings()
    extractor_settings.cache_clear()
