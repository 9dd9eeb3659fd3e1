"""The version constraints are tested, not assumed.

The lower bound of `hashicorp/aws` is the newest provider feature the configurations use (FEATURES: when each
argument or value appeared in the provider, with the evidence); `terraform validate` and `terraform test` with
the provider installed here (the 5.100 mirror) show that nothing newer is needed, and the test below checks
that every feature of the table exists in that provider's schema. The same for Terraform's own features and
`required_version`. Only 5.100 is installed here, so versions between the floor and 5.100 are not exercised:
the floor rests on the table, which lists every argument the modules use that the provider added after 5.0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from packaging.version import Version

from tools.terraform.hcl_scan import mask
from tools.terraform.provider_schema import SchemaUnavailable, aws_schema, has_argument

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    ".",
    "modules/eventbridge_fanout",
    "modules/idempotency_table",
    "modules/lambda_with_dlq",
    "modules/upload_api",
]
VERSIONS_FILES = sorted(
    [ROOT / "versions.tf", *ROOT.glob("modules/*/versions.tf"), *ROOT.glob("examples/*/versions.tf")]
)
UPPER_BOUND = "< 7.0"  # until a 6.x test exists (UPGRADING.md lists the 6.x changes that touch the modules)


@dataclass(frozen=True)
class Feature:
    resource: str | None  # resource type whose argument or nested block it is; None for a value
    name: str  # argument / block name, or the literal value
    version: str  # first hashicorp/aws release with it
    evidence: str


FEATURES = [
    Feature(
        "aws_cloudwatch_event_rule",
        "state",
        "5.27",
        "hashicorp/terraform-provider-aws#34510; terraform-aws-modules/eventbridge raised its floor to 5.27 for it",
    ),
    Feature(
        "aws_lambda_function",
        "logging_config",
        "5.32",
        "hashicorp/terraform-provider-aws#35050, released in v5.32.0",
    ),
    Feature(
        "aws_lambda_event_source_mapping",
        "tags",
        "5.70",
        "hashicorp/terraform-provider-aws#39535 (v5.70.0; #39820 reports its first bug on v5.70)",
    ),
    Feature(
        None,
        "python3.13",
        "5.76",
        "the provider validates runtime values against its SDK's list; #40107 shows 5.75.1 rejecting python3.13",
    ),
    Feature(
        "aws_lambda_event_source_mapping",
        "metrics_config",
        "5.79",
        "hashicorp/terraform-provider-aws#40322, opened the day 5.78.0 shipped (2024-11-26); "
        "terraform-aws-modules/lambda v7.17.0 raised its floor to 5.79 for it",
    ),
]

# Terraform language features and the first Terraform release with them.
TERRAFORM_FEATURES = {
    r"^check\s+\"": "1.5",
    r"\bstrcontains\(": "1.5",
    r"^resource\s+\"terraform_data\"": "1.4",
    r"\boptional\([^)]*,": "1.3",
    r"^moved\s*\{": "1.1",
}


@cache
def _sources() -> dict[str, str]:
    return {
        f"{config}/{path.name}": mask(path.read_text())
        for config in MODULES
        for path in sorted((ROOT / config).glob("*.tf"))
    }


@cache
def _raw_sources() -> dict[str, str]:
    return {
        f"{config}/{path.name}": path.read_text() for config in MODULES for path in sorted((ROOT / config).glob("*.tf"))
    }


def _resource_bodies(resource: str) -> list[str]:
    """Masked bodies of every block of this resource type (comments and string contents blanked)."""
    bodies = []
    for name, raw in _raw_sources().items():
        masked = _sources()[name]
        for match in re.finditer(rf'^resource "{resource}" "[^"]+" \{{', raw, re.MULTILINE):
            depth, end = 0, match.end() - 1
            for end in range(match.end() - 1, len(masked)):
                depth += {"{": 1, "}": -1}.get(masked[end], 0)
                if depth == 0:
                    break
            # Keep dynamic block labels visible: `dynamic "metrics_config"` is a use of the block.
            body = masked[match.end() : end]
            labels = re.findall(r'dynamic "([a-z_]+)"', raw[match.end() : end])
            bodies.append(body + "\n" + "\n".join(f"{label} {{" for label in labels))
    return bodies


def used(feature: Feature) -> bool:
    if feature.resource is None:
        return any(feature.name in text for text in _raw_sources().values())
    pattern = re.compile(rf"^\s*{re.escape(feature.name)}\s*(=|\{{)", re.MULTILINE)
    return any(pattern.search(body) for body in _resource_bodies(feature.resource))


def _constraints() -> dict[str, tuple[str, str]]:
    """versions.tf path -> (required_version, aws version constraint)."""
    found = {}
    for path in VERSIONS_FILES:
        text = path.read_text()
        terraform = re.search(r'required_version\s*=\s*"([^"]+)"', text)
        aws = re.search(r'aws\s*=\s*\{[^}]*?version\s*=\s*"([^"]+)"', text, re.DOTALL)
        assert terraform and aws, f"{path} lacks required_version or the aws constraint"
        found[str(path.relative_to(ROOT))] = (terraform.group(1), aws.group(1))
    return found


def _lower_bound(constraint: str) -> Version:
    (lower,) = re.findall(r">=\s*([0-9.]+)", constraint)
    return Version(lower)


def test_every_configuration_has_the_same_constraints() -> None:
    constraints = _constraints()
    configs = 1 + len(list(ROOT.glob("modules/*/main.tf"))) + len(list(ROOT.glob("examples/*/main.tf")))
    assert len(constraints) == configs, "every module and example has its own versions.tf"
    assert len(set(constraints.values())) == 1, constraints


def test_the_aws_floor_is_the_newest_feature_used() -> None:
    (_, aws), *_ = _constraints().values()
    in_use = [f for f in FEATURES if used(f)]
    assert in_use, "no feature of the table found: the scanner is broken"
    newest = max(in_use, key=lambda f: Version(f.version))
    assert _lower_bound(aws) == Version(newest.version), (
        f"the floor must be {newest.version} ({newest.resource}.{newest.name}: {newest.evidence})"
    )
    assert aws.endswith(UPPER_BOUND)


def test_the_terraform_floor_is_the_newest_language_feature_used() -> None:
    (terraform, _), *_ = _constraints().values()
    text = "\n".join(_sources().values())
    versions = [Version(v) for pattern, v in TERRAFORM_FEATURES.items() if re.search(pattern, text, re.MULTILINE)]
    assert _lower_bound(terraform) == max(versions)


def test_the_features_exist_in_the_installed_provider() -> None:
    """Nothing newer than the installed provider (the 5.100 mirror) is required: every feature of the table is
    in its schema, and its version is within the constraint."""
    try:
        schema = aws_schema()
    except SchemaUnavailable as exc:  # pragma: no cover - machines without terraform or the provider
        pytest.skip(str(exc))
    installed = Version(schema["version"])
    (_, aws), *_ = _constraints().values()
    assert _lower_bound(aws) <= installed < Version("7.0")
    for feature in FEATURES:
        assert Version(feature.version) <= installed
        if feature.resource is not None:
            assert has_argument(feature.resource, feature.name), feature


def test_the_scanner_sees_dynamic_blocks_and_ignores_comments() -> None:
    assert used(Feature("aws_lambda_event_source_mapping", "metrics_config", "0", ""))
    assert not used(Feature("aws_lambda_event_source_mapping", "starting_position", "0", ""))


def test_the_docs_state_the_floor() -> None:
    (_, aws), *_ = _constraints().values()
    assert f"`{aws}`" in (ROOT / "docs/terraform.md").read_text()
