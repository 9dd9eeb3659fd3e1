"""An in-memory stand-in for the boto3 DynamoDB Table calls the search index makes (get_item, put_item with its
two conditions, query on a GSI, scan), so property tests can apply thousands of events in seconds. Values go
through the same Decimal conversion the resource layer applies; test_index_apply.py runs the same code on moto."""

from __future__ import annotations

import copy
from typing import Any

from botocore.exceptions import ClientError

from search_indexer.dynamo_values import from_dynamo, to_dynamo
from search_indexer.table_schema import TABLE_SCHEMA


class MemoryTable:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self._indexes = {
            gsi["IndexName"]: (gsi["KeySchema"][0]["AttributeName"], gsi["KeySchema"][1]["AttributeName"])
            for gsi in TABLE_SCHEMA["GlobalSecondaryIndexes"]
        }

    def get_item(self, *, Key: dict[str, Any], ConsistentRead: bool = False) -> dict[str, Any]:
        item = self.items.get(Key["pk"])
        return {"Item": copy.deepcopy(item)} if item is not None else {}

    def put_item(self, *, Item: dict[str, Any], ConditionExpression: str, **kwargs: Any) -> None:
        current = self.items.get(Item["pk"])
        if ConditionExpression == "attribute_not_exists(pk)":
            ok = current is None
        else:
            assert ConditionExpression == "#rev = :rev", ConditionExpression
            ok = current is not None and current.get("rev") == kwargs["ExpressionAttributeValues"][":rev"]
        if not ok:
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "no"}}, "PutItem")
        self.items[Item["pk"]] = to_dynamo(from_dynamo(copy.deepcopy(Item)))

    def delete_item(self, *, Key: dict[str, Any]) -> None:
        self.items.pop(Key["pk"], None)

    def query(
        self, *, IndexName: str, ExpressionAttributeValues: dict[str, Any], ScanIndexForward: bool = True, **_: Any
    ) -> dict[str, Any]:
        hash_key, range_key = self._indexes[IndexName]
        value = ExpressionAttributeValues[":v"]
        found = [i for i in self.items.values() if i.get(hash_key) == value and range_key in i]
        found.sort(key=lambda i: i[range_key], reverse=not ScanIndexForward)
        return {"Items": copy.deepcopy(found)}

    def scan(self, **_: Any) -> dict[str, Any]:
        return {"Items": copy.deepcopy(sorted(self.items.values(), key=lambda i: i["pk"]))}
