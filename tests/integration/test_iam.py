"""Every consumer role, as deployed, holds exactly the IAM actions its code calls (issue "Hostile uploads").

The inline policies are read back from the emulator (the session's applied root stack; nothing is applied here)
and compared with `<consumer>.permissions.IAM_ACTIONS` once the platform's own permissions are set aside: the
function's log streams, the event source mapping's calls on the buffer queue, X-Ray when tracing is Active.
Those are recognised by action *and* resource, so a platform action on any other resource counts as code's.
"""

from __future__ import annotations

import importlib
import json
import urllib.parse
from typing import Any

import pytest

from consumer_core.event_types import PIPELINE_SOURCE, PUBLISHERS
from tools.emulator.discovery import aws_client
from tools.emulator.localstack import LocalStackSession
from tools.emulator.session import EmulatorSession

Session = EmulatorSession | LocalStackSession

pytestmark = pytest.mark.integration
CONSUMERS = ("image_resizer", "metadata_extractor", "search_indexer")
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
CONSUME_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"}
TRACE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def stack(session: Session) -> dict[str, Any]:
    return session.outputs["reference"]


def role_statements(session: Session, consumer: str) -> list[dict[str, Any]]:
    """Every statement of the consumer role's inline policies; the role has no managed policies."""
    iam = aws_client("iam", session.endpoints, session.region)
    role = stack(session)["consumers"][consumer]["role_name"]
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    statements = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(urllib.parse.unquote(document))
        statements += as_list(document["Statement"])
    return statements


def tracing_active(session: Session, consumer: str) -> bool:
    lam = aws_client("lambda", session.endpoints, session.region)
    function = stack(session)["consumers"][consumer]["function_name"]
    return lam.get_function_configuration(FunctionName=function)["TracingConfig"]["Mode"] == "Active"


def platform_grants(session: Session, consumer: str) -> set[tuple[str, str]]:
    """(action, resource) pairs the platform needs, not the code."""
    outputs = stack(session)["consumers"][consumer]
    region, account = outputs["buffer_queue_arn"].split(":")[3:5]
    partition = outputs["buffer_queue_arn"].split(":")[1]
    log_streams = f"arn:{partition}:logs:{region}:{account}:log-group:{outputs['log_group_name']}:*"
    grants = {(action, log_streams) for action in LOG_ACTIONS}
    grants |= {(action, outputs["buffer_queue_arn"]) for action in CONSUME_ACTIONS}
    if tracing_active(session, consumer):
        grants |= {(action, "*") for action in TRACE_ACTIONS}
    return grants


def code_actions(session: Session, consumer: str) -> set[str]:
    platform = platform_grants(session, consumer)
    granted: set[tuple[str, str]] = set()
    actions = set()
    for statement in role_statements(session, consumer):
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        for action in as_list(statement["Action"]):
            assert "*" not in action, statement
            resources = as_list(statement["Resource"])
            if all((action, resource) in platform for resource in resources):
                granted |= {(action, resource) for resource in resources}
                continue
            actions.add(action)
    assert granted == platform, f"{consumer}: platform permissions missing: {sorted(platform - granted)}"
    return actions


def statements_with(session: Session, consumer: str, action: str) -> list[dict[str, Any]]:
    return [s for s in role_statements(session, consumer) if action in as_list(s["Action"])]


def resources_of(statements: list[dict[str, Any]]) -> set[str]:
    return {r for s in statements for r in as_list(s["Resource"])}


@pytest.mark.parametrize("consumer", CONSUMERS)
def test_role_holds_exactly_what_the_code_calls(session: Session, consumer: str) -> None:
    declared = importlib.import_module(f"{consumer}.permissions").IAM_ACTIONS
    assert code_actions(session, consumer) == set(declared)


@pytest.mark.parametrize("consumer", CONSUMERS)
def test_dlq_and_idempotency_are_the_consumers_own(session: Session, consumer: str) -> None:
    outputs = stack(session)
    (send,) = statements_with(session, consumer, "sqs:SendMessage")
    assert as_list(send["Action"]) == ["sqs:SendMessage"] and as_list(send["Resource"]) == [
        outputs["consumers"][consumer]["dlq_arn"]
    ]
    dynamodb = aws_client("dynamodb", session.endpoints, session.region)
    table_arn = dynamodb.describe_table(TableName=outputs["idempotency_table_name"])["Table"]["TableArn"]
    (updates,) = statements_with(session, consumer, "dynamodb:UpdateItem")
    assert as_list(updates["Resource"]) == [table_arn]


