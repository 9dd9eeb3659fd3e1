"""metadata_extractor settings from the environment, validated once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from consumer_core.config import DEFAULT_METADATA_PREFIX, env_bool, output_prefix


@dataclass(frozen=True)
class ExtractorSettings:
    metadata_prefix: str
    include_gps_coordinates: bool


@lru_cache(maxsize=1)
def extractor_settings() -> ExtractorSettings:
    return ExtractorSettings(
        metadata_prefix=output_prefix("METADATA_PREFIX", DEFAULT_METADATA_PREFIX),
        # Off by default: an avatar's coordinates are where somebody lives.
        include_gps_coordinates=env_bool("INCLUDE_GPS_COORDINATES", False),
    )
