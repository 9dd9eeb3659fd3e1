"""The search index table: key schema, GSIs and attribute names, shared by the code, the tests and Terraform.

docs/search_index.md embeds TABLE_SCHEMA verbatim; a unit test keeps the two equal.
"""

from __future__ import annotations

import copy
from typing import Any

PARTITION_KEY = "pk"  # "s3://<bucket>/<key>": one item per image (per S3 key), whatever its versions
TTL_ATTRIBUTE = "expires_at"  # set on tombstones only
BY_OWNER_INDEX = "by_owner"  # owner + uploaded_at: an owner's images, newest first
BY_CONTENT_HASH_INDEX = "by_content_hash"  # sha256 + uploaded_at: byte-identical images

TABLE_SCHEMA: dict[str, Any] = {
    "BillingMode": "PAY_PER_REQUEST",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "owner", "AttributeType": "S"},
        {"AttributeName": "uploaded_at", "AttributeType": "S"},
        {"AttributeName": "sha256", "AttributeType": "S"},
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "by_owner",
            "KeySchema": [
                {"AttributeName": "owner", "KeyType": "HASH"},
                {"AttributeName": "uploaded_at", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        },
        {
            "IndexName": "by_content_hash",
            "KeySchema": [
                {"AttributeName": "sha256", "KeyType": "HASH"},
                {"AttributeName": "uploaded_at", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        },
    ],
    "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
}


def create_table_kwargs(table_name: str) -> dict[str, Any]:
    """Arguments for DynamoDB CreateTable (TTL is a separate UpdateTimeToLive call, see ttl_kwargs)."""
    kwargs = {k: copy.deepcopy(v) for k, v in TABLE_SCHEMA.items() if k != "TimeToLiveSpecification"}
    kwargs["TableName"] = table_name
    return kwargs


def ttl_kwargs(table_name: str) -> dict[str, Any]:
    return {"TableName": table_name, "TimeToLiveSpecification": dict(TABLE_SCHEMA["TimeToLiveSpecification"])}


def create_table(dynamodb_client: Any, table_name: str) -> None:
    """Create the table as documented (tests and local tools; production uses Terraform)."""
    dynamodb_client.create_table(**create_table_kwargs(table_name))
    dynamodb_client.get_waiter("table_exists").wait(TableName=table_name)
    dynamodb_client.update_time_to_live(**ttl_kwargs(table_name))


def terraform_shape() -> dict[str, Any]:
    """TABLE_SCHEMA in the vocabulary of `aws_dynamodb_table` (as `terraform show -json` reports it), so a
    Terraform test can compare the module's table with the one the code expects."""
    return {
        "billing_mode": TABLE_SCHEMA["BillingMode"],
        "hash_key": PARTITION_KEY,
        "range_key": None,
        "attribute": sorted(
            ({"name": a["AttributeName"], "type": a["AttributeType"]} for a in TABLE_SCHEMA["AttributeDefinitions"]),
            key=lambda a: a["name"],
        ),
        "global_secondary_index": sorted(
            (
                {
                    "name": gsi["IndexName"],
                    "hash_key": gsi["KeySchema"][0]["AttributeName"],
                    "range_key": gsi["KeySchema"][1]["AttributeName"] if len(gsi["KeySchema"]) > 1 else None,
                    "projection_type": gsi["Projection"]["ProjectionType"],
                }
                for gsi in TABLE_SCHEMA["GlobalSecondaryIndexes"]
            ),
            key=lambda g: g["name"],
        ),
        "ttl": {"attribute_name": TTL_ATTRIBUTE, "enabled": True},
    }
