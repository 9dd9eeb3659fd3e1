"""Writes to the search index: one item per S3 key, read, changed by the pure state machine (state.py) and written
back only if nobody wrote it in between (a revision number, compare-and-set), retried on contention.

The first read may be made ahead (`read_item`, started before the event is claimed): a write based on it is still
checked against its revision, and an early read that shows nothing to change is read again before that is
concluded, so reading early changes no outcome.

A write that would exceed DynamoDB's item size is a permanent `item_too_large`: retrying cannot shrink it. (The
state keeps a bounded history, so this only happens to hostile metadata.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from consumer_core.errors import PermanentError, TransientError
from search_indexer import state as states
from search_indexer.dynamo_values import from_dynamo, to_dynamo
from search_indexer.events import IndexEvent, parse_index_event

IAM_ACTIONS = frozenset({"dynamodb:GetItem", "dynamodb:PutItem"})  # on the search index table

ATTEMPTS = 5
_KEYS = ("pk", "rev")

ItemRead = tuple[dict[str, Any] | None, int]


@dataclass(frozen=True)
class IndexOutcome:
    action: str  # "changed" | "unchanged"
    pk: str
    bucket: str
    live: str | None  # the version the record shows afterwards (None: deleted, or not uploaded yet)
    pending_deletes: tuple[str, ...] = ()  # outputs of dead versions, to delete (see clear_pending)

    @property
    def stale(self) -> bool:
        return self.action == "unchanged"


def apply_event(
    table: Any,
    event: dict[str, Any] | IndexEvent,
    *,
    served: states.Served | None = None,
    tombstone_ttl_seconds: int = states.DEFAULT_TOMBSTONE_TTL_SECONDS,
    read_ahead: ItemRead | None = None,
) -> IndexOutcome:
    """Apply one event (`served`: what S3 serves now, read back after a permanent version delete; `read_ahead`: the
    item as `read_item` returned it a moment ago)."""
    ev = event if isinstance(event, IndexEvent) else parse_index_event(event)
    for _ in range(ATTEMPTS):
        early, read_ahead = read_ahead, None
        current, revision = early if early is not None else read_item(table, ev.pk)
        transition = states.apply(current, ev, served=served, tombstone_ttl_seconds=tombstone_ttl_seconds)
        if early is not None and not transition.changed:
            continue  # "nothing to change" is concluded on a fresh read only
        new = transition.state
        outcome = IndexOutcome(
            "changed" if transition.changed else "unchanged",
            ev.pk,
            ev.bucket,
            states.live_version(new),
            tuple(new.get("pending_deletes", ())),
        )
        if not transition.changed or _write(table, ev.pk, new, revision):
            return outcome
    raise TransientError(f"search index item {ev.pk} kept changing under {ATTEMPTS} attempts")


def clear_pending(table: Any, pk: str, deleted: set[str]) -> None:
    """Forget pending deletes that have been carried out (compare-and-set like every write)."""
    for _ in range(ATTEMPTS):
        current, revision = read_item(table, pk)
        if current is None:
            return
        remaining = [key for key in current.get("pending_deletes", ()) if key not in deleted]
        if remaining == list(current.get("pending_deletes", ())):
            return
        if remaining:
            current["pending_deletes"] = remaining
        else:
            current.pop("pending_deletes", None)
        if _write(table, pk, current, revision):
            return
    raise TransientError(f"search index item {pk} kept changing under {ATTEMPTS} attempts")


def read_item(table: Any, pk: str) -> ItemRead:
    """The index item of `pk` (without its keys) and its revision; (None, 0) when there is none."""
    item = table.get_item(Key={"pk": pk}, ConsistentRead=True).get("Item")
    if item is None:
        return None, 0
    revision = int(item.get("rev", 0))
    return {name: from_dynamo(value) for name, value in item.items() if name not in _KEYS}, revision


def _write(table: Any, pk: str, new: dict[str, Any], revision: int) -> bool:
    item = {name: to_dynamo(value) for name, value in new.items()}
    item.update(pk=pk, rev=revision + 1)
    kwargs: dict[str, Any] = {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
    if revision:
        kwargs["ConditionExpression"] = "#rev = :rev"
        kwargs["ExpressionAttributeNames"] = {"#rev": "rev"}
        kwargs["ExpressionAttributeValues"] = {":rev": revision}
    try:
        table.put_item(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ConditionalCheckFailedException":
            return False
        if error.get("Code") == "ValidationException" and "size" in str(error.get("Message", "")).lower():
            raise PermanentError("item_too_large", f"index item {pk}: {error.get('Message')}") from exc
        raise
    return True


__all__ = ["ATTEMPTS", "IndexOutcome", "ItemRead", "apply_event", "clear_pending", "read_item"]
