"""S3 I/O for consumers: bounded downloads, uploads with headers, bulk deletes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from consumer_core.clients import client
from consumer_core.errors import PermanentError, client_error_code

# The IAM actions each function here needs (a consumer's permissions.py names the ones it uses; an integration
# test compares them with the deployed roles).
IAM_ACTIONS: dict[str, frozenset[str]] = {
    # ListBucketVersions (under the upload's own key): to tell a missing upload from a forbidden one (below).
    "get_object_bytes": frozenset({"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucketVersions"}),
    "put_object": frozenset({"s3:PutObject"}),
    "put_objects": frozenset({"s3:PutObject"}),
    "delete_every_version": frozenset({"s3:ListBucketVersions", "s3:DeleteObjectVersion"}),
    "current_version": frozenset({"s3:ListBucketVersions"}),
}


def get_object_bytes(bucket: str, key: str, version_id: str | None, max_bytes: int, etag: str | None = None) -> bytes:
    """Download one object version, refusing to read more than `max_bytes` (the event's size can be absent).

    Unversioned objects are pinned by ETag (If-Match), so an overwrite between the event and the read is
    reported as `object_not_found` instead of silently processing other bytes under the old identity. S3 answers
    a read of a missing key with 403, not 404, unless the caller may list the whole bucket; then the key's
    versions are listed (a permission scoped to the upload prefix), and a version that is not there is
    `object_not_found` rather than an access error retried until its retries run out.
    """
    params: dict[str, str] = {"Bucket": bucket, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    elif etag:
        params["IfMatch"] = f'"{etag}"'
    try:
        response = client("s3").get_object(**params)
    except Exception as exc:
        if client_error_code(exc) == "AccessDenied" and not _version_listed(bucket, key, version_id, etag):
            raise PermanentError("object_not_found", "object is gone: no such version is listed") from exc
        raise
    length = response.get("ContentLength")
    body = response["Body"]
    try:
        if length is not None and length > max_bytes:
            raise PermanentError("object_too_large", f"object has {length} bytes, limit is {max_bytes}")
        data = bytes(body.read(max_bytes + 1))
    finally:
        body.close()
    if len(data) > max_bytes:
        raise PermanentError("object_too_large", f"object has more than {max_bytes} bytes")
    return data


def put_object(bucket: str, key: str, body: bytes, content_type: str, cache_control: str | None = None) -> None:
    params: dict[str, object] = {"Bucket": bucket, "Key": key, "Body": body, "ContentType": content_type}
    if cache_control:
        params["CacheControl"] = cache_control
    client("s3").put_object(**params)


def put_objects(bucket: str, objects: list[tuple[str, bytes, str]], cache_control: str | None = None) -> None:
    """Upload (key, body, content type) triples at the same time: one wait for all of them, not one each."""
    from consumer_core import concurrency

    concurrency.run_all(
        lambda key, body, content_type: put_object(bucket, key, body, content_type, cache_control),
        [(key, body, content_type) for key, body, content_type in objects],
    )


def delete_every_version(bucket: str, keys: Iterable[str]) -> set[str]:
    """Delete every version (and delete marker) of each key, so nothing of it stays readable; returns the keys.
    Versions are found by listing each key's folder (derived keys of one upload version share one; the folders at
    the same time), 1,000 per DeleteObjects request. Keys that no longer exist count as deleted."""
    from consumer_core import concurrency

    wanted = set(keys)
    s3 = client("s3")

    def versions_in(folder: str) -> list[dict[str, str]]:
        found = []
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=folder):
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if entry["Key"] in wanted:
                    found.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
        return found

    # The folders (thumbnails, metadata) are listed at the same time: one wait, not one each.
    folders = sorted({key.rpartition("/")[0] + "/" for key in wanted})
    targets = [entry for found in concurrency.run_all(versions_in, [(f,) for f in folders]) for entry in found]
    for start in range(0, len(targets), 1000):
        chunk = targets[start : start + 1000]
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
        errors = response.get("Errors") or []
        if errors:
            first = errors[0]
            raise RuntimeError(
                f"could not delete {len(errors)} object versions, first: {first.get('Key')}: {first.get('Code')}"
            )
    return wanted


def _version_listed(bucket: str, key: str, version_id: str | None, etag: str | None) -> bool:
    """Whether S3 lists `key` at that version (or, unversioned, with that ETag and no delete marker on top)."""
    if not version_id:
        current = current_version(bucket, key)
        return current is not None and (not etag or str(current.get("ETag", "")).strip('"') == etag)
    paginator = client("s3").get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=key):
        if any(v["Key"] == key and v.get("VersionId") == version_id for v in page.get("Versions", [])):
            return True
    return False


def current_version(bucket: str, key: str) -> dict[str, Any] | None:
    """The version S3 serves for `key` now ({VersionId, ETag, Size, LastModified}), or None when nothing is (no
    version left, or a delete marker on top). Read by listing the key's versions: HeadObject would answer 403, not
    404, for a missing key without the whole bucket's s3:ListBucket."""
    paginator = client("s3").get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=key):
        for marker in page.get("DeleteMarkers", []):
            if marker["Key"] == key and marker.get("IsLatest"):
                return None
        for version in page.get("Versions", []):
            if version["Key"] == key and version.get("IsLatest"):
                return dict(version)
    return None
