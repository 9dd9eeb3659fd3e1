"""image_resizer's handler on moto: real images in S3, real event shapes, thumbnails written once, DLQ reasons."""

from __future__ import annotations

import io
from typing import Any

import boto3
import pytest
from PIL import Image

from tools import s3_events
from tools import testimages as images


@pytest.fixture
def resizer(aws, monkeypatch):
    monkeypatch.setenv("THUMBNAIL_PREFIX", "thumbnails/")
    monkeypatch.setenv("THUMBNAIL_SIZES", "512,256,128,64")
    monkeypatch.setenv("THUMBNAIL_FORMAT", "webp")
    from image_resizer import app
    from image_resizer.settings import resizer_settings

    resizer_settings.cache_clear()
    app.handler.__dict__.pop("_runtime", None)  # a fresh "cold start" per test, against this test's moto
    return app.handler


def upload(aws, key: str, body: bytes) -> dict[str, Any]:
    """Put the object for real and return the EventBridge event S3 would send for it."""
    response = boto3.client("s3").put_object(Bucket=aws.bucket, Key=key, Body=body)
    return s3_events.object_created(
        aws.bucket, key, size=len(body), etag=response["ETag"].strip('"'), version_id=response["VersionId"]
    )


def thumbnail_keys(aws) -> list[str]:
    return aws.keys("thumbnails/")


def test_batch_of_good_corrupt_and_duplicate_records(resizer, aws, lambda_context) -> None:
    photo = upload(aws, "uploads/alice/holiday photo.jpg", images.jpeg(1600, 1200))
    logo = upload(aws, "uploads/bob/logo+alpha.png", images.rgba_png(800, 600))
    truncated = upload(aws, "uploads/carol/broken.jpg", images.truncated_jpeg())
    text = upload(aws, "uploads/carol/notes.jpg", images.not_an_image())
    bomb = upload(aws, "uploads/mallory/bomb.png", images.bomb_png())
    duplicate = dict(photo, id="a-different-event-id-for-the-same-object")

    batch = s3_events.sqs_batch(photo, logo, truncated, duplicate, text, bomb)
    response = resizer(batch, lambda_context)

    assert response == {"batchItemFailures": []}, "permanent failures are not retried"
    keys = thumbnail_keys(aws)
    assert len(keys) == 8, "four sizes for each of the two good images, the duplicate not re-rendered"
    s3 = boto3.client("s3")
    for key in keys:
        head = s3.head_object(Bucket=aws.bucket, Key=key)
        assert head["ContentType"] == "image/webp"
        assert "immutable" in head["CacheControl"]
        assert key.endswith(("/512.webp", "/256.webp", "/128.webp", "/64.webp"))
        assert not key.startswith("uploads/"), "outputs can never match the upload rule"
    big = next(k for k in keys if k.endswith("/512.webp") and photo["detail"]["object"]["version-id"] in k)
    with Image.open(io.BytesIO(s3.get_object(Bucket=aws.bucket, Key=big)["Body"].read())) as thumb:
        assert thumb.size == (512, 384)

    reasons = {m["attributes"]["object_key"]: m["attributes"]["reason"] for m in aws.dlq_messages()}
    assert reasons == {
        "uploads/carol/broken.jpg": "corrupt_image",
        "uploads/carol/notes.jpg": "not_an_image",
        "uploads/mallory/bomb.png": "too_many_pixels",
    }
    events = aws.published_events()
    generated = [e for e in events if e["detail-type"] == "Thumbnails Generated"]
    rejected = [e for e in events if e["detail-type"] == "Image Rejected"]
    assert len(generated) == 2 and len(rejected) == 3
    photo_event = next(e for e in generated if e["detail"]["object"]["key"] == "uploads/alice/holiday photo.jpg")
    assert [t["size"] for t in photo_event["detail"]["thumbnails"]] == [512, 256, 128, 64]
    assert photo_event["detail"]["source"]["width"] == 1600


def test_size_from_the_event_is_checked_before_downloading(resizer, aws, lambda_context, monkeypatch) -> None:
    monkeypatch.setenv("MAX_OBJECT_BYTES", "1000")
    event = upload(aws, "uploads/alice/big.jpg", images.jpeg(800, 600))
    gets: list[str] = []
    from consumer_core import clients

    s3 = clients.client("s3")
    s3.meta.events.register("before-call.s3.GetObject", lambda **kwargs: gets.append("get"))

    response = resizer(event, lambda_context)

    assert response["reason"] == "object_too_large"
    assert gets == []
    assert thumbnail_keys(aws) == []


