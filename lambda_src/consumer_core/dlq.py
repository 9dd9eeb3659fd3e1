"""Sending a permanently failed event to the consumer's own dead-letter queue, with the reason attached."""

from __future__ import annotations

import json
from typing import Any

from consumer_core.clients import client
from consumer_core.config import core_settings

MAX_ATTRIBUTE_CHARS = 256


def send_to_dlq(
    body: str | dict[str, Any],
    *,
    consumer: str,
    reason: str,
    message: str,
    object_key: str | None = None,
    object_version: str | None = None,
) -> str:
    """Keep the original event (unchanged) and say why it failed. Returns the DLQ message id."""
    attributes = {
        "reason": reason,
        "consumer": consumer,
        "error_message": message[:MAX_ATTRIBUTE_CHARS] or reason,
    }
    if object_key:
        attributes["object_key"] = object_key[:MAX_ATTRIBUTE_CHARS]
    if object_version:
        attributes["object_version"] = object_version[:MAX_ATTRIBUTE_CHARS]
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"), sort_keys=True)
    response = client("sqs").send_message(
        QueueUrl=core_settings().dlq_url,
        MessageBody=text or "<empty>",
        MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items() if v},
    )
    return str(response["MessageId"])
