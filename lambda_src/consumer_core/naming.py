"""Deterministic S3 keys for what consumers derive from an upload (thumbnails, metadata documents).

Layout: `<output prefix><sha256(source key)[:32]>/<version id or ETag>/<leaf>`.
The source key is hashed so derived keys have a fixed length whatever the upload key (S3 allows 1,024 bytes,
the prefix and suffix would overflow it) and contain no characters that need escaping in URLs. Everything
derived from one source key shares one prefix, so deleting an upload can remove all of it with one listing.
"""

from __future__ import annotations

import hashlib
import re

_SAFE_TOKEN = re.compile(r"[^A-Za-z0-9._=-]")


def source_key_digest(source_key: str) -> str:
    return hashlib.sha256(source_key.encode("utf-8")).hexdigest()[:32]


def derived_prefix(output_prefix: str, source_key: str) -> str:
    """The prefix holding every version's derived objects of one source key."""
    return f"{output_prefix}{source_key_digest(source_key)}/"


def version_token(version_id: str | None, etag: str | None, sequencer: str | None = None) -> str:
    """Which version of a source key derived objects belong to: its version id, else its ETag (unversioned
    buckets), else the event's sequencer."""
    return version_id or etag or sequencer or "unversioned"


def version_prefix(output_prefix: str, source_key: str, token: str) -> str:
    """The prefix holding the derived objects of one version of a source key."""
    # Version ids and ETags are URL-safe in practice; anything else is replaced so keys stay predictable.
    safe = _SAFE_TOKEN.sub("_", token) or "unversioned"
    return f"{derived_prefix(output_prefix, source_key)}{safe}/"


def derived_key(output_prefix: str, source_key: str, token: str, leaf: str) -> str:
    return f"{version_prefix(output_prefix, source_key, token)}{leaf}"
