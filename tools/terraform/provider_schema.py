"""The hashicorp/aws provider's own schema, read from the installed provider (`terraform providers schema -json`).

Tests use it to check the configurations against what the provider declares (which resource types take `tags`,
which arguments exist in the version installed here), instead of lists kept by hand.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = "registry.terraform.io/hashicorp/aws"
_CONFIG = 'terraform {\n  required_providers {\n    aws = {\n      source = "hashicorp/aws"\n    }\n  }\n}\n'


class SchemaUnavailable(RuntimeError):
    """Terraform or the aws provider cannot be reached (no binary, no mirror and no network)."""


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300)
    if proc.returncode != 0:
        raise SchemaUnavailable(f"{' '.join(args)} failed: {proc.stderr.strip()[-2000:]}")
    return proc.stdout


@cache
def aws_schema(workdir: Path = ROOT / "build" / "terraform" / "provider-schema") -> dict[str, Any]:
    """{"version": "<provider version>", "resources": {type: block schema}} of the aws provider installed by the
    project's CLI configuration (tools/terraform/cli_config.sh: the local mirror when there is one)."""
    terraform = shutil.which("terraform")
    if terraform is None:
        raise SchemaUnavailable("terraform is not on PATH")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "main.tf").write_text(_CONFIG)
    env = dict(os.environ)
    env["TF_CLI_CONFIG_FILE"] = _run([str(ROOT / "tools/terraform/cli_config.sh")], ROOT, env).strip()
    env["TF_IN_AUTOMATION"] = "1"
    _run([terraform, "init", "-backend=false", "-input=false", "-no-color"], workdir, env)
    version = json.loads(_run([terraform, "version", "-json"], workdir, env))["provider_selections"][PROVIDER]
    schema = json.loads(_run([terraform, "providers", "schema", "-json"], workdir, env))
    resources = schema["provider_schemas"][PROVIDER]["resource_schemas"]
    return {"version": version, "resources": {name: body["block"] for name, body in resources.items()}}


def taggable(resource_type: str) -> bool:
    """Whether the resource type takes a `tags` argument."""
    block = aws_schema()["resources"][resource_type]
    tags = block.get("attributes", {}).get("tags")
    return bool(tags) and not (tags.get("computed") and not tags.get("optional"))


def has_argument(resource_type: str, argument: str) -> bool:
    """Whether the resource type has this argument or nested block (top level)."""
    block = aws_schema()["resources"][resource_type]
    return argument in block.get("attributes", {}) or argument in block.get("block_types", {})
