"""The upload API on the emulator (issue 13, part 1), on the session's applied stack: tokens from the local issuer
(tools/emulator/oidc.py, the authorizer's issuer), the API served by the runner from its deployed configuration,
presigned POSTs enforced by S3 (the `s3-post-policy` patch), the bucket policy by principal (`s3-policy-principal`).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import requests

from tools import testimages as images
from tools.emulator.discovery import aws_client
from tools.emulator.front_door import FrontDoor
from tools.emulator.oidc import LocalIssuer
from tools.emulator.session import EmulatorSession

# moto only: the upload API, the demo and the reprocess workflow are not compared on LocalStack core.
pytestmark = [pytest.mark.integration, pytest.mark.exclude_backends("localstack-core")]
TIMEOUT = 30


@pytest.fixture
def api(session: Any, backend: str) -> EmulatorSession:
    if backend != "moto":
        pytest.skip("the upload API is served by the embedded emulator's runner")
    return session


def stack(session: EmulatorSession) -> dict[str, Any]:
    return session.outputs["reference"]


def api_url(session: EmulatorSession) -> str:
    assert session.runner is not None
    return session.runner.api_urls[stack(session)["upload_api"]["api_id"]]


def local_api(session: EmulatorSession) -> Any:
    assert session.runner is not None
    (served,) = [a for a in session.runner.http_apis if a.api.api_id == stack(session)["upload_api"]["api_id"]]
    return served


def call(session: EmulatorSession, method: str, path: str, token: str | None, body: Any = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, api_url(session) + path, json=body, headers=headers, timeout=TIMEOUT)


def presign(session: EmulatorSession, token: str, content_type: str = "image/jpeg", size: int = 1000) -> dict[str, Any]:
    response = call(session, "POST", "/uploads", token, {"content_type": content_type, "size": size})
    assert response.status_code == 201, response.text
    return response.json()


def post_form(answer: dict[str, Any], data: bytes, **overrides: str) -> requests.Response:
    fields = {**answer["upload"]["fields"], **overrides}
    return requests.post(answer["upload"]["url"], data=fields, files={"file": ("photo", data)}, timeout=TIMEOUT)


def s3_error(response: requests.Response) -> str:
    return response.text.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in response.text else ""


def wait_for_record(session: EmulatorSession, token: str, image_id: str, statuses: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        session.settle(timeout_s=60)
        response = call(session, "GET", f"/images/{image_id}", token)
        if response.status_code == 200 and response.json()["status"] in statuses:
            return response.json()
        time.sleep(0.5)
    raise AssertionError(f"{image_id}: no record in {statuses}, last {response.status_code} {response.text}")


def consumer_invocations(session: EmulatorSession) -> int:
    assert session.runner is not None
    return len(session.runner.invocations)


def test_the_api_is_served_from_its_deployed_configuration(api: EmulatorSession, front_door: FrontDoor) -> None:
    served = local_api(api)
    assert {r.route_key for r in served.api.routes} == set(stack(api)["upload_api"]["route_keys"])
    assert {r.authorizer.issuer for r in served.api.routes if r.authorizer} == {front_door.issuer.url}
    assert {r.authorizer.audiences for r in served.api.routes if r.authorizer} == {(front_door.issuer.audience,)}
    # SnapStart is on, so API Gateway invokes the published alias.
    assert {r.function_arn.rsplit(":", 1)[1] for r in served.api.routes} == {"live"}
    assert served.api.cors["AllowOrigins"] == [front_door.page.origin]


def test_an_upload_through_the_api_reaches_the_pipeline(api: EmulatorSession, front_door: FrontDoor) -> None:
    token = front_door.issuer.token("api-alice")
    photo = images.jpeg(1200, 800, seed=13)
    answer = presign(api, token, "image/jpeg", len(photo))
    assert answer["key"] == f"uploads/api-alice/{answer['id']}"

    assert post_form(answer, photo).status_code == 204
    record = wait_for_record(api, token, answer["id"], {"ready"})

    assert record["metadata"]["width"] == 1200 and record["content_type"] == "image/jpeg"
    assert [t["width"] for t in record["thumbnails"]] == [512, 256, 128, 64]
    thumbnail = requests.get(record["thumbnails"][0]["url"], timeout=TIMEOUT)  # presigned by the API's role
    assert thumbnail.status_code == 200 and thumbnail.content[8:12] == b"WEBP"


def test_heic_and_avif_uploads_through_the_api_reach_the_pipeline(api: EmulatorSession, front_door: FrontDoor) -> None:
    """What phones (HEIC, often typed image/heif by iOS) and browsers (AVIF) send: signed, uploaded, processed."""
    token = front_door.issuer.token("api-frank")
    pictures = {
        "image/heif": images.heic(900, 600, seed=31),
        "image/avif": images.avif(600, 900, seed=32),
    }
    answers = {}
    for content_type, data in pictures.items():
        answers[content_type] = presign(api, token, content_type, len(data))
        assert post_form(answers[content_type], data).status_code == 204
    assert answers["image/heif"]["id"].endswith(".heif") and answers["image/avif"]["id"].endswith(".avif")

    heic = wait_for_record(api, token, answers["image/heif"]["id"], {"ready"})
    avif = wait_for_record(api, token, answers["image/avif"]["id"], {"ready"})
    # The record's type is what the consumers sniffed from the bytes, not the label the client chose.
    assert (heic["content_type"], heic["metadata"]["width"], heic["metadata"]["height"]) == ("image/heic", 900, 600)
    assert (avif["content_type"], avif["metadata"]["width"], avif["metadata"]["height"]) == ("image/avif", 600, 900)
    assert [(t["width"], t["height"]) for t in heic["thumbnails"]] == [(512, 341), (256, 171), (128, 85), (64, 43)]
    assert [max(t["width"], t["height"]) for t in avif["thumbnails"]] == [512, 256, 128, 64]
    for record in (heic, avif):
        thumbnail = requests.get(record["thumbnails"][-1]["url"], timeout=TIMEOUT)
        assert thumbnail.status_code == 200 and thumbnail.content[8:12] == b"WEBP"


def test_tokens_are_refused_before_the_function_runs(api: EmulatorSession, front_door: FrontDoor) -> None:
    issuer = front_door.issuer
    stranger = LocalIssuer(audience=issuer.audience).start()
    try:
        bad = {
            "none": None,
            "garbage": "not-a-jwt",
            "forged": issuer.forged_token("api-alice"),
            "expired": issuer.token("api-alice", expires_in=-60),
            "not yet valid": issuer.token("api-alice", nbf=int(time.time()) + 600),
            "other audience": issuer.token("api-alice", aud="someone-else"),
            "other issuer": stranger.token("api-alice"),
            "issuer claimed": stranger.token("api-alice", iss=issuer.url),
        }
        before = len(local_api(api).requests)
        for what, token in bad.items():
            response = call(api, "POST", "/uploads", token, {"content_type": "image/png"})
            assert (response.status_code, response.json()) == (401, {"message": "Unauthorized"}), what
        assert len(local_api(api).requests) == before, "the function ran for a refused token"
    finally:
        stranger.stop()
    # Cognito access tokens carry client_id instead of aud: accepted when it is an audience.
    cognito_style = issuer.token("api-alice", aud=None, client_id=issuer.audience)
    assert call(api, "POST", "/uploads", cognito_style, {"content_type": "image/png"}).status_code == 201


def test_other_users_cannot_read_overwrite_or_delete(api: EmulatorSession, front_door: FrontDoor) -> None:
    alice, bob = front_door.issuer.token("api-alice"), front_door.issuer.token("api-bob")
    picture = images.rgba_png(300, 200, seed=5)
    mine = presign(api, alice, "image/png", len(picture))
    assert post_form(mine, picture).status_code == 204
    s3 = aws_client("s3", api.endpoint, api.region)
    before = s3.head_object(Bucket=stack(api)["bucket_name"], Key=mine["key"])["ETag"]

    assert call(api, "GET", f"/images/{mine['id']}", bob).status_code == 404
    assert call(api, "DELETE", f"/images/{mine['id']}", bob).status_code == 404
    # Bob's own form, pointed at Alice's key: the signed policy pins Bob's key.
    his = presign(api, bob, "image/png", len(picture))
    tampered = post_form(his, images.rgba_png(50, 50), key=mine["key"])
    assert (tampered.status_code, s3_error(tampered)) == (403, "AccessDenied")
    # Bob cannot ask for a key of his choosing either.
    chosen = call(api, "POST", "/uploads", bob, {"content_type": "image/png", "key": mine["key"]})
    assert chosen.status_code == 400 and "the server chooses the key" in chosen.json()["message"]

    assert s3.head_object(Bucket=stack(api)["bucket_name"], Key=mine["key"])["ETag"] == before
    assert wait_for_record(api, alice, mine["id"], {"ready"})["id"] == mine["id"]


def test_too_large_or_non_image_uploads_are_refused_by_s3(api: EmulatorSession, front_door: FrontDoor) -> None:
    token = front_door.issuer.token("api-carol")
    api.settle()
    invocations = consumer_invocations(api)
    answer = presign(api, token, "image/png")

    too_large = post_form(answer, b"\0" * (answer["max_bytes"] + 1))
    assert (too_large.status_code, s3_error(too_large)) == (400, "EntityTooLarge")
    not_an_image = post_form(answer, b"hello", **{"Content-Type": "text/plain"})
    assert (not_an_image.status_code, s3_error(not_an_image)) == (403, "AccessDenied")
    assert "Content-Type" in not_an_image.text
    empty = post_form(answer, b"")
    assert (empty.status_code, s3_error(empty)) == (400, "EntityTooSmall")
    widened = json.loads(base64.b64decode(answer["upload"]["fields"]["policy"]))
    widened["conditions"] = [c for c in widened["conditions"] if "content-length-range" not in c]
    forged = post_form(answer, b"x", policy=base64.b64encode(json.dumps(widened).encode()).decode())
    assert (forged.status_code, s3_error(forged)) == (403, "SignatureDoesNotMatch")
    # And the API never signs a non-image type.
    assert call(api, "POST", "/uploads", token, {"content_type": "text/plain"}).status_code == 415

    s3 = aws_client("s3", api.endpoint, api.region)
    assert s3.list_objects_v2(Bucket=stack(api)["bucket_name"], Prefix=answer["key"]).get("KeyCount") == 0
    assert api.settle(timeout_s=30) and consumer_invocations(api) == invocations, "a refused upload reached a Lambda"


def test_uploads_are_written_only_through_signed_posts(api: EmulatorSession) -> None:
    """The bucket policy (module output bucket_policy_json): the API's role writes uploads/ by POST only, other
    principals not at all; the emulator's own identity is a listed direct writer (the other tests upload so)."""
    bucket = stack(api)["bucket_name"]
    sts = aws_client("sts", api.endpoint, api.region)

    def s3_as(role_arn: str) -> Any:
        import boto3
        from botocore.config import Config

        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="test")["Credentials"]
        return boto3.client(
            "s3",
            endpoint_url=api.endpoint,
            region_name=api.region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            config=Config(signature_version="s3v4"),
        )

    from botocore.exceptions import ClientError

    resizer = s3_as(stack(api)["consumers"]["image_resizer"]["role_arn"])
    api_role = s3_as(stack(api)["upload_api"]["role_arn"])
    for client, key in ((resizer, "uploads/api-dave/direct.png"), (api_role, "uploads/api-dave/by-put.png")):
        with pytest.raises(ClientError) as refused:
            client.put_object(Bucket=bucket, Key=key, Body=images.rgba_png(20, 20))
        assert refused.value.response["Error"]["Code"] in ("AccessDenied", "403")
    # A POST signed by a role other than the API's is refused too; the API's role's own POST is accepted.
    other = resizer.generate_presigned_post(bucket, "uploads/api-dave/posted.png", ExpiresIn=60)
    response = requests.post(other["url"], data=other["fields"], files={"file": b"x"}, timeout=TIMEOUT)
    assert (response.status_code, s3_error(response)) == (403, "AccessDenied")
    own = api_role.generate_presigned_post(bucket, "uploads/api-dave/posted.png", ExpiresIn=60)
    assert requests.post(own["url"], data=own["fields"], files={"file": b"x"}, timeout=TIMEOUT).status_code == 204
    aws_client("s3", api.endpoint, api.region).put_object(Bucket=bucket, Key="uploads/api-dave/admin.png", Body=b"x")


