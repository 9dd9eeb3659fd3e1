"""The image consumers' rejection hook: announce `Image Rejected` for an upload no consumer can process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from consumer_core import results
from consumer_core.errors import PermanentError
from consumer_core.event_types import IMAGE_REJECTED
from consumer_core.events import S3ObjectEvent

MAX_MESSAGE_CHARS = 1000


def announce_rejections(consumer: str) -> Callable[[Any, PermanentError], None]:
    """A ConsumerHandler `on_rejected` hook: publishes `Image Rejected` when the rejected event is an upload
    (S3 Object Created). Malformed events and other event types are only sent to the DLQ."""

    def announce(model: Any, error: PermanentError) -> None:
        if isinstance(model, S3ObjectEvent) and model.is_created:
            results.publish(
                IMAGE_REJECTED,
                {
                    "object": model.object_ref(),
                    "consumer": consumer,
                    "reason": error.reason,
                    "message": error.message[:MAX_MESSAGE_CHARS],
                },
            )

    return announce


__all__ = ["announce_rejections"]
