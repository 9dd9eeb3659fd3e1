"""The consumer's `prefetch` hook, called around the records of an invocation so a record's reads (the download of
its upload) start before the record is claimed, and the next record's while this one is processed.

Only an optimisation: an event that does not parse is left to its own turn, and whatever the hook raises is met
again, and reported, when the record's turn comes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

PrefetchHook = Callable[[Any, Any], None]


class Lookahead:
    def __init__(self, hook: PrefetchHook | None, parse: Callable[[Any], Any]) -> None:
        self.hook = hook
        self.parse = parse

    def model(self, event: Any) -> Any:
        """The event's model, or None when it does not parse (or there is no hook to give it to)."""
        if self.hook is None:
            return None
        try:
            return self.parse(event)
        except Exception:
            return None

    def record_model(self, raw_record: dict[str, Any]) -> Any:
        """The model of an SQS record's body, or None."""
        if self.hook is None:
            return None
        try:
            return self.model(json.loads(raw_record.get("body") or ""))
        except ValueError:
            return None

    def start(self, model: Any, upcoming: Any) -> None:
        """Before a record is claimed: its model and the next record's (None where there is none)."""
        if self.hook is None or (model is None and upcoming is None):
            return
        with contextlib.suppress(Exception):
            self.hook(model, upcoming)

    def done(self) -> None:
        """The invocation's records are done: the hook lets go of what it started."""
        if self.hook is not None:
            self.hook(None, None)


__all__ = ["Lookahead", "PrefetchHook"]
