"""The S3 client the API signs with: SigV4 always (botocore may presign with the deprecated SigV2 in us-east-1,
which S3 refuses for buckets created since 2020), created once, on first use or in the SnapStart hook."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def s3() -> Any:
    # The tracer first, so that X-Ray's botocore patching applies (as consumer_core.clients does).
    from consumer_core.observability import tracer

    tracer()
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(signature_version="s3v4", retries={"mode": "standard", "max_attempts": 3}))


__all__ = ["s3"]
