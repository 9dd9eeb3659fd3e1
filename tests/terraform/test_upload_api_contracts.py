"""modules/upload_api sets what docs/contracts.md promises upload_api.settings, and its role what the code calls."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "modules" / "upload_api"


def test_the_modules_environment_is_the_contract() -> None:
    text = (ROOT / "docs/contracts.md").read_text()
    section = text.split("## The upload API's environment variables", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", section, re.MULTILINE))
    main = (MODULE / "main.tf").read_text()
    (block,) = re.findall(r"^  environment = merge\(\n(.*?)^  \)$", main, re.MULTILINE | re.DOTALL)
    set_by_module = set(re.findall(r"^ +([A-Z_]+) += ", block, re.MULTILINE)) - {
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
    }
    assert set_by_module == documented
    settings = (ROOT / "lambda_src/upload_api/settings.py").read_text() + (
        ROOT / "lambda_src/consumer_core/config.py"
    ).read_text()
    assert [name for name in documented if f'"{name}"' not in settings] == []


def test_the_role_grants_the_actions_the_code_calls() -> None:
    """The module's role statements name exactly upload_api.permissions.IAM_ACTIONS (besides logs and X-Ray);
    tests/integration/test_upload_api.py compares the deployed role too."""
    from upload_api.permissions import IAM_ACTIONS

    iam = (MODULE / "iam.tf").read_text()
    statements = iam.split("bucket_policy_statements", 1)[0]
    actions = re.findall(r"Action += \[([^\]]*)\]", statements)
    granted = {a for listed in actions for a in re.findall(r'"((?:s3|dynamodb):[A-Za-z]+)"', listed)}
    assert granted == IAM_ACTIONS
