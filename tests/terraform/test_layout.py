"""The file layout docs/terraform.md describes: IAM in iam.tf, locals at the top of their file, and variables.tf
grouped under the section banners of main.tf, in the same order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [
    ".",
    "modules/eventbridge_fanout",
    "modules/idempotency_table",
    "modules/lambda_with_dlq",
    "modules/upload_api",
]

_BANNER = re.compile(r"^# -{20,}\n# (.+)\n# -{20,}$", re.MULTILINE)
_TOP_LEVEL = re.compile(r'^(resource|data|module|locals)\b(?:\s+"([^"]+)")?', re.MULTILINE)
_IAM_TYPES = ("aws_iam_", "aws_lambda_permission")


def _banners(path: Path) -> list[str]:
    return _BANNER.findall(path.read_text())


def _blocks(path: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2) or "") for m in _TOP_LEVEL.finditer(path.read_text())]


@pytest.mark.parametrize("config", CONFIGS)
def test_variables_follow_the_sections_of_main(config: str) -> None:
    directory = ROOT / config
    sections, groups = _banners(directory / "main.tf"), _banners(directory / "variables.tf")
    assert sections, "main.tf has no section banners"
    assert groups[: len(sections)] == sections
    # Any further group holds the inputs of another file and is named after it (IAM: iam.tf, Alarms: alarms.tf).
    for title in groups[len(sections) :]:
        assert (directory / f"{title.lower().replace(' ', '_')}.tf").is_file(), title


@pytest.mark.parametrize("config", CONFIGS)
def test_iam_lives_in_iam_tf(config: str) -> None:
    directory = ROOT / config
    assert (directory / "iam.tf").is_file()
    misplaced = [
        f"{path.name}: {kind} {type_}"
        for path in sorted(directory.glob("*.tf"))
        if path.name != "iam.tf"
        for kind, type_ in _blocks(path)
        if type_.startswith(_IAM_TYPES)
    ]
    assert misplaced == []


@pytest.mark.parametrize("config", CONFIGS)
def test_locals_come_first_in_their_file(config: str) -> None:
    for path in sorted((ROOT / config).glob("*.tf")):
        kinds = [kind for kind, _ in _blocks(path)]
        first_other = next((i for i, kind in enumerate(kinds) if kind != "locals"), len(kinds))
        assert "locals" not in kinds[first_other:], f"{path.name}: a locals block after a resource or module"


MODULES = [
    ".",
    "modules/eventbridge_fanout",
    "modules/idempotency_table",
    "modules/lambda_with_dlq",
    "modules/upload_api",
]
_PROVIDER_BLOCK = re.compile(r'^provider\s+"[^"]+"\s*\{', re.MULTILINE)


@pytest.mark.parametrize("config", MODULES)
def test_modules_configure_no_provider(config: str) -> None:
    """The root stack is a module too (examples call it with for_each and aliased providers): a provider block
    in it would make `count`, `for_each`, `depends_on` and `providers = {...}` impossible for its callers.
    Provider configuration belongs to the examples and to the emulator's generated override."""
    configured = [
        path.name for path in sorted((ROOT / config).glob("*.tf")) if _PROVIDER_BLOCK.search(path.read_text())
    ]
    assert configured == []


# Resource-level meta-arguments (two spaces in, as terraform fmt lays them out; dynamic blocks are deeper).
_COUNT_ON_NULL = re.compile(r"^  (count|for_each)\s*=.*\bvar\.[\w.]+\s*(==|!=)\s*null", re.MULTILINE)


@pytest.mark.parametrize("config", MODULES)
def test_counts_do_not_test_for_null(config: str) -> None:
    """checkov 3.3 reads `var.x == null` (and `!= null`) on an input left at its null default inside a module
    as a count of 0 and silently skips the resource: the execution role went unscanned that way (95 passed
    checks became 77, with 0 failed). Resources are switched by booleans (create_role, as in
    terraform-aws-modules) or known strings."""
    offending = [
        f"{path.name}: {match.group(0).strip()}"
        for path in sorted((ROOT / config).glob("*.tf"))
        for match in _COUNT_ON_NULL.finditer(path.read_text())
    ]
    assert offending == []
