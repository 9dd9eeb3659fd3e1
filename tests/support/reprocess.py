"""`Reprocess Requested` events as the reprocess workflow sends them (modules/reprocess_workflow/state_machine.asl.json,
state "Check objects"): tests/integration/test_reprocess.py checks real ones against the same schema."""

from __future__ import annotations

import uuid
from typing import Any


def reprocess_request(
    bucket: str,
    key: str,
    *,
    etag: str,
    size: int,
    run: str = "run-1",
    key_encoding: str = "none",
    time: str = "2026-11-30T09:15:00.125Z",
) -> dict[str, Any]:
    """One object of a run; `etag` as the listing gives it (ListObjectsV2 keeps the quotes)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Reprocess Requested",
        "source": "image-pipeline",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": [f"arn:aws:states:us-east-1:123456789012:execution:reprocess:{run}"],
        "detail": {
            "schema_version": "1.1",
            "run": run,
            "bucket": {"name": bucket},
            "object": {"key": key, "key_encoding": key_encoding, "etag": f'"{etag}"', "size": size},
        },
    }
