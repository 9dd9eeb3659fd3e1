"""consumer_core.runtime against moto: classification, DLQ, partial batch responses, idempotency, both shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from consumer_core.errors import PermanentError, TransientError
from consumer_core.events import S3ObjectEvent
from consumer_core.rejections import announce_rejections
from consumer_core.runtime import ConsumerHandler
from tools import s3_events


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
        if "gone" in event.key:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "not found"}}, "GetObject")
        if "bug" in event.key:
            raise KeyError("unexpected")
        return {"status": "processed", "source_bytes": 10}


@pytest.fixture
def process() -> RecordingProcess:
    return RecordingProcess()


@pytest.fixture
def handler(aws, process: RecordingProcess) -> ConsumerHandler:
    return ConsumerHandler(consumer="test_consumer", process=process, on_rejected=announce_rejections("test_consumer"))


def created(key: str, **kwargs: Any) -> dict[str, Any]:
    return s3_events.object_created("test-uploads", key, **kwargs)


def failed_ids(response: dict[str, Any]) -> set[str]:
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


def test_mixed_batch_reports_only_transient_failures(handler, process, aws, lambda_context) -> None:
    good = created("uploads/u1/good.jpg")
    duplicate = created("uploads/u1/good.jpg")  # same object, different event id
    corrupt = created("uploads/u1/corrupt.jpg")
    throttled = created("uploads/u1/throttled.jpg")
    gone = created("uploads/u1/gone.jpg")
    bug = created("uploads/u1/bug.jpg")
    batch = s3_events.sqs_batch(good, duplicate, corrupt, throttled, "not json at all", gone, bug)
    ids = [record["messageId"] for record in batch["Records"]]

    response = handler(batch, lambda_context)

    # Transient (throttling) and unknown errors are retried by SQS; nothing else is.
    assert failed_ids(response) == {ids[3], ids[6]}
    # The duplicate was not processed a second time.
    assert process.calls.count("uploads/u1/good.jpg") == 1
    dlq = aws.dlq_messages()
    reasons = sorted(m["attributes"]["reason"] for m in dlq)
    assert reasons == ["corrupt_image", "invalid_event", "object_not_found"]
    corrupt_message = next(m for m in dlq if m["attributes"]["reason"] == "corrupt_image")
    assert json.loads(corrupt_message["body"]) == corrupt, "the original event is kept unchanged"
    assert corrupt_message["attributes"]["consumer"] == "test_consumer"
    assert corrupt_message["attributes"]["object_key"] == "uploads/u1/corrupt.jpg"
    assert corrupt_message["attributes"]["error_message"] == "image data is truncated"
    assert next(m for m in dlq if m["attributes"]["reason"] == "invalid_event")["body"] == "not json at all"


def test_rejections_are_announced_on_the_results_bus(handler, aws, lambda_context) -> None:
    corrupt = created("uploads/u1/corrupt.jpg")
    handler(s3_events.sqs_batch(corrupt), lambda_context)
    (event,) = aws.published_events()
    assert event["detail-type"] == "Image Rejected"
    assert event["source"] == "image-pipeline"
    assert event["detail"]["reason"] == "corrupt_image"
    assert event["detail"]["consumer"] == "test_consumer"
    assert event["detail"]["object"]["key"] == "uploads/u1/corrupt.jpg"
    assert event["detail"]["object"]["sequencer"] == corrupt["detail"]["object"]["sequencer"]


def test_redelivered_batch_is_processed_once(handler, process, lambda_context) -> None:
    batch = s3_events.sqs_batch(created("uploads/u1/a.jpg"), created("uploads/u1/b.jpg"))
    assert handler(batch, lambda_context) == {"batchItemFailures": []}
    assert handler(batch, lambda_context) == {"batchItemFailures": []}
    assert sorted(process.calls) == ["uploads/u1/a.jpg", "uploads/u1/b.jpg"]


def test_a_new_version_is_processed_again(handler, process, lambda_context) -> None:
    handler(created("uploads/u1/a.jpg", version_id="v1"), lambda_context)
    handler(created("uploads/u1/a.jpg", version_id="v2"), lambda_context)
    assert process.calls == ["uploads/u1/a.jpg", "uploads/u1/a.jpg"]


def test_transient_failure_is_not_remembered_by_idempotency(handler, process, aws, lambda_context) -> None:
    event = created("uploads/u1/throttled.jpg")
    with pytest.raises(TransientError, match="SlowDown"):
        handler(event, lambda_context)
    with pytest.raises(TransientError, match="SlowDown"):
        handler(event, lambda_context)
    assert len(process.calls) == 2, "a failed attempt must not block the retry"
    assert aws.dlq_messages() == []


def test_async_invocation_permanent_goes_to_dlq_and_returns(handler, aws, lambda_context) -> None:
    response = handler(created("uploads/u1/corrupt.jpg"), lambda_context)
    assert response["status"] == "rejected"
    assert response["reason"] == "corrupt_image"
    assert [m["attributes"]["reason"] for m in aws.dlq_messages()] == ["corrupt_image"]


def test_async_invocation_success_and_duplicate(handler, lambda_context) -> None:
    event = created("uploads/u1/a.jpg")
    assert handler(event, lambda_context)["status"] == "processed"
    assert handler(dict(event, id="another-id"), lambda_context)["status"] == "duplicate"


def test_unsupported_event_shape_is_kept(handler, aws, lambda_context) -> None:
    response = handler({"source": "custom", "detail-type": "Something", "detail": {}}, lambda_context)
    assert response["reason"] == "unsupported_event"
    assert len(aws.dlq_messages()) == 1


def test_missing_configuration_fails_loudly(process, monkeypatch, aws, lambda_context) -> None:
    from consumer_core.config import core_settings

    monkeypatch.delenv("DLQ_URL")
    core_settings.cache_clear()
    with pytest.raises(RuntimeError, match="DLQ_URL"):
        ConsumerHandler(consumer="x", process=process)(created("uploads/u1/a.jpg"), lambda_context)


def test_consumers_sharing_a_table_do_not_share_records(aws, lambda_context) -> None:
    first, second = RecordingProcess(), RecordingProcess()
    event = created("uploads/u1/a.jpg")
    assert ConsumerHandler(consumer="one", process=first)(event, lambda_context)["status"] == "processed"
    assert ConsumerHandler(consumer="two", process=second)(event, lambda_context)["status"] == "processed"
    assert first.calls == second.calls == ["uploads/u1/a.jpg"]
