"""Moving DLQ messages back to the buffer queue, without losing one if the move stops half way.

Both ways move a message as it is (body and message attributes) and make it a new message of the buffer (new
id, receive count 0, retention counted afresh), as SQS's own redrive does:
- `by_move_task`: SQS's message move task (StartMessageMoveTask), server side, every message of the DLQ. A task
  keeps running if this process ends; running the command again follows the task already running (one per queue),
  Ctrl-C cancels it (what was moved stays moved, the rest stays in the DLQ).
- `by_loop`: receive, send, then delete, in batches of ten; also where only some messages move (one reason) and
  where the service has no move task (the embedded emulator). A message is deleted from the DLQ only once the
  buffer has accepted it, so a loop that dies leaves each message in the DLQ, in the buffer, or (between the send
  and the delete) in both: delivered twice at worst, which the consumers' idempotency absorbs. Messages it does
  not move are held while it runs and released at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from tools.redrive.messages import DlqMessage
from tools.redrive.sweep import HOLD_S, Sweep, chunks

# What an SQS endpoint without the move task answers (moto: HTTP 500 for an action it does not implement), or an
# identity that may not start one: the loop then does the same work with ReceiveMessage/SendMessage/DeleteMessage.
UNAVAILABLE_CODES = frozenset(
    {
        "500",
        "501",
        "InvalidAction",
        "UnsupportedOperation",
        "AWS.SimpleQueueService.UnsupportedOperation",
        "UnknownOperationException",
        "NotImplemented",
        "AccessDenied",
        "AccessDeniedException",
    }
)
POLL_S = 2.0


class MoveTaskUnavailable(RuntimeError):
    pass


@dataclass
class MoveResult:
    method: str  # "move task" | "receive/send/delete"
    moved: int = 0
    kept: int = 0  # looked at, not chosen, left in the DLQ
    failed: list[str] = field(default_factory=list)  # why a chosen message stayed in the DLQ (or also stayed)


def by_loop(
    sqs: Any,
    source_url: str,
    destination_url: str,
    choose: Callable[[DlqMessage], bool],
    rate: float | None = None,
    hold_s: int = HOLD_S,
) -> MoveResult:
    result = MoveResult("receive/send/delete")
    sweep = Sweep(sqs, source_url, hold_s=hold_s)
    started = time.monotonic()
    try:
        for batch in sweep.batches():
            chosen = [m for m in batch if choose(m)]
            others = [m for m in batch if not choose(m)]
            sweep.hold(others)
            result.kept += len(others)
            for chunk in chunks(chosen):
                # Held until deleted: if this stops here, the end of the sweep makes them visible in the DLQ again.
                sweep.hold(chunk)
                sent = _send(sqs, destination_url, chunk, result)
                result.moved += _delete(sqs, source_url, [m for m in chunk if m.message_id in sent], result)
                sweep.forget(m for m in chunk if m.message_id in sent)
                if rate:
                    # No faster than `rate` messages a second on average (SQS's move task caps at 500).
                    time.sleep(max(0.0, result.moved / rate - (time.monotonic() - started)))
    finally:
        sweep.release()
    return result


def _send(sqs: Any, url: str, messages: list[DlqMessage], result: MoveResult) -> set[str]:
    if not messages:
        return set()
    entries = []
    for i, m in enumerate(messages):
        entry: dict[str, Any] = {"Id": str(i), "MessageBody": m.body}
        if m.message_attributes:
            entry["MessageAttributes"] = m.message_attributes
        entries.append(entry)
    response = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    for failure in response.get("Failed", []):
        message = messages[int(failure["Id"])]
        result.failed.append(f"{message.message_id}: not sent ({failure.get('Code')}), left in the DLQ")
    return {messages[int(ok["Id"])].message_id for ok in response.get("Successful", [])}


def _delete(sqs: Any, url: str, messages: list[DlqMessage], result: MoveResult) -> int:
    if not messages:
        return 0
    response = sqs.delete_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m.receipt_handle} for i, m in enumerate(messages)]
    )
    for failure in response.get("Failed", []):
        message = messages[int(failure["Id"])]
        result.failed.append(
            f"{message.message_id}: sent, but not deleted from the DLQ ({failure.get('Code')}): it will be "
            "delivered twice, which idempotency absorbs"
        )
    return len(messages)


def by_move_task(
    sqs: Any,
    source_arn: str,
    destination_arn: str,
    rate: float | None = None,
    progress: Callable[[str], None] = print,
    poll_s: float = POLL_S,
) -> MoveResult:
    """Start SQS's message move task (or follow the one already running) and wait until it ends."""
    try:
        tasks = sqs.list_message_move_tasks(SourceArn=source_arn, MaxResults=10).get("Results", [])
        running = next((t for t in tasks if t.get("Status") == "RUNNING"), None)
        if running is not None:
            handle = running["TaskHandle"]
            progress(f"a move task is already running on this DLQ (to {running.get('DestinationArn')}): following it")
        else:
            arguments: dict[str, Any] = {"SourceArn": source_arn, "DestinationArn": destination_arn}
            if rate:
                arguments["MaxNumberOfMessagesPerSecond"] = max(1, min(500, int(rate)))
            handle = sqs.start_message_move_task(**arguments)["TaskHandle"]
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        if code in UNAVAILABLE_CODES or status in UNAVAILABLE_CODES:
            raise MoveTaskUnavailable(f"{code or status}: {error}") from error
        raise
    try:
        while True:
            task = _task(sqs, source_arn, handle)
            moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
            status = task.get("Status", "?")
            progress(f"move task {status}: {moved} of {task.get('ApproximateNumberOfMessagesToMove', '?')} moved")
            if status != "RUNNING":
                result = MoveResult("move task", moved=moved)
                if status != "COMPLETED":
                    result.failed.append(f"move task {status}: {task.get('FailureReason', 'no reason given')}")
                return result
            time.sleep(poll_s)
    except KeyboardInterrupt:
        sqs.cancel_message_move_task(TaskHandle=handle)
        progress("move task cancelled: what it moved stays in the buffer, the rest in the DLQ")
        raise


def _task(sqs: Any, source_arn: str, handle: str) -> dict[str, Any]:
    """The task started with `handle`: while running it carries its handle; once ended, the newest task is it."""
    tasks = sqs.list_message_move_tasks(SourceArn=source_arn, MaxResults=10).get("Results", [])
    return next((t for t in tasks if t.get("TaskHandle") == handle), tasks[0] if tasks else {"Status": "UNKNOWN"})


__all__ = ["MoveResult", "MoveTaskUnavailable", "by_loop", "by_move_task"]
