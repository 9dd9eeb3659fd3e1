"""Each Step Functions patch (tools/emulator/stepfunctions.py) against stock moto 5.2.5: the stock server shows the
difference from AWS, the patched one not. Both servers run state machines, their AWS calls coming back to the same
server (moto's own settings, which the emulator server sets whether it patches or not).
"""

from __future__ import annotations

import gzip
import json
import re
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tools.emulator.discovery import aws_client

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/sfn"


@pytest.fixture(scope="module")
def sfn(servers: dict[str, Any]) -> dict[str, Any]:
    return {name: aws_client("stepfunctions", server.endpoint, REGION) for name, server in servers.items()}


def execute(client: Any, definition: dict[str, Any], document: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create a state machine, run it to its end (it ends by itself: nothing here waits on time), describe it."""
    arn = client.create_state_machine(
        name=f"m-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    execution = client.start_execution(stateMachineArn=arn, input=json.dumps(document or {}))["executionArn"]
    while (described := client.describe_execution(executionArn=execution))["status"] == "RUNNING":
        time.sleep(0.05)
    return dict(described)


def output(described: dict[str, Any]) -> Any:
    assert described["status"] == "SUCCEEDED", (described.get("error"), described.get("cause"))
    return json.loads(described["output"])


def distributed(processor_states: dict[str, Any], start: str, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": start,
                    "States": processor_states,
                },
                "End": True,
                **fields,
            }
        },
    }


# --- sfn-validate-definition ---------------------------------------------------------------------------------


def test_validate_definition_is_not_implemented_by_stock_moto(sfn: dict[str, Any]) -> None:
    with pytest.raises(ClientError):
        sfn["stock"].validate_state_machine_definition(definition=json.dumps({"StartAt": "P", "States": {}}))


def test_validate_definition_answers_ok_or_fail_when_patched(sfn: dict[str, Any]) -> None:
    good = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    assert sfn["patched"].validate_state_machine_definition(definition=json.dumps(good))["result"] == "OK"
    bad = sfn["patched"].validate_state_machine_definition(definition=json.dumps({"StartAt": "P", "States": {"P": {}}}))
    assert bad["result"] == "FAIL" and bad["diagnostics"][0]["severity"] == "ERROR"
    assert sfn["patched"].list_state_machine_versions(stateMachineArn=ROLE)["stateMachineVersions"] == []


# --- sfn-context-start-time ----------------------------------------------------------------------------------

START_TIME = {
    "StartAt": "P",
    "States": {"P": {"Type": "Pass", "Parameters": {"t.$": "$$.Execution.StartTime"}, "End": True}},
}
ISO = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def test_stock_moto_gives_the_start_time_as_a_datetime(sfn: dict[str, Any]) -> None:
    # The state's output holds a datetime: moto cannot even serialise it for DescribeExecution (HTTP 500).
    with pytest.raises(ClientError, match=r"\(500\).*DescribeExecution"):
        execute(sfn["stock"], START_TIME)


def test_the_start_time_is_an_iso_string_when_patched(sfn: dict[str, Any]) -> None:
    assert re.match(ISO, output(execute(sfn["patched"], START_TIME))["t"])


# --- sfn-jsonpath-filter-empty -------------------------------------------------------------------------------

FILTER = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"x.$": "$.items[?(@.a == 1)]"}, "End": True}}}


def test_a_filter_matching_nothing_fails_on_stock_moto(sfn: dict[str, Any]) -> None:
    assert execute(sfn["stock"], FILTER, {"items": [{"a": 2}]})["status"] == "FAILED"


def test_a_filter_matching_nothing_is_an_empty_list_when_patched(sfn: dict[str, Any]) -> None:
    assert output(execute(sfn["patched"], FILTER, {"items": [{"a": 2}]})) == {"x": []}
    assert output(execute(sfn["patched"], FILTER, {"items": [{"a": 1}, {"a": 2}]})) == {"x": [{"a": 1}]}


# --- sfn-item-batcher ----------------------------------------------------------------------------------------

BATCHED = distributed(
    {"Echo": {"Type": "Pass", "End": True}},
    "Echo",
    ItemsPath="$.items",
    ItemSelector={"n.$": "$$.Map.Item.Value", "tag.$": "$.tag"},
    ItemBatcher={"MaxItemsPerBatchPath": "$.size", "BatchInput": {"run.$": "$$.Execution.Name"}},
)


def test_stock_moto_rejects_item_batcher_and_express_children(sfn: dict[str, Any]) -> None:
    with pytest.raises(ClientError, match="ItemBatcher"):
        sfn["stock"].create_state_machine(name="batched", definition=json.dumps(BATCHED), roleArn=ROLE)


def test_items_are_selected_then_batched_as_aws_documents_when_patched(sfn: dict[str, Any]) -> None:
    result = output(execute(sfn["patched"], BATCHED, {"items": [1, 2, 3, 4, 5], "size": 2, "tag": "t"}))
    assert [len(batch["Items"]) for batch in result] == [2, 2, 1]
    assert result[0]["Items"] == [{"n": 1, "tag": "t"}, {"n": 2, "tag": "t"}]
    assert {batch["BatchInput"]["run"] for batch in result} == {result[0]["BatchInput"]["run"]}


def tolerance(percentage: float) -> dict[str, Any]:
    """Four items, the third fails; Standard children (stock moto parses no other)."""
    definition = distributed(
        {
            "Three?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$", "NumericEquals": 3, "Next": "No"}],
                "Default": "Yes",
            },
            "No": {"Type": "Fail", "Error": "Three"},
            "Yes": {"Type": "Succeed"},
        },
        "Three?",
        ItemsPath="$.items",
        ToleratedFailurePercentage=percentage,
    )
    definition["States"]["M"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] = "STANDARD"
    return definition


def test_stock_moto_ignores_the_failure_threshold(sfn: dict[str, Any]) -> None:
    assert execute(sfn["stock"], tolerance(0.0), {"items": [1, 2, 3, 4]})["status"] == "SUCCEEDED"


def test_the_failure_threshold_fails_the_map_run_when_patched(sfn: dict[str, Any]) -> None:
    failed = execute(sfn["patched"], tolerance(0.0), {"items": [1, 2, 3, 4]})
    assert failed["status"] == "FAILED" and failed["error"] == "States.ExceedToleratedFailureThreshold"
    assert execute(sfn["patched"], tolerance(25.0), {"items": [1, 2, 3, 4]})["status"] == "SUCCEEDED"


# --- sfn-item-reader-s3 --------------------------------------------------------------------------------------


def bucket_with(endpoint: str, keys: list[str]) -> str:
    s3 = aws_client("s3", endpoint, REGION)
    bucket = f"items-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"12345")
    return bucket


def listing(bucket: str) -> dict[str, Any]:
    reader = {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": bucket, "MaxKeys": 2}}
    return distributed({"Echo": {"Type": "Pass", "End": True}}, "Echo", ItemReader=reader)


def test_the_listing_reader_gives_one_page_of_boto3_items_on_stock_moto(
    servers: dict[str, Any], sfn: dict[str, Any]
) -> None:
    bucket = bucket_with(servers["stock"].endpoint, ["a.jpg"])
    definition = listing(bucket)
    definition["States"]["M"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] = "STANDARD"
    # One page, in boto3's shape: its datetime LastModified cannot even be serialised for DescribeExecution.
    with pytest.raises(ClientError, match=r"\(500\).*DescribeExecution"):
        execute(sfn["stock"], definition)


def test_the_listing_reader_pages_and_gives_aws_items_when_patched(
    servers: dict[str, Any], sfn: dict[str, Any]
) -> None:
    keys = ["uploads/a.jpg", "uploads/b.jpg", "uploads/c.jpg", "uploads/d.jpg", "uploads/e.jpg"]
    items = output(execute(sfn["patched"], listing(bucket_with(servers["patched"].endpoint, keys))))
    assert [item["Key"] for item in items] == keys, "every page, not the first MaxKeys only"
    assert set(items[0]) == {"Etag", "Key", "LastModified", "Size", "StorageClass"}
    assert items[0]["Etag"].startswith('"') and isinstance(items[0]["LastModified"], int) and items[0]["Size"] == 5


def test_an_inventory_manifest_is_read_when_patched(servers: dict[str, Any], sfn: dict[str, Any]) -> None:
    s3 = aws_client("s3", servers["patched"].endpoint, REGION)
    bucket = bucket_with(servers["patched"].endpoint, [])
    rows = ['"images","uploads/alice/a%20b.jpg","5","abc"', '"images","uploads/bob/c.png","7","def"']
    for index, row in enumerate(rows):
        s3.put_object(Bucket=bucket, Key=f"inv/data/{index}.csv.gz", Body=gzip.compress((row + "\n").encode()))
    manifest = {
        "sourceBucket": "images",
        "destinationBucket": f"arn:aws:s3:::{bucket}",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size, ETag",
        "files": [{"key": f"inv/data/{i}.csv.gz", "size": 1, "MD5checksum": "x"} for i in range(len(rows))],
    }
    s3.put_object(Bucket=bucket, Key="inv/manifest.json", Body=json.dumps(manifest).encode())
    reader = {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "MANIFEST"},
        "Parameters": {"Bucket": bucket, "Key": "inv/manifest.json"},
    }
    items = output(
        execute(sfn["patched"], distributed({"Echo": {"Type": "Pass", "End": True}}, "Echo", ItemReader=reader))
    )
    assert items == [
        {"Bucket": "images", "Key": "uploads/alice/a%20b.jpg", "Size": "5", "ETag": "abc"},
        {"Bucket": "images", "Key": "uploads/bob/c.png", "Size": "7", "ETag": "def"},
    ]
    with pytest.raises(ClientError):
        sfn["stock"].create_state_machine(
            name="manifest",
            definition=json.dumps(distributed({"E": {"Type": "Pass", "End": True}}, "E", ItemReader=reader)),
            roleArn=ROLE,
        )
