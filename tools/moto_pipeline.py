"""The pipeline's AWS resources in moto, in this process, for handler tests and the bench's cost report: the
resources (names match the environment the handlers read), that environment, and the per-process caches to clear
when moto changes (clients and settings are created once per process, as in Lambda)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass
class PipelineResources:
    bucket: str
    idempotency_table: str
    dlq_url: str
    results_bus: str
    results_queue_url: str
    search_index_table: str

    # -- reading back what handlers did ----------------------------------------------------------------------
    def dlq_messages(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name=REGION)
        messages: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
            ).get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
                messages.append({"body": message["Body"], "attributes": attributes})
                sqs.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"])

    def published_events(self) -> list[dict[str, Any]]:
        """Domain events put on the results bus (routed by a catch-all rule to a queue)."""
        sqs = boto3.client("sqs", region_name=REGION)
        events: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.results_queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return events
            for message in batch:
                event = json.loads(message["Body"])
                # EventBridge, not our code, writes the envelope; moto leaves out `account`, AWS never does.
                event.setdefault("account", ACCOUNT)
                events.append(event)
                sqs.delete_message(QueueUrl=self.results_queue_url, ReceiptHandle=message["ReceiptHandle"])

    def keys(self, prefix: str = "") -> list[str]:
        s3 = boto3.client("s3", region_name=REGION)
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


def clear_process_caches() -> None:
    """Forget the clients, settings and handler runtimes this process has made (each is made once, as in Lambda),
    so that the next ones talk to the current moto."""
    from consumer_core import clients, config

    clients.client.cache_clear()
    clients.resource_table.cache_clear()
    config.core_settings.cache_clear()
    config.image_limits.cache_clear()
    from image_resizer import app as resizer_app
    from image_resizer.settings import resizer_settings
    from metadata_extractor import app as extractor_app
    from metadata_extractor.settings import extractor_settings
    from search_indexer import app as indexer_app
    from search_indexer.settings import indexer_settings, output_prefixes

    resizer_settings.cache_clear()
    extractor_settings.cache_clear()
    indexer_settings.cache_clear()
    output_prefixes.cache_clear()
    for app in (resizer_app, extractor_app, indexer_app):
        app.handler.__dict__.pop("_runtime", None)


def environment(resources: PipelineResources) -> dict[str, str]:
    """What the handlers read to find the resources."""
    return {
        "IDEMPOTENCY_TABLE": resources.idempotency_table,
        "DLQ_URL": resources.dlq_url,
        "RESULTS_BUS_NAME": resources.results_bus,
        "SEARCH_INDEX_TABLE": resources.search_index_table,
    }


def create_pipeline_resources(*, versioned: bool = True, prefix: str = "test") -> PipelineResources:
    s3 = boto3.client("s3", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    events = boto3.client("events", region_name=REGION)

    bucket = f"{prefix}-uploads"
    s3.create_bucket(Bucket=bucket)
    if versioned:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    table = f"{prefix}-idempotency"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"}
    )
    dlq_url = sqs.create_queue(QueueName=f"{prefix}-dlq")["QueueUrl"]

    bus = f"{prefix}-results"
    events.create_event_bus(Name=bus)
    results_queue_url = sqs.create_queue(QueueName=f"{prefix}-results-tap")["QueueUrl"]
    results_queue_arn = sqs.get_queue_attributes(QueueUrl=results_queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name=f"{prefix}-tap", EventBusName=bus, EventPattern=json.dumps({"source": ["image-pipeline"]}))
    events.put_targets(Rule=f"{prefix}-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": results_queue_arn}])
    from search_indexer.table_schema import create_table

    search_index_table = f"{prefix}-search-index"
    create_table(dynamodb, search_index_table)
    return PipelineResources(
        search_index_table=search_index_table,
        bucket=bucket,
        idempotency_table=table,
        dlq_url=dlq_url,
        results_bus=bus,
        results_queue_url=results_queue_url,
    )
