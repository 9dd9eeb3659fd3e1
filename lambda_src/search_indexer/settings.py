"""search_indexer settings from the environment, validated once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from consumer_core.config import DEFAULT_METADATA_PREFIX, DEFAULT_THUMBNAIL_PREFIX, output_prefix


@dataclass(frozen=True)
class OutputPrefixes:
    """Where the image consumers write: the only keys the indexer accepts in events and ever deletes."""

    thumbnails: str
    metadata: str


@dataclass(frozen=True)
class IndexerSettings:
    table: str
    outputs: OutputPrefixes


@lru_cache(maxsize=1)
def output_prefixes() -> OutputPrefixes:
    return OutputPrefixes(
        output_prefix("THUMBNAIL_PREFIX", DEFAULT_THUMBNAIL_PREFIX),
        output_prefix("METADATA_PREFIX", DEFAULT_METADATA_PREFIX),
    )


@lru_cache(maxsize=1)
def indexer_settings() -> IndexerSettings:
    table = os.environ.get("SEARCH_INDEX_TABLE", "")
    if not table:
        raise RuntimeError("missing required environment variable: SEARCH_INDEX_TABLE")
    return IndexerSettings(table=table, outputs=output_prefixes())
