"""Two moto 5.2.5 patches the upload API needs, registered in patches.PATCHES (tools/emulator/README.md):

- `s3-post-policy`: moto stores whatever a browser POSTs to a bucket: it checks neither the signature nor the
  policy of a presigned POST. Here the POST is verified as S3 documents it ("Browser-based uploads using POST",
  "Creating a POST policy" in the S3 API reference): the SigV4 signature over the base64 policy, the
  expiration, every condition (exact match `{"field": "value"}` or `["eq", ...]`, `["starts-with", ...]`,
  `["content-length-range", min, max]` against the file's size), and that every form field but `policy`,
  `x-amz-signature`, `file` and `x-ignore-*` is named by a condition. Refusals are S3's: 403 `AccessDenied`
  ("Invalid according to Policy: ..."), 400 `EntityTooLarge` / `EntityTooSmall`, 403 `SignatureDoesNotMatch`,
  403 `InvalidAccessKeyId`. Then the bucket policy is evaluated for `s3:PutObject` with the signer as principal
  and `s3:authType` = `POST` (moto evaluates no bucket policy for POST uploads at all).
- `s3-policy-principal`: moto evaluates bucket policies without a request context: a condition on
  `aws:PrincipalArn` or `s3:authType` cannot hold, so moto treats such a statement as a denial whatever its
  effect. Here both keys are evaluated for the request (String*/Arn* operators, IfExists, and AWS's rule that a
  missing key satisfies only negated operators); a statement whose condition does not hold is dropped, as AWS
  does, and the rest goes on to moto (and the `s3-secure-transport` patch).

The principal of a request is the identity of its access key: an assumed-role session (the local runner gives
every function its role's session, as Lambda does) is its role's ARN; an IAM user's key is the user; the
emulator's fake credentials (`test`, tools/emulator/server.FAKE_CREDENTIALS) are the account's root user.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import fnmatch
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

ACCOUNT = "123456789012"
FAKE_SECRETS = {"test": "test"}  # tools.emulator.server.FAKE_CREDENTIALS: the account's root user
_CONTEXT = threading.local()
_IGNORED_FIELDS = {"policy", "x-amz-signature", "file", "signature", "awsaccesskeyid"}


@dataclass(frozen=True)
class Identity:
    principal_arn: str | None  # None: an anonymous request
    auth_type: str  # REST-HEADER, REST-QUERY-STRING or POST


class PostRefused(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def xml(self) -> str:
        extra = "".join(f"<{k}>{v}</{k}>" for k, v in self.extra.items())
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{_escape(self.message)}</Message>{extra}"
            f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
        )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- identities --------------------------------------------------------------------------------------------------


def _access_keys() -> dict[str, tuple[str, str]]:
    """access key id -> (principal ARN, secret) for every key moto issued (assumed roles, IAM users)."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    keys: dict[str, tuple[str, str]] = {}
    for account_id in list(sts_backends.keys()):
        for backend in list(sts_backends[account_id].values()):
            for role in backend.assumed_roles:
                keys[role.access_key_id] = (role.role_arn, role.secret_access_key)
    for account_id in list(iam_backends.keys()):
        for backend in list(iam_backends[account_id].values()):
            for user in list(backend.users.values()):
                for key in user.get_all_access_keys():
                    keys[key.access_key_id] = (user.arn, key.secret_access_key)
    return keys


def principal_of(access_key_id: str | None) -> str | None:
    if not access_key_id:
        return None
    known = _access_keys().get(access_key_id)
    return known[0] if known else f"arn:aws:iam::{ACCOUNT}:root"


def secret_of(access_key_id: str) -> str | None:
    known = _access_keys().get(access_key_id)
    return known[1] if known else FAKE_SECRETS.get(access_key_id)


def identity_of_request(request: Any) -> Identity:
    authorization = request.headers.get("Authorization") or ""
    if "Credential=" in authorization:
        credential = authorization.split("Credential=", 1)[1].split("/", 1)[0].strip()
        return Identity(principal_of(credential), "REST-HEADER")
    query = parse_qs(urlparse(getattr(request, "url", "") or "").query)
    credential_values = query.get("X-Amz-Credential") or query.get("AWSAccessKeyId")
    if credential_values:
        return Identity(principal_of(credential_values[0].split("/", 1)[0]), "REST-QUERY-STRING")
    return Identity(None, "REST-HEADER")


