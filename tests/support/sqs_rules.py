"""What SQS refuses in SendMessage, enforced on a boto3 client (moto accepts any character and up to 1 MiB).

From the SendMessage API reference: the body and String attribute values may hold only #x9 | #xA | #xD |
#x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (InvalidMessageContents otherwise); a message holds at most 10
attributes, none empty; and the body plus every attribute's name, type and value is at most the message size
limit (256 KiB, the limit the pipeline's DLQ code assumes).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

MAX_MESSAGE_BYTES = 262_144
MAX_ATTRIBUTES = 10


def sqs_allows(code_point: int) -> bool:
    """The character set of the SendMessage reference, written out independently of the code under test."""
    return (
        code_point in (0x9, 0xA, 0xD)
        or 0x20 <= code_point <= 0xD7FF
        or 0xE000 <= code_point <= 0xFFFD
        or 0x10000 <= code_point <= 0x10FFFF
    )


def refused_characters(text: str) -> list[str]:
    return [f"U+{ord(ch):04X}" for ch in text if not sqs_allows(ord(ch))]


def message_problems(body: str, attributes: dict[str, dict[str, Any]]) -> list[str]:
    """Why SQS would refuse this message; empty when it would accept it."""
    problems = []
    if refused := refused_characters(body):
        problems.append(f"body holds characters SQS refuses: {refused[:5]}")
    if len(attributes) > MAX_ATTRIBUTES:
        problems.append(f"{len(attributes)} message attributes, at most {MAX_ATTRIBUTES}")
    size = len(body.encode("utf-8", errors="surrogatepass"))
    for name, value in attributes.items():
        text = value.get("StringValue")
        if not text:
            problems.append(f"attribute {name} is empty")
            continue
        if refused := refused_characters(text):
            problems.append(f"attribute {name} holds characters SQS refuses: {refused[:5]}")
        size += len(name.encode()) + len(value["DataType"].encode())
        size += len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_MESSAGE_BYTES:
        problems.append(f"message is {size} bytes, over {MAX_MESSAGE_BYTES}")
    return problems


def enforce_on(sqs_client: Any) -> list[dict[str, Any]]:
    """Make `sqs_client.send_message` refuse what SQS refuses (a ClientError, as from SQS). Returns the list of
    refused requests, for tests to assert on."""
    refused: list[dict[str, Any]] = []

    def check(params: dict[str, Any], **_: Any) -> None:
        problems = message_problems(params.get("MessageBody", ""), params.get("MessageAttributes", {}))
        if problems:
            refused.append({"params": params, "problems": problems})
            raise ClientError(
                {"Error": {"Code": "InvalidMessageContents", "Message": "; ".join(problems)}}, "SendMessage"
            )

    sqs_client.meta.events.register("before-parameter-build.sqs.SendMessage", check)
    return refused
