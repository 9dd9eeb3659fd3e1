"""The handler runtime shared by every consumer: generic over what it parses and processes.

One handler accepts both invocation shapes:
- queue mode (reference): an SQS batch whose bodies are EventBridge events; answers with a partial batch
  response (Powertools BatchProcessor, ReportBatchItemFailures);
- async mode: EventBridge invokes the function with one event.

Per event: parse -> idempotent process (keyed on the object) -> classify errors. Permanent errors go to the
consumer's DLQ at once, with the reason, after the consumer's `on_rejected` hook; transient errors are retried.
Nothing is dropped silently, and a batch never pays for one bad record:
- before each record (but the first), the remaining time is checked against the record budget; a record that
  might not finish is handed back to SQS unprocessed;
- a record being processed when its invocation timed out or was killed is recognised on its next delivery (its
  idempotency record is still in progress past that invocation's deadline) and goes to the DLQ with `timeout` or
  `out_of_memory`, while its batch-mates, which never started or finished, are processed;
- a record that fails transiently on its last allowed delivery goes to the DLQ with `retries_exhausted` and the
  last error, rather than being redriven by SQS without a reason.
Waits are not paid one by one: the domain events a batch's results carry (`events`, see consumer_core.results)
are published together at the end of the batch (a record whose events are refused is retried, and its replayed
result carries them again), and the consumer's `prefetch` hook starts a record's reads (the download of its
upload) before the record is claimed, and may start the next record's while this one is processed.
"""

from __future__ import annotations

import functools
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from consumer_core import results
from consumer_core.config import core_settings
from consumer_core.errors import PermanentError, TransientError, classify
from consumer_core.events import parse_s3_event
from consumer_core.lookahead import Lookahead, PrefetchHook
from consumer_core.observability import logger, metrics, tracer
from consumer_core.reporting import report_processed, report_rejected
from consumer_core.watchdog import Watchdog


class ConsumerEvent(Protocol):
    """What the runtime needs of a parsed event: the object it is about, and context for logs and the DLQ."""

    @property
    def identity(self) -> str: ...

    def context(self) -> dict[str, str]: ...


EventT = TypeVar("EventT", bound=ConsumerEvent)
RejectionHook = Callable[[Any, PermanentError], None]


@dataclass(frozen=True)
class Outcome:
    status: str  # "processed" | "duplicate" | "rejected"
    identity: str | None = None
    reason: str | None = None
    events: tuple[dict[str, Any], ...] = ()  # domain events to publish for this record (fresh or replayed result)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "identity": self.identity, "reason": self.reason}


@dataclass(frozen=True)
class Delivery:
    """What SQS says about one record's delivery; an async invocation is a first delivery."""

    raw_body: str | None = None
    receive_count: int = 1
    last: bool = False


def is_sqs_batch(event: Any) -> bool:
    records = event.get("Records") if isinstance(event, dict) else None
    return isinstance(records, list) and all(isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records)


class ConsumerHandler(Generic[EventT]):
    """Callable Lambda entry point: `handler = ConsumerHandler(consumer="image_resizer", process=...)`.

    `parse` turns an EventBridge event into the consumer's model (PermanentError for what it does not take);
    `process` does the work and returns a JSON-able dict; `on_rejected(model or None, error)` is called for every
    permanent failure before the event goes to the DLQ (e.g. to announce it); `prefetch(model, upcoming)` is called
    before each record is claimed, with its model and the next record's (None where there is none or it does not
    parse), e.g. to start their downloads, and with (None, None) once the invocation's records are done;
    `record_time_budget_s` is the time one record may need, checked before starting each record but the first.
    """

    def __init__(
        self,
        *,
        consumer: str,
        process: Callable[[EventT], dict[str, Any]],
        parse: Callable[[Any], EventT] = parse_s3_event,  # type: ignore[assignment]  # the default model is S3
        on_rejected: RejectionHook | None = None,
        prefetch: PrefetchHook | None = None,
        record_time_budget_s: float = 10.0,
    ) -> None:
        self.consumer = consumer
        self.process = process
        self.parse = parse
        self.on_rejected = on_rejected
        self.prefetch = prefetch
        self.record_time_budget_s = record_time_budget_s

    def __call__(self, event: Any, context: Any) -> Any:
        return self._runtime.entry(event, context)

    @functools.cached_property
    def _runtime(self) -> _Runtime[EventT]:
        # Built on the first invocation: the tracer, idempotency and batch utilities are heavy imports.
        return _Runtime(self)


