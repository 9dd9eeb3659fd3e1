"""Shared fixtures: an in-process moto AWS with the pipeline's resources, and a Lambda context."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Handlers read these at first use; tests never talk to real AWS.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ImagePipelineTest")
for _name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
    os.environ[_name] = "testing"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """moto for every AWS service, with the pipeline's bucket, tables, DLQ and results bus created."""
    from moto import mock_aws

    from tools.moto_pipeline import clear_process_caches, create_pipeline_resources, environment

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        clear_process_caches()
        resources = create_pipeline_resources()
        for name, value in environment(resources).items():
            monkeypatch.setenv(name, value)
        yield resources
    clear_process_caches()


@pytest.fixture
def lambda_context():
    from tools.lambda_context import LambdaContext

    return LambdaContext()
