"""S3 I/O for consumers: bounded downloads, uploads with headers, bulk deletes."""

from __future__ import annotations

from collections.abc import Iterable

from consumer_core.clients import client
from consumer_core.errors import PermanentError


def get_object_bytes(bucket: str, key: str, version_id: str | None, max_bytes: int, etag: str | None = None) -> bytes:
    """Download one object version, refusing to read more than `max_bytes` (the event's size can be absent).

    Unversioned objects are pinned by ETag (If-Match), so an overwrite between the event and the read is
    reported as `object_not_found` instead of silently processing other bytes under the old identity.
    """
    params: dict[str, str] = {"Bucket": bucket, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    elif etag:
        params["IfMatch"] = f'"{etag}"'
    response = client("s3").get_object(**params)
    length = response.get("ContentLength")
    body = response["Body"]
    try:
        if length is not None and length > max_bytes:
            raise PermanentError("object_too_large", f"object has {length} bytes, limit is {max_bytes}")
        data = body.read(max_bytes + 1)
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


def delete_objects(bucket: str, keys: Iterable[str]) -> list[str]:
    """Delete keys (1,000 per request); returns the keys deleted. Missing keys count as deleted (S3 semantics)."""
    unique = sorted(set(keys))
    deleted: list[str] = []
    for start in range(0, len(unique), 1000):
        chunk = unique[start : start + 1000]
        response = client("s3").delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
        )
        errors = response.get("Errors") or []
        if errors:
            first = errors[0]
            raise RuntimeError(
                f"could not delete {len(errors)} objects, first: {first.get('Key')}: {first.get('Code')}"
            )
        deleted.extend(chunk)
    return deleted
