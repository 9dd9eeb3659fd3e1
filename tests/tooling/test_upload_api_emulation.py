"""The emulator's stand-ins for API Gateway's JWT authorizer and S3's POST policy checks, without a stack:
the local issuer's tokens against the verifier, presigned POST forms against `verify_post`, bucket policy
conditions on the principal (tools/emulator/http_api.py, s3_auth.py, oidc.py)."""

from __future__ import annotations

import base64
import datetime
import json
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from tools.emulator.http_api import JwtAuthorizer, JwtRefused, JwtVerifier, integration_function_arn, route_pattern
from tools.emulator.oidc import LocalIssuer, b64url
from tools.emulator.s3_auth import Identity, PostRefused, resolve_request_conditions, verify_post


@pytest.fixture(scope="module")
def issuer() -> Iterator[LocalIssuer]:
    with LocalIssuer(audience="web") as local:
        yield local


def authorizer(issuer: LocalIssuer, audiences: tuple[str, ...] = ("web",)) -> JwtAuthorizer:
    return JwtAuthorizer("a1", issuer.url, audiences, "$request.header.Authorization")


def test_a_valid_token_gives_its_claims(issuer: LocalIssuer) -> None:
    claims = JwtVerifier().verify(f"Bearer {issuer.token('alice')}", authorizer(issuer), ())
    assert claims["sub"] == "alice" and claims["iss"] == issuer.url


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda i: i.token("alice", expires_in=-1), "expired"),
        (lambda i: i.token("alice", nbf=int(time.time()) + 300), "nbf"),
        (lambda i: i.token("alice", iat=int(time.time()) + 300), "iat"),
        (lambda i: i.token("alice", aud="other"), "audience"),
        (lambda i: i.token("alice", iss="https://elsewhere.example"), "issuer"),
        (lambda i: i.forged_token("alice"), "signature"),
        (lambda i: "a.b", "not a JWT"),
        (
            lambda i: (
                f"{b64url(json.dumps({'alg': 'none', 'kid': i.kid}).encode())}."
                f"{b64url(json.dumps(i.claims('alice')).encode())}."
            ),
            "algorithm",
        ),
    ],
)
def test_bad_tokens_are_refused_with_the_reason(issuer: LocalIssuer, make, why: str) -> None:
    with pytest.raises(JwtRefused) as refused:
        JwtVerifier().verify(make(issuer), authorizer(issuer), ())
    assert why in refused.value.description and refused.value.status == 401


def test_client_id_stands_in_for_a_missing_audience(issuer: LocalIssuer) -> None:
    token = issuer.token("alice", aud=None, client_id="web")  # a Cognito access token's shape
    assert JwtVerifier().verify(token, authorizer(issuer), ())["client_id"] == "web"


def test_route_scopes_need_one_of_them(issuer: LocalIssuer) -> None:
    verifier = JwtVerifier()
    assert verifier.verify(issuer.token("a", scope="uploads:write profile"), authorizer(issuer), ("uploads:write",))
    assert verifier.verify(issuer.token("a", scp=["uploads:write"]), authorizer(issuer), ("uploads:write",))
    with pytest.raises(JwtRefused) as refused:
        verifier.verify(issuer.token("a", scope="profile"), authorizer(issuer), ("uploads:write",))
    assert refused.value.status == 403


def test_routes_and_integrations_as_api_gateway_reads_them() -> None:
    pattern, names = route_pattern("/images/{id}")
    assert names == ("id",) and pattern.fullmatch("/images/abc.jpg") and not pattern.fullmatch("/images/a/b")
    greedy, _ = route_pattern("/files/{proxy+}")
    assert greedy.fullmatch("/files/a/b/c")
    function = "arn:aws:lambda:us-east-1:123456789012:function:api:live"
    assert (
        integration_function_arn(
            f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function}/invocations"
        )
        == function
    )


def presigned_form(expires_in: int = 60) -> dict[str, str]:
    signer = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",  # the emulator's fake credentials (the account's root)
        config=Config(signature_version="s3v4"),
    )
    post = signer.generate_presigned_post(
        "bucket-one",
        "uploads/alice/x.png",
        Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}, ["content-length-range", 1, 10]],
        ExpiresIn=expires_in,
    )
    return dict(post["fields"])


def test_a_valid_post_is_admitted_as_its_signer() -> None:
    identity = verify_post("bucket-one", presigned_form(), 5)
    assert identity == Identity("arn:aws:iam::123456789012:root", "POST")