# --- bucket policy conditions on the request ---------------------------------------------------------------------

_CONTEXT_KEYS = {"aws:principalarn": "principal_arn", "s3:authtype": "auth_type"}


def _condition_holds(operator: str, expected: Any, actual: str | None) -> bool | None:
    """AWS's condition operators for one context key; None for an operator this patch leaves to moto."""
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    negated = "Not" in base
    kind = base.replace("Not", "")
    if kind not in ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"):
        return None
    if actual is None:  # a key missing from the request context matches only negated operators (and IfExists)
        return True if if_exists else negated
    values = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
    if kind == "StringEquals":
        matched = actual in values
    elif kind == "StringEqualsIgnoreCase":
        matched = actual.lower() in [v.lower() for v in values]
    else:  # *Like and Arn* take wildcards
        matched = any(fnmatch.fnmatchcase(actual, v) for v in values)
    return not matched if negated else matched


def resolve_request_conditions(document: dict[str, Any], identity: Identity) -> dict[str, Any]:
    """The policy with every condition on aws:PrincipalArn and s3:authType evaluated for `identity`: statements
    whose condition fails are dropped, satisfied keys removed; everything else left to moto."""
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = []
    for original in statements:
        statement = json.loads(json.dumps(original))
        conditions = statement.get("Condition")
        applies = True
        if isinstance(conditions, dict):
            for operator in list(conditions):
                block = conditions[operator]
                for key in [k for k in block if k.lower() in _CONTEXT_KEYS]:
                    holds = _condition_holds(operator, block[key], getattr(identity, _CONTEXT_KEYS[key.lower()]))
                    if holds is None:
                        continue
                    if not holds:
                        applies = False
                    del block[key]
                if not block:
                    del conditions[operator]
            if not conditions:
                del statement["Condition"]
        if applies:
            kept.append(statement)
    return {**document, "Statement": kept}


def _policy_principal() -> None:
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    get_permission: Callable[..., Any] = FakeBucket.get_permission

    def permission_in_context(self: Any, action: str, resource: str) -> Any:
        identity = getattr(_CONTEXT, "identity", None)
        if self.policy is None or identity is None:
            return get_permission(self, action, resource)
        saved = self.policy
        self.policy = json.dumps(resolve_request_conditions(json.loads(saved.decode()), identity)).encode()
        try:
            return get_permission(self, action, resource)
        finally:
            self.policy = saved

    key_response: Callable[..., Any] = S3Response._key_response

    def key_response_in_context(self: Any, request: Any, full_url: str) -> Any:
        _CONTEXT.identity = identity_of_request(request)
        try:
            return key_response(self, request, full_url)
        finally:
            _CONTEXT.identity = None

    FakeBucket.get_permission = permission_in_context  # type: ignore[method-assign]
    S3Response._key_response = key_response_in_context  # type: ignore[method-assign]


