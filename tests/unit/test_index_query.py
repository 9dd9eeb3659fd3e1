"""Query module and CLI; the documented table schema; sequencer ordering and the key layout."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from search_indexer import sequencer
from search_indexer.index import apply_event
from search_indexer.layout import KeyLayoutError, item_pk, owner_of, split_pk
from search_indexer.query import main
from search_indexer.table_schema import TABLE_SCHEMA, create_table
from tests.support import index_events
from tools import s3_events

BUCKET = "pipeline-uploads"
_tables = itertools.count()
DOC = Path(__file__).resolve().parents[2] / "docs" / "search_index.md"


@pytest.fixture(scope="module")
def dynamodb():
    with mock_aws():
        yield boto3.resource("dynamodb", region_name="us-east-1")


@pytest.fixture
def table(dynamodb):
    name = f"search-index-{next(_tables)}"
    create_table(dynamodb.meta.client, name)
    table = dynamodb.Table(name)
    uploads = [
        ("uploads/alice/1.jpg", "2026-11-27T10:00:00Z", "a" * 64),
        ("uploads/alice/2.jpg", "2026-11-27T12:00:00Z", "b" * 64),
        ("uploads/alice/3.jpg", "2026-11-27T11:00:00Z", "a" * 64),
        ("uploads/bob/1.jpg", "2026-11-27T09:00:00Z", "a" * 64),
    ]
    for key, time, sha in uploads:
        created = s3_events.object_created(BUCKET, key, sequencer="0A", version_id=None)
        created["time"] = time
        apply_event(table, created)
        etag = created["detail"]["object"]["etag"]
        obj = index_events.object_ref(BUCKET, key, version_id=None, sequencer="0A", event_time=time, etag=etag)
        # Unversioned: outputs are named after the upload's ETag.
        apply_event(table, index_events.metadata_extracted(obj, index_events.metadata_key(key, obj["etag"]), sha))
    return table


def run(table, capsys, *args: str) -> tuple[int, object]:
    code = main(["--table", table.name, *args], table=table)
    return code, json.loads(capsys.readouterr().out)


def test_owner_lists_newest_first_with_limit(table, capsys):
    code, records = run(table, capsys, "owner", "alice")
    assert code == 0
    assert [r["key"] for r in records] == ["uploads/alice/2.jpg", "uploads/alice/3.jpg", "uploads/alice/1.jpg"]
    _, records = run(table, capsys, "owner", "alice", "--limit", "1")
    assert [r["key"] for r in records] == ["uploads/alice/2.jpg"]
    assert run(table, capsys, "owner", "carol") == (0, [])


def test_duplicates_by_content_hash_across_owners(table, capsys):
    _, records = run(table, capsys, "duplicates", "A" * 64)  # hashes are compared lower-case
    assert [r["key"] for r in records] == ["uploads/alice/3.jpg", "uploads/alice/1.jpg", "uploads/bob/1.jpg"]


def test_key_lookup_by_uri_or_bucket_option(table, capsys):
    code, record = run(table, capsys, "key", f"s3://{BUCKET}/uploads/bob/1.jpg")
    assert code == 0 and record["owner"] == "bob" and record["status"] == "processing"
    _, again = run(table, capsys, "key", "uploads/bob/1.jpg", "--bucket", BUCKET)
    assert again == record
    assert run(table, capsys, "key", f"s3://{BUCKET}/uploads/bob/none.jpg") == (1, None)


def test_deleted_image_disappears_from_every_query(table, capsys):
    apply_event(table, s3_events.object_deleted(BUCKET, "uploads/bob/1.jpg", sequencer="0B"))
    assert run(table, capsys, "owner", "bob") == (0, [])
    _, records = run(table, capsys, "duplicates", "a" * 64)
    assert "uploads/bob/1.jpg" not in [r["key"] for r in records]
    assert run(table, capsys, "key", f"s3://{BUCKET}/uploads/bob/1.jpg") == (1, None)


def test_documented_table_schema_is_the_one_the_code_uses():
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(), flags=re.S)
    documented = [json.loads(b) for b in blocks if '"KeySchema"' in b]
    assert documented == [TABLE_SCHEMA]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("617f08299329d189", "00617F08299329D189", 0),  # leading zeros and case do not matter
        ("9", "0A", -1),  # shorter is padded, not compared as text ("9" > "0A" as text)
        ("0055AED6DCD90281E5", "0055AED6DCD90281F0", -1),
        ("1000", "FFF", 1),
        ("0" * 30 + "1" * 64, "F" * 63, 1),  # 94 characters, 64 of them significant: within the stored width
    ],
)
def test_sequencer_comparison_follows_the_aws_rule(a: str, b: str, expected: int):
    assert sequencer.compare(a, b) == expected


@given(st.integers(0, 16**40), st.integers(0, 16**40), st.integers(0, 24), st.integers(0, 24))
def test_sequencer_order_is_numeric_order(x: int, y: int, pad_x: int, pad_y: int):
    a, b = "0" * pad_x + format(x, "x"), "0" * pad_y + format(y, "X")
    assert sequencer.compare(a, b) == (x > y) - (x < y)


@pytest.mark.parametrize("bad", [None, "", "12G4", "0x12", "1" * 65])
def test_malformed_sequencers_are_refused(bad):
    with pytest.raises(sequencer.SequencerError):
        sequencer.normalize(bad)


def test_key_layout():
    assert owner_of("uploads/alice/a/b.jpg") == "alice"
    assert owner_of("uploads/ü ser/+.png") == "ü ser"
    for key in ("uploads/alice", "uploads//a.jpg", "uploads/alice/", "thumbnails/alice/a.jpg", "a.jpg"):
        with pytest.raises(KeyLayoutError):
            owner_of(key)
    assert split_pk(item_pk("b-1", "uploads/a/x y.jpg")) == ("b-1", "uploads/a/x y.jpg")


def test_cli_runs_as_a_module_against_an_endpoint(tmp_path):
    """`python -m search_indexer.query` end to end: its own boto3 resource, settings from the environment."""
    import os
    import subprocess
    import sys

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "lambda_src"),
        }
        dynamodb = boto3.resource(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        create_table(dynamodb.meta.client, "cli-index")
        apply_event(dynamodb.Table("cli-index"), s3_events.object_created(BUCKET, "uploads/carol/x.jpg", sequencer="1"))
        command = [sys.executable, "-m", "search_indexer.query", "--table", "cli-index", "owner", "carol"]
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=True)
    finally:
        server.stop()
    assert [r["key"] for r in json.loads(result.stdout)] == ["uploads/carol/x.jpg"]


def test_terraform_shape_describes_the_same_table(dynamodb):
    from search_indexer.table_schema import terraform_shape

    shape = terraform_shape()
    name = f"search-index-{next(_tables)}"
    create_table(dynamodb.meta.client, name)
    described = dynamodb.meta.client.describe_table(TableName=name)["Table"]
    ttl = dynamodb.meta.client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert shape["hash_key"] == described["KeySchema"][0]["AttributeName"]
    assert shape["attribute"] == sorted(
        ({"name": a["AttributeName"], "type": a["AttributeType"]} for a in described["AttributeDefinitions"]),
        key=lambda a: a["name"],
    )
    assert [(g["name"], g["hash_key"], g["range_key"]) for g in shape["global_secondary_index"]] == sorted(
        (g["IndexName"], g["KeySchema"][0]["AttributeName"], g["KeySchema"][1]["AttributeName"])
        for g in described["GlobalSecondaryIndexes"]
    )
    assert shape["billing_mode"] == described["BillingModeSummary"]["BillingMode"]
    assert (ttl["AttributeName"], ttl["TimeToLiveStatus"]) == (shape["ttl"]["attribute_name"], "ENABLED")
