"""upload_api settings from the environment, read once (see docs/contracts.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from consumer_core.config import DEFAULT_MAX_OBJECT_BYTES, env_int, upload_prefix

# A presigned POST is a bearer credential for one key: it should outlive the upload it is made for, not more.
DEFAULT_UPLOAD_EXPIRES_S = 300
MAX_UPLOAD_EXPIRES_S = 3600
DEFAULT_THUMBNAIL_URL_EXPIRES_S = 900
MAX_THUMBNAIL_URL_EXPIRES_S = 43200


@dataclass(frozen=True)
class ApiSettings:
    bucket: str
    upload_prefix: str
    max_object_bytes: int
    upload_expires_s: int
    # GET /images/{id}: the search index (empty: the route answers 404 for every id) and how thumbnails are
    # linked: presigned GETs valid this long, or https://<thumbnail_domain>/<key> (a CloudFront distribution).
    search_index_table: str
    thumbnail_url_expires_s: int
    thumbnail_domain: str


def _bounded(name: str, default: int, maximum: int) -> int:
    value = env_int(name, default)
    if value > maximum:
        raise ValueError(f"environment variable {name} must be <= {maximum}, got {value}")
    return value


@lru_cache(maxsize=1)
def api_settings() -> ApiSettings:
    bucket = os.environ.get("UPLOAD_BUCKET", "").strip()
    if not bucket:
        raise RuntimeError("missing required environment variable: UPLOAD_BUCKET")
    domain = os.environ.get("THUMBNAIL_DOMAIN", "").strip().removeprefix("https://").rstrip("/")
    if "/" in domain:
        raise ValueError(f"THUMBNAIL_DOMAIN must be a host name such as d111111abcdef8.cloudfront.net, got {domain!r}")
    return ApiSettings(
        bucket=bucket,
        upload_prefix=upload_prefix(),
        max_object_bytes=env_int("MAX_OBJECT_BYTES", DEFAULT_MAX_OBJECT_BYTES),
        upload_expires_s=_bounded("UPLOAD_URL_EXPIRES_SECONDS", DEFAULT_UPLOAD_EXPIRES_S, MAX_UPLOAD_EXPIRES_S),
        search_index_table=os.environ.get("SEARCH_INDEX_TABLE", "").strip(),
        thumbnail_url_expires_s=_bounded(
            "THUMBNAIL_URL_EXPIRES_SECONDS", DEFAULT_THUMBNAIL_URL_EXPIRES_S, MAX_THUMBNAIL_URL_EXPIRES_S
        ),
        thumbnail_domain=domain,
    )


__all__ = ["ApiSettings", "api_settings"]
