"""What the runtime reports about one record's end: the metrics and log line of a processed record, and the
metrics, log line, consumer hook and DLQ message of a rejected one (the event is kept, with its reason)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from consumer_core.errors import PermanentError
from consumer_core.observability import logger, metrics


def report_processed(result: dict[str, Any], started: float) -> None:
    """Count a processed record, its duration since `started` (perf_counter) and the bytes it read."""
    elapsed_ms = (time.perf_counter() - started) * 1000
    metrics.add_metric(name="Processed", unit="Count", value=1)
    metrics.add_metric(name="ProcessingTime", unit="Milliseconds", value=elapsed_ms)
    if isinstance(result.get("source_bytes"), int):
        metrics.add_metric(name="BytesProcessed", unit="Bytes", value=result["source_bytes"])
    logger.info("processed", duration_ms=round(elapsed_ms, 1), status=result.get("status", "processed"))


def report_rejected(
    consumer: str,
    error: PermanentError,
    original: Any,
    model: Any,
    on_rejected: Callable[[Any, PermanentError], None] | None,
) -> None:
    """Log and count a permanent failure (by reason), call the consumer's hook, then keep the event in the DLQ:
    `original` (the SQS body as received, or the event) with the reason and the model's context (None: unparsed)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    from consumer_core.dlq import send_to_dlq

    logger.warning("permanent failure, sending to DLQ", reason=error.reason, error=error.message)
    metrics.add_metric(name="Rejected", unit="Count", value=1)
    with single_metric(name="RejectedByReason", unit=MetricUnit.Count, value=1, namespace=metrics.namespace) as metric:
        metric.add_dimension(name="service", value=consumer)
        metric.add_dimension(name="reason", value=error.reason)
    if on_rejected is not None:
        on_rejected(model, error)
    send_to_dlq(
        original if original is not None else "",
        consumer=consumer,
        reason=error.reason,
        message=error.message,
        context=model.context() if model is not None else {},
    )


__all__ = ["report_processed", "report_rejected"]
