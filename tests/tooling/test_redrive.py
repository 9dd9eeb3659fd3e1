"""tools.redrive against in-process moto (the loop, the listing) and botocore's Stubber (SQS's message move task,
which moto does not implement). The end-to-end redrive on the emulator is tests/integration/test_dlq_redrive.py."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from consumer_core.dlq import read_attributes, send_to_dlq, sqs_safe
from tools import s3_events
from tools.redrive import cli, sweep
from tools.redrive.messages import NO_REASON, DlqMessage
from tools.redrive.move import MoveTaskUnavailable, by_loop, by_move_task
from tools.redrive.sweep import look

REGION = "us-east-1"
BUCKET = "test-uploads"


def created(key: str) -> dict[str, Any]:
    return s3_events.object_created(BUCKET, key)


class Queues:
    """The pipeline's DLQ (the `aws` fixture's) and a buffer queue redriving to it after one receive."""

    def __init__(self, dlq_url: str) -> None:
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.dlq_url = dlq_url
        self.dlq_arn = self.arn(dlq_url)
        policy = json.dumps({"deadLetterTargetArn": self.dlq_arn, "maxReceiveCount": 1})
        self.buffer_url = self.sqs.create_queue(QueueName="test-buffer", Attributes={"RedrivePolicy": policy})[
            "QueueUrl"
        ]
        self.buffer_arn = self.arn(self.buffer_url)
        self.target = cli.Target("test_consumer", self.dlq_url, self.dlq_arn, self.buffer_url, self.buffer_arn)

    def arn(self, url: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def visible(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    def drain(self, url: str) -> list[dict[str, Any]]:
        """Every message of a queue, deleted (bodies and decoded attributes)."""
        found = []
        while batch := self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", []):
            for message in batch:
                found.append(
                    {"body": message["Body"], "attributes": read_attributes(message.get("MessageAttributes", {}))}
                )
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return found


@pytest.fixture
def queues(aws, monkeypatch: pytest.MonkeyPatch) -> Queues:
    # In-process moto holds a queue in one place: an empty receive is final without the long poll (1 s a sweep).
    monkeypatch.setattr(sweep, "EMPTY_WAIT_S", 0)
    return Queues(aws.dlq_url)


def reject(key: str, reason: str) -> dict[str, Any]:
    """A rejection as the runtime sends it (consumer_core.dlq)."""
    event = created(key)
    send_to_dlq(
        event,
        consumer="test_consumer",
        reason=reason,
        message=f"{reason} for the test",
        context={"bucket": BUCKET, "object_key": key, "object_version": "v1"},
    )
    return event


def moved_by_sqs(queues: Queues, key: str) -> dict[str, Any]:
    """A message SQS itself moved to the DLQ: received once and never answered (maxReceiveCount 1)."""
    event = created(key)
    queues.sqs.send_message(QueueUrl=queues.buffer_url, MessageBody=json.dumps(event))
    for _ in range(2):  # the second receive finds it over maxReceiveCount and moves it
        queues.sqs.receive_message(QueueUrl=queues.buffer_url, VisibilityTimeout=0, WaitTimeSeconds=0)
    assert queues.visible(queues.buffer_url) == 0
    return event


def undelivered_by_eventbridge(queues: Queues, key: str) -> dict[str, Any]:
    """What EventBridge puts in a target's DLQ: the event, with ERROR_CODE / ERROR_MESSAGE attributes."""
    event = created(key)
    attributes = {
        name: {"DataType": "String", "StringValue": value}
        for name, value in {"ERROR_CODE": "SQS.ThrottlingException", "ERROR_MESSAGE": "throttled"}.items()
    }
    queues.sqs.send_message(QueueUrl=queues.dlq_url, MessageBody=json.dumps(event), MessageAttributes=attributes)
    return event


ODD_KEY = "uploads/alice/bell\x07 ring.jpg"  # a character SQS refuses: the key attribute is percent-encoded


@pytest.fixture
def mixed_dlq(queues: Queues) -> dict[str, list[dict[str, Any]]]:
    sent = {
        "too_complex": [reject("uploads/alice/a.jpg", "too_complex"), reject("uploads/bob/b.jpg", "too_complex")],
        "corrupt_image": [reject(ODD_KEY, "corrupt_image")],
        NO_REASON: [moved_by_sqs(queues, "uploads/carol/c.jpg")],
        "eventbridge:SQS.ThrottlingException": [undelivered_by_eventbridge(queues, "uploads/dave/d e.jpg")],
    }
    assert queues.visible(queues.dlq_url) == 5
    return sent


