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
# 1.1: the optional `reprocess` block of results produced by a reprocess run (schemas/README.md).
SCHEMA_VERSION = "1.1"

# What the reprocess workflow sends to the consumers' buffer queues (never put on a bus): one upload of a run.
REPROCESS_REQUESTED = "Reprocess Requested"

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
    "REPROCESS_REQUESTED",
    "S3_DETAIL_TYPES",
    "S3_SOURCE",
    "SCHEMA_VERSION",
    "THUMBNAILS_GENERATED",
]
