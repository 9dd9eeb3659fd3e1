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


def clear_process_caches() -> None:
    """Clients and settings are cached per process (as in Lambda); each test gets fresh ones."""
    from consumer_core import clients, config

    clients.client.cache_clear()
    clients.resource_table.cache_clear()
    config.core_settings.cache_clear()
    config.image_limits.cache_clear()
    from image_resizer.settings import resizer_settings
    from metadata_extractor.settings import extractor_settings
    from search_indexer.settings import indexer_settings, output_prefixes

    resizer_settings.cache_clear()
    extractor_settings.cache_clear()
    indexer_settings.cache_clear()
    output_prefixes.cache_clear()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """moto for every AWS service, with the pipeline's bucket, tables, DLQ and results bus created."""
    from moto import mock_aws

    from tests.support.aws import create_pipeline_resources

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        clear_process_caches()
        resources = create_pipeline_resources()
        monkeypatch.setenv("IDEMPOTENCY_TABLE", resources.idempotency_table)
        monkeypatch.setenv("DLQ_URL", resources.dlq_url)
        monkeypatch.setenv("RESULTS_BUS_NAME", resources.results_bus)
        monkeypatch.setenv("SEARCH_INDEX_TABLE", resources.search_index_table)
        yield resources
    clear_process_caches()


@pytest.fixture
def lambda_context():
    from tests.support.lambda_context import LambdaContext

    return LambdaContext()
