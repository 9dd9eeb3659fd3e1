"""The event schema specification (schemas/) is well-formed, every example validates, the S3 events of the AWS
documentation validate, and what the pipeline's code produces validates. Invalid events are rejected."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from jsonschema import Draft202012Validator
from moto import mock_aws

from consumer_core.events import parse_s3_event
from metadata_extractor.extract import extract_metadata, summarise
from search_indexer.events import parse_index_event
from tests.support import index_events
from tests.support import schemas as spec
from tools import s3_events
from tools import testimages as images

OBJECT_REF = "image-pipeline/object-ref.v1.json"

# Verbatim from the S3 user guide, "EventBridge event message structure" (ev-events).
AWS_DOCS_OBJECT_CREATED = {
    "version": "0",
    "id": "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": "Object Created",
    "source": "aws.s3",
    "account": "111122223333",
    "time": "2021-11-12T00:00:00Z",
    "region": "ca-central-1",
    "resources": ["arn:aws:s3:::amzn-s3-demo-bucket1"],
    "detail": {
        "version": "0",
        "bucket": {"name": "amzn-s3-demo-bucket1"},
        "object": {
            "key": "example-key",
            "size": 5,
            "etag": "b1946ac92492d2347c6235b4d2611184",
            "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
            "sequencer": "617f08299329d189",
        },
        "request-id": "N4N7GDK58NMKJ12R",
        "requester": "123456789012",
        "source-ip-address": "1.2.3.4",
        "reason": "PutObject",
    },
}
AWS_DOCS_OBJECT_DELETED = {
    "version": "0",
    "id": "2ee9cc15-d022-99ea-1fb8-1b1bac4850f9",
    "detail-type": "Object Deleted",
    "source": "aws.s3",
    "account": "111122223333",
    "time": "2021-11-12T00:00:00Z",
    "region": "ca-central-1",
    "resources": ["arn:aws:s3:::amzn-s3-demo-bucket1"],
    "detail": {
        "version": "0",
        "bucket": {"name": "amzn-s3-demo-bucket1"},
        "object": {
            "key": "example-key",
            "etag": "d41d8cd98f00b204e9800998ecf8427e",
            "version-id": "1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF",
            "sequencer": "617f0837b476e463",
        },
        "request-id": "0BH729840619AG5K",
        "requester": "123456789012",
        "source-ip-address": "1.2.3.4",
        "reason": "DeleteObject",
        "deletion-type": "Delete Marker Created",
    },
}


def example_of(schema_path: Path) -> Path:
    return spec.EXAMPLES_DIR / schema_path.relative_to(spec.SCHEMAS_DIR)


@pytest.mark.parametrize("path", spec.schema_paths(), ids=lambda p: str(p.relative_to(spec.SCHEMAS_DIR)))
def test_schema_is_valid_draft_2020_12_with_id_matching_its_path_and_an_example(path: Path):
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/schemas/" + str(path.relative_to(spec.SCHEMAS_DIR)))
    assert path.name.endswith(".v1.json")
    assert example_of(path).is_file(), f"no example for {path}"


def test_every_event_type_has_a_schema_and_every_example_a_schema():
    assert set(spec.SCHEMA_FILES.values()) | {OBJECT_REF} == {
        str(p.relative_to(spec.SCHEMAS_DIR)) for p in spec.schema_paths()
    }
    for example in spec.example_paths():
        assert (spec.SCHEMAS_DIR / example.relative_to(spec.EXAMPLES_DIR)).is_file(), f"orphan example {example}"


@pytest.mark.parametrize("path", spec.schema_paths(), ids=lambda p: str(p.relative_to(spec.SCHEMAS_DIR)))
def test_example_validates(path: Path):
    example = json.loads(example_of(path).read_text())
    assert spec.errors(example, json.loads(path.read_text())) == []


def test_examples_are_accepted_by_the_indexer():
    """The specification and the consumer agree: every example event parses."""
    for detail_type, relative in spec.SCHEMA_FILES.items():
        event = json.loads((spec.EXAMPLES_DIR / relative).read_text())
        parsed = parse_index_event(event)
        assert parsed.detail_type == detail_type
        assert parsed.owner == "alice"


@pytest.mark.parametrize("event", [AWS_DOCS_OBJECT_CREATED, AWS_DOCS_OBJECT_DELETED], ids=["created", "deleted"])
def test_aws_documentation_examples_validate(event: dict[str, Any]):
    spec.validate_event(event)


def test_newer_aws_fields_are_admitted():
    # Later revisions of the AWS docs show detail.event-version and bucket.aws-generated-tags: the S3 schemas
    # are open, so AWS additions never break validation.
    event = copy.deepcopy(AWS_DOCS_OBJECT_CREATED)
    event["detail"]["event-version"] = "1.1"
    event["detail"]["bucket"]["aws-generated-tags"] = {"aws:cloudformation:logical-id": "S3DemoBucket"}
    spec.validate_event(event)


def test_test_builders_produce_valid_s3_events():
    spec.validate_event(s3_events.object_created("bkt-1", "uploads/alice/a b+c.jpg"))
    spec.validate_event(s3_events.object_deleted("bkt-1", "uploads/alice/a.jpg"))
    spec.validate_event(
        s3_events.object_deleted("bkt-1", "uploads/alice/a.jpg", deletion_type="Permanently Deleted", version_id=None)
    )


def test_moto_s3_events_are_outside_the_schema_but_accepted_by_the_indexer():
    """Decision: the schema is AWS's contract, not an emulator's. moto sends `eTag` and reason `ObjectCreated`;
    this test pins exactly those differences (so a moto change is noticed) and shows the parser tolerates them."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        events = boto3.client("events", region_name="us-east-1")
        s3.create_bucket(Bucket="bkt-1")
        s3.put_bucket_notification_configuration(
            Bucket="bkt-1", NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        queue = sqs.create_queue(QueueName="q")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="r", EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Created"]}))
        events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
        s3.put_object(Bucket="bkt-1", Key="uploads/alice/a.jpg", Body=b"x")
        message = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)["Messages"][0]
    event = json.loads(message["Body"])

    assert spec.errors(event) == [
        "detail/object: 'etag' is a required property",
        "detail/reason: 'ObjectCreated' is not one of ['PutObject', 'POST Object', 'CopyObject', "
        "'CompleteMultipartUpload']",
    ]
    parsed = parse_index_event(event)
    assert (parsed.key, parsed.owner, parsed.etag) == (
        "uploads/alice/a.jpg",
        "alice",
        event["detail"]["object"]["eTag"],
    )


