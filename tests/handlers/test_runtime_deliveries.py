"""consumer_core.runtime across deliveries, against moto: the record time budget, crash isolation (records whose
invocation died), retries_exhausted on the last delivery, DLQ messages SQS accepts, the on_rejected hook and
replay detection."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from botocore.exceptions import ClientError

from consumer_core import dlq
from consumer_core.errors import PermanentError, TransientError
from consumer_core.events import S3ObjectEvent, parse_s3_event
from consumer_core.idempotency import NOTE_WINDOW_MS, ObjectIdempotency, Replayed
from consumer_core.runtime import ConsumerHandler
from consumer_core.watchdog import TIMEOUT_NOTE_MARGIN_S
from tests.support import sqs_rules
from tools import s3_events
from tools.lambda_context import LambdaContext

CONSUMER = "test_consumer"
BUCKET = "test-uploads"
REGION = "us-east-1"


class RecordingProcess:
    """A consumer's domain function whose behaviour is chosen by the object key."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, event: S3ObjectEvent) -> dict[str, Any]:
        self.calls.append(event.key)
        if "corrupt" in event.key:
            raise PermanentError("corrupt_image", "image data is truncated")
        if "throttled" in event.key:
            raise ClientError(
                {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, "GetObject"
            )
        if "bug" in event.key:
            raise KeyError("unexpected")
        return {"status": "processed", "source_bytes": 10}


class InvocationKilled(BaseException):
    """Lambda ending an invocation (timeout, memory): nothing after it runs in that invocation. A BaseException,
    so that neither Powertools (which clears its in-progress record on `Exception`) nor the runtime handles it."""


@pytest.fixture
def process() -> RecordingProcess:
    return RecordingProcess()


@pytest.fixture
def handler(aws, process: RecordingProcess) -> ConsumerHandler:
    return ConsumerHandler(consumer=CONSUMER, process=process)


@pytest.fixture
def warm(aws) -> None:
    """An execution environment that has already served an invocation: a short deadline is then spent on the
    record, not on the runtime's first-use imports (Powertools' idempotency and batch utilities)."""
    warm_up = ConsumerHandler(consumer="warm_up", process=lambda event: {"status": "processed"})
    assert warm_up(created("uploads/warm-up.jpg"), LambdaContext())["status"] == "processed"


@pytest.fixture
def refused_by_sqs(aws) -> list[dict[str, Any]]:
    """The runtime's SQS client refuses what SQS refuses (moto does not); the refused requests."""
    from consumer_core.clients import client

    return sqs_rules.enforce_on(client("sqs"))


def created(key: str, **kwargs: Any) -> dict[str, Any]:
    return s3_events.object_created(BUCKET, key, **kwargs)


def request_for(event: dict[str, Any]) -> dict[str, str]:
    return {"identity": parse_s3_event(event).identity}


def failed_ids(response: dict[str, Any]) -> set[str]:
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


def message_ids(batch: dict[str, Any]) -> list[str]:
    return [record["messageId"] for record in batch["Records"]]


def metric_total(stdout: str, name: str) -> float:
    """The sum of one metric's values in the EMF blobs Powertools printed."""
    total = 0.0
    for line in stdout.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        blob = json.loads(line)
        names = {m["Name"] for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
        if name in names:
            values = blob[name]
            total += sum(values) if isinstance(values, list) else values
    return total


def leave_runway(context: LambdaContext, remaining_s: float) -> None:
    """Let the invocation's clock run until `remaining_s` is left (as if the work took that long)."""
    context.started = time.monotonic() - (context.timeout_ms / 1000 - remaining_s)


def idempotency_items(aws) -> list[dict[str, Any]]:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    return dynamodb.scan(TableName=aws.idempotency_table, ConsistentRead=True)["Items"]


def leave_dead_invocation(event: dict[str, Any], *, timed_out: bool) -> None:
    """The state an invocation that ended while processing `event` leaves: Powertools' INPROGRESS record, written
    by the runtime's own persistence layer with that invocation's (short) remaining time, now past; and, when the
    invocation timed out, the note its watchdog wrote just before."""
    idempotency = ObjectIdempotency(CONSUMER)
    request = request_for(event)
    idempotency.persistence.save_inprogress(data=request, remaining_time_in_millis=20)
    if timed_out:
        idempotency.note_timeout(request)
    time.sleep(0.1)
    record = idempotency.persistence.get_record(request)
    assert record.status == "INPROGRESS"
    assert record.in_progress_expiry_timestamp < time.time() * 1000


# -- 1. record time budget -------------------------------------------------------------------------------------


def budget_handler(context: LambdaContext, process: RecordingProcess, *, remaining_after_s: float) -> ConsumerHandler:
    """A consumer needing up to 10 s per record, whose records each take the invocation to `remaining_after_s`."""

    def slow(event: S3ObjectEvent) -> dict[str, Any]:
        result = process(event)
        leave_runway(context, remaining_after_s)
        return result

    return ConsumerHandler(consumer=CONSUMER, process=slow, record_time_budget_s=10.0)


def test_records_after_the_first_are_handed_back_when_time_runs_short(aws, process, capsys) -> None:
    context = LambdaContext(timeout_ms=30_000)
    handler = budget_handler(context, process, remaining_after_s=5.0)
    batch = s3_events.sqs_batch(*(created(f"uploads/u1/{name}.jpg") for name in "abcd"))
    ids = message_ids(batch)

    response = handler(batch, context)

    assert process.calls == ["uploads/u1/a.jpg"], "records that might not finish are not started"
    assert failed_ids(response) == set(ids[1:])
    assert metric_total(capsys.readouterr().out, "Deferred") == 3
    assert aws.dlq_messages() == []
    # Handed back unprocessed: nothing of theirs in the idempotency store, so the next delivery processes them.
    assert len(idempotency_items(aws)) == 1
    assert handler(s3_events.sqs_batch(*(created(f"uploads/u1/{n}.jpg") for n in "bcd")), LambdaContext()) == {
        "batchItemFailures": []
    }


def test_no_record_is_deferred_while_time_remains(aws, process, capsys) -> None:
    context = LambdaContext(timeout_ms=30_000)
    handler = budget_handler(context, process, remaining_after_s=10.5)
    batch = s3_events.sqs_batch(*(created(f"uploads/u1/{name}.jpg") for name in "abc"))

    assert handler(batch, context) == {"batchItemFailures": []}
    assert process.calls == ["uploads/u1/a.jpg", "uploads/u1/b.jpg", "uploads/u1/c.jpg"]
    assert metric_total(capsys.readouterr().out, "Deferred") == 0


def test_the_first_record_is_processed_even_without_time_for_it(aws, process) -> None:
    context = LambdaContext(timeout_ms=3_000)  # less than one record's budget from the start
    handler = ConsumerHandler(consumer=CONSUMER, process=process, record_time_budget_s=10.0)
    batch = s3_events.sqs_batch(created("uploads/u1/a.jpg"), created("uploads/u1/b.jpg"))

    response = handler(batch, context)

    assert process.calls == ["uploads/u1/a.jpg"]
    assert failed_ids(response) == {message_ids(batch)[1]}


def test_deferred_records_are_processed_on_their_last_delivery(aws, process, capsys) -> None:
    context = LambdaContext(timeout_ms=30_000)
    handler = budget_handler(context, process, remaining_after_s=5.0)
    keys = [f"uploads/u1/{name}.jpg" for name in "abcde"]
    batch = s3_events.sqs_batch(*(created(key) for key in keys), receive_count=[1, 4, 5, 2, 5])
    ids = message_ids(batch)

    response = handler(batch, context)

    # MAX_RECEIVE_COUNT defaults to 5: a fifth delivery is the last, and is processed whatever the time left.
    assert process.calls == [keys[0], keys[2], keys[4]]
    assert failed_ids(response) == {ids[1], ids[3]}
    assert metric_total(capsys.readouterr().out, "Deferred") == 2


def test_last_delivery_follows_max_receive_count(aws, process, monkeypatch) -> None:
    from consumer_core.config import core_settings

    monkeypatch.setenv("MAX_RECEIVE_COUNT", "3")
    core_settings.cache_clear()
    context = LambdaContext(timeout_ms=30_000)
    handler = budget_handler(context, process, remaining_after_s=5.0)
    keys = [f"uploads/u1/{name}.jpg" for name in "abc"]
    batch = s3_events.sqs_batch(*(created(key) for key in keys), receive_count=[1, 2, 3])

    response = handler(batch, context)

    assert process.calls == [keys[0], keys[2]]
    assert failed_ids(response) == {message_ids(batch)[1]}


# -- 2. crash isolation ----------------------------------------------------------------------------------------


def dead_record_batch(dead: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A redelivered batch: the record whose invocation died, in the middle of four good ones."""
    good = [f"uploads/u1/good-{n}.jpg" for n in range(4)]
    events = [created(good[0]), created(good[1]), dead, created(good[2]), created(good[3])]
    return s3_events.sqs_batch(*events, receive_count=2), good


@pytest.mark.parametrize(("timed_out", "reason"), [(False, "out_of_memory"), (True, "timeout")])
def test_record_whose_invocation_died_goes_to_the_dlq_alone(
    aws, handler, process, lambda_context, timed_out: bool, reason: str
) -> None:
    dead = created("uploads/u1/killer.jpg")
    leave_dead_invocation(dead, timed_out=timed_out)
    batch, good = dead_record_batch(dead)

    response = handler(batch, lambda_context)

    assert response == {"batchItemFailures": []}
    assert process.calls == good, "the batch-mates are processed; the dead record is not tried again"
    (message,) = aws.dlq_messages()
    assert message["attributes"]["reason"] == reason
    assert message["attributes"]["object_key"] == "uploads/u1/killer.jpg"
    assert reason in message["attributes"]["error_message"]
    assert message["body"] == batch["Records"][2]["body"], "the SQS body is kept as it came"


def test_dead_record_is_forgotten_once_in_the_dlq(aws, handler, process, lambda_context) -> None:
    dead = created("uploads/u1/killer.jpg")
    leave_dead_invocation(dead, timed_out=True)
    assert len(idempotency_items(aws)) == 2  # Powertools' record and the watchdog's note

    handler(s3_events.sqs_batch(dead, receive_count=2), lambda_context)
    assert [m["attributes"]["reason"] for m in aws.dlq_messages()] == ["timeout"]
    assert idempotency_items(aws) == [], "the in-progress record and the note are dropped"

    # Another message about the same object (e.g. S3's duplicate of the event, on its second delivery) and the
    # DLQ message redriven (a first delivery): both process the object afresh.
    assert handler(s3_events.sqs_batch(dict(dead, id="duplicate-event"), receive_count=2), lambda_context) == {
        "batchItemFailures": []
    }
    assert process.calls == ["uploads/u1/killer.jpg"]
    assert aws.dlq_messages() == []
    (item,) = idempotency_items(aws)
    assert item["status"]["S"] == "COMPLETED"


def test_dead_record_redriven_as_a_first_delivery_is_processed_afresh(aws, handler, process, lambda_context) -> None:
    dead = created("uploads/u1/killer.jpg")
    leave_dead_invocation(dead, timed_out=False)
    handler(s3_events.sqs_batch(dead, receive_count=2), lambda_context)
    assert [m["attributes"]["reason"] for m in aws.dlq_messages()] == ["out_of_memory"]

    assert handler(s3_events.sqs_batch(dead, receive_count=1), lambda_context) == {"batchItemFailures": []}
    assert process.calls == ["uploads/u1/killer.jpg"]
    assert aws.dlq_messages() == []


def test_record_another_invocation_is_still_processing_is_not_dead(aws, handler, process, lambda_context) -> None:
    busy = created("uploads/u1/busy.jpg")
    ObjectIdempotency(CONSUMER).persistence.save_inprogress(data=request_for(busy), remaining_time_in_millis=60_000)
    batch = s3_events.sqs_batch(created("uploads/u1/good.jpg"), busy, receive_count=2)

    response = handler(batch, lambda_context)

    assert failed_ids(response) == {message_ids(batch)[1]}, "retried later, while that invocation may finish"
    assert process.calls == ["uploads/u1/good.jpg"]
    assert aws.dlq_messages() == []


def test_watchdog_notes_a_timeout_before_the_deadline(aws, warm, handler) -> None:
    context = LambdaContext(timeout_ms=700)

    def past_the_deadline(event: S3ObjectEvent) -> dict[str, Any]:
        time.sleep(context.get_remaining_time_in_millis() / 1000 + 0.2)
        raise InvocationKilled  # Lambda ends the invocation at its deadline

    event = created("uploads/u1/slow.jpg")
    request = request_for(event)
    with pytest.raises(InvocationKilled):
        ConsumerHandler(consumer=CONSUMER, process=past_the_deadline)(event, context)

    idempotency = ObjectIdempotency(CONSUMER)
    assert idempotency.ended_while_processing(request) == "timeout"
    # The next delivery of its message sends it to the DLQ with that reason.
    handler(s3_events.sqs_batch(event, receive_count=2), LambdaContext())
    assert [m["attributes"]["reason"] for m in aws.dlq_messages()] == ["timeout"]


def test_invocation_killed_before_its_deadline_is_out_of_memory(aws, warm, handler) -> None:
    context = LambdaContext(timeout_ms=700)

    def killed(event: S3ObjectEvent) -> dict[str, Any]:
        raise InvocationKilled  # the environment ends at once (memory): the watchdog never fires

    event = created("uploads/u1/huge.jpg")
    request = request_for(event)
    with pytest.raises(InvocationKilled):
        ConsumerHandler(consumer=CONSUMER, process=killed)(event, context)

    idempotency = ObjectIdempotency(CONSUMER)
    assert idempotency.ended_while_processing(request) is None, "still within that invocation's deadline"
    time.sleep(context.get_remaining_time_in_millis() / 1000 + 0.5)  # past the deadline and the watchdog's time
    assert idempotency.ended_while_processing(request) == "out_of_memory"


def test_a_note_left_by_a_record_that_ended_in_time_does_not_make_a_later_kill_a_timeout(aws, warm) -> None:
    event = created("uploads/u1/late.jpg")
    request = request_for(event)
    first = LambdaContext(timeout_ms=700)

    def fails_just_before_the_deadline(event: S3ObjectEvent) -> dict[str, Any]:
        time.sleep(first.get_remaining_time_in_millis() / 1000 - 0.2)  # the watchdog notes it meanwhile...
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "slow"}}, "GetObject")  # ...but it ends in time

    with pytest.raises(TransientError):
        ConsumerHandler(consumer=CONSUMER, process=fails_just_before_the_deadline)(event, first)
    notes = [item for item in idempotency_items(aws) if "#timed-out#" in item["id"]["S"]]
    assert len(notes) == 1, "the watchdog wrote its note while the record was still in progress"

    # A later delivery (SQS waits at least the visibility timeout, 6x the function's) dies of memory at once.
    time.sleep(NOTE_WINDOW_MS / 1000)
    second = LambdaContext(timeout_ms=700)

    def killed(event: S3ObjectEvent) -> dict[str, Any]:
        raise InvocationKilled

    with pytest.raises(InvocationKilled):
        ConsumerHandler(consumer=CONSUMER, process=killed)(event, second)
    time.sleep(second.get_remaining_time_in_millis() / 1000 + 0.1)
    assert ObjectIdempotency(CONSUMER).ended_while_processing(request) == "out_of_memory"


def test_the_watchdog_notes_within_the_window_its_notes_are_read_in() -> None:
    assert TIMEOUT_NOTE_MARGIN_S * 1000 < NOTE_WINDOW_MS


# -- 3. retries_exhausted ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("receive_count", [1, 2, 3, 4])
def test_transient_failure_before_the_last_delivery_is_retried(
    aws, handler, lambda_context, receive_count: int
) -> None:
    batch = s3_events.sqs_batch(
        created("uploads/u1/good.jpg"), created("uploads/u1/throttled.jpg"), receive_count=receive_count
    )
    response = handler(batch, lambda_context)
    assert failed_ids(response) == {message_ids(batch)[1]}
    assert aws.dlq_messages() == []


@pytest.mark.parametrize(
    ("key", "last_error"), [("uploads/u1/throttled.jpg", "SlowDown"), ("uploads/u1/bug.jpg", "KeyError")]
)
def test_transient_failure_on_the_last_delivery_goes_to_the_dlq(
    aws, handler, process, lambda_context, key: str, last_error: str
) -> None:
    batch = s3_events.sqs_batch(created("uploads/u1/good.jpg"), created(key), receive_count=5)

    response = handler(batch, lambda_context)

    assert response == {"batchItemFailures": []}, "not left to SQS's redrive, which would carry no reason"
    assert process.calls == ["uploads/u1/good.jpg", key], "the last delivery is still tried"
    (message,) = aws.dlq_messages()
    assert message["attributes"]["reason"] == "retries_exhausted"
    assert message["attributes"]["object_key"] == key
    assert last_error in message["attributes"]["error_message"]
    assert message["body"] == batch["Records"][1]["body"]


def test_retries_exhausted_follows_max_receive_count(aws, handler, lambda_context, monkeypatch) -> None:
    from consumer_core.config import core_settings

    monkeypatch.setenv("MAX_RECEIVE_COUNT", "2")
    core_settings.cache_clear()
    batch = s3_events.sqs_batch(
        created("uploads/u1/good.jpg"),
        created("uploads/u1/throttled.jpg"),
        created("uploads/u1/throttled-too.jpg"),
        receive_count=[1, 1, 2],
    )
    response = handler(batch, lambda_context)
    assert failed_ids(response) == {message_ids(batch)[1]}
    assert [m["attributes"]["object_key"] for m in aws.dlq_messages()] == ["uploads/u1/throttled-too.jpg"]


# -- 4. DLQ messages SQS accepts, always with their reason ---------------------------------------------------------


def reject_everything(event: S3ObjectEvent) -> dict[str, Any]:
    raise PermanentError("corrupt_image", "image data is truncated")


def key_of_bytes(stem: str, filler: str, total: int = 1024) -> str:
    """`uploads/u1/<stem>` padded with `filler` (then ASCII) to exactly `total` bytes of UTF-8."""
    key = f"uploads/u1/{stem}"
    while len((key + filler).encode()) <= total:
        key += filler
    key += "x" * (total - len(key.encode()))
    assert len(key.encode()) == total
    return key


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("uploads/u1/ctrl\x01and\x1f.jpg", id="control-characters"),
        pytest.param(key_of_bytes("", "a"), id="1024-bytes-ascii"),
        pytest.param(key_of_bytes("", "é"), id="1024-bytes-2-byte"),
        pytest.param(key_of_bytes("", "画"), id="1024-bytes-3-byte"),
        pytest.param(key_of_bytes("", "😀"), id="1024-bytes-4-byte"),
        pytest.param(key_of_bytes("\x01\x1f", "画"), id="1024-bytes-with-control-characters"),
        pytest.param(key_of_bytes("%41 \x7f", "\ufffd"), id="1024-bytes-percent-and-delete"),
    ],
)
def test_dlq_message_names_the_whole_key(aws, refused_by_sqs, lambda_context, key: str) -> None:
    handler = ConsumerHandler(consumer=CONSUMER, process=reject_everything)
    batch = s3_events.sqs_batch(created(key))

    assert handler(batch, lambda_context) == {"batchItemFailures": []}

    assert refused_by_sqs == []
    (message,) = aws.dlq_messages()
    attributes = message["attributes"]
    assert attributes["reason"] == "corrupt_image"
    assert message["body"] == batch["Records"][0]["body"]
    refused = bool(sqs_rules.refused_characters(key))
    if refused:
        assert attributes["object_key_encoding"] == "url"
        assert not sqs_rules.refused_characters(attributes["object_key"])
        assert unquote(attributes["object_key"], errors="strict") == key
    else:
        assert "object_key_encoding" not in attributes
        assert attributes["object_key"] == key


def envelope_of(body: str) -> dict[str, Any]:
    envelope = json.loads(body)
    assert envelope["dlq_envelope"] == 1
    return envelope


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("not json " + "x" * 300_000, id="not-json"),
        pytest.param("not json " + "画" * 100_000, id="not-json-multibyte"),
        pytest.param(
            json.dumps(dict(created("uploads/u1/a.jpg"), source="custom", padding="p" * 300_000)),
            id="unsupported-event",
        ),
    ],
)
def test_dlq_fits_an_oversized_body_into_an_envelope(aws, refused_by_sqs, handler, lambda_context, body: str) -> None:
    original = body.encode()
    assert len(original) > sqs_rules.MAX_MESSAGE_BYTES

    assert handler(s3_events.sqs_batch(body), lambda_context) == {"batchItemFailures": []}

    assert refused_by_sqs == []
    (message,) = aws.dlq_messages()
    assert message["attributes"]["reason"] in {"invalid_event", "unsupported_event"}
    envelope = envelope_of(message["body"])
    assert envelope["truncated"] is True
    assert envelope["original_bytes"] == len(original)
    kept = base64.b64decode(envelope["body_base64"])
    assert len(kept) > 150_000, "as much of the body as fits is kept"
    assert original.startswith(kept)


def test_dlq_keeps_a_non_json_body_with_control_characters(aws, refused_by_sqs, handler, lambda_context) -> None:
    # An asynchronous invocation whose payload is a JSON string rather than an event.
    body = "not an event \x01\x1f\x00 but kept"

    response = handler(body, lambda_context)

    assert response["reason"] == "invalid_event"
    assert refused_by_sqs == []
    (message,) = aws.dlq_messages()
    assert message["attributes"]["reason"] == "invalid_event"
    envelope = envelope_of(message["body"])
    assert envelope["truncated"] is False
    assert envelope["original_bytes"] == len(body.encode())
    assert base64.b64decode(envelope["body_base64"]).decode() == body


def test_strict_sqs_refuses_what_sqs_refuses(aws, refused_by_sqs) -> None:
    from consumer_core.clients import client

    for body, attributes in [
        ("a\x01b", {}),
        ("ok", {"object_key": {"DataType": "String", "StringValue": "a\x1fb"}}),
        ("x" * sqs_rules.MAX_MESSAGE_BYTES, {"reason": {"DataType": "String", "StringValue": "timeout"}}),
    ]:
        with pytest.raises(ClientError, match="InvalidMessageContents"):
            client("sqs").send_message(QueueUrl=aws.dlq_url, MessageBody=body, MessageAttributes=attributes)
    assert len(refused_by_sqs) == 3
    assert aws.dlq_messages() == []


def test_sqs_safe_follows_the_documented_character_set() -> None:
    for code_point in range(0x110000):
        char = chr(code_point)
        safe, encoded = dlq.sqs_safe(f"a{char}b")
        if sqs_rules.sqs_allows(code_point):
            assert (safe, encoded) == (f"a{char}b", False), f"U+{code_point:04X}"
        else:
            assert encoded, f"U+{code_point:04X}"
            assert safe.isascii(), f"U+{code_point:04X}"
            assert unquote(safe, errors="surrogatepass") == f"a{char}b", f"U+{code_point:04X}"


@pytest.mark.parametrize("budget", [1024, 4096, 65_536, dlq.MAX_MESSAGE_BYTES])
@pytest.mark.parametrize(
    "text",
    [
        pytest.param("plain", id="plain"),
        pytest.param("ctrl \x01 \x0b \x0c \x1f \ufffe \uffff end", id="refused-characters"),
        pytest.param("lone \ud800 surrogate", id="lone-surrogate"),
        pytest.param("x" * 300_000, id="too-long-ascii"),
        pytest.param("😀" * 70_000, id="too-long-4-byte"),
        pytest.param("\x01" + "画" * 90_000, id="too-long-and-refused"),
    ],
)
def test_fitted_body_is_accepted_and_within_budget(text: str, budget: int) -> None:
    fitted = dlq.fitted_body(text, budget)

    assert sqs_rules.refused_characters(fitted) == []
    assert len(fitted.encode()) <= budget
    raw = text.encode("utf-8", errors="surrogatepass")
    if fitted == text:
        assert len(raw) <= budget
        return
    envelope = envelope_of(fitted)
    kept = base64.b64decode(envelope["body_base64"])
    assert envelope["original_bytes"] == len(raw)
    assert envelope["truncated"] is (len(kept) < len(raw))
    assert raw.startswith(kept)


# -- 5. the on_rejected hook and replays ----------------------------------------------------------------------------


def dlq_depth(aws) -> int:
    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(QueueUrl=aws.dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def recording_hook(aws) -> tuple[list[tuple[Any, PermanentError, int]], Callable[[Any, PermanentError], None]]:
    calls: list[tuple[Any, PermanentError, int]] = []

    def on_rejected(model: Any, error: PermanentError) -> None:
        calls.append((model, error, dlq_depth(aws)))

    return calls, on_rejected


def test_on_rejected_is_called_once_per_rejection_before_the_dlq_send(aws, process, lambda_context) -> None:
    calls, on_rejected = recording_hook(aws)
    handler = ConsumerHandler(consumer=CONSUMER, process=process, on_rejected=on_rejected)
    handler(s3_events.sqs_batch(created("uploads/u1/good.jpg")), lambda_context)
    unsupported = {"version": "0", "id": "x", "source": "custom", "detail-type": "Something", "detail": {}}
    bodies = [
        created("uploads/u1/good.jpg", event_id="replayed"),  # duplicate
        created("uploads/u1/other.jpg"),  # success
        created("uploads/u1/corrupt.jpg"),  # permanent, parsed
        created("uploads/u1/throttled.jpg"),  # transient
        "not json",  # permanent, not parsed
        unsupported,  # permanent, not parsed
        created("uploads/u1/throttled-last.jpg"),  # transient on its last delivery: retries_exhausted
    ]
    batch = s3_events.sqs_batch(*bodies, receive_count=[1, 1, 1, 1, 1, 1, 5])

    response = handler(batch, lambda_context)

    assert failed_ids(response) == {message_ids(batch)[3]}
    summary = [(model.key if model is not None else None, error.reason, depth) for model, error, depth in calls]
    assert summary == [
        ("uploads/u1/corrupt.jpg", "corrupt_image", 0),
        (None, "invalid_event", 1),
        (None, "unsupported_event", 2),
        ("uploads/u1/throttled-last.jpg", "retries_exhausted", 3),
    ], "once per rejection, each before its DLQ message"
    assert all(isinstance(model, S3ObjectEvent) for model, _, _ in calls if model is not None)
    assert all(isinstance(error, PermanentError) for _, error, _ in calls)
    assert [m["attributes"]["reason"] for m in aws.dlq_messages()] == [error.reason for _, error, _ in calls]


def test_on_rejected_for_a_dead_invocation(aws, process, lambda_context) -> None:
    calls, on_rejected = recording_hook(aws)
    handler = ConsumerHandler(consumer=CONSUMER, process=process, on_rejected=on_rejected)
    dead = created("uploads/u1/killer.jpg")
    leave_dead_invocation(dead, timed_out=False)

    handler(s3_events.sqs_batch(dead, receive_count=2), lambda_context)

    ((model, error, depth),) = calls
    assert (model.key, error.reason, depth) == ("uploads/u1/killer.jpg", "out_of_memory", 0)


def test_replay_comes_back_through_the_response_hook(aws, lambda_context) -> None:
    idempotency = ObjectIdempotency(CONSUMER)
    idempotency.register_lambda_context(lambda_context)
    result = {"status": "processed", "outputs": ["a", "b"], "source_bytes": 10}
    run = idempotency.wrap(lambda request: dict(result))

    first = run(request={"identity": "s3://b/k?version=1"})
    again = run(request={"identity": "s3://b/k?version=1"})

    assert first == result, "the process function's result, without extra keys"
    assert again == Replayed(result)
    (item,) = idempotency_items(aws)
    assert json.loads(item["data"]["S"]) == result, "what is stored is the result itself"


def test_a_result_that_says_duplicate_is_not_a_replay(aws, lambda_context) -> None:
    calls: list[str] = []

    def process(event: S3ObjectEvent) -> dict[str, Any]:
        calls.append(event.key)
        return {"status": "duplicate", "duplicate": True}

    handler = ConsumerHandler(consumer=CONSUMER, process=process)
    event = created("uploads/u1/a.jpg")

    assert handler(event, lambda_context)["status"] == "processed"
    assert handler(dict(event, id="again"), lambda_context)["status"] == "duplicate"
    assert calls == ["uploads/u1/a.jpg"]
    (item,) = idempotency_items(aws)
    assert json.loads(item["data"]["S"]) == {"status": "duplicate", "duplicate": True}, "stored without extra keys"
