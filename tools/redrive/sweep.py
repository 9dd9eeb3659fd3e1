"""Looking at every message of a queue: SQS has no peek, so each message is received and held (kept invisible)
until the sweep ends, then released (visible again at once). A sweep that dies leaves its messages invisible for
the visibility timeout at most: nothing is deleted by looking.

A message seen twice (its visibility ran out during a long sweep) counts once, with its newest receipt handle.
The sweep ends at the first receive that finds the queue empty (a long poll, which asks every SQS server), or at
the second in a row that brings only messages already seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from tools.redrive.messages import DlqMessage

RECEIVE_MAX = 10  # SQS's most per ReceiveMessage and per batch call
HOLD_S = 300  # how long a looked-at message stays invisible if the sweep dies before releasing it
# The long poll that tells an empty queue: SQS spreads a queue over servers, and a short receive asks only some.
# Read when a sweep starts (0 suits an emulator, where one server holds the queue).
EMPTY_WAIT_S = 1


def chunks(items: list[Any], size: int = RECEIVE_MAX) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Sweep:
    """`for batch in sweep.batches()`: every message once; `hold` what stays, `release()` at the end."""

    def __init__(self, sqs: Any, queue_url: str, hold_s: int = HOLD_S, wait_s: int | None = None) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.hold_s = hold_s
        self.wait_s = EMPTY_WAIT_S if wait_s is None else wait_s
        self.seen: set[str] = set()
        self.held: dict[str, DlqMessage] = {}

    def batches(self) -> Iterator[list[DlqMessage]]:
        quiet = 0
        while quiet < 2:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=RECEIVE_MAX,
                WaitTimeSeconds=self.wait_s,
                VisibilityTimeout=self.hold_s,
                AttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
                MessageAttributeNames=["All"],
            )
            fresh = []
            for raw in response.get("Messages", []):
                message = DlqMessage.from_sqs(raw)
                if message.message_id in self.seen:
                    if message.message_id in self.held:
                        self.held[message.message_id] = message  # the newest receipt handle is the valid one
                    continue
                self.seen.add(message.message_id)
                fresh.append(message)
            if not response.get("Messages"):
                return
            quiet = 0 if fresh else quiet + 1
            if fresh:
                yield fresh

    def hold(self, messages: Iterable[DlqMessage]) -> None:
        for message in messages:
            self.held[message.message_id] = message

    def forget(self, messages: Iterable[DlqMessage]) -> None:
        """No longer held (deleted): not released at the end."""
        for message in messages:
            self.held.pop(message.message_id, None)

    def release(self) -> None:
        """Make every held message visible again (a stale handle just leaves its message to its timeout)."""
        for chunk in chunks(list(self.held.values())):
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m.receipt_handle, "VisibilityTimeout": 0}
                    for i, m in enumerate(chunk)
                ],
            )
        self.held.clear()


def look(sqs: Any, queue_url: str, wait_s: int | None = None) -> list[DlqMessage]:
    """Every message of the queue, left as it was (visible again when this returns). `wait_s`: the long poll that
    tells an empty queue (default EMPTY_WAIT_S)."""
    sweep = Sweep(sqs, queue_url, wait_s=wait_s)
    messages: list[DlqMessage] = []
    try:
        for batch in sweep.batches():
            sweep.hold(batch)
            messages.extend(batch)
    finally:
        sweep.release()
    return messages


__all__ = ["EMPTY_WAIT_S", "HOLD_S", "RECEIVE_MAX", "Sweep", "chunks", "look"]
