"""Every resource whose type takes `tags` gets the configuration's tags: the `tags` inputs say "every resource",
so the provider's schema (not a hand-kept list) decides which resources that is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.terraform.hcl_scan import blocks_of, mask
from tools.terraform.provider_schema import SchemaUnavailable, aws_schema, taggable

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [
    ".",
    "modules/eventbridge_fanout",
    "modules/idempotency_table",
    "modules/lambda_with_dlq",
    "modules/upload_api",
]
_RESOURCE = re.compile(r'^resource "(aws_[a-z0-9_]+)" "([^"]+)" \{', re.MULTILINE)


@pytest.fixture(scope="module", autouse=True)
def schema() -> None:
    try:
        aws_schema()
    except SchemaUnavailable as exc:  # pragma: no cover - machines without terraform or the provider
        pytest.skip(str(exc))


def resources(config: str) -> list[tuple[str, str, dict[str, object]]]:
    """(type, name, body) of every resource block of a configuration."""
    found = []
    for path in sorted((ROOT / config).glob("*.tf")):
        text = path.read_text()
        masked = mask(text)
        for match in _RESOURCE.finditer(text):
            if masked[match.start()] != "r":  # inside a comment or a string
                continue
            body = blocks_of(text[match.start() :], rf'^resource "{match.group(1)}" "{match.group(2)}" \{{')[0]
            found.append((match.group(1), match.group(2), body))
    return found


@pytest.mark.parametrize("config", CONFIGS)
def test_every_taggable_resource_is_tagged(config: str) -> None:
    listed = resources(config)
    assert listed, f"no resources found in {config}"
    untagged = [f"{kind}.{name}" for kind, name, body in listed if taggable(kind) and "tags" not in body]
    assert untagged == []


def test_the_schema_knows_tags() -> None:
    assert taggable("aws_sqs_queue") and not taggable("aws_sqs_queue_policy")
