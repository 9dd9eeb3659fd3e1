"""The AWS side of the upload API: a presigned POST for a new key, the caller's image record, a delete.

Every key comes from upload_api.keys (the server's layout in the caller's own folder); nothing the client sends
reaches S3 or DynamoDB except the content type (one of the accepted ones) and an image id (validated).
"""

from __future__ import annotations

import datetime
from typing import Any

from consumer_core.clients import client
from upload_api import signing
from upload_api.errors import ImageNotFound, TooLarge
from upload_api.keys import UploadKey, image_key, new_upload_key
from upload_api.settings import ApiSettings, api_settings

# The IAM actions each call needs (upload_api/permissions.py composes them; tests compare the deployed role).
IAM_ACTIONS = {
    # The presigned POST is signed with the function's role: S3 checks the role's s3:PutObject when the browser
    # posts the form, and the bucket policy lets only this role write to uploads/, only by POST.
    "presign_upload": frozenset({"s3:PutObject"}),
    "describe_image": frozenset({"dynamodb:GetItem", "s3:GetObject"}),  # the record; presigned thumbnail GETs
    "delete_image": frozenset({"s3:ListBucket", "s3:DeleteObject"}),  # does the key exist; the delete marker
}


def presign_upload(subject: str, content_type: str, declared_size: int | None = None) -> dict[str, Any]:
    """A presigned POST for a fresh key in the subject's folder; S3 enforces what the policy pins."""
    settings = api_settings()
    upload = new_upload_key(settings.upload_prefix, subject, content_type)
    if declared_size is not None and declared_size > settings.max_object_bytes:
        raise TooLarge(
            f"the file is {declared_size} bytes; uploads may be at most {settings.max_object_bytes} bytes",
            max_bytes=settings.max_object_bytes,
        )
    return {
        "id": upload.image_id,
        "key": upload.key,
        "content_type": upload.content_type,
        "max_bytes": settings.max_object_bytes,
        "expires_at": _in(settings.upload_expires_s),
        "upload": presigned_post(settings, upload),
    }


def presigned_post(settings: ApiSettings, upload: UploadKey) -> dict[str, Any]:
    """{url, fields}: the form a browser posts with the file as its last field. The policy pins the bucket and
    the key (boto3 adds both), the exact Content-Type, 1 byte to max_object_bytes, and a short expiry."""
    post: dict[str, Any] = signing.s3().generate_presigned_post(
        Bucket=settings.bucket,
        Key=upload.key,
        Fields={"Content-Type": upload.content_type},
        Conditions=[
            {"Content-Type": upload.content_type},
            ["content-length-range", 1, settings.max_object_bytes],
        ],
        ExpiresIn=settings.upload_expires_s,
    )
    return {"url": post["url"], "fields": post["fields"]}


def describe_image(subject: str, image_id: str) -> dict[str, Any]:
    """The caller's image: status, metadata summary, thumbnails with URLs; rejections with their reasons."""
    settings = api_settings()
    key = image_key(settings.upload_prefix, subject, image_id)
    if not settings.search_index_table:
        raise ImageNotFound("this API has no search index to read images from")
    from boto3.dynamodb.types import TypeDeserializer

    from search_indexer.layout import item_pk
    from search_indexer.record import to_record

    item = (
        client("dynamodb")
        .get_item(
            TableName=settings.search_index_table,
            Key={"pk": {"S": item_pk(settings.bucket, key)}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    deserialize = TypeDeserializer().deserialize
    record = to_record({name: deserialize(value) for name, value in item.items()} if item else None)
    if record is None:
        raise ImageNotFound(f"no image {image_id} (yet): it is indexed a moment after its upload")
    return {
        "id": image_id,
        "status": record["status"],
        "content_type": record.get("content_type"),
        "size": record.get("size"),
        "uploaded_at": record.get("uploaded_at"),
        "metadata": record.get("metadata"),
        "rejections": record.get("rejections") or {},
        "thumbnails": [
            {
                "width": t.get("width"),
                "height": t.get("height"),
                "format": t.get("format"),
                "bytes": t.get("bytes"),
                "url": thumbnail_url(settings, t["key"]),
            }
            for t in record.get("thumbnails") or []
        ],
    }


def thumbnail_url(settings: ApiSettings, key: str) -> str:
    if settings.thumbnail_domain:
        from urllib.parse import quote

        return f"https://{settings.thumbnail_domain}/{quote(key)}"
    url: str = signing.s3().generate_presigned_url(
        "get_object", Params={"Bucket": settings.bucket, "Key": key}, ExpiresIn=settings.thumbnail_url_expires_s
    )
    return url


def delete_image(subject: str, image_id: str) -> None:
    """Deletes the caller's upload (a delete marker: the search indexer then deletes everything derived)."""
    settings = api_settings()
    key = image_key(settings.upload_prefix, subject, image_id)
    s3 = signing.s3()
    listed = s3.list_objects_v2(Bucket=settings.bucket, Prefix=key, MaxKeys=1).get("Contents") or []
    if not listed or listed[0]["Key"] != key:
        raise ImageNotFound(f"no image {image_id}")
    s3.delete_object(Bucket=settings.bucket, Key=key)


def _in(seconds: int) -> str:
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


__all__ = ["IAM_ACTIONS", "delete_image", "describe_image", "presign_upload", "presigned_post", "thumbnail_url"]
