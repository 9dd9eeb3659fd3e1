"""Start LocalStack core (`localstack.runtime.main`) with the emulator's one patch to it.

Run by the LocalStack venv's interpreter as a script (`LocalStackCore.start`); imports nothing from this
repository, and takes its own directory off `sys.path` first (it holds modules named `server`, `session`, ...).

Patch `s3-eventbridge-sequencer`: localstack-core 2026.3.0 puts one constant `sequencer` ("0062E99A88DC407460")
in every S3 EventBridge event. AWS documents the sequencer as the way to order events for the same key (a later
PUT or DELETE of a key has a greater sequencer); with a constant one, the search indexer cannot tell an overwrite
from a replay and keeps the first version. Here every event gets a greater sequencer than the one before
(16 hex digits, the length AWS uses), which orders events for one key as AWS does. The project's moto patch
does the same for moto (tools/emulator/patches.py, `_s3_event`).
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path
from typing import Any

PINNED_LOCALSTACK = "2026.3.0"


def patch_s3_eventbridge_sequencer() -> None:
    from localstack.services.s3 import notifications

    original = notifications.EventBridgeNotifier._get_event_payload
    counter = itertools.count(0x1000000000000)  # next() is atomic under the GIL

    def _get_event_payload(ctx: Any, config_id: Any = None) -> Any:
        entry = original(ctx, config_id)
        detail = json.loads(entry["Detail"])
        if "sequencer" in detail.get("object", {}):
            detail["object"]["sequencer"] = f"{next(counter):016X}"
            entry["Detail"] = json.dumps(detail)
        return entry

    notifications.EventBridgeNotifier._get_event_payload = staticmethod(_get_event_payload)


def main() -> None:
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if p and str(Path(p).resolve()) != here]
    from importlib.metadata import version

    installed = version("localstack-core")
    if installed != PINNED_LOCALSTACK:
        raise SystemExit(f"localstack_launcher patches localstack-core {PINNED_LOCALSTACK}, found {installed}")
    patch_s3_eventbridge_sequencer()
    from localstack.runtime import main as runtime_main

    runtime_main.main()


if __name__ == "__main__":
    main()