class _Runtime(Generic[EventT]):
    def __init__(self, handler: ConsumerHandler[EventT]) -> None:
        from consumer_core.idempotency import ObjectIdempotency

        self.handler = handler
        self.idempotency = ObjectIdempotency(handler.consumer)
        self.run = self.idempotency.wrap(self._run)
        self.watchdog = Watchdog(self.idempotency)
        self.lookahead = Lookahead(handler.prefetch, handler.parse)
        entry = tracer().capture_lambda_handler(self._dispatch, capture_response=False)
        entry = metrics.log_metrics(entry, capture_cold_start_metric=True)
        self.entry = logger.inject_lambda_context(entry, clear_state=True)

    def _dispatch(self, event: Any, context: Any) -> Any:
        self.idempotency.register_lambda_context(context)
        with self.watchdog.watching(context):
            if not is_sqs_batch(event):
                self.lookahead.start(self.lookahead.model(event), None)
                try:
                    outcome = self.handle(event, Delivery())
                finally:
                    self.lookahead.done()
                failed = results.publish_batch(list(outcome.events))
                if failed:
                    raise TransientError(f"domain events not published: {failed[0][1]}")
                return outcome.as_dict()
            return self._dispatch_batch(event, context)

    def _dispatch_batch(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

        raw = event["Records"]
        position = itertools.count()
        outbox = results.Outbox()

        def record_handler(record: Any) -> dict[str, Any]:
            index = next(position)
            upcoming = self.lookahead.record_model(raw[index + 1]) if index + 1 < len(raw) else None
            self.lookahead.start(self.lookahead.record_model(raw[index]), upcoming)
            outcome = self._handle_record(record, context, first=index == 0)
            outbox.add(outcome.events, record.message_id)
            return outcome.as_dict()

        processor = BatchProcessor(event_type=EventType.SQS)
        try:
            with processor(raw, record_handler, context):
                processor.process()
        finally:
            self.lookahead.done()
        response: dict[str, Any] = dict(processor.response())
        failed = outbox.publish()
        if failed:
            metrics.add_metric(name="EventsNotPublished", unit="Count", value=len(failed))
            logger.warning("domain events not published; their records will be retried", records=len(failed))
            listed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
            response["batchItemFailures"] = [
                *response["batchItemFailures"],
                *({"itemIdentifier": message_id} for message_id in sorted(failed - listed)),
            ]
        return response

    def _handle_record(self, record: Any, context: Any, *, first: bool) -> Outcome:
        receive_count = int(record.attributes.approximate_receive_count or 1)
        delivery = Delivery(record.body, receive_count, receive_count >= core_settings().max_receive_count)
        remaining_s = context.get_remaining_time_in_millis() / 1000 if context is not None else float("inf")
        if not first and not delivery.last and remaining_s < self.handler.record_time_budget_s:
            metrics.add_metric(name="Deferred", unit="Count", value=1)
            logger.info("record handed back to SQS: not enough time left", remaining_s=remaining_s)
            raise TransientError(
                f"deferred: {remaining_s:.1f} s left, a record may need {self.handler.record_time_budget_s} s"
            )
        try:
            event = json.loads(record.body)
        except (TypeError, ValueError):
            event = None
        if not isinstance(event, dict):
            # Not JSON at all: keep it in the DLQ as it came.
            self._reject(PermanentError("invalid_event", "SQS message body is not a JSON object"), record.body, None)
            return Outcome("rejected", reason="invalid_event")
        return self.handle(event, delivery)

    # -- one event -------------------------------------------------------------------------------------
    def handle(self, event: Any, delivery: Delivery) -> Outcome:
        """Process one EventBridge event. Raises TransientError for retryable failures; never loses an event."""
        logger.set_correlation_id(event.get("id") if isinstance(event, dict) else None)
        started = time.perf_counter()
        original = delivery.raw_body if delivery.raw_body is not None else event
        model: EventT | None = None
        try:
            model = self.handler.parse(event)
            with logger.append_context_keys(**model.context()):
                return self._handle_model(model, delivery, original, started)
        except Exception as exc:  # classified below: nothing escapes unclassified
            return self._failed(exc, model, delivery, original)

    def _handle_model(self, model: EventT, delivery: Delivery, original: Any, started: float) -> Outcome:
        from consumer_core.idempotency import Replayed

        request = {"identity": model.identity}
        if delivery.receive_count > 1:
            ended = self.idempotency.ended_while_processing(request)
            if ended is not None:
                error = PermanentError(ended, f"an earlier delivery's invocation ended ({ended}) while processing it")
                self._reject(error, original, model)
                self.idempotency.forget(request, error)
                return Outcome("rejected", model.identity, ended)
        with self.watchdog.processing(request):
            result = self.run(request=request, model=model)
        if isinstance(result, Replayed):
            metrics.add_metric(name="Duplicates", unit="Count", value=1)
            logger.info("duplicate event, result replayed from the idempotency store")
            return Outcome("duplicate", model.identity, events=tuple(result.result.get("events", ())))
        report_processed(result, started)
        return Outcome("processed", model.identity, events=tuple(result.get("events", ())))

    def _run(self, request: dict[str, Any], model: EventT) -> dict[str, Any]:
        return self.handler.process(model)

    def _failed(self, exc: Exception, model: EventT | None, delivery: Delivery, original: Any) -> Outcome:
        from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

        identity = model.identity if model is not None else None
        error = classify(exc)
        if isinstance(error, PermanentError):
            self._reject(error, original, model)
            return Outcome("rejected", identity, error.reason)
        if isinstance(exc, IdempotencyAlreadyInProgressError) and delivery.last:
            # Another delivery of the same object is being processed; its own message keeps the event.
            logger.info("last delivery of an object another invocation is processing: left to that one")
            return Outcome("duplicate", identity)
        if delivery.last:
            exhausted = PermanentError("retries_exhausted", f"failed on every delivery; last error: {error}")
            self._reject(exhausted, original, model)
            return Outcome("rejected", identity, exhausted.reason)
        metrics.add_metric(name="TransientFailures", unit="Count", value=1)
        logger.warning(
            "transient failure, will be retried", error=str(error), error_type=type(exc).__name__, exc_info=True
        )
        if error is exc:
            raise exc
        raise error from exc

    def _reject(self, error: PermanentError, original: Any, model: EventT | None) -> None:
        report_rejected(self.handler.consumer, error, original, model, self.handler.on_rejected)


__all__ = ["ConsumerEvent", "ConsumerHandler", "Delivery", "Outcome", "is_sqs_batch"]