def test_delete_through_the_api_removes_everything_derived(api: EmulatorSession, front_door: FrontDoor) -> None:
    token = front_door.issuer.token("api-erin")
    picture = images.jpeg(640, 480, seed=2)
    answer = presign(api, token, "image/jpeg", len(picture))
    assert post_form(answer, picture).status_code == 204
    record = wait_for_record(api, token, answer["id"], {"ready"})

    assert call(api, "DELETE", f"/images/{answer['id']}", token).status_code == 204
    assert api.settle(timeout_s=60)
    assert call(api, "GET", f"/images/{answer['id']}", token).status_code == 404
    gone = requests.get(record["thumbnails"][0]["url"], timeout=TIMEOUT)
    assert gone.status_code == 404


def test_the_api_role_holds_exactly_what_its_code_calls(api: EmulatorSession) -> None:
    from upload_api.permissions import IAM_ACTIONS

    iam = aws_client("iam", api.endpoint, api.region)
    role = stack(api)["upload_api"]["role_arn"].rsplit("/", 1)[1]
    actions: set[str] = set()
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        for statement in document["Statement"]:
            found = statement["Action"]
            actions |= set(found if isinstance(found, list) else [found])
    platform = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    assert actions - platform == IAM_ACTIONS


# --- the two S3 patches, on a stock and a patched server (conftest `servers`): each fails without its patch ----


