"""metadata_extractor settings from the environment, validated once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from consumer_core.config import env_bool


@dataclass(frozen=True)
class ExtractorSettings:
    metadata_prefix: str
    include_gps_coordinates: bool


@lru_cache(maxsize=1)
def extractor_settings() -> ExtractorSettings:
    upload_prefix = os.environ.get("UPLOAD_PREFIX", "uploads/")
    metadata_prefix = os.environ.get("METADATA_PREFIX", "metadata/")
    if not metadata_prefix or metadata_prefix.startswith(upload_prefix) or upload_prefix.startswith(metadata_prefix):
        # Outputs under the upload prefix would trigger the pipeline again, forever.
        raise ValueError(f"METADATA_PREFIX {metadata_prefix!r} must not overlap UPLOAD_PREFIX {upload_prefix!r}")
    return ExtractorSettings(
        metadata_prefix=metadata_prefix,
        # Off by default: an avatar's coordinates are where somebody lives.
        include_gps_coordinates=env_bool("INCLUDE_GPS_COORDINATES", False),
    )