def test_read_attributes_undoes_what_send_to_dlq_encodes() -> None:
    values = {
        "object_key": ODD_KEY + " \ud800",
        "reason": "corrupt_image",
        "object_version": "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY",
    }
    attributes: dict[str, dict[str, str]] = {}
    for name, value in values.items():
        safe, encoded = sqs_safe(value)
        attributes[name] = {"DataType": "String", "StringValue": safe}
        if encoded:
            attributes[f"{name}_encoding"] = {"DataType": "String", "StringValue": "url"}
    assert "object_key_encoding" in attributes
    assert read_attributes(attributes) == values


def test_listing_groups_by_reason_from_every_writer_and_leaves_the_dlq_as_it_was(queues, mixed_dlq) -> None:
    lines: list[str] = []

    assert cli.redrive(queues.sqs, queues.target, dry_run=True, out=lines.append) is None

    groups = {g.reason: g for g in cli.group(look(queues.sqs, queues.dlq_url))}
    assert {reason: g.count for reason, g in groups.items()} == {reason: len(e) for reason, e in mixed_dlq.items()}
    assert groups["corrupt_image"].sample_key == ODD_KEY  # decoded from its url-encoded attribute
    assert groups[NO_REASON].sample_key == "uploads/carol/c.jpg"  # from the body: SQS adds no attribute
    assert groups["eventbridge:SQS.ThrottlingException"].sample_key == "uploads/dave/d e.jpg"
    assert groups["too_complex"].sample_key in ("uploads/alice/a.jpg", "uploads/bob/b.jpg")
    assert queues.visible(queues.dlq_url) == 5, "looking moved or hid nothing"
    assert queues.visible(queues.buffer_url) == 0
    text = "\n".join(lines)
    assert "5 message(s)" in text and "dry run: nothing moved" in text
    assert cli.outcome(NO_REASON) in text and cli.ALWAYS in text


