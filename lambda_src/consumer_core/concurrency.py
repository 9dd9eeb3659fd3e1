"""One small thread pool for the AWS calls a record can make at the same time (the uploads of its outputs, the
download of the next record's upload): waits that overlap are paid once. Created on first use; X-Ray's trace
context follows each task, so its calls show up in the invocation's trace. `Ahead` holds work started before it
is needed (a prefetch)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

T = TypeVar("T")
# Four thumbnails go out at once; a prefetch may run beside them.
WORKERS = 5


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="aws-io")


def submit(task: Callable[..., T], *args: Any) -> Future[T]:
    """Run `task(*args)` on the pool, inside the caller's X-Ray trace context (when tracing is on)."""
    entity = _trace_entity()
    return _pool().submit(_in_trace(entity, task), *args)


def run_all(task: Callable[..., T], arguments: list[tuple[Any, ...]]) -> list[T]:
    """`task(*a)` for every `a` at once; the results in order. The first failure is raised once all have ended."""
    futures = [submit(task, *args) for args in arguments]
    return [future.result() for future in futures]


class Ahead(Generic[T]):
    """Results of work started before it is needed, by key, at most `slots` of them (the oldest is dropped first):
    a record's work starts its own and the next record's. A result that failed, or was never started, is not
    there: the caller does the work itself and meets the failure in its own time."""

    def __init__(self, slots: int = 2) -> None:
        self.slots = slots
        self._lock = threading.Lock()
        self._held: dict[Hashable, Future[T]] = {}

    def start(self, key: Hashable, task: Callable[..., T], *args: Any) -> None:
        with self._lock:
            if key in self._held:
                return
            while len(self._held) >= self.slots:
                self._held.pop(next(iter(self._held)))
            self._held[key] = submit(task, *args)

    def take(self, key: Hashable) -> T | None:
        """The result started for `key` (waiting for it if need be), or None."""
        with self._lock:
            future = self._held.pop(key, None)
        if future is None:
            return None
        try:
            return future.result()
        except Exception:
            return None

    def clear(self) -> None:
        with self._lock:
            self._held.clear()

    def __len__(self) -> int:
        return len(self._held)


def _trace_entity() -> Any:
    from consumer_core.observability import tracer

    provider = getattr(tracer(), "provider", None)
    if provider is None or getattr(tracer(), "disabled", True):
        return None
    try:
        return provider.get_trace_entity()
    except Exception:  # no segment (tracing off, or outside an invocation)
        return None


def _in_trace(entity: Any, task: Callable[..., T]) -> Callable[..., T]:
    if entity is None:
        return task

    def traced(*args: Any) -> T:
        from consumer_core.observability import tracer

        provider: Any = tracer().provider  # aws-xray-sdk's recorder: set/clear are not on Powertools' base type
        provider.set_trace_entity(entity)
        try:
            return task(*args)
        finally:
            provider.clear_trace_entities()

    return traced


__all__ = ["WORKERS", "Ahead", "run_all", "submit"]