@pytest.mark.parametrize("consumer", ["image_resizer", "metadata_extractor"])
def test_producers_read_uploads_write_their_outputs_and_publish_their_own_events(
    session: Session, consumer: str
) -> None:
    outputs = stack(session)
    bucket_arn = outputs["bucket_arn"]
    own_prefix = outputs["thumbnail_prefix" if consumer == "image_resizer" else "metadata_prefix"]
    assert resources_of(statements_with(session, consumer, "s3:GetObject")) == {
        f"{bucket_arn}/{outputs['upload_prefix']}*"
    }
    assert resources_of(statements_with(session, consumer, "s3:PutObject")) == {f"{bucket_arn}/{own_prefix}*"}
    (publish,) = statements_with(session, consumer, "events:PutEvents")
    assert as_list(publish["Resource"]) == [outputs["results_bus_arn"]]
    condition = publish["Condition"]
    assert set(condition) == {"ForAllValues:StringEquals", "StringEquals"}
    assert as_list(condition["ForAllValues:StringEquals"]["events:source"]) == [PIPELINE_SOURCE]
    assert sorted(as_list(condition["StringEquals"]["events:detail-type"])) == sorted(PUBLISHERS[consumer])


def test_indexer_touches_outputs_only_version_by_version(session: Session) -> None:
    outputs = stack(session)
    bucket_arn = outputs["bucket_arn"]
    output_objects = {f"{bucket_arn}/{outputs['thumbnail_prefix']}*", f"{bucket_arn}/{outputs['metadata_prefix']}*"}
    assert resources_of(statements_with(session, "search_indexer", "s3:DeleteObjectVersion")) == output_objects
    assert statements_with(session, "search_indexer", "s3:GetObject") == []  # it never reads an object
    (listing,) = statements_with(session, "search_indexer", "s3:ListBucketVersions")
    assert as_list(listing["Resource"]) == [bucket_arn]
    prefixes = as_list(listing["Condition"]["StringLike"]["s3:prefix"])
    # Uploads: which version S3 serves after a permanent delete; outputs: every version of a dead one's.
    expected = [f"{outputs['upload_prefix']}*", f"{outputs['thumbnail_prefix']}*", f"{outputs['metadata_prefix']}*"]
    assert sorted(prefixes) == sorted(expected)
    # The index table itself (no index/*), and the idempotency table from its own policy.
    dynamodb = aws_client("dynamodb", session.endpoints, session.region)
    idempotency = dynamodb.describe_table(TableName=outputs["idempotency_table_name"])["Table"]["TableArn"]
    assert resources_of(statements_with(session, "search_indexer", "dynamodb:PutItem")) == {
        outputs["search_index_table_arn"],
        idempotency,
    }


def test_results_bus_admits_the_producers_only(session: Session) -> None:
    outputs = stack(session)
    iam = aws_client("iam", session.endpoints, session.region)
    roles = {c: iam.get_role(RoleName=v["role_name"])["Role"]["Arn"] for c, v in outputs["consumers"].items()}
    events = aws_client("events", session.endpoints, session.region)
    policy = json.loads(events.describe_event_bus(Name=outputs["results_bus_name"])["Policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    deny = statements.pop("DenyOtherPublishers")
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "events:PutEvents"
    assert sorted(as_list(deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"])) == sorted(
        roles[name] for name in PUBLISHERS
    )
    allowed = {}
    for statement in statements.values():
        assert statement["Effect"] == "Allow" and statement["Resource"] == outputs["results_bus_arn"]
        condition = statement["Condition"]
        allowed[statement["Principal"]["AWS"]] = (
            as_list(condition["ForAllValues:StringEquals"]["events:source"]),
            sorted(as_list(condition["StringEquals"]["events:detail-type"])),
        )
    assert allowed == {roles[name]: ([PIPELINE_SOURCE], sorted(types)) for name, types in PUBLISHERS.items()}
