"""Fault injection for the emulator: make chosen S3 GetObject requests fail with 503 SlowDown, or hang.

Configured at run time through `POST /_emulator/faults` (JSON, see FaultRules) so one long-lived emulator can
serve a clean test and a fault test; `GET /_emulator/faults` returns the rules and how many faults were injected.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

ADMIN_PATH = "/_emulator/faults"
_SLOWDOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate. (injected by the emulator)</Message></Error>"
)
# Sub-resource queries that make a GET something other than GetObject (versionId/partNumber are GetObject).
_NOT_GET_OBJECT = re.compile(r"(^|&)(acl|tagging|attributes|legal-hold|retention|torrent|uploadId)(=|&|$)")


@dataclass
class FaultRules:
    """Fail the first `times_per_key` GetObject calls for keys matching `key_regex` (None disables): with 503
    SlowDown, or, when `delay_s` is set, by answering only after that long (a read that hangs past the function's
    timeout)."""

    key_regex: str | None = None
    times_per_key: int = 0
    delay_s: float = 0.0
    injected: int = 0
    seen: dict[str, int] = field(default_factory=dict)


class FaultInjector:
    """WSGI middleware in front of moto's dispatcher."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.rules = FaultRules()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == ADMIN_PATH:
            return self._admin(environ, start_response)
        if self._should_fail(environ, path):
            if self.rules.delay_s:
                time.sleep(self.rules.delay_s)
                return self.app(environ, start_response)
            start_response(
                "503 Slow Down", [("Content-Type", "application/xml"), ("Content-Length", str(len(_SLOWDOWN)))]
            )
            return [_SLOWDOWN]
        return self.app(environ, start_response)

    def _should_fail(self, environ: dict[str, Any], path: str) -> bool:
        rules = self.rules
        if rules.key_regex is None or environ.get("REQUEST_METHOD") != "GET":
            return False
        if "/s3/aws4_request" not in environ.get("HTTP_AUTHORIZATION", ""):
            return False
        if _NOT_GET_OBJECT.search(environ.get("QUERY_STRING", "")):
            return False
        parts = path.lstrip("/").split("/", 1)  # path-style: /<bucket>/<key>
        if len(parts) != 2 or not parts[1]:
            return False
        key = unquote(parts[1])
        if not re.search(rules.key_regex, key):
            return False
        with self.lock:
            count = rules.seen.get(key, 0)
            if count >= rules.times_per_key:
                return False
            rules.seen[key] = count + 1
            rules.injected += 1
            return True

    def _admin(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            with self.lock:
                self.rules = FaultRules(
                    key_regex=body.get("key_regex"),
                    times_per_key=int(body.get("times_per_key", 1)),
                    delay_s=float(body.get("delay_s", 0)),
                )
        payload = json.dumps(
            {
                "key_regex": self.rules.key_regex,
                "times_per_key": self.rules.times_per_key,
                "delay_s": self.rules.delay_s,
                "injected": self.rules.injected,
            }
        ).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]