@pytest.mark.parametrize(
    ("change", "size", "code"),
    [
        ({}, 11, "EntityTooLarge"),
        ({}, 0, "EntityTooSmall"),
        ({"Content-Type": "text/plain"}, 5, "AccessDenied"),
        ({"key": "uploads/bob/x.png"}, 5, "AccessDenied"),
        ({"x-amz-meta-owner": "bob"}, 5, "AccessDenied"),
        ({"x-amz-signature": "0" * 64}, 5, "SignatureDoesNotMatch"),
        ({"x-amz-credential": "AKIAUNKNOWN/20260101/us-east-1/s3/aws4_request"}, 5, "InvalidAccessKeyId"),
        ({"policy": ""}, 5, "AccessDenied"),
    ],
)
def test_posts_outside_their_policy_are_refused(change: dict[str, str], size: int, code: str) -> None:
    with pytest.raises(PostRefused) as refused:
        verify_post("bucket-one", {**presigned_form(), **change}, size)
    assert refused.value.code == code
    assert f"<Code>{code}</Code>" in refused.value.xml()


def test_other_buckets_and_expired_policies_are_refused() -> None:
    with pytest.raises(PostRefused):
        verify_post("bucket-two", presigned_form(), 5)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=61)
    with pytest.raises(PostRefused) as refused:
        verify_post("bucket-one", presigned_form(expires_in=60), 5, now=later)
    assert "Policy expired" in refused.value.message


def test_a_widened_policy_breaks_the_signature() -> None:
    form = presigned_form()
    policy = json.loads(base64.b64decode(form["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if "content-length-range" not in c]
    form["policy"] = base64.b64encode(json.dumps(policy).encode()).decode()
    with pytest.raises(PostRefused) as refused:
        verify_post("bucket-one", form, 5)
    assert refused.value.code == "SignatureDoesNotMatch"


API_ROLE = "arn:aws:iam::123456789012:role/api"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyUploadsExceptSignedPosts",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::b/uploads/*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [API_ROLE]}},
        },
        {
            "Sid": "DenyUploadApiWritesOtherThanPost",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::b/uploads/*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": API_ROLE}, "StringNotEquals": {"s3:authType": "POST"}},
        },
        {
            "Sid": "Tls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ],
}


@pytest.mark.parametrize(
    ("identity", "applying"),
    [
        (Identity(API_ROLE, "POST"), []),
        (Identity(API_ROLE, "REST-HEADER"), ["DenyUploadApiWritesOtherThanPost"]),
        (Identity("arn:aws:iam::123456789012:role/other", "POST"), ["DenyUploadsExceptSignedPosts"]),
        (Identity(None, "REST-HEADER"), ["DenyUploadsExceptSignedPosts"]),  # anonymous: no principal
    ],
)
def test_bucket_policy_conditions_on_the_request(identity: Identity, applying: list[str]) -> None:
    resolved = resolve_request_conditions(POLICY, identity)
    sids = [s["Sid"] for s in resolved["Statement"]]
    assert sids == [*applying, "Tls"]  # conditions on other keys are left to moto and the TLS patch
    assert all("Condition" not in s for s in resolved["Statement"] if s["Sid"] != "Tls")


def test_the_demo_serves_the_page_and_prints_signed_in_links(capsys: pytest.CaptureFixture[str]) -> None:
    """What `make demo` does once the samples are through (tools/emulator/cli.serve_page), on a stand-in session."""
    import urllib.request
    from types import SimpleNamespace

    from tools.emulator.cli import serve_page
    from tools.emulator.front_door import FrontDoor

    session = SimpleNamespace(
        runner=SimpleNamespace(api_urls={"a1b2c3": "http://127.0.0.1:9/"}),
        outputs={"reference": {"upload_api": {"api_id": "a1b2c3"}}},
    )
    with FrontDoor() as door:
        serve_page(session, door, until_interrupted=False)  # type: ignore[arg-type]
        printed = capsys.readouterr().out
        assert f"upload page: {door.page.origin}/" in printed
        assert printed.count(f"{door.page.origin}/#token=") == 2
        with urllib.request.urlopen(f"{door.page.origin}/config.json", timeout=10) as response:
            config = json.loads(response.read())
        with urllib.request.urlopen(f"{door.page.origin}/", timeout=10) as response:
            page = response.read().decode()
    from upload_api.keys import ACCEPTED_CONTENT_TYPES

    assert config["api_url"] == "http://127.0.0.1:9"
    assert config["accepted_content_types"] == list(ACCEPTED_CONTENT_TYPES)  # the consumers' UPLOAD_CONTENT_TYPES
    by_extension = config["content_types_by_extension"]
    assert by_extension[".heic"] == "image/heic" and by_extension[".avif"] == "image/avif"
    assert by_extension[".jpg"] == by_extension[".jpeg"] == "image/jpeg"
    assert set(by_extension.values()) <= set(ACCEPTED_CONTENT_TYPES)
    assert '<script src="app.js" defer></script>' in page
