"""Cold start: importing a handler must not pull in the heavy modules (they load on the first invocation).

Timing is measured by `make bench` (ratios in one run); this checks the mechanism, deterministically.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Powertools imports the bare `botocore` package (under 1 ms); its clients and sessions are the heavy part.
HEAVY = (
    "boto3",
    "botocore.session",
    "botocore.client",
    "pydantic",
    "aws_xray_sdk",
    "PIL",
    "numpy",
    "pyspng",
    "aws_lambda_powertools.utilities.idempotency",
)


@pytest.mark.parametrize(
    "handler", ["image_resizer.app", "metadata_extractor.app", "search_indexer.app", "upload_api.app"]
)
def test_handler_import_defers_heavy_modules(handler: str) -> None:
    code = f"import json, sys; import {handler}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'lambda_src'}", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    loaded = set(json.loads(result.stdout))
    assert handler in loaded
    assert not [name for name in HEAVY if name in loaded], f"{handler} imports heavy modules at cold start"
