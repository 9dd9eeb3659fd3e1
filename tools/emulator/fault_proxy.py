"""The emulator's S3 fault hook in front of another S3 (LocalStack's), for the handlers' reads.

    python -m tools.emulator.fault_proxy --upstream URL --port 0 [--port-file FILE]

A plain HTTP forwarder with `faults.FaultInjector` in front of it: the same `POST /_emulator/faults` rules as the
moto server's hook, applied to the requests that pass through. The localstack-core backend points the local
Lambda runner's workers (`AWS_ENDPOINT_URL_S3`) at it, so the handlers read their uploads through the hook,
while Terraform and the tests talk to LocalStack directly. `FaultProxy` runs it as a child process.
"""

from __future__ import annotations

import argparse
import http.client
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tools.emulator.server import EmulatorServer, serve_forever

# Hop-by-hop headers (RFC 9110) are not forwarded; the body is re-sent with its length.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


class Forwarder:
    """WSGI app: every request to `upstream`, the answer back as it came."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = _request_body(environ)
        path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or _path(environ)
        headers = {
            name[5:].replace("_", "-").title(): value
            for name, value in environ.items()
            if name.startswith("HTTP_") and name[5:].replace("_", "-").lower() not in _HOP_BY_HOP
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["Content-Length"] = str(len(body))
        headers["Host"] = f"{self.host}:{self.port}"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=300)
        try:
            connection.request(environ["REQUEST_METHOD"], path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            status = f"{response.status} {response.reason}"
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}]
        finally:
            connection.close()
        start_response(status, [*kept, ("Content-Length", str(len(payload)))])
        return [payload]


def _request_body(environ: dict[str, Any]) -> bytes:
    """The body by its length; a chunked one (the server de-chunks it) to its end; none otherwise (reading a
    keep-alive connection to its end would wait for the client to hang up)."""
    length = environ.get("CONTENT_LENGTH")
    if length:
        return bytes(environ["wsgi.input"].read(int(length)))
    if environ.get("wsgi.input_terminated"):
        return bytes(environ["wsgi.input"].read())
    return b""


def _path(environ: dict[str, Any]) -> str:
    from urllib.parse import quote

    path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/~!$&'()*+,;=:@%")
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path


def serve(upstream: str, host: str, port: int, port_file: Path | None) -> None:
    from werkzeug.serving import make_server

    from tools.emulator.faults import FaultInjector

    server = make_server(host, port, FaultInjector(Forwarder(upstream)), threaded=True)
    serve_forever(server, port_file, f"fault proxy: {{url}} -> {upstream}", upstream=upstream)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", type=Path)
    args = parser.parse_args(argv)
    serve(args.upstream, args.host, args.port, args.port_file)


class FaultProxy(EmulatorServer):
    """The proxy as a child process on a free loopback port; `set_faults` / `faults` as on the moto server."""

    def __init__(self, log_path: Path, upstream: str) -> None:
        super().__init__(log_path)
        self.upstream = upstream

    def command(self) -> list[str]:
        return [sys.executable, "-m", "tools.emulator.fault_proxy", "--upstream", self.upstream]


if __name__ == "__main__":
    main()
