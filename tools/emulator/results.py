"""Collect what the consumers made of each uploaded object: thumbnails, metadata, index record, or DLQ + reason.

Locations come from the deployed functions' environment (THUMBNAIL_PREFIX, METADATA_PREFIX, SEARCH_INDEX_TABLE,
DLQ_URL) and the key layout in consumer_core.naming, so nothing here hard-codes the stack's names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from consumer_core.naming import derived_prefix
from tools.emulator.discovery import DeployedFunction, aws_client, aws_resource
from tools.emulator.endpoints import Endpoints
from tools.redrive.sweep import look


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    version_id: str | None
    etag: str


@dataclass
class DlqEntry:
    consumer: str
    key: str
    version_id: str | None
    reason: str
    message: str


@dataclass
class Consumers:
    """The deployed consumers, keyed by package name (the handler string's first part)."""

    functions: dict[str, DeployedFunction] = field(default_factory=dict)

    @classmethod
    def from_runner(cls, functions: list[DeployedFunction]) -> Consumers:
        return cls({f.spec.handler.split(".")[0]: f for f in functions if "DLQ_URL" in f.spec.environment})

    def env(self, consumer: str, name: str) -> str | None:
        function = self.functions.get(consumer)
        return function.spec.environment.get(name) if function else None


def read_dlqs(endpoint: str | Endpoints, region: str, consumers: Consumers) -> list[DlqEntry]:
    """Every message in every consumer's DLQ, left there (visible again on return). A message SQS redrove after
    maxReceiveCount has the reason tools.redrive.messages.NO_REASON. Short polls: an emulator has one server."""
    sqs = aws_client("sqs", endpoint, region)
    return [
        DlqEntry(consumer, m.key or "?", m.version or None, m.reason, m.attributes.get("error_message", ""))
        for consumer, function in consumers.functions.items()
        for m in look(sqs, function.spec.environment["DLQ_URL"], wait_s=0)
    ]


def _version_token(upload: Upload) -> str:
    return upload.version_id if upload.version_id and upload.version_id != "null" else upload.etag


def thumbnails_of(s3: Any, consumers: Consumers, upload: Upload) -> list[dict[str, Any]]:
    prefix = consumers.env("image_resizer", "THUMBNAIL_PREFIX")
    if prefix is None:
        return []
    folder = f"{derived_prefix(prefix, upload.key)}{_version_token(upload)}/"
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=upload.bucket, Prefix=folder):
        for item in page.get("Contents", []):
            found.append({"key": item["Key"], "bytes": item["Size"]})
    return found


def metadata_of(s3: Any, consumers: Consumers, upload: Upload) -> dict[str, Any] | None:
    prefix = consumers.env("metadata_extractor", "METADATA_PREFIX")
    if prefix is None:
        return None
    folder = f"{derived_prefix(prefix, upload.key)}{_version_token(upload)}/"
    items = s3.list_objects_v2(Bucket=upload.bucket, Prefix=folder).get("Contents", [])
    for item in items:
        if item["Key"].endswith(".json"):
            return json.loads(s3.get_object(Bucket=upload.bucket, Key=item["Key"])["Body"].read())
    return None


def index_of(dynamodb: Any, consumers: Consumers, upload: Upload) -> dict[str, Any] | None:
    table_name = consumers.env("search_indexer", "SEARCH_INDEX_TABLE")
    if table_name is None:
        return None
    from search_indexer.query import get_image

    return get_image(dynamodb.Table(table_name), upload.bucket, upload.key)


def deployed_workflow(endpoint: str | Endpoints, region: str, outputs: dict[str, Any]) -> dict[str, Any] | None:
    """The reprocess state machine's definition as the emulator holds it for the deployed stack (the ASL JSON
    Terraform sent); None for a stack without it (reprocess_workflow.enabled = false)."""
    workflow = outputs.get("reprocess_workflow")
    if not workflow:
        return None
    sfn = aws_client("stepfunctions", endpoint, region)
    described = sfn.describe_state_machine(stateMachineArn=workflow["state_machine_arn"])
    definition: dict[str, Any] = json.loads(described["definition"])
    return definition


def collect(endpoint: str | Endpoints, region: str, consumers: Consumers, uploads: list[Upload]) -> dict[str, Any]:
    """The report's `objects` and `dlq` parts."""
    s3 = aws_client("s3", endpoint, region)
    dynamodb = aws_resource("dynamodb", endpoint, region)
    dlq = read_dlqs(endpoint, region, consumers)
    objects = []
    for upload in uploads:
        thumbnails = thumbnails_of(s3, consumers, upload)
        metadata = metadata_of(s3, consumers, upload)
        index = index_of(dynamodb, consumers, upload)
        produced = {
            "image_resizer": bool(thumbnails),
            "metadata_extractor": metadata is not None,
            "search_indexer": index is not None,
        }
        statuses = {}
        for consumer in consumers.functions:
            rejected = [
                d
                for d in dlq
                if d.consumer == consumer and d.key == upload.key and d.version_id in (None, upload.version_id)
            ]
            if rejected:
                statuses[consumer] = {"status": "dlq", "reason": rejected[-1].reason, "message": rejected[-1].message}
            elif produced.get(consumer):
                statuses[consumer] = {"status": "processed", "reason": None}
            else:
                statuses[consumer] = {"status": "missing", "reason": None}
        objects.append(
            {
                "key": upload.key,
                "version_id": upload.version_id,
                "consumers": statuses,
                "thumbnails": thumbnails,
                "metadata": metadata or {},
                "index": _jsonable(index) or {},
            }
        )
    counts: dict[str, int] = {consumer: 0 for consumer in consumers.functions}
    for entry in dlq:
        counts[entry.consumer] = counts.get(entry.consumer, 0) + 1
    return {"objects": objects, "dlq": counts, "dlq_messages": [entry.__dict__ for entry in dlq]}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_default)) if value is not None else None


def _default(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == int(value) else float(value)
    if isinstance(value, set):
        return sorted(value)
    return str(value)
