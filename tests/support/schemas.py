"""Validate events against the JSON Schemas in schemas/ (tests and tools only: Lambda code never imports
jsonschema). `$ref`s between schema files resolve through their `$id`s, offline."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
EXAMPLES_DIR = SCHEMAS_DIR / "examples"

# detail-type -> schema file (relative to schemas/), for major version 1.
SCHEMA_FILES = {
    "Object Created": "s3/object-created.v1.json",
    "Object Deleted": "s3/object-deleted.v1.json",
    "Thumbnails Generated": "image-pipeline/thumbnails-generated.v1.json",
    "Image Metadata Extracted": "image-pipeline/image-metadata-extracted.v1.json",
    "Image Rejected": "image-pipeline/image-rejected.v1.json",
    "Reprocess Requested": "image-pipeline/reprocess-requested.v1.json",
}
# Definitions the event schemas share ($ref), with examples of their own.
SHARED_DEFINITIONS = {"image-pipeline/object-ref.v1.json", "image-pipeline/reprocess-mark.v1.json"}


def schema_paths() -> list[Path]:
    return sorted(p for p in SCHEMAS_DIR.rglob("*.json") if EXAMPLES_DIR not in p.parents)


def example_paths() -> list[Path]:
    return sorted(EXAMPLES_DIR.rglob("*.json"))


@cache
def _registry() -> Registry:
    resources = []
    for path in schema_paths():
        document = json.loads(path.read_text())
        resources.append((document["$id"], Resource.from_contents(document)))
    return Registry().with_resources(resources)


def load_schema(detail_type: str) -> dict[str, Any]:
    """The schema of an event type, e.g. load_schema("Object Created")."""
    return load_schema_file(SCHEMA_FILES[detail_type])


def load_schema_file(relative: str) -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / relative).read_text())


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())


def errors(event: dict[str, Any], schema: dict[str, Any] | None = None) -> list[str]:
    """Every violation, as 'path: message' (empty when valid). The schema is chosen by detail-type."""
    schema = schema or load_schema(event["detail-type"])
    found = sorted(validator(schema).iter_errors(event), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in found]


def validate_event(event: dict[str, Any]) -> None:
    """Raise AssertionError listing every violation of the event's schema."""
    problems = errors(event)
    assert not problems, f"{event.get('detail-type')} does not match its schema:\n" + "\n".join(problems)
