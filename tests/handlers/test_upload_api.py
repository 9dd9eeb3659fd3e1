"""The upload API's handler on moto, in-process: presigned POSTs into the caller's own folder only, the caller's
own images only, and clear refusals for everything else (modules/upload_api, docs/upload_api.md)."""

from __future__ import annotations

import base64
import datetime
import json
import re
from typing import Any

import boto3
import pytest
import requests

from consumer_core.imaging.formats import UPLOAD_CONTENT_TYPES
from tools import s3_events
from tools import testimages as images
from tools.http_events import http_api_event, http_api_response

MAX_BYTES = 5 * 1024 * 1024
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture
def api(aws, monkeypatch):
    from upload_api import app, signing
    from upload_api.settings import api_settings

    monkeypatch.setenv("UPLOAD_BUCKET", aws.bucket)
    monkeypatch.setenv("MAX_OBJECT_BYTES", str(MAX_BYTES))
    monkeypatch.setenv("UPLOAD_URL_EXPIRES_SECONDS", "120")
    api_settings.cache_clear()
    signing.s3.cache_clear()
    yield app.handler
    api_settings.cache_clear()
    signing.s3.cache_clear()


def call(handler, lambda_context, method: str, path: str, *, sub: str | None = "alice", body: Any = None, **kw):
    """(status, JSON body) of one request as API Gateway sends it after the JWT authorizer."""
    route = kw.pop("route", None)
    params = kw.pop("params", None)
    raw = body if isinstance(body, str) or body is None else json.dumps(body)
    claims = None if sub is None else {"sub": sub, "iss": "https://issuer.example", "aud": "web"}
    event = http_api_event(method, path, route_key=route, path_parameters=params, body=raw, claims=claims)
    status, _, payload = http_api_response(handler(event, lambda_context))
    return status, json.loads(payload) if payload else None


def image_call(handler, lambda_context, method: str, image_id: str, sub: str = "alice"):
    return call(
        handler,
        lambda_context,
        method,
        f"/images/{image_id}",
        sub=sub,
        route=f"{method} /images/{{id}}",
        params={"image_id": image_id},
    )


def post_policy(answer: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(answer["upload"]["fields"]["policy"]))


def test_a_presigned_post_pins_key_type_size_and_expiry(api, aws, lambda_context) -> None:
    status, answer = call(api, lambda_context, "POST", "/uploads", body={"content_type": "image/JPEG", "size": 1234})

    assert status == 201
    assert re.fullmatch(rf"{UUID}\.jpg", answer["id"])
    assert answer["key"] == f"uploads/alice/{answer['id']}"
    assert answer["content_type"] == "image/jpeg" and answer["max_bytes"] == MAX_BYTES
    fields = answer["upload"]["fields"]
    assert fields["key"] == answer["key"] and fields["Content-Type"] == "image/jpeg"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"  # never the deprecated SigV2
    policy = post_policy(answer)
    conditions = policy["conditions"]
    assert {"bucket": aws.bucket} in conditions
    assert {"key": answer["key"]} in conditions  # exact: not a starts-with the client could widen
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 1, MAX_BYTES] in conditions
    expires = datetime.datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    left = (expires - datetime.datetime.now(datetime.UTC)).total_seconds()
    assert 60 < left <= 120


def test_every_upload_gets_its_own_key(api, lambda_context) -> None:
    ids = {call(api, lambda_context, "POST", "/uploads", body={"content_type": "image/png"})[1]["id"] for _ in range(5)}
    assert len(ids) == 5 and all(i.endswith(".png") for i in ids)


def test_the_accepted_types_are_the_consumers_table() -> None:
    from upload_api.keys import ACCEPTED_CONTENT_TYPES, EXTENSIONS

    assert ACCEPTED_CONTENT_TYPES == UPLOAD_CONTENT_TYPES
    assert {"image/heic", "image/heif", "image/avif"} <= set(ACCEPTED_CONTENT_TYPES)
    assert EXTENSIONS["image/jpeg"] == "jpg" and EXTENSIONS["image/png"] == "png"
    assert EXTENSIONS["image/heic"] == "heic" and EXTENSIONS["image/avif"] == "avif"
    assert EXTENSIONS["image/heic-sequence"] == "heics" and EXTENSIONS["image/avif-sequence"] == "avifs"
    assert len(set(EXTENSIONS.values())) == len(EXTENSIONS)  # an id's extension names one content type


