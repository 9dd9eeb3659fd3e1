"""Rules of the emulator tooling (partial batch responses, the SQS record shape, the provider override), and the
root stack's routing rules on the emulator: which upload keys reach the consumers' buffer queues."""

from __future__ import annotations

import base64
import hashlib
import io
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from tools.emulator.discovery import aws_client, code_sha256
from tools.emulator.invoker import InvokeResult
from tools.emulator.localstack import LocalStackSession
from tools.emulator.runner import failed_message_ids, sqs_record
from tools.emulator.session import EmulatorSession
from tools.emulator.terraform import provider_aliases, provider_override

IDS = ["m1", "m2", "m3"]


@pytest.mark.parametrize(
    ("result", "report_failures", "expected"),
    [
        (InvokeResult("ok", result={"batchItemFailures": []}), True, []),
        (InvokeResult("ok", result=None), True, []),
        (InvokeResult("ok", result={"batchItemFailures": [{"itemIdentifier": "m2"}]}), True, ["m2"]),
        # Lambda ignores the response when the mapping does not report batch item failures
        (InvokeResult("ok", result={"batchItemFailures": [{"itemIdentifier": "m2"}]}), False, []),
        # an identifier that is not in the batch, or an empty one, fails the whole batch
        (InvokeResult("ok", result={"batchItemFailures": [{"itemIdentifier": "zz"}]}), True, IDS),
        (InvokeResult("ok", result={"batchItemFailures": [{"itemIdentifier": ""}]}), True, IDS),
        (InvokeResult("ok", result={"batchItemFailures": "m2"}), True, IDS),
        (InvokeResult("error"), True, IDS),
        (InvokeResult("timeout"), False, IDS),
        (InvokeResult("crash"), True, IDS),
    ],
)
def test_partial_batch_response_rules(result: InvokeResult, report_failures: bool, expected: list[str]) -> None:
    assert failed_message_ids(result, IDS, report_failures) == expected


def test_sqs_record_has_lambdas_shape() -> None:
    message = {
        "MessageId": "id-1",
        "ReceiptHandle": "rh",
        "Body": '{"detail-type": "Object Created"}',
        "MD5OfBody": "md5",
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1"},
        "MessageAttributes": {"reason": {"StringValue": "x", "DataType": "String"}},
    }
    record = sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1")
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(":q")
    assert record["messageId"] == "id-1" and record["receiptHandle"] == "rh" and record["body"] == message["Body"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["reason"]["stringValue"] == "x"
    assert record["messageAttributes"]["reason"]["dataType"] == "String"


def test_code_sha256_is_lambdas_base64_digest(tmp_path: Path) -> None:
    path = tmp_path / "f.zip"
    path.write_bytes(b"zip bytes")
    assert code_sha256(path) == base64.b64encode(hashlib.sha256(b"zip bytes").digest()).decode()


def test_override_points_every_provider_block_at_the_emulator(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'provider "aws" {\n  region = var.region\n}\n\nprovider "aws" {\n  alias  = "us_east_1"\n'
        '  region = "us-east-1"\n}\n'
    )
    aliases = provider_aliases(tmp_path)
    assert aliases == [None, "us_east_1"]
    hcl = provider_override("http://127.0.0.1:4999", "us-east-1", aliases)
    assert hcl.count('provider "aws" {') == 2 and 'alias                       = "us_east_1"' in hcl
    for setting in (
        "max_retries                 = 1",
        "s3_use_path_style           = true",
        "skip_credentials_validation = true",
        "skip_requesting_account_id  = true",
    ):
        assert hcl.count(setting) == 2
    for service in ("s3", "sqs", "lambda", "events", "dynamodb", "iam", "sts", "logs", "cloudwatch"):
        assert f'    {service:<26} = "http://127.0.0.1:4999"' in hcl


def test_stack_without_provider_block_gets_a_plain_provider_file(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "q" {}\n')
    assert provider_aliases(tmp_path) is None


def delivered_messages(session: EmulatorSession, key: str) -> Counter[str]:
    """Upload `key` to the root stack's bucket; messages the runner took from each consumer's buffer queue."""
    assert session.runner is not None
    assert session.settle(timeout_s=60), "queues did not drain before the upload"
    before = len(session.runner.invocations)
    image = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(image, format="PNG")
    s3 = aws_client("s3", session.endpoints, session.region)
    s3.put_object(Bucket=session.outputs["reference"]["bucket_name"], Key=key, Body=image.getvalue())
    assert session.settle(timeout_s=60), "queues did not drain after the upload"
    functions = {v: k for k, v in session.outputs["reference"]["function_names"].items()}
    delivered: Counter[str] = Counter()
    for record in session.runner.invocations[before:]:
        if record.function in functions:
            delivered[functions[record.function]] += record.batch
    return delivered


@pytest.mark.integration
def test_only_keys_in_an_owner_folder_reach_the_consumers(session: EmulatorSession | LocalStackSession) -> None:
    """The upload rules match <upload_prefix>*/* (an EventBridge wildcard), not the bare prefix."""
    if not isinstance(session, EmulatorSession) or session.runner is None:
        pytest.skip("counts the local runner's deliveries (embedded emulator only)")
    assert delivered_messages(session, "uploads/x.png") == Counter()
    delivered = delivered_messages(session, "uploads/alice/x.png")
    # search_indexer also receives the two producers' domain events about the upload
    assert set(delivered) == {"image_resizer", "metadata_extractor", "search_indexer"}
    assert delivered["image_resizer"] == delivered["metadata_extractor"] == 1
