"""The stack's configuration as Terraform has it: memory, timeout and reserved concurrency of each function; batch
size, batching window and maximum concurrency of its event source mapping; its buffer queue's visibility timeout
and retention; the search index's GSIs; how many alarms and dashboards.

From `terraform show -json` of a plan (planned_values) or of a state (values), whichever is given; without one, the
root stack is planned here, offline (a mirrored workspace as the emulator uses, fake credentials, artifacts named
in S3 so that no zip is needed, no resource read: nothing is created or contacted), with an optional var file.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.emulator.server import REPO_ROOT
from tools.emulator.terraform import Workspace

# The plan needs no zips: artifacts "in S3" are only named, never read, by a plan.
PLAN_VARIABLES = {"artifacts_s3": {"bucket": "capacity-report-plan", "key_prefix": ""}}
NOWHERE = "http://127.0.0.1:9"  # the provider's endpoint: a plan of new resources calls none


@dataclass(frozen=True)
class ConsumerConfig:
    name: str
    function_name: str
    memory_mb: int
    timeout_s: int
    reserved_concurrency: int | None
    batch_size: int
    batching_window_s: float
    maximum_concurrency: int | None
    visibility_timeout_s: int
    retention_s: int


@dataclass(frozen=True)
class StackConfig:
    consumers: dict[str, ConsumerConfig]
    architecture: str
    search_index_gsis: int
    alarms: int
    dashboards: int
    source: str


def from_terraform_json(document: dict[str, Any], source: str) -> StackConfig:
    """From `terraform show -json` of a plan or a state of the root stack (or a configuration calling it)."""
    values = document.get("planned_values") or document.get("values")
    if not values:
        raise ValueError(f"{source}: neither planned_values nor values: not `terraform show -json` output")
    resources = list(_resources(values["root_module"]))
    functions = {
        _owner(r["address"]): r["values"] for r in resources if r["type"] == "aws_lambda_function" and r["values"]
    }
    mappings = {_owner(r["address"]): r["values"] for r in resources if r["type"] == "aws_lambda_event_source_mapping"}
    buffers = {
        _owner(r["address"]): r["values"]
        for r in resources
        if r["type"] == "aws_sqs_queue" and r["address"].split(".")[-1].startswith("buffer")
    }
    consumers = {}
    architectures: set[str] = set()
    for owner, function in functions.items():
        name = str(function["handler"]).split(".")[0]  # <consumer>.app.handler (docs/contracts.md)
        mapping, buffer = mappings.get(owner), buffers.get(owner)
        if mapping is None or buffer is None:
            continue  # not a queue-mode consumer
        architectures.update(function.get("architectures") or [])
        reserved = function.get("reserved_concurrent_executions")
        scaling = mapping.get("scaling_config") or []
        consumers[name] = ConsumerConfig(
            name=name,
            function_name=str(function["function_name"]),
            memory_mb=int(function["memory_size"]),
            timeout_s=int(function["timeout"]),
            reserved_concurrency=None if reserved in (None, -1) else int(reserved),
            batch_size=int(mapping["batch_size"]),
            batching_window_s=float(mapping.get("maximum_batching_window_in_seconds") or 0),
            maximum_concurrency=int(scaling[0]["maximum_concurrency"]) if scaling else None,
            visibility_timeout_s=int(buffer["visibility_timeout_seconds"]),
            retention_s=int(buffer["message_retention_seconds"]),
        )
    if not consumers:
        raise ValueError(f"{source}: no function with an SQS event source mapping and a buffer queue")
    if len(architectures) != 1:
        raise ValueError(f"{source}: the consumers run on {sorted(architectures)}; one architecture expected")
    index = [r for r in resources if r["type"] == "aws_dynamodb_table" and r["name"] == "search_index"]
    gsis = len(index[0]["values"].get("global_secondary_index") or []) if index else 0
    alarms = sum(r["type"] == "aws_cloudwatch_metric_alarm" for r in resources)
    dashboards = sum(r["type"] == "aws_cloudwatch_dashboard" for r in resources)
    return StackConfig(dict(sorted(consumers.items())), architectures.pop(), gsis, alarms, dashboards, source)


def _resources(module: dict[str, Any]) -> Any:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def _owner(address: str) -> str:
    """The module instance a resource belongs to: `module.consumer["image_resizer"]` for its function, mapping
    and queues alike."""
    return address.rsplit(".", 2)[0] if address.startswith("module.") else ""


def plan_root_stack(work_dir: Path, var_file: Path | None = None) -> dict[str, Any]:
    """`terraform plan` of the root stack with its defaults (and `var_file`), offline; its `show -json`, also kept
    as `work_dir`/plan.json."""
    workspace = Workspace(REPO_ROOT, work_dir, NOWHERE, variables=PLAN_VARIABLES).prepare()
    workspace.init()
    arguments = ["plan", "-no-color", "-input=false", "-refresh=false", "-out=capacity.tfplan"]
    arguments += ["-var-file=emulator.tfvars.json"] + ([f"-var-file={var_file.resolve()}"] if var_file else [])
    workspace.run(*arguments)
    shown = subprocess.run(
        ["terraform", "show", "-json", "capacity.tfplan"],
        cwd=work_dir,
        env=workspace.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    (work_dir / "plan.json").write_text(shown.stdout)  # kept: `make capacity PLAN_JSON=` reads it back
    document: dict[str, Any] = json.loads(shown.stdout)
    return document


def read_stack(plan_json: Path | None, work_dir: Path, var_file: Path | None = None) -> StackConfig:
    if plan_json is not None:
        return from_terraform_json(json.loads(plan_json.read_text()), str(plan_json))
    described = "a plan of the root stack" + (f" with {var_file}" if var_file else " with its defaults")
    described += f" (kept as {work_dir / 'plan.json'})"
    return from_terraform_json(plan_root_stack(work_dir, var_file), described)


__all__ = ["ConsumerConfig", "StackConfig", "from_terraform_json", "plan_root_stack", "read_stack"]
