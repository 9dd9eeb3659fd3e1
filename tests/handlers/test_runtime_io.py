"""consumer_core's I/O overlap on moto: the domain events of a batch published together (and what happens when
some are refused), downloads started ahead of need, and the small thread pool under both."""

from __future__ import annotations

import json
import threading
import types
from typing import Any

import boto3
import pytest

from consumer_core import concurrency, results, uploads
from consumer_core.events import S3ObjectEvent, parse_s3_event
from consumer_core.runtime import ConsumerHandler
from tools import s3_events
from tools import testimages as images

CONSUMER = "test_consumer"
ANNOUNCED = "Thing Done"


def announcing_process(calls: list[str]):
    """A process function that announces one event per object, as the image consumers do."""

    def process(event: S3ObjectEvent) -> dict[str, Any]:
        calls.append(event.key)
        return {"status": "processed", "events": [results.event(ANNOUNCED, {"key": event.key})]}

    return process


class PutEventsFault:
    """The runtime's EventBridge client answering PutEvents itself: entries whose key is in `refuse` get an error,
    the others an event id (and are not delivered). Records every request's entries."""

    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.requests: list[list[dict[str, Any]]] = []

    def install(self) -> None:
        from consumer_core.clients import client

        client("events").meta.events.register("before-call.eventbridge.PutEvents", self)

    def __call__(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        entries = entries_of(params)
        self.requests.append(entries)
        answers = [
            {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
            if json.loads(entry["Detail"])["key"] in self.refuse
            else {"EventId": f"id-{index}"}
            for index, entry in enumerate(entries)
        ]
        failed = sum("ErrorCode" in answer for answer in answers)
        return types.SimpleNamespace(status_code=200, headers={}), {"FailedEntryCount": failed, "Entries": answers}


def entries_of(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of a PutEvents request as botocore's `before-call` sees it (serialised JSON)."""
    return json.loads(request["body"])["Entries"]


def created(aws, key: str) -> dict[str, Any]:
    return s3_events.object_created(aws.bucket, key)


def announced_keys(aws) -> list[str]:
    return sorted(e["detail"]["key"] for e in aws.published_events() if e["detail-type"] == ANNOUNCED)


# -- publishing ------------------------------------------------------------------------------------------------


def test_a_batch_publishes_its_events_in_one_call(aws, lambda_context) -> None:
    calls: list[str] = []
    handler = ConsumerHandler(consumer=CONSUMER, process=announcing_process(calls))
    keys = [f"uploads/u1/{index}.jpg" for index in range(4)]
    from consumer_core.clients import client

    requests: list[int] = []
    client("events").meta.events.register(
        "before-call.eventbridge.PutEvents", lambda params, **_: requests.append(len(entries_of(params)))
    )

    assert handler(s3_events.sqs_batch(*(created(aws, key) for key in keys)), lambda_context) == {
        "batchItemFailures": []
    }
    assert requests == [4]
    assert announced_keys(aws) == keys


def test_refused_events_fail_only_their_records_and_are_announced_on_redelivery(aws, lambda_context) -> None:
    calls: list[str] = []
    handler = ConsumerHandler(consumer=CONSUMER, process=announcing_process(calls))
    events = [created(aws, f"uploads/u1/{index}.jpg") for index in range(3)]
    batch = s3_events.sqs_batch(*events)
    fault = PutEventsFault(refuse={"uploads/u1/1.jpg"})
    fault.install()

    response = handler(batch, lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": batch["Records"][1]["messageId"]}]}
    assert [len(entries) for entries in fault.requests] == [3]

    # SQS delivers the failed record again; the work is not redone, its result (and event) is replayed.
    from consumer_core.clients import client

    client("events").meta.events.unregister("before-call.eventbridge.PutEvents", fault)
    redelivered = s3_events.sqs_batch(events[1], receive_count=2)
    assert handler(redelivered, lambda_context) == {"batchItemFailures": []}
    assert calls == ["uploads/u1/0.jpg", "uploads/u1/1.jpg", "uploads/u1/2.jpg"], "processed once each"
    assert announced_keys(aws) == ["uploads/u1/1.jpg"]


def test_events_of_records_that_completed_before_the_invocation_died_are_announced_again(aws, lambda_context):
    """A record completes (its result stored) but its invocation dies before the batch's events go out: the
    redelivered record's replayed result carries the event, so it is not lost."""

    class Killed(BaseException):
        pass

    calls: list[str] = []
    process = announcing_process(calls)

    def dies_on_second(event: S3ObjectEvent) -> dict[str, Any]:
        if event.key.endswith("killer.jpg"):
            raise Killed
        return process(event)

    handler = ConsumerHandler(consumer=CONSUMER, process=dies_on_second)
    first, killer = created(aws, "uploads/u1/a.jpg"), created(aws, "uploads/u1/killer.jpg")
    with pytest.raises(Killed):
        handler(s3_events.sqs_batch(first, killer), lambda_context)
    assert announced_keys(aws) == []

    assert handler(s3_events.sqs_batch(first, receive_count=2), lambda_context) == {"batchItemFailures": []}
    assert calls == ["uploads/u1/a.jpg"], "not processed again"
    assert announced_keys(aws) == ["uploads/u1/a.jpg"]


def test_a_duplicate_in_the_same_batch_is_announced_once(aws, lambda_context) -> None:
    calls: list[str] = []
    handler = ConsumerHandler(consumer=CONSUMER, process=announcing_process(calls))
    event = created(aws, "uploads/u1/a.jpg")
    batch = s3_events.sqs_batch(event, dict(event, id="same-object-another-event"))
    assert handler(batch, lambda_context) == {"batchItemFailures": []}
    assert announced_keys(aws) == ["uploads/u1/a.jpg"]


def test_a_refused_event_fails_every_record_that_carries_it(aws, lambda_context) -> None:
    handler = ConsumerHandler(consumer=CONSUMER, process=announcing_process([]))
    event = created(aws, "uploads/u1/a.jpg")
    batch = s3_events.sqs_batch(event, dict(event, id="same-object-another-event"), created(aws, "uploads/u1/b.jpg"))
    PutEventsFault(refuse={"uploads/u1/a.jpg"}).install()
    response = handler(batch, lambda_context)
    assert {item["itemIdentifier"] for item in response["batchItemFailures"]} == {
        batch["Records"][0]["messageId"],
        batch["Records"][1]["messageId"],
    }


def test_a_single_event_whose_events_are_refused_raises_for_a_retry(aws, lambda_context) -> None:
    handler = ConsumerHandler(consumer=CONSUMER, process=announcing_process([]))
    PutEventsFault(refuse={"uploads/u1/a.jpg"}).install()
    with pytest.raises(Exception, match="domain events not published: InternalFailure"):
        handler(created(aws, "uploads/u1/a.jpg"), lambda_context)


def test_publish_batch_keeps_to_put_events_limits(aws) -> None:
    from consumer_core.clients import client

    sizes: list[tuple[int, int]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        entries = entries_of(params)
        sizes.append((len(entries), sum(len(v.encode()) for e in entries for v in e.values())))

    client("events").meta.events.register("before-call.eventbridge.PutEvents", record)
    small = [results.event(ANNOUNCED, {"key": f"k{i}"}) for i in range(23)]
    assert results.publish_batch(small) == []
    assert [count for count, _ in sizes] == [10, 10, 3]

    sizes.clear()
    large = [results.event(ANNOUNCED, {"key": f"k{i}", "pad": "x" * 80_000}) for i in range(5)]
    assert results.publish_batch(large) == []
    assert all(size <= results.MAX_REQUEST_BYTES for _, size in sizes) and sum(n for n, _ in sizes) == 5
    assert [count for count, _ in sizes] == [3, 2], "three of ~80 KB fit in 256 KB, four do not"


def test_publish_batch_reports_the_index_of_each_refused_event(aws) -> None:
    PutEventsFault(refuse={"k3", "k12"}).install()
    items = [results.event(ANNOUNCED, {"key": f"k{i}"}) for i in range(15)]
    assert [index for index, _ in results.publish_batch(items)] == [3, 12]


# -- downloads started ahead ----------------------------------------------------------------------------------


def put(aws, key: str, body: bytes) -> dict[str, Any]:
    response = boto3.client("s3").put_object(Bucket=aws.bucket, Key=key, Body=body)
    return s3_events.object_created(
        aws.bucket, key, size=len(body), etag=response["ETag"].strip('"'), version_id=response["VersionId"]
    )


def reading_handler(seen: list[bytes]) -> ConsumerHandler:
    def process(event: S3ObjectEvent) -> dict[str, Any]:
        seen.append(uploads.read_upload(event, CONSUMER))
        return {"status": "processed"}

    return ConsumerHandler(consumer=CONSUMER, process=process, prefetch=uploads.prefetch)


def get_object_threads(aws) -> list[str]:
    from consumer_core.clients import client

    threads: list[str] = []
    client("s3").meta.events.register(
        "before-call.s3.GetObject", lambda **_: threads.append(threading.current_thread().name)
    )
    return threads


def test_each_upload_is_downloaded_once_ahead_of_its_turn(aws, lambda_context) -> None:
    bodies = [images.jpeg(200, 150, seed=seed) for seed in range(3)]
    events = [put(aws, f"uploads/u1/{index}.jpg", body) for index, body in enumerate(bodies)]
    threads = get_object_threads(aws)
    seen: list[bytes] = []

    assert reading_handler(seen)(s3_events.sqs_batch(*events), lambda_context) == {"batchItemFailures": []}

    assert seen == bodies
    assert len(threads) == 3 and all(name.startswith("aws-io") for name in threads), "once each, on the pool"
    assert len(uploads._downloads) == 0, "nothing held after the batch"


def test_a_large_upload_is_read_in_its_turn_not_ahead(aws, lambda_context, monkeypatch) -> None:
    monkeypatch.setattr(uploads, "PREFETCH_MAX_BYTES", 1000)
    body = images.jpeg(200, 150)
    assert len(body) > 1000
    threads = get_object_threads(aws)
    seen: list[bytes] = []
    reading_handler(seen)(s3_events.sqs_batch(put(aws, "uploads/u1/big.jpg", body)), lambda_context)
    assert seen == [body] and threads == [threading.current_thread().name]


def test_a_download_that_fails_ahead_is_done_again_in_its_turn(aws, lambda_context) -> None:
    from botocore.exceptions import ClientError

    from consumer_core.clients import client

    body = images.jpeg(200, 150)
    event = put(aws, "uploads/u1/a.jpg", body)
    attempts: list[str] = []

    def throttle_the_first(**_: Any) -> None:
        attempts.append(threading.current_thread().name)
        if len(attempts) == 1:
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "reduce your request rate"}}, "GetObject")

    client("s3").meta.events.register("before-call.s3.GetObject", throttle_the_first)
    seen: list[bytes] = []
    assert reading_handler(seen)(s3_events.sqs_batch(event), lambda_context) == {"batchItemFailures": []}
    assert seen == [body] and len(attempts) == 2
    assert attempts[1] == threading.current_thread().name, "read again by the record itself"


def test_prefetch_starts_nothing_for_an_upload_of_unknown_size_or_a_delete() -> None:
    event = s3_events.object_created("bucket", "uploads/u1/a.jpg")
    del event["detail"]["object"]["size"]
    unsized = parse_s3_event(event)
    deleted = parse_s3_event(s3_events.object_deleted("bucket", "uploads/u1/b.jpg"))
    assert unsized.size is None
    uploads.prefetch(unsized, deleted)
    assert len(uploads._downloads) == 0


# -- the pool ---------------------------------------------------------------------------------------------------


def test_ahead_holds_at_most_its_slots_oldest_dropped_first() -> None:
    held = concurrency.Ahead[int](slots=2)
    for key in ("a", "b", "c"):
        held.start(key, ord, key)
    assert len(held) == 2
    assert held.take("a") is None
    assert (held.take("b"), held.take("c")) == (ord("b"), ord("c"))
    assert held.take("b") is None, "taken once"


def test_ahead_gives_nothing_for_work_that_failed() -> None:
    held = concurrency.Ahead[int]()

    def fails() -> int:
        raise RuntimeError("no")

    held.start("k", fails)
    assert held.take("k") is None


def test_run_all_keeps_order_and_raises_the_first_failure_after_all_ended() -> None:
    done: list[int] = []

    def task(value: int) -> int:
        if value == 1:
            raise ValueError("one")
        done.append(value)
        return value * 10

    assert concurrency.run_all(lambda v: v * 10, [(3,), (1,), (2,)]) == [30, 10, 20]
    with pytest.raises(ValueError, match="one"):
        concurrency.run_all(task, [(0,), (1,), (2,)])
    assert sorted(done) == [0, 2]


def test_pool_tasks_run_inside_the_callers_trace(monkeypatch) -> None:
    """With tracing on, a task's subsegments belong to the invocation's trace (X-Ray's context is per thread)."""
    from aws_xray_sdk import global_sdk_config
    from aws_xray_sdk.core import AWSXRayRecorder

    from consumer_core import observability

    was_enabled = global_sdk_config.sdk_enabled()  # off in tests (POWERTOOLS_TRACE_DISABLED)
    global_sdk_config.set_sdk_enabled(True)
    recorder = AWSXRayRecorder()
    recorder.configure(sampling=False, context_missing="RUNTIME_ERROR")
    tracer = types.SimpleNamespace(provider=recorder, disabled=False)
    monkeypatch.setattr(observability, "tracer", lambda: tracer)
    segment = recorder.begin_segment("invocation")
    try:
        entities = concurrency.run_all(lambda: recorder.get_trace_entity(), [()])
    finally:
        recorder.end_segment()
        global_sdk_config.set_sdk_enabled(was_enabled)
    assert entities == [segment]


# -- a deleted upload -----------------------------------------------------------------------------------------


def access_denied_for_gets(aws) -> None:
    """S3 as it answers a role without the bucket's s3:ListBucket: 403 AccessDenied for a missing key (moto says
    404, as it would to a role that may list)."""
    from botocore.exceptions import ClientError

    from consumer_core.clients import client

    def denied(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject")

    client("s3").meta.events.register("before-call.s3.GetObject", denied)


def test_an_upload_deleted_before_it_was_read_is_object_not_found_not_a_retry(aws, lambda_context) -> None:
    event = put(aws, "uploads/u1/gone.jpg", images.jpeg(64, 48))
    version = event["detail"]["object"]["version-id"]
    boto3.client("s3").delete_object(Bucket=aws.bucket, Key="uploads/u1/gone.jpg", VersionId=version)
    access_denied_for_gets(aws)

    response = reading_handler([])(s3_events.sqs_batch(event), lambda_context)

    assert response == {"batchItemFailures": []}, "permanent: not retried"
    assert [m["attributes"]["reason"] for m in aws.dlq_messages()] == ["object_not_found"]


def test_a_read_refused_for_an_upload_that_is_there_is_retried(aws, lambda_context) -> None:
    event = put(aws, "uploads/u1/here.jpg", images.jpeg(64, 48))
    access_denied_for_gets(aws)

    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError, match="All records failed"):  # the batch goes back to SQS, retried
        reading_handler([])(s3_events.sqs_batch(event), lambda_context)
    assert aws.dlq_messages() == []
