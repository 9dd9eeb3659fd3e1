"""The mini stack's tiny handler and layer as zips, and a boto3-built copy of its queue -> function wiring."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.emulator.discovery import aws_client

FIXTURES = Path(__file__).parent / "fixtures" / "mini_stack"
REGION = "us-east-1"


def write_zip(source: Path, target: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(source.rglob("*.py")):
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, path.read_bytes())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buffer.getvalue())
    return target


def build_zips(directory: Path) -> dict[str, Path]:
    return {
        "function": write_zip(FIXTURES / "handler", directory / "mini-function.zip"),
        "layer": write_zip(FIXTURES / "layer", directory / "mini-layer.zip"),
    }


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    """An EventBridge `Object Created` event as S3 sends it (shape from the S3 user guide)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-27T10:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": 1, "etag": "d41d8cd98f00b204e9800998ecf8427e", "sequencer": "0001"},
            "request-id": "R",
            "requester": "123456789012",
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject",
        },
    }


@dataclass
class MiniPipeline:
    endpoint: str
    name: str
    bucket: str
    queue_url: str
    dlq_url: str

    def send(self, keys: list[str]) -> None:
        sqs = aws_client("sqs", self.endpoint, REGION)
        for start in range(0, len(keys), 10):
            entries = [
                {"Id": str(i), "MessageBody": json.dumps(s3_event(self.bucket, key))}
                for i, key in enumerate(keys[start : start + 10])
            ]
            sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)

    def outputs(self) -> dict[str, dict[str, Any]]:
        s3 = aws_client("s3", self.endpoint, REGION)
        found = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix="out/"):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
                found[item["Key"].removeprefix("out/")] = json.loads(body)
        return found

    def dlq_keys(self) -> list[str]:
        sqs = aws_client("sqs", self.endpoint, REGION)
        keys = []
        while True:
            messages = sqs.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=60)
            if not messages.get("Messages"):
                return sorted(keys)
            keys += [json.loads(m["Body"])["detail"]["object"]["key"] for m in messages["Messages"]]


def create_pipeline(
    endpoint: str,
    zips: dict[str, Path],
    *,
    timeout: int = 5,
    memory: int = 256,
    max_receive: int = 2,
    batch_size: int = 5,
    max_concurrency: int = 2,
) -> MiniPipeline:
    """Bucket, DLQ, buffer queue with redrive, layer, function and a DISABLED mapping (the runner polls)."""
    name = f"mini-{uuid.uuid4().hex[:8]}"
    s3, sqs, lam, iam = (aws_client(s, endpoint, REGION) for s in ("s3", "sqs", "lambda", "iam"))
    s3.create_bucket(Bucket=name)
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive})
    queue_url = sqs.create_queue(
        QueueName=f"{name}-buffer", Attributes={"VisibilityTimeout": "30", "RedrivePolicy": redrive}
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assume = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(assume))["Role"]["Arn"]
    layer = lam.publish_layer_version(LayerName=f"{name}-lib", Content={"ZipFile": zips["layer"].read_bytes()})
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="echo.app.handler",
        Code={"ZipFile": zips["function"].read_bytes()},
        Timeout=timeout,
        MemorySize=memory,
        Layers=[layer["LayerVersionArn"]],
        Environment={"Variables": {"OUTPUT_BUCKET": name, "OUTPUT_PREFIX": "out/"}},
    )
    lam.create_event_source_mapping(
        EventSourceArn=queue_arn,
        FunctionName=name,
        Enabled=False,
        BatchSize=batch_size,
        MaximumBatchingWindowInSeconds=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": max_concurrency},
    )
    return MiniPipeline(endpoint, name, name, queue_url, dlq_url)
