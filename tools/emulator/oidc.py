"""A local OpenID Connect issuer on 127.0.0.1 for the emulator: a signing key, its discovery document and JWKS,
and tokens for any subject. The upload API's JWT authorizer is pointed at it (`upload_api.jwt_issuer`), and the
local HTTP API (tools/emulator/http_api.py) verifies tokens against it exactly as API Gateway verifies a real
issuer's: it reads `<issuer>/.well-known/openid-configuration`, then the `jwks_uri` it names.

    issuer = LocalIssuer().start()
    token = issuer.token("alice")                 # RS256, aud = issuer.audience, valid 1 h
    issuer.token("alice", expires_in=-60)         # expired
    issuer.forged_token("alice")                  # same claims, signed by a key the issuer never published
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

DEFAULT_AUDIENCE = "image-pipeline-web"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64url(number: int) -> str:
    return b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


def sign_jwt(claims: dict[str, Any], key: rsa.RSAPrivateKey, kid: str, alg: str = "RS256") -> str:
    header = {"alg": alg, "typ": "JWT", "kid": kid}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


class LocalIssuer:
    """Serves /.well-known/openid-configuration and /jwks.json; mints tokens. Context manager."""

    def __init__(self, audience: str = DEFAULT_AUDIENCE) -> None:
        self.audience = audience
        self.kid = uuid.uuid4().hex[:16]
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._server: ThreadingHTTPServer | None = None
        self.requests = 0  # discovery and JWKS fetches served (the verifier caches them)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def jwks(self) -> dict[str, Any]:
        public = self._key.public_key().public_numbers()
        key = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid}
        return {"keys": [{**key, "n": _int_b64url(public.n), "e": _int_b64url(public.e)}]}

    def claims(self, sub: str, *, expires_in: int = 3600, **extra: Any) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.url,
            "sub": sub,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + expires_in,
            "jti": uuid.uuid4().hex,
            **extra,
        }

    def token(self, sub: str, *, expires_in: int = 3600, **extra: Any) -> str:
        """An RS256 token of this issuer; `extra` adds or overrides claims (aud=..., iss=..., scope=...)."""
        return sign_jwt(self.claims(sub, expires_in=expires_in, **extra), self._key, self.kid)

    def forged_token(self, sub: str, **extra: Any) -> str:
        """The same claims and key id, signed by a key this issuer never published."""
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return sign_jwt(self.claims(sub, **extra), other, self.kid)

    def start(self) -> LocalIssuer:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body: dict[str, Any] = {
                        "issuer": issuer.url,
                        "jwks_uri": f"{issuer.url}/jwks.json",
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "subject_types_supported": ["public"],
                        "response_types_supported": ["id_token"],
                    }
                elif self.path == "/jwks.json":
                    body = issuer.jwks()
                else:
                    self.send_error(404)
                    return
                issuer.requests += 1
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="oidc-issuer", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LocalIssuer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["DEFAULT_AUDIENCE", "LocalIssuer", "b64url", "sign_jwt"]
