"""What a DLQ message says: why it is there (its reason) and which object it is about.

Three writers put messages in a consumer's DLQ, and each says why in its own way:
- the handler's runtime (consumer_core.dlq): a `reason` attribute from consumer_core.errors.PERMANENT_REASONS,
  with the object in `object_key` / `object_version` (percent-encoded, `<name>_encoding: url`, where SQS would
  refuse a character);
- EventBridge, for a rule target it could not deliver to (the target's DLQ): `ERROR_CODE` and `ERROR_MESSAGE`;
- SQS itself, after `maxReceiveCount` receives the handler never answered (it crashed or timed out on its last
  delivery): no attribute of its own. A message SQS moves keeps the attributes it had, so one redriven before
  shows its earlier reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from consumer_core.dlq import read_attributes

# The reason shown for a message SQS moved after maxReceiveCount: the handler never sent it itself.
NO_REASON = "redriven_without_reason"
EVENTBRIDGE_REASON_PREFIX = "eventbridge:"
_SENDABLE = ("DataType", "StringValue", "BinaryValue")


@dataclass(frozen=True)
class DlqMessage:
    message_id: str
    receipt_handle: str
    body: str
    reason: str
    key: str | None
    version: str | None
    sent_at: datetime | None
    attributes: dict[str, str]  # decoded (consumer_core.dlq.read_attributes)
    message_attributes: dict[str, dict[str, Any]]  # as SQS gave them: what a redrive sends on, unchanged

    @classmethod
    def from_sqs(cls, message: dict[str, Any]) -> DlqMessage:
        """From a ReceiveMessage result (MessageAttributeNames=["All"], AttributeNames including SentTimestamp)."""
        raw_attributes = dict(message.get("MessageAttributes") or {})
        attributes = read_attributes(raw_attributes)
        body = message.get("Body", "")
        key, version = attributes.get("object_key"), attributes.get("object_version")
        if key is None:
            key, version = object_in_body(body)
        sent = (message.get("Attributes") or {}).get("SentTimestamp")
        return cls(
            message_id=message["MessageId"],
            receipt_handle=message["ReceiptHandle"],
            body=body,
            reason=reason_of(attributes),
            key=key,
            version=version,
            sent_at=datetime.fromtimestamp(int(sent) / 1000, tz=UTC) if sent else None,
            attributes=attributes,
            message_attributes={
                name: {k: v for k, v in value.items() if k in _SENDABLE} for name, value in raw_attributes.items()
            },
        )


def reason_of(attributes: dict[str, str]) -> str:
    if attributes.get("reason"):
        return attributes["reason"]
    if attributes.get("ERROR_CODE"):
        return EVENTBRIDGE_REASON_PREFIX + attributes["ERROR_CODE"]
    return NO_REASON


def object_in_body(body: str) -> tuple[str | None, str | None]:
    """The object an event body names: an S3 event (key percent-encoded, as S3 sends it) or a domain event."""
    try:
        event = json.loads(body)
        obj = event["detail"]["object"]
        key = obj.get("key")
        if key is not None and event.get("source") == "aws.s3":
            key = unquote(key)
        return key, obj.get("version-id") or obj.get("version_id")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, None


__all__ = ["EVENTBRIDGE_REASON_PREFIX", "NO_REASON", "DlqMessage", "object_in_body", "reason_of"]
