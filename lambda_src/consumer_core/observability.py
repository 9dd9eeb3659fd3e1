"""Powertools logger, metrics and (lazily) tracer, shared by every module of a consumer."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

# Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE.
logger = Logger(use_rfc3339=True)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "ImagePipeline")


@lru_cache(maxsize=1)
def tracer() -> Tracer:
    # The Tracer pulls in the X-Ray SDK and patches botocore (~400 ms), so it is built on first use,
    # before the first AWS client, instead of at import.
    from aws_lambda_powertools import Tracer

    return Tracer()
