"""Key layout: uploads live under `uploads/<owner>/<path>`; the index item of an object is `s3://<bucket>/<key>`."""

from __future__ import annotations

from consumer_core.config import upload_prefix


class KeyLayoutError(ValueError):
    """The key is not under `uploads/<owner>/...` (the upload rule never sends such keys)."""


def owner_of(key: str) -> str:
    """The owner segment of `uploads/<owner>/<path>`; both segments must be non-empty."""
    prefix = upload_prefix()  # the root stack's `upload_prefix`; the rule only ever sends keys under it
    if not key.startswith(prefix):
        raise KeyLayoutError(f"key is not under {prefix!r}: {key!r}")
    owner, sep, rest = key[len(prefix) :].partition("/")
    if not owner or not sep or not rest:
        raise KeyLayoutError(f"key is not of the form uploads/<owner>/<path>: {key!r}")
    return owner


def item_pk(bucket: str, key: str) -> str:
    # The key is stored decoded, as S3 names it: no second encoding to get wrong.
    return f"s3://{bucket}/{key}"


def split_pk(pk: str) -> tuple[str, str]:
    if not pk.startswith("s3://") or "/" not in pk[5:]:
        raise ValueError(f"not an index key: {pk!r}")
    bucket, _, key = pk[5:].partition("/")
    return bucket, key
