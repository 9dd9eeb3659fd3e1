"""The image consumers' rejection hook: announce `Image Rejected` for an upload no consumer can process (also when a
reprocess run's request for it is rejected: the announcement then carries the run, consumer_core.reprocess)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from consumer_core import results
from consumer_core.errors import PermanentError
from consumer_core.event_types import IMAGE_REJECTED
from consumer_core.events import S3ObjectEvent
from consumer_core.reprocess import ReprocessRequest

MAX_MESSAGE_CHARS = 1000


def announce_rejections(consumer: str) -> Callable[[Any, PermanentError], None]:
    """A ConsumerHandler `on_rejected` hook: publishes `Image Rejected` when the rejected event is an upload
    (S3 Object Created), or a reprocess request resolved to an upload version. Malformed events, other event types
    and requests for objects that could not be resolved are only sent to the DLQ."""

    def announce(model: Any, error: PermanentError) -> None:
        mark = None
        if isinstance(model, ReprocessRequest):
            model, mark = model.resolved, model.mark()
        if isinstance(model, S3ObjectEvent) and model.is_created:
            detail: dict[str, Any] = {
                "object": model.object_ref(),
                "consumer": consumer,
                "reason": error.reason,
                "message": error.message[:MAX_MESSAGE_CHARS],
            }
            results.publish(IMAGE_REJECTED, detail if mark is None else {**detail, "reprocess": mark})

    return announce


__all__ = ["announce_rejections"]