def signed_post_then_tampered(endpoint: str) -> tuple[int, int]:
    """(status of a valid presigned POST, status of the same form with a Content-Type its policy does not allow)."""
    s3 = aws_client("s3", endpoint, "us-east-1")
    s3.create_bucket(Bucket="post-policy")
    import boto3
    from botocore.config import Config

    signer = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",  # the emulator's fake credentials
        config=Config(signature_version="s3v4"),
    )
    post = signer.generate_presigned_post(
        "post-policy",
        "uploads/a/x.png",
        Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}],
    )
    good = requests.post(post["url"], data=post["fields"], files={"file": b"png"}, timeout=TIMEOUT)
    bad = requests.post(
        post["url"], data={**post["fields"], "Content-Type": "text/html"}, files={"file": b"<script>"}, timeout=TIMEOUT
    )
    return good.status_code, bad.status_code


def test_stock_moto_stores_a_post_its_policy_forbids(servers: dict[str, Any]) -> None:
    assert signed_post_then_tampered(servers["stock"].endpoint) == (204, 204)


def test_the_patched_emulator_enforces_post_policies(servers: dict[str, Any]) -> None:
    assert signed_post_then_tampered(servers["patched"].endpoint) == (204, 403)


def put_with_principal_policy(endpoint: str) -> int | str:
    """PutObject by the listed principal under a policy that denies everyone else: AWS allows it."""
    s3 = aws_client("s3", endpoint, "us-east-1")
    s3.create_bucket(Bucket="principal-policy")
    statement = {
        "Sid": "OnlyRoot",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::principal-policy/uploads/*",
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:root"}},
    }
    s3.put_bucket_policy(
        Bucket="principal-policy", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    from botocore.exceptions import ClientError

    try:
        s3.put_object(Bucket="principal-policy", Key="uploads/a/x.png", Body=b"x")  # as the account root
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return 200


def test_stock_moto_denies_even_the_principal_a_policy_exempts(servers: dict[str, Any]) -> None:
    assert put_with_principal_policy(servers["stock"].endpoint) != 200


def test_the_patched_emulator_evaluates_the_principal(servers: dict[str, Any]) -> None:
    assert put_with_principal_policy(servers["patched"].endpoint) == 200