def test_moving_one_reason_sends_those_unchanged_and_keeps_the_others(queues, mixed_dlq) -> None:
    result = cli.redrive(queues.sqs, queues.target, reason="too_complex", out=lambda _: None)

    assert result is not None and (result.method, result.moved, result.kept, result.failed) == (
        "receive/send/delete",
        2,
        3,
        [],
    )
    moved = queues.drain(queues.buffer_url)
    assert sorted(json.loads(m["body"])["detail"]["object"]["key"] for m in moved) == [
        "uploads/alice/a.jpg",
        "uploads/bob/b.jpg",
    ]
    assert sorted(m["body"] for m in moved) == sorted(
        json.dumps(e, separators=(",", ":"), sort_keys=True) for e in mixed_dlq["too_complex"]
    )
    assert {m["attributes"]["reason"] for m in moved} == {"too_complex"}, "attributes travel with the message"
    left = {
        DlqMessage.from_sqs(m).reason
        for m in queues.sqs.receive_message(
            QueueUrl=queues.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
    }
    assert left == {"corrupt_image", NO_REASON, "eventbridge:SQS.ThrottlingException"}


def test_moving_everything_without_a_move_task_falls_back_to_the_loop(queues, mixed_dlq) -> None:
    class NoMoveTask:
        """moto's answer to the move task actions (HTTP 500: not implemented); everything else is moto's."""

        def __init__(self, sqs: Any) -> None:
            self.sqs = sqs

        def __getattr__(self, name: str) -> Any:
            if "move_task" in name:

                def unavailable(**kwargs: Any) -> Any:
                    raise ClientError({"Error": {"Code": "500"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, name)

                return unavailable
            return getattr(self.sqs, name)

    lines: list[str] = []
    result = cli.redrive(NoMoveTask(queues.sqs), queues.target, out=lines.append)

    assert result is not None and (result.method, result.moved, result.kept) == ("receive/send/delete", 5, 0)
    assert any("no message move task here" in line for line in lines)
    assert queues.visible(queues.dlq_url) == 0 and len(queues.drain(queues.buffer_url)) == 5
    reject("uploads/x/y.jpg", "too_complex")
    with pytest.raises(MoveTaskUnavailable):  # asked for the move task by name: no silent fallback
        cli.redrive(NoMoveTask(queues.sqs), queues.target, method="move-task", out=lambda _: None)
    assert queues.visible(queues.dlq_url) == 1


class CrashingClient:
    """An SQS client that dies at chosen calls, after letting `allow[operation]` of them through."""

    def __init__(self, sqs: Any, allow: dict[str, int]) -> None:
        self.sqs, self.allow = sqs, dict(allow)

    def __getattr__(self, name: str) -> Any:
        call = getattr(self.sqs, name)
        if name not in self.allow:
            return call

        def crashing(**kwargs: Any) -> Any:
            if self.allow[name] <= 0:
                raise KeyboardInterrupt(f"killed at {name}")
            self.allow[name] -= 1
            return call(**kwargs)

        return crashing


def keys_in(messages: list[dict[str, Any]]) -> set[str]:
    return {json.loads(m["body"])["detail"]["object"]["key"] for m in messages}


@pytest.mark.parametrize("cleanup", [True, False], ids=["interrupted", "killed"])
def test_a_move_that_stops_between_send_and_delete_loses_nothing(queues, cleanup: bool) -> None:
    """Interrupted (Ctrl-C: the sweep's end still runs) or killed (nothing runs after the crash: the messages it
    held come back when their visibility timeout ends), between the buffer's send and the DLQ's delete."""
    every_key = {reject(f"uploads/u{i}/p{i}.jpg", "too_complex")["detail"]["object"]["key"] for i in range(14)}
    allow = {"delete_message_batch": 1} | ({} if cleanup else {"change_message_visibility_batch": 0})

    with pytest.raises(KeyboardInterrupt):
        by_loop(CrashingClient(queues.sqs, allow), queues.dlq_url, queues.buffer_url, lambda m: True, hold_s=1)

    # The first ten were sent and deleted; the other four were sent, never deleted: they are in both queues.
    assert keys_in(queues.drain(queues.buffer_url)) == every_key
    if not cleanup:
        deadline = time.monotonic() + 60  # waits for their 1 s visibility timeout, however slow the machine
        while queues.visible(queues.dlq_url) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
    left = {m.key for m in look(queues.sqs, queues.dlq_url)}
    assert len(left) == 4 and left < every_key

    # Run again: the four move; they reach the buffer a second time, which the consumers' idempotency absorbs.
    again = by_loop(queues.sqs, queues.dlq_url, queues.buffer_url, lambda m: True)
    assert again.moved == 4 and queues.visible(queues.dlq_url) == 0
    assert keys_in(queues.drain(queues.buffer_url)) == left


def test_a_refused_send_leaves_the_message_in_the_dlq(queues) -> None:
    for i in range(3):
        reject(f"uploads/u/{i}.jpg", "too_complex")

    class RefusesOne:
        def __init__(self, sqs: Any) -> None:
            self.sqs = sqs

        def __getattr__(self, name: str) -> Any:
            return getattr(self.sqs, name)

        def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            response = self.sqs.send_message_batch(QueueUrl=QueueUrl, Entries=Entries[1:])
            return {**response, "Failed": [{"Id": Entries[0]["Id"], "Code": "InternalError", "SenderFault": False}]}

    result = by_loop(RefusesOne(queues.sqs), queues.dlq_url, queues.buffer_url, lambda m: True)

    assert result.moved == 2 and len(result.failed) == 1 and "left in the DLQ" in result.failed[0]
    assert queues.visible(queues.dlq_url) == 1 and queues.visible(queues.buffer_url) == 2


DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:p-image-resizer-dlq"
BUFFER_ARN = "arn:aws:sqs:us-east-1:123456789012:p-image-resizer-buffer"


@pytest.fixture
def stubbed() -> Any:
    sqs = boto3.client("sqs", region_name=REGION)
    with Stubber(sqs) as stubber:
        yield sqs, stubber
        stubber.assert_no_pending_responses()


def listing(*tasks: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return "list_message_move_tasks", {"Results": list(tasks)}, {"SourceArn": DLQ_ARN, "MaxResults": 10}


def test_the_move_task_moves_everything_to_the_buffer_and_is_followed_to_its_end(stubbed) -> None:
    sqs, stubber = stubbed
    stubber.add_response(*listing())
    stubber.add_response(
        "start_message_move_task",
        {"TaskHandle": "task-1"},
        {"SourceArn": DLQ_ARN, "DestinationArn": BUFFER_ARN, "MaxNumberOfMessagesPerSecond": 50},
    )
    running = {"TaskHandle": "task-1", "Status": "RUNNING", "ApproximateNumberOfMessagesMoved": 1}
    stubber.add_response(*listing({**running, "ApproximateNumberOfMessagesToMove": 3}))
    stubber.add_response(*listing({"Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": 3}))
    progress: list[str] = []

    result = by_move_task(sqs, DLQ_ARN, BUFFER_ARN, rate=50, progress=progress.append, poll_s=0)

    assert (result.method, result.moved, result.failed) == ("move task", 3, [])
    assert progress == ["move task RUNNING: 1 of 3 moved", "move task COMPLETED: 3 of ? moved"]


def test_a_move_task_already_running_is_followed_not_started_twice(stubbed) -> None:
    sqs, stubber = stubbed
    running = {"TaskHandle": "earlier", "Status": "RUNNING", "DestinationArn": BUFFER_ARN}
    stubber.add_response(*listing(running))
    stubber.add_response(*listing({"Status": "FAILED", "FailureReason": "AccessDenied on the destination"}))

    result = by_move_task(sqs, DLQ_ARN, BUFFER_ARN, progress=lambda _: None, poll_s=0)

    assert result.failed == ["move task FAILED: AccessDenied on the destination"]


def test_stopping_the_command_cancels_its_move_task(stubbed) -> None:
    sqs, stubber = stubbed
    stubber.add_response(*listing())
    stubber.add_response(
        "start_message_move_task", {"TaskHandle": "t"}, {"SourceArn": DLQ_ARN, "DestinationArn": BUFFER_ARN}
    )
    stubber.add_response(*listing({"TaskHandle": "t", "Status": "RUNNING"}))
    stubber.add_response("cancel_message_move_task", {"ApproximateNumberOfMessagesMoved": 0}, {"TaskHandle": "t"})

    def interrupted(line: str) -> None:
        if "RUNNING" in line:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        by_move_task(sqs, DLQ_ARN, BUFFER_ARN, progress=interrupted, poll_s=0)


def test_target_comes_from_the_stacks_consumers_output() -> None:
    consumer = {
        "dlq_url": "https://sqs/dlq",
        "dlq_arn": DLQ_ARN,
        "buffer_queue_url": "https://sqs/buffer",
        "buffer_queue_arn": BUFFER_ARN,
    }
    wrapped = {"consumers": {"sensitive": False, "type": ["object"], "value": {"image_resizer": consumer}}}
    target = cli.Target.from_outputs(wrapped, "image_resizer")
    assert (target.dlq_arn, target.buffer_arn, target.buffer_url) == (DLQ_ARN, BUFFER_ARN, "https://sqs/buffer")
    assert cli.Target.from_outputs({"consumers": {"image_resizer": consumer}}, "image_resizer") == target
    with pytest.raises(SystemExit, match="search_indexer"):
        cli.Target.from_outputs(wrapped, "search_indexer")


def test_the_command_reads_a_saved_outputs_file_and_paces_its_moves(queues, mixed_dlq, tmp_path, capsys) -> None:
    """`python -m tools.redrive --outputs-json FILE --reason R --method loop --rate N`, as docs/operations.md shows."""
    outputs = tmp_path / "outputs.json"
    consumer = {
        "dlq_url": queues.dlq_url,
        "dlq_arn": queues.dlq_arn,
        "buffer_queue_url": queues.buffer_url,
        "buffer_queue_arn": queues.buffer_arn,
    }
    outputs.write_text(json.dumps({"consumers": {"type": ["object"], "value": {"test_consumer": consumer}}}))
    arguments = ["--consumer", "test_consumer", "--outputs-json", str(outputs)]

    assert cli.main([*arguments, "--dry-run"]) == 0
    assert "dry run: nothing moved" in capsys.readouterr().out and queues.visible(queues.dlq_url) == 5

    started = time.monotonic()
    assert cli.main([*arguments, "--reason", "too_complex", "--method", "loop", "--rate", "4"]) == 0
    elapsed = time.monotonic() - started

    assert "moved 2 (receive/send/delete); left in the DLQ: 3" in capsys.readouterr().out
    assert elapsed >= 2 / 4 - 0.05  # two messages at four a second
    assert keys_in(queues.drain(queues.buffer_url)) == {"uploads/alice/a.jpg", "uploads/bob/b.jpg"}
