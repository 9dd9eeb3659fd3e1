"""Builders of EventBridge events exactly as AWS documents them for S3 (and the SQS records that carry them).

Shapes follow "Amazon S3 event notifications with EventBridge" in the S3 user guide: `detail.object.key` is
percent-encoded, `etag` lower-case, `version-id` present for versioned buckets, `sequencer` a hex string.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

ACCOUNT = "123456789012"
REGION = "us-east-1"


def encode_key(key: str) -> str:
    # A literal '+' is kept literal, as the pipeline's decoder (unquote, not unquote_plus) expects.
    return quote(key, safe="/+")


def object_created(
    bucket: str,
    key: str,
    *,
    size: int = 1024,
    etag: str | None = None,
    version_id: str | None = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
    sequencer: str = "0055AED6DCD90281E5",
    event_id: str | None = None,
    reason: str = "PutObject",
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "key": encode_key(key),
        "size": size,
        "etag": etag or hashlib.md5(key.encode(), usedforsecurity=False).hexdigest(),
        "sequencer": sequencer,
    }
    if version_id is not None:
        obj["version-id"] = version_id
    return _event("Object Created", bucket, obj, event_id=event_id, reason=reason)


def object_deleted(
    bucket: str,
    key: str,
    *,
    version_id: str | None = "1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF",
    sequencer: str = "0055AED6DCD90281F0",
    deletion_type: str = "Delete Marker Created",
    event_id: str | None = None,
) -> dict[str, Any]:
    obj: dict[str, Any] = {"key": encode_key(key), "etag": "d41d8cd98f00b204e9800998ecf8427e", "sequencer": sequencer}
    if version_id is not None:
        obj["version-id"] = version_id
    event = _event("Object Deleted", bucket, obj, event_id=event_id, reason="DeleteObject")
    event["detail"]["deletion-type"] = deletion_type
    return event


def _event(detail_type: str, bucket: str, obj: dict[str, Any], *, event_id: str | None, reason: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": "2026-11-27T10:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": obj,
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": ACCOUNT,
            "source-ip-address": "203.0.113.15",
            "reason": reason,
        },
    }


def sqs_record(body: str | dict[str, Any], *, message_id: str | None = None, receive_count: int = 1) -> dict[str, Any]:
    """One record of an SQS event source mapping batch, as Lambda delivers it."""
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": text,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1764237600000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1764237600001",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:image-resizer-buffer",
        "awsRegion": REGION,
    }


def sqs_batch(*bodies: str | dict[str, Any], receive_count: int | Sequence[int] = 1) -> dict[str, Any]:
    """An SQS event source mapping batch; `receive_count` is every record's ApproximateReceiveCount, or one per
    record (how many times SQS has delivered that message, this delivery included)."""
    counts = [receive_count] * len(bodies) if isinstance(receive_count, int) else list(receive_count)
    if len(counts) != len(bodies):
        raise ValueError(f"{len(bodies)} bodies but {len(counts)} receive counts")
    return {"Records": [sqs_record(body, receive_count=count) for body, count in zip(bodies, counts, strict=True)]}
