"""Powertools idempotency on DynamoDB, keyed on the object identity (never on the event id), and what its records
tell about a delivery that never finished.

- Records are keyed `<consumer>#<hash of the identity>` (Powertools' `key_prefix`), so consumers sharing a table
  never see each other's records.
- A replayed result is told from a fresh run by Powertools' `response_hook`, which wraps it in `Replayed`.
- A record still `INPROGRESS` after its invocation's deadline means that invocation ended while processing this
  object: it timed out or was killed (memory). `ended_while_processing()` says which: an invocation about to time
  out leaves a note first (`note_timeout`, from runtime's watchdog). Both cost nothing on a first delivery: they
  are only read when SQS delivers a record again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from consumer_core.clients import client
from consumer_core.config import core_settings

# Powertools' DynamoDB persistence (put_item in progress, get_item, update_item on success, delete_item on error)
# and the timeout notes (put_item, get_item, delete_item), on the idempotency table.
IAM_ACTIONS = frozenset({"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"})

# The decorated function receives {"identity": ...}; only that value is hashed into the record id.
IDENTITY_FIELD = "identity"
_KEY_ATTRIBUTE, _EXPIRY_ATTRIBUTE, _NOTED_AT_ATTRIBUTE = "id", "expiration", "noted_at"
# The watchdog notes the record in progress shortly before its invocation's deadline (watchdog.TIMEOUT_NOTE_MARGIN_S),
# not knowing whether it will still end in time. A note older than this, next to an in-progress record's deadline,
# is left over from an earlier processing of the object that did end in time, and says nothing about this one.
NOTE_WINDOW_MS = 2_000


@dataclass(frozen=True)
class Replayed:
    """A result the idempotency store returned instead of running the function again."""

    result: dict[str, Any]


def _mark_replay(response: Any, idempotent_data: Any) -> Any:
    return Replayed(dict(response or {}))


class ObjectIdempotency:
    """One persistence layer and config per consumer function (a shared layer keeps the first key expression)."""

    def __init__(self, consumer: str) -> None:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

        settings = core_settings()
        self.consumer = consumer
        self.table = settings.idempotency_table
        self.ttl_seconds = settings.idempotency_ttl_seconds
        self.persistence = DynamoDBPersistenceLayer(
            table_name=self.table,
            key_attr=_KEY_ATTRIBUTE,
            expiry_attr=_EXPIRY_ATTRIBUTE,
            boto3_client=client("dynamodb"),
        )
        self.config = IdempotencyConfig(
            event_key_jmespath=IDENTITY_FIELD,
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self.ttl_seconds,
            response_hook=_mark_replay,
        )
        # The same key prefix the decorator configures; lets get_record() find records before the first call.
        self.persistence.configure(self.config, key_prefix=consumer)

    def register_lambda_context(self, context: Any) -> None:
        # Lets Powertools expire an in-progress record when the invocation that wrote it times out.
        if context is not None:
            self.config.register_lambda_context(context)

    def wrap(self, func: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any] | Replayed]:
        from aws_lambda_powertools.utilities.idempotency import idempotent_function

        wrapped: Callable[..., dict[str, Any] | Replayed] = idempotent_function(
            data_keyword_argument="request",
            persistence_store=self.persistence,
            config=self.config,
            key_prefix=self.consumer,
        )(func)
        return wrapped

    def ended_while_processing(self, request: dict[str, Any]) -> str | None:
        """`timeout` or `out_of_memory` when an earlier invocation ended while processing this object (its record is
        still in progress past that invocation's deadline); None otherwise."""
        from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyItemNotFoundError

        try:
            record = self.persistence.get_record(request)
        except IdempotencyItemNotFoundError:
            return None
        deadline = record.in_progress_expiry_timestamp if record is not None else None
        if record is None or record.status != "INPROGRESS" or deadline is None or deadline >= time.time() * 1000:
            return None
        note = (
            client("dynamodb")
            .get_item(TableName=self.table, Key={_KEY_ATTRIBUTE: {"S": self._note_key(request)}}, ConsistentRead=True)
            .get("Item", {})
        )
        noted_at = int(note[_NOTED_AT_ATTRIBUTE]["N"]) if _NOTED_AT_ATTRIBUTE in note else None
        return "timeout" if noted_at is not None and noted_at >= deadline - NOTE_WINDOW_MS else "out_of_memory"

    def note_timeout(self, request: dict[str, Any]) -> None:
        """Leave a note that this object's invocation is about to time out (read by ended_while_processing)."""
        client("dynamodb").put_item(
            TableName=self.table,
            Item={
                _KEY_ATTRIBUTE: {"S": self._note_key(request)},
                _EXPIRY_ATTRIBUTE: {"N": str(int(time.time()) + self.ttl_seconds)},
                _NOTED_AT_ATTRIBUTE: {"N": str(int(time.time() * 1000))},
            },
        )

    def forget(self, request: dict[str, Any], reason: Exception) -> None:
        """Drop what a dead invocation left (its in-progress record and note), once its record is in the DLQ: a
        redrive of that message then processes the object afresh."""
        self.persistence.delete_record(request, reason)
        client("dynamodb").delete_item(TableName=self.table, Key={_KEY_ATTRIBUTE: {"S": self._note_key(request)}})

    def _note_key(self, request: dict[str, Any]) -> str:
        digest = hashlib.sha256(str(request[IDENTITY_FIELD]).encode("utf-8")).hexdigest()
        return f"{self.consumer}#timed-out#{digest}"


__all__ = ["IDENTITY_FIELD", "ObjectIdempotency", "Replayed"]
