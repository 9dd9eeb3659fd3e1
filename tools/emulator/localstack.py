"""The second backend: the real root stack on LocalStack, applied with tflocal; LocalStack runs the functions.

Free LocalStack has no layers, so the functions are the self-contained zips (`tools.build --self-contained`),
placed where the stack expects functions/<name>.zip; mappings stay enabled (LocalStack polls the queues).
Needs a running LocalStack (Docker, LOCALSTACK_AUTH_TOKEN) and `pip install terraform-local localstack-client`
(`make test-localstack` does both checks and the install).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.emulator.discovery import DeployedFunction, aws_client
from tools.emulator.endpoints import Endpoints
from tools.emulator.invoker import FunctionSpec
from tools.emulator.results import Consumers
from tools.emulator.server import REPO_ROOT
from tools.emulator.session import local_lambda_platform, real_stack_variables
from tools.emulator.terraform import Workspace

DEFAULT_ENDPOINT = "http://localhost:4566"


def build_self_contained(out: Path, runtime: str = "python3.12") -> Path:
    """functions/<name>.zip = the self-contained zips; layers/ as built (the stack still declares the layer)."""
    arch = local_lambda_platform()["lambda_architecture"]
    command = [
        sys.executable,
        "-m",
        "tools.build",
        "--runtime",
        runtime,
        "--arch",
        arch,
        "--self-contained",
        "--out",
        str(out),
    ]
    subprocess.run(command, cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
    for bundled in (out / "self-contained").glob("*.zip"):
        shutil.copyfile(bundled, out / "functions" / bundled.name)
    return out


class TflocalWorkspace(Workspace):
    """A Workspace whose commands run through tflocal (it writes its own provider override)."""

    def prepare(self) -> TflocalWorkspace:
        self.binary = shutil.which("tflocal") or str(Path(sys.executable).with_name("tflocal"))
        super().prepare()
        for generated in ("emulator_override.tf", "emulator_provider.tf"):
            (self.work_dir / generated).unlink(missing_ok=True)
        return self

    def env(self) -> dict[str, str]:
        env = super().env()
        env["AWS_ENDPOINT_URL"] = self.endpoint
        return env


@dataclass
class LocalStackSession:
    build_dir: Path
    endpoint: str = DEFAULT_ENDPOINT
    region: str = "us-east-1"
    timings: dict[str, float] = field(default_factory=dict)
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    runner: None = None
    server: None = None

    def start(self) -> LocalStackSession:
        dist = build_self_contained(self.build_dir / "dist")
        variables = {
            **real_stack_variables(artifacts_dir=dist),
            "event_source_mapping_enabled": True,
            "lambda_runtime": "python3.12",
        }
        workspace = TflocalWorkspace(
            REPO_ROOT,
            self.build_dir / "terraform",
            self.endpoint,
            self.region,
            variables,
            log_path=self.build_dir / "terraform.log",
        ).prepare()
        started = time.monotonic()
        workspace.init()
        workspace.apply()
        self.timings["apply_s"] = round(time.monotonic() - started, 1)
        self.workspaces["reference"] = workspace
        self.outputs["reference"] = workspace.outputs()
        return self

    @property
    def endpoints(self) -> Endpoints:
        """Every service on LocalStack; clients from localstack-client."""
        return Endpoints(self.endpoint, localstack=self.endpoint)

    def close(self) -> None:
        for workspace in self.workspaces.values():
            workspace.destroy()
        self.workspaces = {}

    def settle(self, timeout_s: float = 180.0, quiet_s: float = 3.0) -> bool:
        sqs = aws_client("sqs", self.endpoint, self.region)
        urls = list(self.outputs["reference"]["buffer_queue_urls"].values())
        deadline, quiet_since = time.monotonic() + timeout_s, None
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        while time.monotonic() < deadline:
            depth = sum(
                int(v)
                for url in urls
                for v in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"].values()
            )
            if depth:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_s:
                return True
            time.sleep(0.5)
        return False

    def consumers(self) -> Consumers:
        lam = aws_client("lambda", self.endpoint, self.region)
        functions = []
        for name in self.outputs["reference"]["function_names"].values():
            config = lam.get_function_configuration(FunctionName=name)
            spec = FunctionSpec(
                name,
                config["FunctionArn"],
                config["Handler"],
                config.get("Runtime", ""),
                int(config["Timeout"]),
                int(config["MemorySize"]),
                dict(config.get("Environment", {}).get("Variables", {})),
                Path("/nonexistent"),
            )
            functions.append(DeployedFunction(spec, Path("/nonexistent"), [], [], []))
        return Consumers.from_runner(functions)
