"""A hard stop for the image work of one upload: the CPU budget, enforced while it runs.

The header walks estimate what a file will cost and refuse what is over the budget; this catches what the
estimates miss. A profiling timer (process CPU time, SIGPROF) raises `too_complex` in the main thread when the
budget is spent. Python code is stopped at once (Pillow's readers walk most structure in Python); one call into
a codec finishes first, which is why the walks cap what the codecs do per call.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from consumer_core.errors import PermanentError

_LOG = logging.getLogger(__name__)


class _BudgetSpent(PermanentError):
    def __init__(self, seconds: float) -> None:
        super().__init__("too_complex", f"processing was stopped after {seconds:g} s of CPU")


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Raise PermanentError('too_complex') inside the block once it has used `seconds` of process CPU time.
    Only the main thread can take signals; elsewhere the block runs unguarded (logged once)."""
    if threading.current_thread() is not threading.main_thread():
        _warn_unguarded()
        yield
        return

    def spent(_signal: int, _frame: FrameType | None) -> None:
        raise _BudgetSpent(seconds)

    previous = signal.signal(signal.SIGPROF, spent)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


_warned = False


def _warn_unguarded() -> None:
    global _warned
    if not _warned:
        _warned = True
        _LOG.warning("image work outside the main thread: the CPU budget is not enforced by a timer")


__all__ = ["cpu_budget"]
