"""Sending a permanently failed event to the consumer's own dead-letter queue, always with its reason.

SQS refuses a message whose body or attribute values hold characters outside XML's set (control characters other
than tab, LF and CR; lone surrogates), and anything over its size limit. Keys and bodies come from uploads, so:
- attribute values are kept when SQS accepts them, percent-encoded otherwise (with `<name>_encoding: url`), and
  the object's identity (key, version) is never truncated;
- a body SQS would refuse is kept as base64 inside a JSON envelope; a body that would not fit is cut, inside the
  same envelope, with its original length and the marker `truncated: true`.
`read_attributes` is the inverse for readers of the DLQ (tools/redrive, the emulator's results): the attributes as
they were before encoding.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

from consumer_core.clients import client
from consumer_core.config import core_settings

IAM_ACTIONS = frozenset({"sqs:SendMessage"})  # send_to_dlq(), on the consumer's own DLQ

MAX_MESSAGE_BYTES = 256 * 1024  # SQS's limit for the body plus every attribute's name, type and value
MAX_ERROR_CHARS = 1000
# Characters SQS accepts (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html)
_REFUSED = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def send_to_dlq(
    body: str | dict[str, Any], *, consumer: str, reason: str, message: str, context: dict[str, str]
) -> str:
    """Keep the original event and say why it failed (`context`: bucket, object_key, object_version when known).
    Returns the DLQ message id."""
    attributes = {"reason": reason, "consumer": consumer, "error_message": message[:MAX_ERROR_CHARS] or reason}
    attributes.update({name: value for name, value in context.items() if value})
    message_attributes: dict[str, dict[str, str]] = {}
    for name, value in attributes.items():
        safe, encoded = sqs_safe(value)
        message_attributes[name] = {"DataType": "String", "StringValue": safe}
        if encoded:
            message_attributes[f"{name}_encoding"] = {"DataType": "String", "StringValue": "url"}
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"), sort_keys=True)
    response = client("sqs").send_message(
        QueueUrl=core_settings().dlq_url,
        MessageBody=fitted_body(text or "<empty>", MAX_MESSAGE_BYTES - _attributes_size(message_attributes)),
        MessageAttributes=message_attributes,
    )
    return str(response["MessageId"])


def sqs_safe(value: str) -> tuple[str, bool]:
    """`value` itself when SQS accepts it, else its percent-encoding (reversible, ASCII) and True."""
    if _REFUSED.search(value) is None:
        return value, False
    return quote(value, safe="/ ", errors="surrogatepass"), True


def fitted_body(text: str, budget: int) -> str:
    """The body as SQS will take it within `budget` bytes: unchanged when possible, else a JSON envelope."""
    if _REFUSED.search(text) is None and len(text.encode("utf-8")) <= budget:
        return text
    raw = text.encode("utf-8", errors="surrogatepass")
    envelope: dict[str, Any] = {"dlq_envelope": 1, "original_bytes": len(raw), "truncated": False}
    # base64 grows by 4/3; leave room for the envelope's own keys.
    room = max(0, (budget - 200) * 3 // 4)
    if len(raw) > room:
        raw, envelope["truncated"] = raw[:room], True
    envelope["body_base64"] = base64.b64encode(raw).decode("ascii")
    return json.dumps(envelope, separators=(",", ":"))


def read_attributes(message_attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """A DLQ message's String attributes as send_to_dlq was given them: values marked `<name>_encoding: url` are
    percent-decoded, and the markers dropped. `message_attributes` is SQS's ReceiveMessage shape
    ({name: {"DataType": "String", "StringValue": ...}})."""
    raw = {name: str(value.get("StringValue", "")) for name, value in message_attributes.items()}
    return {
        name: unquote(value, errors="surrogatepass") if raw.get(f"{name}_encoding") == "url" else value
        for name, value in raw.items()
        if not (name.endswith("_encoding") and name.removesuffix("_encoding") in raw)
    }


def _attributes_size(attributes: dict[str, dict[str, str]]) -> int:
    return sum(
        len(name) + len("String") + len(value["StringValue"].encode("utf-8")) for name, value in attributes.items()
    )


__all__ = ["MAX_MESSAGE_BYTES", "fitted_body", "read_attributes", "send_to_dlq", "sqs_safe"]
