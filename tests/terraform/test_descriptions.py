"""Descriptions and comments say what the code does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.terraform.hcl_scan import blocks_of

ROOT = Path(__file__).resolve().parents[2]
# The configurations with DynamoDB tables.
TABLE_CONFIGS = [".", "modules/idempotency_table"]


@pytest.mark.parametrize("config", TABLE_CONFIGS)
def test_dynamodb_encryption_is_not_called_the_aws_owned_key(config: str) -> None:
    """`server_side_encryption { enabled = true }` without a key means the AWS *managed* key (aws/dynamodb);
    the AWS *owned* key is what `enabled = false` gives. A table with SSE enabled must not be described as
    using the AWS owned key."""
    files = sorted((ROOT / config).glob("*.tf"))
    tables = [
        table for path in files for table in blocks_of(path.read_text(), r'^resource "aws_dynamodb_table" "[^"]+" \{')
    ]
    enabled = [t for t in tables if any(sse.get("enabled") == "true" for sse in t.get("server_side_encryption", []))]  # type: ignore[union-attr]
    assert enabled, f"no table with server-side encryption enabled in {config}"
    wrong = [path.name for path in files if "aws owned key" in path.read_text().lower()]
    assert wrong == [], "SSE enabled without a key uses the AWS managed key (aws/dynamodb), not the AWS owned key"
