"""SnapStart runtime hooks: before the snapshot, do the work every first request would pay for (boto3, the
clients, the signer's first presign), so a restored environment answers at once.

Registered through `snapshot_restore_py`, which Lambda's Python runtimes (3.12+) provide; elsewhere (tests,
the emulator, a function without SnapStart) registering is a no-op and the same work happens on first use.
Nothing unique is made before the snapshot: keys are `uuid4()` per request (os.urandom, fresh after restore),
and credentials come from the container credentials endpoint that SnapStart functions use.
"""

from __future__ import annotations

from consumer_core.clients import client
from upload_api import signing


def warm_up() -> None:
    """Create the clients and sign once, with no network call (boto3 presigns locally)."""
    from upload_api.settings import api_settings

    s3 = signing.s3()
    s3.generate_presigned_post(Bucket=api_settings().bucket, Key="warm-up", ExpiresIn=60)
    s3.generate_presigned_url("get_object", Params={"Bucket": api_settings().bucket, "Key": "warm-up"}, ExpiresIn=60)
    if api_settings().search_index_table:
        client("dynamodb")
        from boto3.dynamodb.types import TypeDeserializer

        TypeDeserializer()


def register() -> bool:
    """Register warm_up to run before the snapshot; False where no SnapStart runtime is present."""
    try:
        from snapshot_restore_py import register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(warm_up)
    return True


__all__ = ["register", "warm_up"]
