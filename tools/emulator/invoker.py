"""Execution environments: a worker process per concurrent invoke, with Lambda's timeout and memory limit.

An environment is started lazily, imports the handler once (init phase) and is reused for later invokes, like
a warm Lambda sandbox. A timeout or crash (e.g. the memory limit) kills it; the next invoke starts a fresh one.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.emulator.endpoints import Endpoints, as_endpoints

WORKER = Path(__file__).with_name("worker.py")
INIT_TIMEOUT_S = 10.0  # Lambda's limit for the init phase (imports, module-level clients)


@dataclass(frozen=True)
class FunctionSpec:
    """What the runner read back from the emulator, plus the local code and layer directories."""

    name: str
    arn: str
    handler: str
    runtime: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    code_dir: Path
    layer_dirs: tuple[Path, ...] = ()
    # The execution role's session (access key, secret, token), as Lambda gives a function; None: the fake ones.
    credentials: tuple[str, str, str] | None = None

    def python_path(self) -> list[Path]:
        # Lambda's order: /var/task, then each layer's python/ and python/lib/pythonX.Y/site-packages.
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        paths = [self.code_dir]
        for layer in self.layer_dirs:
            paths += [layer / "python", layer / "python" / "lib" / version / "site-packages"]
        return [p for p in paths if p.is_dir()]


@dataclass
class InvokeResult:
    status: str  # "ok" | "error" | "timeout" | "crash"
    result: Any = None
    error: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    cold_start: bool = False


def _credentials(spec: FunctionSpec, endpoints: Endpoints) -> dict[str, str]:
    key_id, secret, token = (
        spec.credentials
        if spec.credentials and endpoints.localstack is None
        else (endpoints.access_key, "test", "test")
    )
    return {"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token}


def worker_environment(spec: FunctionSpec, endpoint: str | Endpoints, region: str) -> dict[str, str]:
    endpoints = as_endpoints(endpoint)
    env = dict(spec.environment)
    env.update(
        {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONPATH": os.pathsep.join(str(p) for p in spec.python_path()),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            # Keep virtual memory close to resident so RLIMIT_AS behaves like Lambda's memory limit.
            "MALLOC_ARENA_MAX": "2",
            # The worker applies RLIMIT_AS from this before importing anything (no preexec_fn in a threaded parent).
            "EMULATOR_MEMORY_LIMIT_MB": str(spec.memory_mb),
            "_HANDLER": spec.handler,
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "EMULATOR_FUNCTION_ARN": spec.arn,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            # Every AWS call of the handler goes to the emulator (each service where it is served). On moto with its
            # execution role's session (bucket policies naming a principal see it), as Lambda does; where LocalStack
            # serves services, with the key that names the session's account (LocalStack reads the account from it).
            **endpoints.environ(),
            **_credentials(spec, endpoints),
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # No X-Ray daemon or trace header locally.
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    return env


class ExecutionEnvironment:
    def __init__(self, spec: FunctionSpec, endpoint: str | Endpoints, region: str, log_path: Path) -> None:
        self.spec = spec
        self.endpoint = endpoint
        self.region = region
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._request_w: int | None = None
        self._response_r: int | None = None
        self._buffer = b""

    def _start(self) -> None:
        request_r, request_w = os.pipe()
        response_r, response_w = os.pipe()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(WORKER), str(request_r), str(response_w)],
                env=worker_environment(self.spec, self.endpoint, self.region),
                cwd=self.spec.code_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(request_r, response_w),
            )
        os.close(request_r)
        os.close(response_w)
        self._request_w, self._response_r, self._buffer = request_w, response_r, b""
        if self._read_line(time.monotonic() + INIT_TIMEOUT_S) is None:
            self.stop()

    def invoke(self, event: dict[str, Any]) -> InvokeResult:
        cold = self.process is None or self.process.poll() is not None
        if cold:
            self.stop()
            self._start()
            if self.process is None:
                return InvokeResult("crash", error={"errorType": "Runtime.InitTimeout"}, cold_start=True)
        started = time.monotonic()
        deadline = time.time() + self.spec.timeout_s
        request = {"event": event, "request_id": str(uuid.uuid4()), "deadline": deadline}
        try:
            os.write(self._request_w, (json.dumps(request) + "\n").encode())  # type: ignore[arg-type]
        except OSError:
            self.stop()
            return InvokeResult("crash", error={"errorType": "Runtime.ExitError"}, cold_start=cold)
        line = self._read_line(started + self.spec.timeout_s)
        duration = time.monotonic() - started
        if line is None:
            timed_out = self.process is not None and self.process.poll() is None
            self.stop()
            if timed_out:
                message = f"Task timed out after {self.spec.timeout_s:.2f} seconds"
                return InvokeResult(
                    "timeout",
                    error={"errorType": "Sandbox.Timedout", "errorMessage": message},
                    duration_s=duration,
                    cold_start=cold,
                )
            return InvokeResult("crash", error={"errorType": "Runtime.ExitError"}, duration_s=duration, cold_start=cold)
        response = json.loads(line)
        if response.get("ok"):
            return InvokeResult("ok", result=response.get("result"), duration_s=duration, cold_start=cold)
        if response.get("errorType") == "MemoryError":
            # Lambda ends an environment that ran out of memory; the next invoke gets a fresh one.
            self.stop()
            response = {**response, "errorType": "Runtime.OutOfMemory"}
        return InvokeResult("error", error=response, duration_s=duration, cold_start=cold)

    def _read_line(self, deadline: float) -> str | None:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._response_r], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self._response_r, 65536)  # type: ignore[arg-type]
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()
        for fd in (self._request_w, self._response_r):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.process, self._request_w, self._response_r = None, None, None
