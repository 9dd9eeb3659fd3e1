"""Event sources and detail types of the pipeline, in one place (Terraform's rules and the results bus policy
use the same strings; tests/terraform keeps them equal)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

S3_SOURCE = "aws.s3"
OBJECT_CREATED = "Object Created"
OBJECT_DELETED = "Object Deleted"
S3_DETAIL_TYPES = frozenset({OBJECT_CREATED, OBJECT_DELETED})

# The pipeline's own domain events, published on its results bus.
PIPELINE_SOURCE = "image-pipeline"
THUMBNAILS_GENERATED = "Thumbnails Generated"
METADATA_EXTRACTED = "Image Metadata Extracted"
IMAGE_REJECTED = "Image Rejected"
DOMAIN_DETAIL_TYPES = frozenset({THUMBNAILS_GENERATED, METADATA_EXTRACTED, IMAGE_REJECTED})
SCHEMA_VERSION = "1.0"

# Who may publish what on the results bus (IAM conditions on events:source and events:detail-type).
PUBLISHERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "image_resizer": (THUMBNAILS_GENERATED, IMAGE_REJECTED),
        "metadata_extractor": (METADATA_EXTRACTED, IMAGE_REJECTED),
    }
)

__all__ = [
    "DOMAIN_DETAIL_TYPES",
    "IMAGE_REJECTED",
    "METADATA_EXTRACTED",
    "OBJECT_CREATED",
    "OBJECT_DELETED",
    "PIPELINE_SOURCE",
    "PUBLISHERS",
    "S3_DETAIL_TYPES",
    "S3_SOURCE",
    "SCHEMA_VERSION",
    "THUMBNAILS_GENERATED",
]