def test_object_deleted_before_processing_is_classified(resizer, aws, lambda_context) -> None:
    event = upload(aws, "uploads/alice/gone.jpg", images.jpeg(400, 300))
    boto3.client("s3").delete_object(
        Bucket=aws.bucket, Key="uploads/alice/gone.jpg", VersionId=event["detail"]["object"]["version-id"]
    )
    assert resizer(event, lambda_context)["reason"] == "object_not_found"
    assert [m["attributes"]["reason"] for m in aws.dlq_messages()] == ["object_not_found"]


def test_transient_s3_errors_become_batch_item_failures(resizer, aws, lambda_context) -> None:
    good = upload(aws, "uploads/alice/a.jpg", images.jpeg(400, 300))
    flaky = upload(aws, "uploads/alice/flaky.jpg", images.jpeg(400, 300))
    from botocore.exceptions import ClientError

    from consumer_core import clients

    def throttle(params, **kwargs):
        if params.get("Key") == "uploads/alice/flaky.jpg":
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "Reduce your request rate"}}, "GetObject")

    clients.client("s3").meta.events.register("provide-client-params.s3.GetObject", throttle)
    batch = s3_events.sqs_batch(good, flaky)
    response = resizer(batch, lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": batch["Records"][1]["messageId"]}]}
    assert aws.dlq_messages() == []
    assert len(thumbnail_keys(aws)) == 4


def test_new_version_gets_its_own_thumbnails(resizer, aws, lambda_context) -> None:
    first = upload(aws, "uploads/alice/avatar.png", images.rgba_png(300, 300))
    second = upload(aws, "uploads/alice/avatar.png", images.rgba_png(300, 300, seed=9))
    resizer(s3_events.sqs_batch(first, second, first), lambda_context)
    keys = thumbnail_keys(aws)
    # 300 px source: sizes >= 300 collapse to the original size (never upscaled), still one file per size.
    assert len(keys) == 8
    assert len({k.rsplit("/", 2)[1] for k in keys}) == 2, "one folder per version"


def test_jpeg_output_option(resizer, aws, lambda_context, monkeypatch) -> None:
    from image_resizer.settings import resizer_settings

    monkeypatch.setenv("THUMBNAIL_FORMAT", "jpeg")
    monkeypatch.setenv("THUMBNAIL_SIZES", "128")
    resizer_settings.cache_clear()
    resizer(upload(aws, "uploads/bob/logo.png", images.rgba_png(400, 200)), lambda_context)
    (key,) = thumbnail_keys(aws)
    assert key.endswith("/128.jpg")
    body = boto3.client("s3").get_object(Bucket=aws.bucket, Key=key)
    assert body["ContentType"] == "image/jpeg"
    with Image.open(io.BytesIO(body["Body"].read())) as thumb:
        assert thumb.mode == "RGB" and thumb.size == (128, 64)


@pytest.mark.parametrize(
    ("name", "value"),
    [("THUMBNAIL_PREFIX", "uploads/thumbs/"), ("THUMBNAIL_FORMAT", "gif"), ("THUMBNAIL_SIZES", "big")],
)
def test_bad_configuration_is_refused(name, value, monkeypatch) -> None:
    from image_resizer.settings import resizer_settings

    monkeypatch.setenv(name, value)
    resizer_settings.cache_clear()
    with pytest.raises(ValueError, match=name):
        resizer_settings()
    resizer_settings.cache_clear()


def emitted(stdout: str, name: str) -> list[tuple[float, dict[str, str]]]:
    """Each value of one metric in the EMF blobs Powertools printed, with the blob's dimension values."""
    import json

    found = []
    for line in stdout.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            if name in {m["Name"] for m in directive["Metrics"]}:
                dimensions = {d: blob[d] for group in directive["Dimensions"] for d in group}
                values = blob[name] if isinstance(blob[name], list) else [blob[name]]
                found += [(float(v), dimensions) for v in values]
    return found


def test_upload_to_thumbnails_latency_is_measured_from_the_s3_event(resizer, aws, lambda_context, capsys) -> None:
    import datetime

    from image_resizer.service import UPLOAD_TO_THUMBNAILS_METRIC

    photo = upload(aws, "uploads/alice/late.jpg", images.jpeg(400, 300))
    uploaded = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
    photo["time"] = uploaded.strftime("%Y-%m-%dT%H:%M:%SZ")  # as EventBridge writes it: whole seconds, UTC
    capsys.readouterr()

    assert resizer(s3_events.sqs_batch(photo), lambda_context) == {"batchItemFailures": []}
    assert resizer(s3_events.sqs_batch(dict(photo, id="again")), lambda_context) == {"batchItemFailures": []}

    (latency,) = emitted(capsys.readouterr().out, UPLOAD_TO_THUMBNAILS_METRIC)  # the replay emits none
    value, _ = latency
    assert 600_000 <= value < 600_000 + 3_600_000, "ten minutes (and the run), not a clock in another zone"