@pytest.mark.parametrize("content_type", UPLOAD_CONTENT_TYPES)
def test_every_accepted_type_is_signed_and_its_ids_are_readable(api, lambda_context, content_type: str) -> None:
    from upload_api.keys import EXTENSIONS

    status, answer = call(api, lambda_context, "POST", "/uploads", body={"content_type": content_type})
    assert status == 201 and answer["id"].endswith(f".{EXTENSIONS[content_type]}")
    assert {"Content-Type": content_type} in post_policy(answer)["conditions"]
    assert image_call(api, lambda_context, "GET", answer["id"])[1]["error"] == "not_found"  # a valid id, not indexed


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"content_type": "text/plain"}, 415, "unsupported_content_type"),
        ({"content_type": "image/svg+xml"}, 415, "unsupported_content_type"),
        ({"content_type": "image/png; charset=utf-8"}, 415, "unsupported_content_type"),
        ({"content_type": "image/png", "size": MAX_BYTES + 1}, 413, "too_large"),
        ({"content_type": "image/png", "key": "uploads/bob/mine.png"}, 400, "invalid_request"),
        ({"content_type": "image/png", "filename": "../../x.png"}, 400, "invalid_request"),
        ({"size": 10}, 400, "invalid_request"),
        ({"content_type": "image/png", "size": -1}, 400, "invalid_request"),
        ({"content_type": "image/png", "size": True}, 400, "invalid_request"),
        ("not json", 400, "invalid_request"),
        (["image/png"], 400, "invalid_request"),
    ],
)
def test_bad_upload_requests_are_refused_clearly(api, lambda_context, body, status, error) -> None:
    got, answer = call(api, lambda_context, "POST", "/uploads", body=body)
    assert (got, answer["error"]) == (status, error)
    assert answer["message"]
    if error == "unsupported_content_type":
        assert answer["accepted_content_types"] == list(UPLOAD_CONTENT_TYPES)
    if "key" in str(body):
        assert "the server chooses the key" in answer["message"]


def test_without_an_authenticated_subject_nothing_is_signed(api, lambda_context) -> None:
    status, answer = call(api, lambda_context, "POST", "/uploads", sub=None, body={"content_type": "image/png"})
    assert (status, answer["error"]) == (401, "not_authenticated")


@pytest.mark.parametrize("sub", ["a/b", "..", ".hidden", "", "x" * 129, "élan", "a b"])
def test_subjects_that_cannot_be_a_folder_are_refused(api, lambda_context, sub: str) -> None:
    status, answer = call(api, lambda_context, "POST", "/uploads", sub=sub, body={"content_type": "image/png"})
    assert status in (401, 403) and answer["error"] in ("not_authenticated", "unusable_subject")


def test_provider_style_subjects_name_a_folder(api, lambda_context) -> None:
    for sub in ("0f8e4b1c-2d3a-4e5f-8a9b-0c1d2e3f4a5b", "auth0|5f7c8ec7c33c6c004bbafe82", "109876543210987654321"):
        status, answer = call(api, lambda_context, "POST", "/uploads", sub=sub, body={"content_type": "image/gif"})
        assert status == 201 and answer["key"].startswith(f"uploads/{sub}/")


def upload_with(answer: dict[str, Any], data: bytes, content_type: str | None = None) -> requests.Response:
    fields = dict(answer["upload"]["fields"])
    if content_type:
        fields["Content-Type"] = content_type
    return requests.post(answer["upload"]["url"], data=fields, files={"file": ("x", data)}, timeout=10)


def process(aws, lambda_context, key: str) -> None:
    """The three consumers, in-process, on the upload's S3 event (the emulator tests run them for real)."""
    from image_resizer import app as resizer_app
    from metadata_extractor import app as extractor_app
    from search_indexer import app as indexer_app

    head = boto3.client("s3").head_object(Bucket=aws.bucket, Key=key)
    created = s3_events.object_created(
        aws.bucket, key, size=head["ContentLength"], etag=head["ETag"].strip('"'), version_id=head["VersionId"]
    )
    for module in (resizer_app, extractor_app):
        module.handler.__dict__.pop("_runtime", None)
        assert module.handler(s3_events.sqs_batch(created), lambda_context) == {"batchItemFailures": []}
    indexer_app.handler.__dict__.pop("_runtime", None)
    events = [created, *aws.published_events()]
    assert indexer_app.handler(s3_events.sqs_batch(*events), lambda_context) == {"batchItemFailures": []}


def test_upload_then_read_the_record_and_thumbnails(api, aws, lambda_context) -> None:
    status, answer = call(api, lambda_context, "POST", "/uploads", body={"content_type": "image/jpeg"})
    photo = images.jpeg(800, 600, seed=3)
    assert upload_with(answer, photo).status_code == 204
    assert boto3.client("s3").get_object(Bucket=aws.bucket, Key=answer["key"])["ContentType"] == "image/jpeg"

    assert image_call(api, lambda_context, "GET", answer["id"])[0] == 404  # not indexed yet
    process(aws, lambda_context, answer["key"])
    status, record = image_call(api, lambda_context, "GET", answer["id"])

    assert status == 200 and record["status"] == "ready" and record["id"] == answer["id"]
    assert record["metadata"]["width"] == 800 and record["content_type"] == "image/jpeg"
    assert [t["width"] for t in record["thumbnails"]] == [512, 256, 128, 64]
    fetched = requests.get(record["thumbnails"][-1]["url"], timeout=10)
    assert fetched.status_code == 200 and fetched.content[:4] == b"RIFF"


