"""Each emulator patch against stock moto 5.2.5: the stock server shows the AWS difference, the patched one not.

The same boto3 calls run against both servers (module fixture `servers`), so every test fails without its patch.
"""

from __future__ import annotations

import json
import uuid
import zipfile
from io import BytesIO
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tools.emulator.discovery import aws_client

REGION = "us-east-1"


def clients(endpoint: str, *services: str) -> list[Any]:
    return [aws_client(s, endpoint, REGION) for s in services]


def tls_only_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def put_and_get_with_tls_only_policy(endpoint: str) -> bytes:
    (s3,) = clients(endpoint, "s3")
    bucket = f"tls-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=tls_only_policy(bucket))
    s3.put_object(Bucket=bucket, Key="uploads/a.txt", Body=b"hello")
    return s3.get_object(Bucket=bucket, Key="uploads/a.txt")["Body"].read()


def test_tls_only_bucket_policy_denies_everything_on_stock_moto(servers: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as denied:
        put_and_get_with_tls_only_policy(servers["stock"].endpoint)
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_tls_only_bucket_policy_allows_requests_when_patched(servers: dict[str, Any]) -> None:
    assert put_and_get_with_tls_only_policy(servers["patched"].endpoint) == b"hello"


def test_patched_bucket_policy_still_denies_unconditionally(servers: dict[str, Any]) -> None:
    """The patch only evaluates aws:SecureTransport; a plain Deny still denies."""
    (s3,) = clients(servers["patched"].endpoint, "s3")
    bucket = f"deny-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    policy = json.loads(tls_only_policy(bucket))
    del policy["Statement"][0]["Condition"]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="uploads/a.txt", Body=b"x")


def s3_event_reaches_rule_created_after_archive(endpoint: str) -> tuple[int, bool]:
    """(messages the later rule delivered, whether the archive holds any event)."""
    s3, events, sqs = clients(endpoint, "s3", "events", "sqs")
    name = f"arc-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}})
    events.create_archive(
        ArchiveName=name, EventSourceArn=f"arn:aws:events:{REGION}:123456789012:event-bus/default", RetentionDays=1
    )
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": [name]}}}
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue_arn}])
    s3.put_object(Bucket=name, Key="uploads/a.txt", Body=b"x")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    archived = events.describe_archive(ArchiveName=name)["EventCount"]
    events.delete_archive(ArchiveName=name)  # the server is shared: later tests need a default bus without it
    return len(messages.get("Messages", [])), archived > 0


def test_archive_on_default_bus_swallows_s3_events_on_stock_moto(servers: dict[str, Any]) -> None:
    assert s3_event_reaches_rule_created_after_archive(servers["stock"].endpoint) == (0, False)


def test_s3_events_reach_rules_after_an_archive_when_patched(servers: dict[str, Any]) -> None:
    assert s3_event_reaches_rule_created_after_archive(servers["patched"].endpoint) == (1, True)


def bucket_eventbridge_notification(endpoint: str) -> dict[str, Any]:
    (s3,) = clients(endpoint, "s3")
    bucket = f"ntf-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    return s3.get_bucket_notification_configuration(Bucket=bucket)


def test_bucket_eventbridge_notification_not_returned_by_stock_moto(servers: dict[str, Any]) -> None:
    assert "EventBridgeConfiguration" not in bucket_eventbridge_notification(servers["stock"].endpoint)


def test_bucket_eventbridge_notification_returned_when_patched(servers: dict[str, Any]) -> None:
    assert bucket_eventbridge_notification(servers["patched"].endpoint)["EventBridgeConfiguration"] == {}


def redrive_policy_as_returned(endpoint: str) -> str:
    (sqs,) = clients(endpoint, "sqs")
    name = f"rd-{uuid.uuid4().hex[:8]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}, separators=(",", ":"))
    url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})["QueueUrl"]
    returned = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    return returned if returned == policy else f"differs: {returned}"


def test_redrive_policy_reformatted_by_stock_moto(servers: dict[str, Any]) -> None:
    assert redrive_policy_as_returned(servers["stock"].endpoint).startswith("differs: ")


def test_redrive_policy_returned_compact_as_aws_does_when_patched(servers: dict[str, Any]) -> None:
    assert not redrive_policy_as_returned(servers["patched"].endpoint).startswith("differs")


def function_dlq_and_snap_start(endpoint: str) -> dict[str, Any]:
    lam, iam, sqs = clients(endpoint, "lambda", "iam", "sqs")
    name = f"fn-{uuid.uuid4().hex[:8]}"
    assume = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
        ],
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(assume))["Role"]["Arn"]
    dlq = sqs.create_queue(QueueName=name)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    code = BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": code.getvalue()},
        DeadLetterConfig={"TargetArn": dlq_arn},
        SnapStart={"ApplyOn": "PublishedVersions"},
    )
    config = lam.get_function_configuration(FunctionName=name)
    return {
        "dlq": config.get("DeadLetterConfig", {}).get("TargetArn") == dlq_arn,
        "snap_start": config.get("SnapStart", {}).get("ApplyOn"),
    }


def test_function_dead_letter_and_snap_start_dropped_by_stock_moto(servers: dict[str, Any]) -> None:
    assert function_dlq_and_snap_start(servers["stock"].endpoint) == {"dlq": False, "snap_start": "None"}


def test_function_dead_letter_and_snap_start_kept_when_patched(servers: dict[str, Any]) -> None:
    assert function_dlq_and_snap_start(servers["patched"].endpoint) == {"dlq": True, "snap_start": "PublishedVersions"}


