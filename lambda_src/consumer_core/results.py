"""Domain events (`Thumbnails Generated`, ...) for the pipeline's custom EventBridge bus.

A consumer's process function returns its events (`event(...)`) in its result instead of sending them: the runtime
sends the events of a whole batch together (`publish_batch`, up to 10 entries a call), and a record whose events
could not be sent is retried; its result, replayed from the idempotency store, carries the same events again.
`publish` sends one event at once (the image consumers' rejection hook). An `Outbox` gathers a batch's events.
"""

from __future__ import annotations

import json
from typing import Any

from consumer_core.clients import client
from consumer_core.config import core_settings
from consumer_core.errors import TransientError
from consumer_core.event_types import PIPELINE_SOURCE, SCHEMA_VERSION

IAM_ACTIONS = frozenset({"events:PutEvents"})  # conditioned on events:source and events:detail-type
MAX_ENTRIES = 10  # PutEvents takes at most 10 entries
MAX_REQUEST_BYTES = 256 * 1024  # and at most 256 KB in all


def event(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    """One domain event, JSON-able (it is stored with the result that carries it)."""
    return {"detail_type": detail_type, "detail": {"schema_version": SCHEMA_VERSION, **detail}}


def publish(detail_type: str, detail: dict[str, Any]) -> bool:
    """Put one event on the results bus now. Returns False when publishing is disabled (no bus configured)."""
    if not core_settings().results_bus_name:
        return False
    failed = publish_batch([event(detail_type, detail)])
    if failed:
        raise TransientError(f"put_events failed: {failed[0][1]}")
    return True


def publish_batch(events: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Put `events` on the results bus in as few calls as the limits allow. Returns (index, error) of each event
    that was not accepted (none when publishing is disabled)."""
    bus = core_settings().results_bus_name
    if not bus or not events:
        return []
    entries = [_entry(item, bus) for item in events]
    failed: list[tuple[int, str]] = []
    for chunk in _chunks(entries):
        try:
            response = client("events").put_events(Entries=[entries[i] for i in chunk])
        except Exception as exc:  # the whole call failed: every event in it is retried with its record
            failed += [(i, f"{type(exc).__name__}: {exc}") for i in chunk]
            continue
        for i, result in zip(chunk, response.get("Entries", []), strict=False):
            if result.get("ErrorCode"):
                failed.append((i, f"{result.get('ErrorCode')}: {result.get('ErrorMessage')}"))
    return failed


class Outbox:
    """The domain events of one batch, each distinct event once with the SQS message ids of the records that carry
    it (a duplicate in the same batch replays the same events): a refused event fails each of those records."""

    def __init__(self) -> None:
        self._pending: dict[str, tuple[dict[str, Any], list[str]]] = {}

    def add(self, events: tuple[dict[str, Any], ...], message_id: str) -> None:
        for item in events:
            self._pending.setdefault(json.dumps(item, sort_keys=True), (item, []))[1].append(message_id)

    def publish(self) -> set[str]:
        """Publish every event; the message ids of the records whose events were refused."""
        pending = list(self._pending.values())
        self._pending = {}
        refused = publish_batch([item for item, _ in pending])
        return {message_id for index, _ in refused for message_id in pending[index][1]}


def _entry(item: dict[str, Any], bus: str) -> dict[str, str]:
    return {
        "Source": PIPELINE_SOURCE,
        "DetailType": item["detail_type"],
        "Detail": json.dumps(item["detail"], separators=(",", ":"), sort_keys=True),
        "EventBusName": bus,
    }


def _chunks(entries: list[dict[str, str]]) -> list[list[int]]:
    """Indexes of `entries` grouped under PutEvents' entry and size limits."""
    chunks: list[list[int]] = [[]]
    size = 0
    for index, entry in enumerate(entries):
        entry_size = sum(len(value.encode("utf-8")) for value in entry.values())
        if chunks[-1] and (len(chunks[-1]) == MAX_ENTRIES or size + entry_size > MAX_REQUEST_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(index)
        size += entry_size
    return chunks


__all__ = ["IAM_ACTIONS", "MAX_ENTRIES", "Outbox", "event", "publish", "publish_batch"]
