"""Pure rules of the emulator tooling: partial batch responses, the SQS record shape, the provider override."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from tools.emulator.discovery import code_sha256
from tools.emulator.invoker import InvokeResult
from tools.emulator.runner import failed_message_ids, sqs_record
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
