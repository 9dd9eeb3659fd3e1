"""Builders of API Gateway HTTP API events (payload format version 2.0) exactly as AWS documents them
("Working with AWS Lambda proxy integrations for HTTP APIs" in the API Gateway developer guide), and the
reading of a 2.0 response. Shared by the handler tests and the emulator's local HTTP API (tools/emulator/http_api.py).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

ACCOUNT = "123456789012"


def http_api_event(
    method: str,
    path: str,
    *,
    route_key: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    query: str = "",
    headers: Mapping[str, str] | None = None,
    body: bytes | str | None = None,
    claims: Mapping[str, Any] | None = None,
    scopes: list[str] | None = None,
    api_id: str = "api1234567",
    stage: str = "$default",
    domain: str | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """One request as the Lambda integration receives it. Header names are lower-cased, repeated headers joined
    by commas; a body that is not UTF-8 text is base64-encoded; `claims` is what the JWT authorizer verified."""
    domain = domain or f"{api_id}.execute-api.us-east-1.amazonaws.com"
    lowered: dict[str, str] = {}
    for name, value in (headers or {}).items():
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or f"{method.upper()} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex[:16],
            "routeKey": route_key or f"{method.upper()} {path}",
            "stage": stage,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if "cookie" in lowered:
        event["cookies"] = [c.strip() for c in lowered.pop("cookie").split(";")]
    if query:
        from urllib.parse import parse_qsl

        params: dict[str, str] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            params[name] = f"{params[name]},{value}" if name in params else value
        event["queryStringParameters"] = params
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": dict(claims), "scopes": scopes}}
    if body is not None:
        if isinstance(body, str):
            event["body"] = body
        else:
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(body).decode()
                event["isBase64Encoded"] = True
    return event


def http_api_response(result: Any) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) from what the function returned, by the 2.0 format's rules: a dict with
    `statusCode` is used as given; anything else valid JSON is a 200 `application/json` body."""
    if isinstance(result, dict) and "statusCode" in result:
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        for cookie in result.get("cookies") or []:
            headers.setdefault("set-cookie", cookie)
        raw = result.get("body")
        if raw is None:
            body = b""
        elif result.get("isBase64Encoded"):
            body = base64.b64decode(raw)
        else:
            body = str(raw).encode()
        return int(result["statusCode"]), headers, body
    text = result if isinstance(result, str) else json.dumps(result)
    return 200, {"content-type": "application/json"}, text.encode()
