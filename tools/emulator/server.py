"""Emulator launcher: moto's server, in-process, with the documented patches and the fault hook.

    python -m tools.emulator.server --port 0 [--no-patches] [--port-file FILE] [--external-sqs URL]

`EmulatorServer` starts it as a child process on a free 127.0.0.1 port and stops it again.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test"}


def serve(host: str, port: int, patched: bool, port_file: Path | None, external_sqs: str | None = None) -> None:
    # Managed policies (AWSLambdaBasicExecutionRole, ...) are only loaded when asked for.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    # S3 answers browsers by each bucket's CORS configuration, as on AWS (moto's default allows every origin).
    os.environ.setdefault("MOTO_DISABLE_GLOBAL_CORS", "true")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from tools.emulator.faults import FaultInjector
    from tools.emulator.patches import apply_all

    applied = apply_all() if patched else []
    if external_sqs:  # the localstack-core backend: event source mappings on queues of LocalStack's SQS
        from tools.emulator.external_sqs import accept_external_queues

        applied.append(accept_external_queues(external_sqs))
    app = FaultInjector(DomainDispatcherApplication(create_backend_app))
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    # State machines run (the reprocess workflow), their AWS calls coming back to this server: moto's own settings,
    # not a patch, so stock and patched servers compare on equal terms.
    from tools.emulator.stepfunctions import enable_execution

    enable_execution(server.server_address[1])
    serve_forever(server, port_file, f"emulator: moto on {{url}} patches={applied}", patches=applied)


def serve_forever(server: Any, port_file: Path | None, banner: str, **info: object) -> None:
    """Tell the parent (`EmulatorServer.start`) the port `server` is bound to, and `info`, through `port_file`;
    print `banner` (formatted with the server's `url`) and serve."""
    host, port = server.server_address[:2]
    if port_file:
        port_file.write_text(json.dumps({"port": port, **info}))
    print(banner.format(url=f"http://{host}:{port}"), flush=True)
    server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--no-patches", action="store_true", help="serve stock moto (for comparison)")
    parser.add_argument("--port-file", type=Path)
    parser.add_argument("--external-sqs", help="SQS endpoint whose queues event source mappings may name")
    args = parser.parse_args(argv)
    serve(args.host, args.port, not args.no_patches, args.port_file, args.external_sqs)


class EmulatorServer:
    """A moto server child process on a free loopback port."""

    def __init__(self, log_path: Path, patched: bool = True, external_sqs: str | None = None) -> None:
        self.log_path = log_path
        self.patched = patched
        self.external_sqs = external_sqs
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> EmulatorServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        port_file = self.log_path.with_suffix(".port.json")
        port_file.unlink(missing_ok=True)
        command = [*self.command(), "--port", "0", "--port-file", str(port_file)]
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"emulator exited early, see {self.log_path}")
            if port_file.exists() and port_file.read_text():
                self.port = json.loads(port_file.read_text())["port"]
                if _reachable(self.port):
                    return self
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"emulator did not start within {timeout}s, see {self.log_path}")

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "tools.emulator.server"]
        if not self.patched:
            command.append("--no-patches")
        if self.external_sqs:
            command += ["--external-sqs", self.external_sqs]
        return command

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def set_faults(self, key_regex: str | None, times_per_key: int = 1, delay_s: float = 0.0) -> dict[str, object]:
        return self._faults({"key_regex": key_regex, "times_per_key": times_per_key, "delay_s": delay_s})

    def faults(self) -> dict[str, object]:
        return self._faults(None)

    def _faults(self, body: dict[str, object] | None) -> dict[str, object]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.endpoint}/_emulator/faults", data=data, method="POST" if data else "GET"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    main()
