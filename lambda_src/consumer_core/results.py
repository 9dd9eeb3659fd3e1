"""Publishing domain events (`Thumbnails Generated`, ...) to the pipeline's custom EventBridge bus."""

from __future__ import annotations

import json
from typing import Any

from consumer_core.clients import client
from consumer_core.config import core_settings
from consumer_core.errors import TransientError
from consumer_core.event_types import PIPELINE_SOURCE, SCHEMA_VERSION

IAM_ACTIONS = frozenset({"events:PutEvents"})  # publish(): conditioned on events:source and events:detail-type


def publish(detail_type: str, detail: dict[str, Any]) -> bool:
    """Put one event on the results bus. Returns False when publishing is disabled (no bus configured)."""
    bus = core_settings().results_bus_name
    if not bus:
        return False
    document = {"schema_version": SCHEMA_VERSION, **detail}
    response = client("events").put_events(
        Entries=[
            {
                "Source": PIPELINE_SOURCE,
                "DetailType": detail_type,
                "Detail": json.dumps(document, separators=(",", ":"), sort_keys=True),
                "EventBusName": bus,
            }
        ]
    )
    if response.get("FailedEntryCount"):
        entry = response["Entries"][0]
        raise TransientError(f"put_events failed: {entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
    return True
