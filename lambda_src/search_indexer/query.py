"""Read side of the search index: one image by key, an owner's images newest first, duplicates by content hash.

CLI:  python -m search_indexer.query --table T owner <owner> [--limit N]
      python -m search_indexer.query --table T duplicates <sha256>
      python -m search_indexer.query --table T key s3://<bucket>/<key>      (or: key <key> --bucket B)
Prints JSON. AWS settings come from the environment (AWS_REGION, AWS_ENDPOINT_URL, credentials).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from search_indexer.layout import item_pk
from search_indexer.record import to_record
from search_indexer.table_schema import BY_CONTENT_HASH_INDEX, BY_OWNER_INDEX


def get_image(table: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """One image by bucket and key (strongly consistent); None when absent or deleted."""
    item = table.get_item(Key={"pk": item_pk(bucket, key)}, ConsistentRead=True).get("Item")
    return to_record(item)


def images_of_owner(table: Any, owner: str, *, limit: int | None = None) -> list[dict[str, Any]]:
    """An owner's images, newest upload first."""
    return _records(_query(table, BY_OWNER_INDEX, "owner", owner), limit)


def duplicates(table: Any, sha256: str, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Images whose bytes hash to sha256 (newest first)."""
    return _records(_query(table, BY_CONTENT_HASH_INDEX, "sha256", sha256.lower()), limit)


def _query(table: Any, index: str, attribute: str, value: str) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": "#a = :v",
        "ExpressionAttributeNames": {"#a": attribute},
        "ExpressionAttributeValues": {":v": value},
        "ScanIndexForward": False,
    }
    while True:
        page = table.query(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _records(items: Iterator[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        record = to_record(item)  # GSIs are sparse, so deleted items never appear; belt and braces
        if record is not None:
            out.append(record)
            if limit is not None and len(out) >= limit:
                break
    return out


def _parse_key(ref: str, bucket: str | None) -> tuple[str, str]:
    if ref.startswith("s3://"):
        found_bucket, _, key = ref[5:].partition("/")
        if found_bucket and key:
            return found_bucket, key
    if bucket:
        return bucket, ref
    raise SystemExit("key: give s3://<bucket>/<key>, or the key with --bucket")


def main(argv: list[str] | None = None, table: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search_indexer.query", description=__doc__.splitlines()[0])
    parser.add_argument("--table", required=True, help="search index table name")
    sub = parser.add_subparsers(dest="command", required=True)
    owner = sub.add_parser("owner", help="an owner's images, newest first")
    owner.add_argument("owner")
    owner.add_argument("--limit", type=int, default=None)
    dup = sub.add_parser("duplicates", help="images with this SHA-256")
    dup.add_argument("sha256")
    dup.add_argument("--limit", type=int, default=None)
    key = sub.add_parser("key", help="one image by key")
    key.add_argument("key", help="s3://<bucket>/<key>, or the key with --bucket")
    key.add_argument("--bucket", default=None)
    args = parser.parse_args(argv)

    if table is None:
        import boto3

        table = boto3.resource("dynamodb").Table(args.table)
    if args.command == "owner":
        result: Any = images_of_owner(table, args.owner, limit=args.limit)
    elif args.command == "duplicates":
        result = duplicates(table, args.sha256, limit=args.limit)
    else:
        result = get_image(table, *_parse_key(args.key, args.bucket))
        if result is None:
            print(json.dumps(None))
            return 1
    print(json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
