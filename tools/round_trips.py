"""Counting the AWS calls a consumer makes and how many of them it waits for one after another, without timers.

Every call is seen through botocore's event hooks: `before-call` (it starts) and `after-call` / `after-call-error`
(it ended), numbered in one global order. moto answers in microseconds, so on its own no two calls would ever be
in flight together; a network takes milliseconds. So each call is held at `before-call` until no other call has
started for `hold_s`: calls the code makes at the same time (from a thread pool) are then all in flight at once,
and calls it makes one after another are not. A *wave* is a run of calls whose lifetimes overlap; the number of
waves is the number of round trips the code waits for in turn (its serial round trips).

The CPU time spent inside calls (botocore and, in process, moto answering) is summed too, so that a measurement
of a consumer's CPU can leave out what AWS, not the function, would spend.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

HOLD_S = 0.25


@dataclass
class Call:
    operation: str  # "s3.PutObject"
    started: int
    ended: int = -1
    thread: str = ""
    cpu_s: float = 0.0  # CPU time of the calling thread inside the call (after the hold)


@dataclass
class CallLog:
    hold_s: float = HOLD_S
    calls: list[Call] = field(default_factory=list)
    active: bool = False  # calls are seen (and held) only while watching
    _clock: int = 0
    _last_start: float = 0.0
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _open: dict[int, list[Call]] = field(default_factory=dict)  # by thread: calls started, not yet ended

    def install(self, session: Any) -> None:
        """Hook into every client `session` (a botocore session) creates from now on."""
        session.register("before-call", self._before_call)
        session.register("after-call", self._after_call)
        session.register("after-call-error", self._after_call)

    def _tick(self) -> int:
        self._clock += 1
        return self._clock

    @contextlib.contextmanager
    def watching(self) -> Iterator[CallLog]:
        """See the calls made inside the block (the log starts empty)."""
        with self._lock:
            self.calls.clear()
            self._open.clear()
            self.active = True
        try:
            yield self
        finally:
            with self._lock:
                self.active = False

    def _before_call(self, model: Any, **_: Any) -> None:
        thread = threading.current_thread()
        with self._lock:
            if not self.active:
                return
            call = Call(f"{model.service_model.service_name}.{model.name}", self._tick(), thread=thread.name)
            self.calls.append(call)
            self._open.setdefault(thread.ident or 0, []).append(call)
            self._last_start = time.monotonic()
            self._lock.notify_all()
            # Held until the code has started everything it starts at the same time.
            while (wait := self._last_start + self.hold_s - time.monotonic()) > 0:
                self._lock.wait(wait)
        call.cpu_s = time.thread_time()

    def _after_call(self, **_: Any) -> None:
        with self._lock:
            started = self._open.get(threading.get_ident())
            if not started:
                return
            call = started.pop()
            call.ended = self._tick()
        call.cpu_s = time.thread_time() - call.cpu_s

    # -- what was seen -----------------------------------------------------------------------------------
    def counts(self) -> Counter[str]:
        return Counter(call.operation for call in self.calls)

    def waves(self) -> list[list[Call]]:
        """Calls grouped into runs whose lifetimes overlap, in order."""
        assert all(call.ended >= 0 for call in self.calls), "a call never ended"
        waves: list[list[Call]] = []
        reach = -1
        for call in sorted(self.calls, key=lambda c: c.started):
            if call.started > reach:
                waves.append([])
            waves[-1].append(call)
            reach = max(reach, call.ended)
        return waves

    def cpu_in_calls_s(self) -> float:
        return sum(call.cpu_s for call in self.calls)

    def serial_round_trips(self) -> int:
        return len(self.waves())

    def describe(self) -> list[list[str]]:
        return [sorted(call.operation for call in wave) for wave in self.waves()]


__all__ = ["HOLD_S", "Call", "CallLog"]
