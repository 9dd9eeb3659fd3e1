"""The watchdog of one invocation: it notes the record being processed shortly before the invocation's deadline,
so that the record's next delivery can tell a timeout from a kill (idempotency.ended_while_processing)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from consumer_core.observability import logger

# The note is written this long before the invocation's deadline (a DynamoDB write takes milliseconds).
TIMEOUT_NOTE_MARGIN_S = 0.5


class Watchdog:
    """Notes the record in progress shortly before the invocation's deadline, so that its next delivery can tell
    a timeout from a kill (idempotency.ended_while_processing)."""

    def __init__(self, idempotency: Any) -> None:
        self.idempotency = idempotency
        self.current: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @contextmanager
    def watching(self, context: Any) -> Iterator[None]:
        timer = None
        if context is not None:
            delay = context.get_remaining_time_in_millis() / 1000 - TIMEOUT_NOTE_MARGIN_S
            timer = threading.Timer(max(0.0, delay), self._fire)
            timer.daemon = True
            timer.start()
        try:
            yield
        finally:
            if timer is not None:
                timer.cancel()

    @contextmanager
    def processing(self, request: dict[str, Any]) -> Iterator[None]:
        with self._lock:
            self.current = request
        try:
            yield
        finally:
            with self._lock:
                self.current = None

    def _fire(self) -> None:
        with self._lock:
            request = self.current
        if request is not None:
            logger.warning("invocation about to time out while processing a record")
            self.idempotency.note_timeout(request)


__all__ = ["TIMEOUT_NOTE_MARGIN_S", "Watchdog"]