def test_fault_hook_fails_matching_gets_a_set_number_of_times(servers: dict[str, Any]) -> None:
    server = servers["patched"]
    (s3,) = clients(server.endpoint, "s3")
    bucket = f"flt-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="uploads/x y.jpg", Body=b"1")
    s3.put_object(Bucket=bucket, Key="uploads/other.jpg", Body=b"2")
    server.set_faults(r"x y\.jpg$", times_per_key=2)
    try:
        no_retries = boto3.client(
            "s3",
            endpoint_url=server.endpoint,
            region_name=REGION,
            aws_access_key_id="t",
            aws_secret_access_key="t",
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )
        codes = []
        for _ in range(3):
            try:
                no_retries.get_object(Bucket=bucket, Key="uploads/x y.jpg")
                codes.append(200)
            except ClientError as error:
                codes.append(error.response["ResponseMetadata"]["HTTPStatusCode"])
        assert no_retries.get_object(Bucket=bucket, Key="uploads/other.jpg")["Body"].read() == b"2"
        assert codes[:2] == [503, 503] and codes[2] == 200
        assert server.faults()["injected"] == 2
    finally:
        server.set_faults(None)


def s3_events_for_put_put_delete(endpoint: str) -> list[dict[str, Any]]:
    """EventBridge events of: put, overwrite, delete (delete marker) of one key in a versioned bucket."""
    s3, events, sqs = clients(endpoint, "s3", "events", "sqs")
    name = f"evt-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}})
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created", "Object Deleted"],
        "detail": {"bucket": {"name": [name]}},
    }
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue_arn}])
    s3.put_object(Bucket=name, Key="uploads/a b.jpg", Body=b"1")
    s3.put_object(Bucket=name, Key="uploads/a b.jpg", Body=b"2")
    s3.delete_object(Bucket=name, Key="uploads/a b.jpg")
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        bodies += [json.loads(m["Body"]) for m in messages]


def test_stock_moto_sends_no_delete_marker_event_and_a_fixed_sequencer(servers: dict[str, Any]) -> None:
    events = s3_events_for_put_put_delete(servers["stock"].endpoint)
    assert [e["detail-type"] for e in events] == ["Object Created", "Object Created"]
    assert len({e["detail"]["object"]["sequencer"] for e in events}) == 1
    assert "etag" not in events[0]["detail"]["object"]


def test_patched_events_are_shaped_like_aws(servers: dict[str, Any]) -> None:
    events = s3_events_for_put_put_delete(servers["patched"].endpoint)
    assert [e["detail-type"] for e in events] == ["Object Created", "Object Created", "Object Deleted"]
    sequencers = [e["detail"]["object"]["sequencer"] for e in events]
    assert sequencers == sorted(sequencers) and len(set(sequencers)) == 3  # later events compare greater
    assert len({e["id"] for e in events}) == 3
    created, deleted = events[1]["detail"], events[2]["detail"]
    assert created["reason"] == "PutObject" and len(created["object"]["etag"]) == 32
    assert deleted["deletion-type"] == "Delete Marker Created" and deleted["reason"] == "DeleteObject"
    assert deleted["object"]["key"] == "uploads/a%20b.jpg" and deleted["object"]["version-id"]  # encoded as on AWS
    assert events[0]["time"].endswith("Z") and events[0]["time"][:4].isdigit()  # ISO 8601, not epoch seconds


def raw_listed_version_key(endpoint: str) -> str:
    """The <Key> of ListObjectVersions?encoding-type=url as sent on the wire (what Terraform's SDK unescapes)."""
    (s3,) = clients(endpoint, "s3")
    bucket = f"ver-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="uploads/small 50%.png", Body=b"x")
    raw: list[bytes] = []
    s3.meta.events.register(
        "after-call.s3.ListObjectVersions", lambda http_response, **_: raw.append(http_response.content)
    )
    listed = s3.list_object_versions(Bucket=bucket)["Versions"][0]["Key"]  # botocore asks for encoding-type=url
    assert listed == "uploads/small 50%.png"  # boto3 decodes when (and only when) the response says url
    return raw[0].decode().split("<Key>")[1].split("</Key>")[0]


def test_list_object_versions_ignores_url_encoding_on_stock_moto(servers: dict[str, Any]) -> None:
    assert raw_listed_version_key(servers["stock"].endpoint) == "uploads/small 50%.png"


def test_list_object_versions_url_encodes_keys_when_patched(servers: dict[str, Any]) -> None:
    assert raw_listed_version_key(servers["patched"].endpoint) == "uploads/small%2050%25.png"


def delete_key_with_delete_marker_after_suspending_versioning(endpoint: str) -> list[dict[str, Any]]:
    """What `force_destroy` does after Terraform removed the bucket's versioning resource."""
    (s3,) = clients(endpoint, "s3")
    bucket = f"dm-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="uploads/a.jpg", Body=b"1")
    s3.delete_object(Bucket=bucket, Key="uploads/a.jpg")  # leaves a delete marker
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "uploads/a.jpg"}]})
    return response.get("Errors", [])


def test_deleting_a_key_with_a_delete_marker_fails_on_stock_moto(servers: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as error:
        delete_key_with_delete_marker_after_suspending_versioning(servers["stock"].endpoint)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_deleting_a_key_with_a_delete_marker_works_when_patched(servers: dict[str, Any]) -> None:
    assert delete_key_with_delete_marker_after_suspending_versioning(servers["patched"].endpoint) == []
