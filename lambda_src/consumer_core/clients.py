"""AWS clients, created once per process and only when first needed (boto3 import costs ~150 ms)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    # Import here so a handler's import never pays for boto3. Initialise the tracer first so that
    # X-Ray's botocore patching applies to the client (no-op when tracing is disabled).
    from consumer_core.observability import tracer

    tracer()
    import boto3
    from botocore.config import Config

    # Standard retry mode with a short budget: the SQS redrive is the long-term retry mechanism.
    return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 3}))


@cache
def resource_table(name: str, thread: int | None = None) -> Any:
    """A DynamoDB Table resource. Resources are not thread-safe (boto3's guide): a worker thread passes its
    `threading.get_ident()` and gets its own."""
    import boto3

    client("dynamodb")  # ensures tracing is set up before the resource's client exists
    return boto3.resource("dynamodb").Table(name)