# --- presigned POST ----------------------------------------------------------------------------------------------


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def verify_post(bucket: str, fields: dict[str, str], size: int, now: datetime.datetime | None = None) -> Identity:
    """Raises PostRefused unless the form is a valid, unexpired, correctly signed POST whose policy admits it."""
    lower = {k.lower(): v for k, v in fields.items()}
    policy_b64 = lower.get("policy")
    if not policy_b64:
        raise PostRefused(403, "AccessDenied", "Bucket POST must contain a field named 'policy'.")
    if lower.get("x-amz-algorithm") != "AWS4-HMAC-SHA256" or "x-amz-credential" not in lower:
        raise PostRefused(400, "InvalidRequest", "POST requires a SigV4 signature (x-amz-algorithm AWS4-HMAC-SHA256).")
    access_key, _, scope = lower["x-amz-credential"].partition("/")
    date, region, service = [*scope.split("/"), "", "", ""][:3]
    secret = secret_of(access_key)
    if secret is None:
        raise PostRefused(
            403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    expected = hmac.new(_signing_key(secret, date, region, service), policy_b64.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, lower.get("x-amz-signature", "")):
        raise PostRefused(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    try:
        policy = json.loads(base64.b64decode(policy_b64, validate=True))
        expiration = datetime.datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
        conditions = list(policy["conditions"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise PostRefused(400, "MalformedPOSTRequest", "The body of your POST request is not well-formed.") from None
    if (now or datetime.datetime.now(datetime.UTC)) >= expiration:
        raise PostRefused(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    named: set[str] = set()
    for condition in conditions:
        _check_condition(condition, bucket, lower, size, named)
    extra = sorted(k for k in lower if k not in named and k not in _IGNORED_FIELDS and not k.startswith("x-ignore-"))
    if extra:
        raise PostRefused(403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {', '.join(extra)}")
    return Identity(principal_of(access_key), "POST")


def _check_condition(condition: Any, bucket: str, fields: dict[str, str], size: int, named: set[str]) -> None:
    def failed() -> PostRefused:
        return PostRefused(
            403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
        )

    if isinstance(condition, dict) and len(condition) == 1:
        ((name, value),) = condition.items()
        operator, field = "eq", str(name).lower()
    elif isinstance(condition, list) and len(condition) == 3 and str(condition[0]).lower() == "content-length-range":
        low, high = int(condition[1]), int(condition[2])
        if size > high:
            raise PostRefused(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                ProposedSize=size,
                MaxSizeAllowed=high,
            )
        if size < low:
            raise PostRefused(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                ProposedSize=size,
            )
        return
    elif isinstance(condition, list) and len(condition) == 3 and str(condition[1]).startswith("$"):
        operator, field, value = str(condition[0]).lower(), str(condition[1])[1:].lower(), condition[2]
    else:
        raise PostRefused(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {json.dumps(condition)}")
    actual = bucket if field == "bucket" else fields.get(field)
    named.add(field)
    if actual is None:
        raise failed()
    if operator == "eq" and actual != str(value):
        raise failed()
    if operator == "starts-with" and not actual.startswith(str(value)):
        raise failed()
    if operator not in ("eq", "starts-with"):
        raise PostRefused(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {json.dumps(condition)}")


def _post_policy() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.responses import S3Response

    bucket_post: Callable[..., Any] = S3Response._bucket_response_post

    def verified_post(self: Any, request: Any, bucket_name: str) -> Any:
        if self.is_delete_keys() or "key" not in self.form_data:
            return bucket_post(self, request, bucket_name)  # DeleteObjects and other bucket POSTs
        fields = {k: v for k, v in self.form_data.items() if k != "file"}
        body = self.raw_body if isinstance(self.raw_body, bytes) else str(self.raw_body or "").encode()
        # S3 answers a browser's form POST, refusals included, with the bucket's CORS headers for its origin
        # (moto adds none to POST responses): without them the page could not read the answer.
        cors = self._get_cors_headers_other()
        refused: PostRefused | None = None
        try:
            identity = verify_post(bucket_name, fields, len(body))
        except PostRefused as error:
            refused = error
        else:
            bucket = self.backend.get_bucket(bucket_name)
            _CONTEXT.identity = identity
            try:
                resource = f"arn:{bucket.partition}:s3:::{bucket_name}/{fields.get('key', '')}"
                if bucket.get_permission("s3:PutObject", resource) == PermissionResult.DENIED:
                    refused = PostRefused(403, "AccessDenied", "Access Denied")
            finally:
                _CONTEXT.identity = None
        if refused is not None:
            return refused.status, {**cors, "Content-Type": "application/xml"}, refused.xml()
        status, headers, answer = bucket_post(self, request, bucket_name)
        return status, {**cors, **headers}, answer

    S3Response._bucket_response_post = verified_post  # type: ignore[method-assign]


PATCHES: dict[str, Callable[[], None]] = {
    "s3-policy-principal": _policy_principal,
    "s3-post-policy": _post_policy,
}

__all__ = ["PATCHES", "Identity", "PostRefused", "resolve_request_conditions", "verify_post"]
