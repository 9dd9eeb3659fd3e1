"""One emulator session: start the backend (moto, or LocalStack core + moto), apply stacks, run their functions
locally, destroy, stop."""

from __future__ import annotations

import os
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tools.emulator.endpoints import Endpoints
from tools.emulator.fault_proxy import FaultProxy
from tools.emulator.localstack_core import CoreWorkspace, LocalStackCore, core_routes
from tools.emulator.results import Consumers
from tools.emulator.runner import LocalLambdaRunner
from tools.emulator.server import DEFAULT_REGION, REPO_ROOT, EmulatorServer
from tools.emulator.terraform import Workspace

log = print


def local_lambda_platform() -> dict[str, str]:
    """The runtime/architecture whose Pillow wheels this interpreter can import."""
    machine = platform.machine().lower()
    return {
        "lambda_runtime": f"python{sys.version_info.major}.{sys.version_info.minor}",
        "lambda_architecture": "arm64" if machine in ("aarch64", "arm64") else "x86_64",
    }


def real_stack_variables(
    name_prefix: str = "emu", artifacts_dir: Path | None = None, upload_api: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Variables for the reference root stack on the emulator; `upload_api` (FrontDoor.stack_variables()) adds
    the upload API."""
    return {
        **({"upload_api": upload_api} if upload_api is not None else {}),
        "name_prefix": name_prefix,
        "force_destroy": True,
        # moto would act on enabled mappings itself (and count receives); the runner polls instead.
        "event_source_mapping_enabled": False,
        # The public layer cannot be resolved by the emulator; workers use this interpreter's Powertools.
        "use_public_powertools_layer": False,
        "artifacts_dir": str((artifacts_dir or REPO_ROOT / "dist").resolve()),
        # A local invoke takes a second at most; 20 s (60 s on AWS) keeps a run into the timeout short.
        "image_resizer": {"timeout": 20},
        "metadata_extractor": {"timeout": 20},
        **local_lambda_platform(),
    }


@dataclass
class StackSpec:
    name: str
    stack_dir: Path
    variables: dict[str, Any]


BACKENDS = ("moto", "localstack-core")


class FaultHook(Protocol):
    """The S3 fault hook the handlers read through (faults.py): the moto server's, or the fault proxy's."""

    def set_faults(self, key_regex: str | None, times_per_key: int = 1, delay_s: float = 0.0) -> dict[str, object]: ...

    def faults(self) -> dict[str, object]: ...


@dataclass
class EmulatorSession:
    """Context manager; `stacks` are applied in parallel (their waits overlap).

    `backend` "moto": every service on the embedded moto server. "localstack-core": the services of
    `localstack_core.LOCALSTACK_SERVICES` on LocalStack's open-source core, the rest on the moto server; the
    handlers read S3 through the fault proxy. `endpoints` says where each service is (for clients);
    `faults` is the S3 fault hook."""

    stacks: list[StackSpec]
    build_dir: Path
    artifacts: list[Path]
    destroy: bool = True
    local_concurrency: int = 2
    failed_visibility_timeout_s: int | None = 1
    region: str = DEFAULT_REGION
    backend: str = "moto"
    timings: dict[str, float] = field(default_factory=dict)
    server: EmulatorServer | None = None
    localstack: LocalStackCore | None = None
    fault_proxy: FaultProxy | None = None
    endpoints: Endpoints | None = None
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    runner: LocalLambdaRunner | None = None
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _timed(self, label: str, started: float) -> None:
        self.timings[label] = round(time.monotonic() - started, 1)

    def _start_servers(self) -> tuple[Endpoints, Endpoints]:
        """(endpoints for clients and Terraform, endpoints for the handlers)."""
        if self.backend == "moto":
            self.server = EmulatorServer(self.build_dir / "emulator.log").start()
            endpoints = Endpoints(self.server.endpoint)
            return endpoints, endpoints
        if self.backend != "localstack-core":
            raise ValueError(f"unknown backend {self.backend!r}, expected one of {BACKENDS}")
        self.localstack = LocalStackCore(self.build_dir / "localstack").start()
        self.server = EmulatorServer(self.build_dir / "emulator.log", external_sqs=self.localstack.endpoint).start()
        self.fault_proxy = FaultProxy(self.build_dir / "fault-proxy.log", self.localstack.endpoint).start()
        endpoints = core_routes(self.localstack.endpoint, self.server.endpoint)
        return endpoints, endpoints.with_route("s3", self.fault_proxy.endpoint)

    def _workspace(self, stack: StackSpec, endpoints: Endpoints) -> Workspace:
        args = (stack.stack_dir.resolve(), self.build_dir / "terraform" / stack.name, endpoints.default, self.region)
        log_path = self.build_dir / f"terraform-{stack.name}.log"
        if self.backend == "moto":
            return Workspace(*args, stack.variables, log_path=log_path).prepare()
        return CoreWorkspace(*args, stack.variables, log_path=log_path, routes=endpoints).prepare()

    def start(self) -> EmulatorSession:
        self.build_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            self.endpoints, handler_endpoints = self._start_servers()
            self._timed("emulator_start_s", started)
            for stack in self.stacks:
                self.workspaces[stack.name] = self._workspace(stack, self.endpoints)
            started = time.monotonic()
            with ThreadPoolExecutor(max(1, len(self.workspaces))) as pool:
                list(pool.map(lambda ws: (ws.init(), ws.apply()), self.workspaces.values()))
            self._timed("apply_s", started)
            for name, workspace in self.workspaces.items():
                self.outputs[name] = workspace.outputs()
            started = time.monotonic()
            self.runner = LocalLambdaRunner(
                handler_endpoints,
                self.build_dir / "runner",
                self.artifacts,
                region=self.region,
                local_concurrency=self.local_concurrency,
                failed_visibility_timeout_s=self.failed_visibility_timeout_s,
            ).start()
            self._timed("runner_start_s", started)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.runner = None
        try:
            if self.destroy and self.workspaces:
                started = time.monotonic()
                with ThreadPoolExecutor(len(self.workspaces)) as pool:
                    list(pool.map(lambda ws: ws.destroy(), self.workspaces.values()))
                self._timed("destroy_s", started)
        finally:
            self.workspaces = {} if self.destroy else self.workspaces
            for process in (self.fault_proxy, self.server, self.localstack):
                if process is not None:
                    process.stop()
            self.fault_proxy = self.server = self.localstack = None

    @property
    def endpoint(self) -> str:
        """The moto server's URL: every service on the moto backend; use `endpoints` on any backend."""
        assert self.server is not None
        return self.server.endpoint

    @property
    def faults(self) -> FaultHook:
        hook = self.fault_proxy or self.server
        assert hook is not None
        return hook

    def settle(self, timeout_s: float = 120.0) -> bool:
        assert self.runner is not None
        return self.runner.wait_until_settled(timeout_s=timeout_s)

    def consumers(self) -> Consumers:
        assert self.runner is not None
        return Consumers.from_runner(self.runner.functions)

    def __enter__(self) -> EmulatorSession:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def artifact_zips(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.zip")) if root.is_dir() else []


def environ_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
