"""The local pieces around the upload API on the emulator: an OIDC issuer (tools/emulator/oidc.py) that the
API's JWT authorizer trusts, and the upload page (web/) served from its own origin, which the stack's CORS
settings name. Both start before the stack is applied (their URLs are its variables); `connect` then points the
page at the API the runner serves.

    with FrontDoor() as door:
        variables = real_stack_variables(..., upload_api=door.stack_variables())
        ... apply, start the runner ...
        door.connect(runner.api_urls[outputs["upload_api"]["api_id"]])
        print(door.page_url(door.issuer.token("alice")))

    python -m tools.emulator.front_door config --api-url https://<api>.execute-api.<region>.amazonaws.com
        prints web/config.json for a deployed API (the accepted types come from the consumers' UPLOAD_CONTENT_TYPES)
"""

from __future__ import annotations

import argparse
import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tools.emulator.oidc import LocalIssuer
from tools.emulator.s3_auth import ACCOUNT
from tools.emulator.server import REPO_ROOT

WEB_DIR = REPO_ROOT / "web"
# The emulator's fake credentials are the account's root user (tools/emulator/s3_auth.py): the samples, `make
# run-local` and the tests upload to uploads/<owner>/ directly, so that principal keeps direct writes.
EMULATOR_DIRECT_WRITER = f"arn:aws:iam::{ACCOUNT}:root"
# The API's function is pure Python and runs in this interpreter locally whatever its runtime says, so it is
# deployed as on AWS: python3.13 with SnapStart (the Pillow layer's functions must match the interpreter instead).
API_RUNTIME = "python3.13"


def page_config(api_url: str) -> dict[str, Any]:
    """web/config.json: where the API is, which content types the page offers (the consumers'
    UPLOAD_CONTENT_TYPES) and the type of each file extension, for files the browser types as "" (a .heic on a
    system without a HEIF entry in its MIME database)."""
    from upload_api.keys import ACCEPTED_CONTENT_TYPES, EXTENSIONS

    by_extension = {f".{extension}": mime for mime, extension in EXTENSIONS.items()}
    by_extension |= {".jpeg": "image/jpeg", ".tif": "image/tiff"}  # the other names those files go by
    return {
        "api_url": api_url.rstrip("/"),
        "accepted_content_types": list(ACCEPTED_CONTENT_TYPES),
        "content_types_by_extension": dict(sorted(by_extension.items())),
    }


class PageServer:
    """web/ as static files, plus /config.json from memory, on a 127.0.0.1 port."""

    def __init__(self, directory: Path = WEB_DIR) -> None:
        self.directory = directory
        self.config: dict[str, Any] = {}
        self._server: ThreadingHTTPServer | None = None

    @property
    def origin(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> PageServer:
        page = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] == "/config.json":
                    data = json.dumps(page.config).encode()
                    self.send_response(200 if page.config else 503)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Cache-Control", "no-store")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                super().do_GET()

            def end_headers(self) -> None:
                self.send_header("Cache-Control", "no-store")
                super().end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(self.directory)))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="upload-page", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class FrontDoor:
    def __init__(self, web_dir: Path = WEB_DIR) -> None:
        self.issuer = LocalIssuer()
        self.page = PageServer(web_dir)

    def start(self) -> FrontDoor:
        self.issuer.start()
        self.page.start()
        return self

    def stack_variables(self) -> dict[str, Any]:
        """The root stack's `upload_api` for the emulator."""
        return {
            "jwt_issuer": self.issuer.url,
            "jwt_audience": [self.issuer.audience],
            "cors_allowed_origins": [self.page.origin],
            "direct_upload_principal_arns": [EMULATOR_DIRECT_WRITER],
            "runtime": API_RUNTIME,
        }

    def connect(self, api_url: str) -> None:
        self.page.config = page_config(api_url)

    def page_url(self, token: str | None = None) -> str:
        """The page; with a token in the fragment (never sent to a server), already signed in."""
        return f"{self.page.origin}/" + (f"#token={token}" if token else "")

    def stop(self) -> None:
        self.page.stop()
        self.issuer.stop()

    def __enter__(self) -> FrontDoor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.emulator.front_door", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    config = sub.add_parser("config", help="print web/config.json for a deployed API")
    config.add_argument("--api-url", required=True, help="the upload_api output's endpoint")
    args = parser.parse_args(argv)
    print(json.dumps(page_config(args.api_url), indent=2))


if __name__ == "__main__":
    main()


__all__ = ["EMULATOR_DIRECT_WRITER", "FrontDoor", "PageServer", "page_config"]
