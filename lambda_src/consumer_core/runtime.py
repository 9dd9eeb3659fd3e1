"""The handler runtime shared by every consumer.

One handler accepts both invocation shapes:
- queue mode (reference): an SQS batch whose bodies are EventBridge events; answers with a partial batch
  response (Powertools BatchProcessor, ReportBatchItemFailures);
- async mode: EventBridge invokes the function with one event.

Per event: parse -> idempotent process (keyed on the object) -> classify errors. Permanent errors go to the
consumer's DLQ at once with the reason; transient errors are retried (batch item failure, or a raised error
in async mode so Lambda retries and then uses its on-failure destination). Nothing is dropped silently.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from consumer_core.errors import PermanentError, TransientError, classify
from consumer_core.events import S3ObjectEvent, parse_s3_event
from consumer_core.observability import logger, metrics, tracer


class HasIdentity(Protocol):
    @property
    def identity(self) -> str: ...


EventT = TypeVar("EventT", bound=HasIdentity)


@dataclass(frozen=True)
class Outcome:
    status: str  # "processed" | "duplicate" | "rejected"
    identity: str | None
    result: dict[str, Any] | None = None
    reason: str | None = None


def is_sqs_batch(event: Any) -> bool:
    records = event.get("Records") if isinstance(event, dict) else None
    return isinstance(records, list) and all(isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records)


class ConsumerHandler(Generic[EventT]):
    """Callable Lambda entry point: `handler = ConsumerHandler(consumer="image_resizer", process=...)`."""

    def __init__(
        self,
        *,
        consumer: str,
        process: Callable[[EventT], dict[str, Any]],
        parse: Callable[[Any], EventT] = parse_s3_event,  # type: ignore[assignment]
        publish_rejections: bool = True,
    ) -> None:
        self.consumer = consumer
        self.process = process
        self.parse = parse
        self.publish_rejections = publish_rejections
        self._entry: Callable[[Any, Any], Any] | None = None
        self._idempotency: Any = None
        self._run_idempotently: Callable[..., dict[str, Any]] | None = None

    # -- Lambda entry point ------------------------------------------------------------------------------
    def __call__(self, event: Any, context: Any) -> Any:
        if self._entry is None:
            self._entry = self._build_entry()
        return self._entry(event, context)

    def _build_entry(self) -> Callable[[Any, Any], Any]:
        # Built on first invocation: the tracer, idempotency and batch utilities are heavy imports.
        from consumer_core.idempotency import ObjectIdempotency

        self._idempotency = ObjectIdempotency()
        self._run_idempotently = self._idempotency.wrap(self._run)
        entry = tracer().capture_lambda_handler(self._dispatch, capture_response=False)
        entry = metrics.log_metrics(entry, capture_cold_start_metric=True)
        return logger.inject_lambda_context(entry, clear_state=True)

    def _dispatch(self, event: Any, context: Any) -> Any:
        self._idempotency.register_lambda_context(context)
        if is_sqs_batch(event):
            from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

            return process_partial_response(
                event=event,
                record_handler=self._handle_sqs_record,
                processor=BatchProcessor(event_type=EventType.SQS),
                context=context,
            )
        outcome = self.handle_event(event, raw_body=None)
        return {"status": outcome.status, "identity": outcome.identity, "reason": outcome.reason}

    def _handle_sqs_record(self, record: Any) -> dict[str, Any]:
        body = record.body
        try:
            event = json.loads(body)
        except (TypeError, ValueError):
            event = None
        if not isinstance(event, dict):
            # Not JSON at all: keep it in the DLQ as it came.
            self._reject(PermanentError("invalid_event", "SQS message body is not a JSON object"), body, None)
            return {"status": "rejected", "reason": "invalid_event"}
        outcome = self.handle_event(event, raw_body=body)
        return {"status": outcome.status, "reason": outcome.reason}

    # -- one event -------------------------------------------------------------------------------------
    def handle_event(self, event: dict[str, Any] | Any, *, raw_body: str | None) -> Outcome:
        """Process one EventBridge event. Raises TransientError for retryable failures; never loses an event."""
        logger.set_correlation_id(event.get("id") if isinstance(event, dict) else None)
        started = time.perf_counter()
        model: EventT | None = None
        try:
            model = self.parse(event)
            with logger.append_context_keys(**_log_keys(model)):
                token = uuid.uuid4().hex
                assert self._run_idempotently is not None
                # The consumer is part of the key so functions sharing one table (or one test process) never
                # see each other's records, whatever AWS_LAMBDA_FUNCTION_NAME says.
                request = {"identity": f"{self.consumer}:{model.identity}"}
                result = self._run_idempotently(request=request, model=model, token=token)
                duplicate = result.get("_run") != token
                self._report_success(model, result, duplicate, started)
                return Outcome("duplicate" if duplicate else "processed", model.identity, result)
        except Exception as exc:  # classified below: nothing escapes unclassified
            error = classify(exc)
            if isinstance(error, PermanentError):
                self._reject(error, raw_body if raw_body is not None else event, model)
                return Outcome("rejected", getattr(model, "identity", None), reason=error.reason)
            metrics.add_metric(name="TransientFailures", unit="Count", value=1)
            logger.warning(
                "transient failure, will be retried", error=str(error), error_type=type(exc).__name__, exc_info=True
            )
            if error is exc:
                raise
            raise error from exc

    def _run(self, request: dict[str, Any], model: EventT, token: str) -> dict[str, Any]:
        result = dict(self.process(model))
        result["_run"] = token  # tells a fresh run from a result replayed by idempotency
        return result

    # -- reporting -------------------------------------------------------------------------------------
    def _report_success(self, model: EventT, result: dict[str, Any], duplicate: bool, started: float) -> None:
        if duplicate:
            metrics.add_metric(name="Duplicates", unit="Count", value=1)
            logger.info("duplicate event, result replayed from the idempotency store")
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        metrics.add_metric(name="Processed", unit="Count", value=1)
        metrics.add_metric(name="ProcessingTime", unit="Milliseconds", value=elapsed_ms)
        if isinstance(result.get("source_bytes"), int):
            metrics.add_metric(name="BytesProcessed", unit="Bytes", value=result["source_bytes"])
        logger.info("processed", duration_ms=round(elapsed_ms, 1), status=result.get("status", "processed"))

    def _reject(self, error: PermanentError, original: Any, model: EventT | None) -> None:
        from aws_lambda_powertools.metrics import single_metric

        from consumer_core import results
        from consumer_core.dlq import send_to_dlq

        s3_event = model if isinstance(model, S3ObjectEvent) else None
        logger.warning("permanent failure, sending to DLQ", reason=error.reason, error=error.message)
        metrics.add_metric(name="Rejected", unit="Count", value=1)
        with single_metric(
            name="RejectedByReason",
            unit="Count",
            value=1,
            namespace=metrics.namespace,
        ) as metric:
            metric.add_dimension(name="service", value=self.consumer)
            metric.add_dimension(name="reason", value=error.reason)
        if self.publish_rejections and s3_event is not None and s3_event.detail_type == "Object Created":
            results.publish(
                "Image Rejected",
                {
                    "object": s3_event.object_ref(),
                    "consumer": self.consumer,
                    "reason": error.reason,
                    "message": error.message[:1000],
                },
            )
        send_to_dlq(
            original if original is not None else "",
            consumer=self.consumer,
            reason=error.reason,
            message=error.message,
            object_key=getattr(s3_event, "key", None),
            object_version=s3_event.version_or_etag if s3_event else None,
        )


def _log_keys(model: Any) -> dict[str, Any]:
    if isinstance(model, S3ObjectEvent):
        return {"bucket": model.bucket, "object_key": model.key, "object_version": model.version_or_etag}
    return {"identity": getattr(model, "identity", None)}


__all__ = ["ConsumerHandler", "Outcome", "PermanentError", "TransientError", "is_sqs_batch"]
