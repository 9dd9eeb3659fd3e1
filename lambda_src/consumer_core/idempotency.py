"""Powertools idempotency on DynamoDB, keyed on the object identity (never on the event id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from consumer_core.clients import client
from consumer_core.config import core_settings

# The decorated function receives {"identity": ...}; only that value is hashed into the record id.
IDENTITY_FIELD = "identity"


class ObjectIdempotency:
    """One persistence layer and config per consumer function (a shared layer keeps the first key expression)."""

    def __init__(self) -> None:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
        )

        settings = core_settings()
        self.persistence = DynamoDBPersistenceLayer(
            table_name=settings.idempotency_table,
            key_attr="id",
            expiry_attr="expiration",
            boto3_client=client("dynamodb"),
        )
        self.config = IdempotencyConfig(
            event_key_jmespath=IDENTITY_FIELD,
            raise_on_no_idempotency_key=True,
            expires_after_seconds=settings.idempotency_ttl_seconds,
        )

    def register_lambda_context(self, context: Any) -> None:
        # Lets Powertools expire an in-progress record when the invocation that wrote it times out.
        if context is not None:
            self.config.register_lambda_context(context)

    def wrap(self, func: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        from aws_lambda_powertools.utilities.idempotency import idempotent_function

        return idempotent_function(
            data_keyword_argument="request", persistence_store=self.persistence, config=self.config
        )(func)