def test_object_ref_built_by_consumer_core_validates():
    obj = parse_s3_event(s3_events.object_created("bkt-1", "uploads/alice/a b+c.jpg")).object_ref()
    assert spec.errors(obj, spec.load_schema_file(OBJECT_REF)) == []
    unversioned = parse_s3_event(s3_events.object_created("bkt-1", "uploads/alice/a.jpg", version_id=None))
    assert spec.errors(unversioned.object_ref(), spec.load_schema_file(OBJECT_REF)) == []


@pytest.mark.parametrize(
    "data",
    [images.metadata_jpeg(), images.rgba_png(), images.animated_gif(), images.png16()],
    ids=["exif-jpeg", "rgba-png", "animated-gif", "png16"],
)
def test_metadata_summary_from_real_images_validates(data: bytes):
    metadata = summarise(extract_metadata(data, include_gps_coordinates=True))
    obj = parse_s3_event(s3_events.object_created("bkt-1", "uploads/alice/a.jpg")).object_ref()
    event = index_events.domain_event(
        "Image Metadata Extracted", {"object": obj, "metadata_key": "metadata/x/v/metadata.json", "metadata": metadata}
    )
    spec.validate_event(event)


def _example(detail_type: str) -> dict[str, Any]:
    return json.loads((spec.EXAMPLES_DIR / spec.SCHEMA_FILES[detail_type]).read_text())


def _broken(detail_type: str, path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    event = _example(detail_type)
    target = event
    for part in path[:-1]:
        target = target[part]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return event


_DELETE = object()


@pytest.mark.parametrize(
    ("detail_type", "path", "value", "expected"),
    [
        ("Thumbnails Generated", ("detail", "schema_version"), "2.0", "does not match"),
        ("Thumbnails Generated", ("detail", "thumbnails"), [], "should be non-empty"),
        ("Thumbnails Generated", ("detail", "object", "sequencer"), _DELETE, "'sequencer' is a required property"),
        ("Thumbnails Generated", ("detail", "object", "sequencer"), "not-hex", "does not match"),
        ("Thumbnails Generated", ("detail", "object", "event_time"), "yesterday", "is not a 'date-time'"),
        ("Thumbnails Generated", ("source",), "aws.s3", "'image-pipeline' was expected"),
        ("Image Metadata Extracted", ("detail", "metadata", "sha256"), "ABC", "does not match"),
        ("Image Metadata Extracted", ("detail", "metadata", "gps"), {"latitude": 1.0}, "should not be valid"),
        ("Image Rejected", ("detail", "reason"), "Corrupt Image", "does not match"),
        ("Image Rejected", ("detail", "consumer"), _DELETE, "'consumer' is a required property"),
        ("Object Created", ("detail", "object", "sequencer"), _DELETE, "'sequencer' is a required property"),
        ("Object Deleted", ("detail", "deletion-type"), "Soft", "is not one of"),
    ],
)
def test_invalid_events_are_rejected(detail_type: str, path: tuple[Any, ...], value: Any, expected: str):
    problems = spec.errors(_broken(detail_type, path, value))
    assert len(problems) == 1 and expected in problems[0], problems


def test_domain_event_builders_used_by_the_index_tests_validate():
    obj = index_events.object_ref(
        "bkt-1", "uploads/alice/a.jpg", version_id=None, sequencer="0A", event_time="2026-11-27T10:00:00Z", etag=None
    )
    spec.validate_event(index_events.thumbnails_generated(obj, {256: "thumbnails/x/v/256.webp"}))
    spec.validate_event(index_events.metadata_extracted(obj, "metadata/x/v/metadata.json", "a" * 64))
    spec.validate_event(index_events.image_rejected(obj, "image_resizer", "corrupt_image"))


def test_the_thumbnail_format_enum_is_the_resizers_output_formats() -> None:
    from image_resizer.spec import OUTPUT_FORMATS

    schema = json.loads((spec.SCHEMAS_DIR / "image-pipeline" / "thumbnails-generated.v1.json").read_text())
    found = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "format" in node.get("properties", {}) and "enum" in node["properties"]["format"]:
                found.append(node["properties"]["format"]["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert [sorted(enum) for enum in found] == [sorted(OUTPUT_FORMATS)]
