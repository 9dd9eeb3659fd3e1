"""The local HTTP API: serves each API Gateway HTTP API deployed to the emulator, which moto stores but cannot
route (it runs no function code), from its deployed configuration, the way the runner serves the queues.

Read back from the emulator (never hard-coded): the API's routes (`POST /uploads`, `GET /images/{id}`, `$default`,
`{proxy+}`), each route's authorizer (JWT: issuer, audiences, identity source; its authorization scopes), the
integration (AWS_PROXY, payload 2.0, the function or alias ARN in its URI) and the CORS configuration; the
function's resource policy must let apigateway.amazonaws.com invoke it from this API, as on AWS.

Per request, as API Gateway does (HTTP API developer guide: "Controlling access with JWT authorizers",
"Configuring CORS", "Working with AWS Lambda proxy integrations"):
- CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) are answered by the API itself when it
  has a CORS configuration, without the authorizer; other answers carry the CORS headers for allowed origins.
- No route: 404 `{"message":"Not Found"}`.
- JWT: the token from the identity source (`Bearer ` optional) must be an RSA-signed JWT whose `kid` is in the
  issuer's JWKS (from `<issuer>/.well-known/openid-configuration`), with `iss` = the issuer, `aud` (or, without
  `aud`, `client_id`) one of the audiences, `exp` in the future, `nbf` and `iat` in the past; and, when the
  route has scopes, a `scope`/`scp` holding one. Otherwise 401 `{"message":"Unauthorized"}` with a
  `www-authenticate` header saying why (403 `{"message":"Forbidden"}` for a missing scope). The claims reach
  the function in `requestContext.authorizer.jwt.claims`.
- The function runs in a local execution environment (tools/emulator/invoker.py); an error or a malformed
  answer is 500 `{"message":"Internal Server Error"}`, a timeout 503 `{"message":"Service Unavailable"}`.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tools.emulator.discovery import DeployedFunction, aws_client
from tools.emulator.endpoints import Endpoints
from tools.emulator.invoker import ExecutionEnvironment
from tools.http_events import http_api_event, http_api_response

LOG = logging.getLogger(__name__)
_HASHES = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
CLOCK_SKEW_S = 0  # API Gateway documents no leeway


@dataclass(frozen=True)
class JwtAuthorizer:
    authorizer_id: str
    issuer: str
    audiences: tuple[str, ...]
    identity_source: str  # $request.header.Authorization


@dataclass(frozen=True)
class Route:
    route_key: str  # "POST /uploads", "$default"
    method: str  # "POST", "ANY" or "" for $default
    pattern: re.Pattern[str] | None
    parameters: tuple[str, ...]
    authorizer: JwtAuthorizer | None
    scopes: tuple[str, ...]
    function_arn: str  # possibly qualified with an alias or version
    timeout_s: float

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.pattern is None:
            return {}
        if self.method not in ("ANY", method):
            return None
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        return {name: unquote(found.group(f"p{i}")) for i, name in enumerate(self.parameters)}


@dataclass
class HttpApi:
    api_id: str
    name: str
    cors: dict[str, Any] | None
    routes: list[Route]
    stages: list[str] = field(default_factory=list)


def route_pattern(path: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """`/images/{id}` -> a regex with one group per parameter; `{name+}` spans segments (greedy)."""
    names: list[str] = []
    regex = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            greedy = name.endswith("+")
            names.append(name.rstrip("+"))
            regex += f"(?P<p{len(names) - 1}>{'.+' if greedy else '[^/]+'})"
        else:
            regex += re.escape(part)
    return re.compile(regex), tuple(names)


def integration_function_arn(uri: str) -> str:
    """The Lambda ARN of an integration URI: a function ARN, or API Gateway's
    arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations."""
    found = re.search(r"functions/(arn:[^/]+)/invocations", uri)
    return found.group(1) if found else uri


def discover_apis(endpoint: str | Endpoints, region: str) -> list[HttpApi]:
    client = aws_client("apigatewayv2", endpoint, region)
    apis = []
    for api in client.get_apis().get("Items", []):
        if api.get("ProtocolType") != "HTTP":
            continue
        api_id = api["ApiId"]
        authorizers: dict[str, JwtAuthorizer | None] = {}
        routes = []
        for raw in client.get_routes(ApiId=api_id).get("Items", []):
            target = raw.get("Target") or ""
            if not target.startswith("integrations/"):
                continue
            integration = client.get_integration(ApiId=api_id, IntegrationId=target.split("/", 1)[1])
            if integration.get("IntegrationType") != "AWS_PROXY" or integration.get("PayloadFormatVersion") != "2.0":
                LOG.warning("%s %s: only AWS_PROXY integrations with payload 2.0 are served", api_id, raw["RouteKey"])
                continue
            authorizer = None
            if raw.get("AuthorizationType") == "JWT":
                authorizer_id = raw["AuthorizerId"]
                if authorizer_id not in authorizers:
                    a = client.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
                    config = a.get("JwtConfiguration") or {}
                    authorizers[authorizer_id] = JwtAuthorizer(
                        authorizer_id,
                        config.get("Issuer", ""),
                        tuple(config.get("Audience") or ()),
                        (a.get("IdentitySource") or ["$request.header.Authorization"])[0],
                    )
                authorizer = authorizers[authorizer_id]
            elif raw.get("AuthorizationType") not in (None, "NONE"):
                LOG.warning("%s %s: authorization %s is not served", api_id, raw["RouteKey"], raw["AuthorizationType"])
                continue
            key = raw["RouteKey"]
            if key == "$default":
                method, pattern, names = "", None, ()
            else:
                method, _, path = key.partition(" ")
                pattern, names = route_pattern(path)
            routes.append(
                Route(
                    key,
                    method,
                    pattern,
                    names,
                    authorizer,
                    tuple(raw.get("AuthorizationScopes") or ()),
                    integration_function_arn(integration.get("IntegrationUri", "")),
                    int(integration.get("TimeoutInMillis") or 30000) / 1000,
                )
            )
        # Specific routes before greedy ones, $default last (API Gateway's "most specific match").
        routes.sort(key=lambda r: (r.pattern is None, "+}" in r.route_key, -len(r.route_key)))
        stages = [s["StageName"] for s in client.get_stages(ApiId=api_id).get("Items", [])]
        apis.append(HttpApi(api_id, api.get("Name", api_id), api.get("CorsConfiguration"), routes, stages))
    return apis


class JwtRefused(Exception):
    def __init__(self, description: str, status: int = 401) -> None:
        super().__init__(description)
        self.description, self.status = description, status


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class JwtVerifier:
    """API Gateway's JWT authorizer checks, against the issuer's published keys (fetched once, again for an
    unknown kid)."""

    def __init__(self) -> None:
        self._keys: dict[str, dict[str, rsa.RSAPublicKey]] = {}
        self._lock = threading.Lock()

    def _issuer_keys(self, issuer: str, refresh: bool = False) -> dict[str, rsa.RSAPublicKey]:
        with self._lock:
            if issuer in self._keys and not refresh:
                return self._keys[issuer]
        with urllib.request.urlopen(f"{issuer.rstrip('/')}/.well-known/openid-configuration", timeout=5) as r:
            jwks_uri = json.loads(r.read())["jwks_uri"]
        with urllib.request.urlopen(jwks_uri, timeout=5) as r:
            jwks = json.loads(r.read())
        keys = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") == "RSA" and "kid" in jwk:
                numbers = rsa.RSAPublicNumbers(
                    int.from_bytes(_b64url_decode(jwk["e"]), "big"), int.from_bytes(_b64url_decode(jwk["n"]), "big")
                )
                keys[jwk["kid"]] = numbers.public_key()
        with self._lock:
            self._keys[issuer] = keys
        return keys

    def verify(self, token: str, authorizer: JwtAuthorizer, scopes: tuple[str, ...]) -> dict[str, Any]:
        token = token.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        parts = token.split(".")
        if len(parts) != 3:
            raise JwtRefused("the token is not a JWT")
        try:
            header = json.loads(_b64url_decode(parts[0]))
            claims = json.loads(_b64url_decode(parts[1]))
            signature = _b64url_decode(parts[2])
        except ValueError:
            raise JwtRefused("the token is not a JWT") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise JwtRefused("the token is not a JWT")
        algorithm = _HASHES.get(str(header.get("alg")))
        if algorithm is None:
            raise JwtRefused(f"unsupported signing algorithm {header.get('alg')!r} (RSA only)")
        try:
            keys = self._issuer_keys(authorizer.issuer)
            if header.get("kid") not in keys:
                keys = self._issuer_keys(authorizer.issuer, refresh=True)
        except (OSError, ValueError, KeyError) as error:
            raise JwtRefused(f"the issuer's keys could not be read: {error}") from None
        key = keys.get(str(header.get("kid")))
        if key is None:
            raise JwtRefused("no key of the issuer matches the token's kid")
        try:
            key.verify(signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), algorithm())
        except InvalidSignature:
            raise JwtRefused("the token's signature is invalid") from None
        if claims.get("iss") != authorizer.issuer:
            raise JwtRefused("the token's issuer is not the authorizer's")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience] if audience is not None else []
        if audience is None:
            audiences = [claims["client_id"]] if "client_id" in claims else []
        if not set(map(str, audiences)) & set(authorizer.audiences):
            raise JwtRefused("the token's audience is not accepted")
        now = time.time()
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now - CLOCK_SKEW_S:
            raise JwtRefused("the token has expired")
        for name in ("nbf", "iat"):
            if name in claims and (not isinstance(claims[name], (int, float)) or claims[name] > now + CLOCK_SKEW_S):
                raise JwtRefused(f"the token's {name} is in the future")
        if scopes:
            granted = claims.get("scope", claims.get("scp", ""))
            granted_set = set(granted.split()) if isinstance(granted, str) else set(granted or [])
            if not granted_set & set(scopes):
                raise JwtRefused("the token has none of the route's scopes", status=403)
        return claims


class LocalHttpApi:
    """One deployed HTTP API on a 127.0.0.1 port: `url` stands for its $default stage's invoke URL."""

    def __init__(
        self,
        api: HttpApi,
        functions: list[DeployedFunction],
        endpoint: str | Endpoints,
        region: str,
        log_dir: Path,
        concurrency: int = 2,
    ) -> None:
        self.api = api
        self.endpoint, self.region, self.log_dir = endpoint, region, log_dir
        self.by_arn = {f.spec.arn: f for f in functions}
        self.verifier = JwtVerifier()
        self.idle: dict[str, list[ExecutionEnvironment]] = {}
        self.lock = threading.Lock()
        self.slots = threading.Semaphore(max(1, concurrency))
        self.requests: list[dict[str, Any]] = []
        self._permission_checked: dict[str, bool] = {}
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- CORS -----------------------------------------------------------------------------------------------------

    def _allowed_origin(self, origin: str | None) -> str | None:
        cors = self.api.cors or {}
        allowed = cors.get("AllowOrigins") or []
        if origin and ("*" in allowed or origin in allowed):
            return "*" if "*" in allowed and not cors.get("AllowCredentials") else origin
        return None

    def cors_headers(self, origin: str | None) -> dict[str, str]:
        allowed = self._allowed_origin(origin)
        if allowed is None:
            return {}
        cors = self.api.cors or {}
        headers = {"access-control-allow-origin": allowed, "vary": "origin"}
        if cors.get("ExposeHeaders"):
            headers["access-control-expose-headers"] = ",".join(cors["ExposeHeaders"])
        if cors.get("AllowCredentials"):
            headers["access-control-allow-credentials"] = "true"
        return headers

    def preflight(self, origin: str | None, method: str, request_headers: str) -> tuple[int, dict[str, str]]:
        cors = self.api.cors or {}
        allowed_methods = [m.upper() for m in cors.get("AllowMethods") or []]
        allowed_headers = [h.lower() for h in cors.get("AllowHeaders") or []]
        asked = [h.strip().lower() for h in request_headers.split(",") if h.strip()]
        ok = (
            self._allowed_origin(origin) is not None
            and ("*" in allowed_methods or method.upper() in allowed_methods)
            and ("*" in allowed_headers or all(h in allowed_headers for h in asked))
        )
        if not ok:
            return 204, {}
        headers = self.cors_headers(origin)
        headers["access-control-allow-methods"] = ",".join(allowed_methods)
        if allowed_headers:
            headers["access-control-allow-headers"] = ",".join(allowed_headers)
        if cors.get("MaxAge") is not None:
            headers["access-control-max-age"] = str(cors["MaxAge"])
        return 204, headers

    # -- requests -------------------------------------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(raw_path)
        path, query = split.path, split.query
        origin = next((v for k, v in headers.items() if k.lower() == "origin"), None)
        lowered = {k.lower(): v for k, v in headers.items()}
        if method == "OPTIONS" and self.api.cors is not None and "access-control-request-method" in lowered:
            status, extra = self.preflight(
                origin, lowered["access-control-request-method"], lowered.get("access-control-request-headers", "")
            )
            return status, extra, b""
        status, answer_headers, answer = self._route(method, path, query, headers, lowered, body)
        return status, {**answer_headers, **self.cors_headers(origin)}, answer

    def _route(
        self, method: str, path: str, query: str, headers: dict[str, str], lowered: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        for route in self.api.routes:
            parameters = route.match(method, path)
            if parameters is not None:
                break
        else:
            return _message(404, "Not Found")
        claims = None
        if route.authorizer is not None:
            header_name = route.authorizer.identity_source.rsplit(".", 1)[-1].lower()
            token = lowered.get(header_name)
            if not token:
                return _message(401, "Unauthorized", {"www-authenticate": 'Bearer error="invalid_token"'})
            try:
                claims = self.verifier.verify(token, route.authorizer, route.scopes)
            except JwtRefused as refused:
                if refused.status == 403:
                    return _message(403, "Forbidden")
                description = refused.description.replace('"', "'")
                return _message(
                    401,
                    "Unauthorized",
                    {"www-authenticate": f'Bearer error="invalid_token" error_description="{description}"'},
                )
        function = self._function(route.function_arn)
        if function is None or not self._may_invoke(route.function_arn):
            return _message(500, "Internal Server Error")
        event = http_api_event(
            method,
            path,
            route_key=route.route_key,
            path_parameters=parameters or None,
            query=query,
            headers=headers,
            body=body if body else None,
            claims=claims,
            scopes=list(route.scopes) or None,
            api_id=self.api.api_id,
        )
        result = self._invoke(function, event, route.timeout_s)
        self.requests.append({"route": route.route_key, "status": result.status, "duration_s": result.duration_s})
        if result.status == "timeout":
            return _message(503, "Service Unavailable")
        if result.status != "ok":
            return _message(500, "Internal Server Error")
        try:
            return http_api_response(result.result)
        except (TypeError, ValueError):
            return _message(500, "Internal Server Error")

    def _function(self, arn: str) -> DeployedFunction | None:
        return self.by_arn.get(":".join(arn.split(":")[:7]))

    def _may_invoke(self, qualified_arn: str) -> bool:
        """The function's resource policy lets API Gateway invoke it from this API (as on AWS, where a missing
        aws_lambda_permission makes every request a 500)."""
        if qualified_arn in self._permission_checked:
            return self._permission_checked[qualified_arn]
        lam = aws_client("lambda", self.endpoint, self.region)
        parts = qualified_arn.split(":")
        kwargs = {"FunctionName": ":".join(parts[:7])}
        if len(parts) > 7:
            kwargs["Qualifier"] = parts[7]
        try:
            policy = json.loads(lam.get_policy(**kwargs)["Policy"])
        except Exception:
            policy = {"Statement": []}
        allowed = False
        for statement in policy.get("Statement", []):
            principal = statement.get("Principal")
            service = principal.get("Service") if isinstance(principal, dict) else principal
            source = ((statement.get("Condition") or {}).get("ArnLike") or {}).get("AWS:SourceArn", "")
            if service == "apigateway.amazonaws.com" and f":{self.api.api_id}/" in f"{source}/":
                allowed = True
        if not allowed:
            LOG.warning("%s: no permission lets API %s invoke it", qualified_arn, self.api.api_id)
        self._permission_checked[qualified_arn] = allowed
        return allowed

    def _invoke(self, function: DeployedFunction, event: dict[str, Any], timeout_s: float) -> Any:
        name = function.spec.name
        with self.slots:
            with self.lock:
                pool = self.idle.setdefault(name, [])
                environment = pool.pop() if pool else None
            if environment is None:
                environment = ExecutionEnvironment(
                    function.spec, self.endpoint, self.region, self.log_dir / f"{name}.log"
                )
            result = environment.invoke(event)
            with self.lock:
                self.idle[name].append(environment)
            return result

    # -- server ---------------------------------------------------------------------------------------------------

    def start(self) -> LocalHttpApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers: dict[str, str] = {}
                for name, value in self.headers.items():
                    headers[name] = f"{headers[name]},{value}" if name in headers else value
                try:
                    status, answer_headers, answer = api.handle(self.command, self.path, headers, body)
                except Exception:  # the local API must answer, as API Gateway does
                    LOG.exception("local HTTP API failed")
                    status, answer_headers, answer = _message(500, "Internal Server Error")
                self.send_response(status)
                for name, value in answer_headers.items():
                    if name.lower() not in ("content-length", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.send_header("apigw-requestid", str(int(time.time() * 1000)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name=f"http-api-{self.api.api_id}", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self.lock:
            for pool in self.idle.values():
                for environment in pool:
                    environment.stop()
            self.idle.clear()


def _message(status: int, message: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json", **(headers or {})}, json.dumps({"message": message}).encode()


__all__ = ["HttpApi", "JwtAuthorizer", "JwtVerifier", "LocalHttpApi", "Route", "discover_apis", "route_pattern"]