@pytest.mark.parametrize(
    ("content_type", "make"),
    [("image/heic", lambda: images.heic(640, 480, seed=5)), ("image/avif", lambda: images.avif(640, 480, seed=6))],
    ids=["heic", "avif"],
)
def test_phone_and_browser_formats_upload_and_are_processed(api, aws, lambda_context, content_type, make) -> None:
    status, answer = call(api, lambda_context, "POST", "/uploads", body={"content_type": content_type})
    assert status == 201
    assert upload_with(answer, make()).status_code == 204
    process(aws, lambda_context, answer["key"])
    status, record = image_call(api, lambda_context, "GET", answer["id"])
    assert status == 200 and record["status"] == "ready", record
    assert record["metadata"]["width"] == 640 and record["content_type"] == content_type
    assert [t["width"] for t in record["thumbnails"]] == [512, 256, 128, 64]


def test_other_users_cannot_read_or_delete_an_image(api, aws, lambda_context) -> None:
    _, answer = call(api, lambda_context, "POST", "/uploads", body={"content_type": "image/png"})
    assert upload_with(answer, images.rgba_png(64, 48)).status_code == 204
    process(aws, lambda_context, answer["key"])

    assert image_call(api, lambda_context, "GET", answer["id"], sub="bob")[1]["error"] == "not_found"
    assert image_call(api, lambda_context, "DELETE", answer["id"], sub="bob")[0] == 404
    assert boto3.client("s3").head_object(Bucket=aws.bucket, Key=answer["key"])  # still there

    assert image_call(api, lambda_context, "DELETE", answer["id"])[0] == 204
    versions = boto3.client("s3").list_object_versions(Bucket=aws.bucket, Prefix=answer["key"])
    assert [m["IsLatest"] for m in versions["DeleteMarkers"]] == [True]
    assert image_call(api, lambda_context, "DELETE", answer["id"])[0] == 404


@pytest.mark.parametrize(
    "image_id",
    [
        "x.jpg",
        "..%2Fbob%2F0f8e4b1c-2d3a-4e5f-8a9b-0c1d2e3f4a5b.jpg",
        "0F8E4B1C-2D3A-4E5F-8A9B-0C1D2E3F4A5B.jpg",
        "0f8e4b1c-2d3a-4e5f-8a9b-0c1d2e3f4a5b.exe",
        "0f8e4b1c-2d3a-4e5f-8a9b-0c1d2e3f4a5b",
        "0f8e4b1c-2d3a-4e5f-8a9b-0c1d2e3f4a5b.jpg.png",
        "%2e%2e",
    ],
)
def test_odd_image_ids_are_refused(api, lambda_context, image_id: str) -> None:
    for method in ("GET", "DELETE"):
        status, answer = image_call(api, lambda_context, method, image_id)
        assert (status, answer["error"]) == (400, "invalid_image_id")


def test_ids_with_a_slash_match_no_route(api, lambda_context) -> None:
    # API Gateway's {id} never spans a '/', so another folder cannot even be named.
    status, answer = call(api, lambda_context, "GET", "/images/../bob/0f8e4b1c-2d3a-4e5f-8a9b-0c1d2e3f4a5b.jpg")
    assert (status, answer["error"]) == (404, "no_route")


def test_thumbnail_urls_use_the_cloudfront_domain_when_given(api, aws, lambda_context, monkeypatch) -> None:
    from upload_api.settings import api_settings

    monkeypatch.setenv("THUMBNAIL_DOMAIN", "d111111abcdef8.cloudfront.net")
    api_settings.cache_clear()
    _, answer = call(api, lambda_context, "POST", "/uploads", body={"content_type": "image/png"})
    assert upload_with(answer, images.rgba_png(64, 48)).status_code == 204
    process(aws, lambda_context, answer["key"])
    record = image_call(api, lambda_context, "GET", answer["id"])[1]
    assert all(t["url"].startswith("https://d111111abcdef8.cloudfront.net/thumbnails/") for t in record["thumbnails"])


def test_unknown_routes_answer_404(api, lambda_context) -> None:
    status, answer = call(api, lambda_context, "GET", "/uploads")
    assert (status, answer["error"]) == (404, "no_route")


def test_the_snapstart_hook_primes_the_clients_without_a_call(api, aws) -> None:
    from consumer_core import clients
    from upload_api import signing, snapstart

    clients.client.cache_clear()
    signing.s3.cache_clear()
    snapstart.warm_up()  # presigning is local: nothing is sent
    assert signing.s3.cache_info().currsize == 1 and clients.client.cache_info().currsize == 1  # s3, dynamodb
