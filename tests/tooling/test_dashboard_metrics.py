"""The metric catalogue the dashboard test relies on (tests/support/metric_catalogue.py): it finds what the code
emits, and it refuses a dashboard naming anything else. The deployed dashboard itself is checked in
tests/integration/test_dashboard.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.metric_catalogue import Emitted, dashboard_problems, emitted_metrics, metric_refs

NAMESPACE = "ImagePipeline"
FUNCTIONS = {"p-image-resizer", "p-search-indexer"}
QUEUES = {"p-image-resizer-buffer", "p-image-resizer-dlq"}


def test_the_scan_finds_each_kind_of_emission_and_who_emits_it(tmp_path: Path) -> None:
    (tmp_path / "consumer_core").mkdir()
    (tmp_path / "image_resizer").mkdir()
    (tmp_path / "consumer_core" / "runtime.py").write_text(
        "SHARED = 'Shared'\n"
        "metrics.add_metric(name=SHARED, unit='Count', value=1)\n"
        "with single_metric(name='ByReason', unit='Count', value=1) as m:\n"
        "    m.add_dimension(name='service', value='x')\n"
        "    m.add_dimension(name='reason', value='y')\n"
        "entry = metrics.log_metrics(entry, capture_cold_start_metric=True)\n"
    )
    (tmp_path / "image_resizer" / "service.py").write_text("metrics.add_metric(name='Own', unit='Count', value=1)\n")

    found = emitted_metrics(tmp_path)

    everyone = frozenset({"image_resizer", "metadata_extractor", "search_indexer"})
    assert found == {
        "Shared": Emitted("Shared", frozenset({"service"}), everyone),
        "ByReason": Emitted("ByReason", frozenset({"service", "reason"}), everyone),
        "ColdStart": Emitted("ColdStart", frozenset({"function_name", "service"}), everyone),
        "Own": Emitted("Own", frozenset({"service"}), frozenset({"image_resizer"})),
    }


def test_the_scan_of_lambda_src_sees_the_runtime_s_and_the_consumers_own_metrics() -> None:
    found = emitted_metrics()
    assert {"Processed", "Rejected", "Duplicates", "ProcessingTime", "RejectedByReason"} <= set(found)
    assert found["RejectedByReason"].dimensions == {"service", "reason"}
    assert found["UploadToThumbnailsLatency"].consumers == {"image_resizer"}
    assert found["OutputsDeleted"].consumers == {"search_indexer"}


def test_a_metric_name_the_scan_cannot_read_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "image_resizer").mkdir()
    (tmp_path / "image_resizer" / "app.py").write_text("metrics.add_metric(name=make_name(), unit='Count', value=1)\n")
    with pytest.raises(AssertionError, match="cannot read"):
        emitted_metrics(tmp_path)


def widget(*metrics: list[Any]) -> dict[str, Any]:
    return {"type": "metric", "properties": {"title": "w", "region": "us-east-1", "metrics": list(metrics)}}


CATALOGUE = {
    "Processed": Emitted("Processed", frozenset({"service"}), frozenset({"image_resizer", "search_indexer"})),
    "Latency": Emitted("Latency", frozenset({"service"}), frozenset({"image_resizer"})),
    "ByReason": Emitted("ByReason", frozenset({"service", "reason"}), frozenset({"image_resizer"})),
}


def problems(*metrics: list[Any]) -> list[str]:
    body = {"widgets": [{"type": "text", "properties": {"markdown": "x"}}, widget(*metrics)]}
    return dashboard_problems(body, namespace=NAMESPACE, functions=FUNCTIONS, queues=QUEUES, emitted=CATALOGUE)


def test_a_dashboard_of_emitted_and_published_metrics_passes() -> None:
    search = "SEARCH('{ImagePipeline,reason,service} MetricName=\"ByReason\" service=\"image_resizer\"', 'Sum', 60)"
    assert (
        problems(
            [NAMESPACE, "Processed", "service", "search_indexer", {"stat": "Sum"}],
            [NAMESPACE, "Latency", "service", "image_resizer"],
            [{"expression": search, "id": "e1"}],
            ["AWS/Lambda", "Duration", "FunctionName", "p-image-resizer", {"stat": "p99"}],
            ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "p-image-resizer-buffer"],
        )
        == []
    )


@pytest.mark.parametrize(
    ("metric", "complaint"),
    [
        ([NAMESPACE, "Processd", "service", "image_resizer"], "emits no metric"),
        ([NAMESPACE, "Processed", "FunctionName", "p-image-resizer"], "emitted with dimensions"),
        ([NAMESPACE, "Latency", "service", "search_indexer"], "emitted only by"),
        (["AWS/Lambda", "Duration", "FunctionName", "someone-elses-function"], "not a resource of this stack"),
        (["AWS/Lambda", "Durations", "FunctionName", "p-image-resizer"], "publishes no"),
        (["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "q", "Other", "x"], "named by QueueName alone"),
        (["ImagePipelineTypo", "Processed", "service", "image_resizer"], "namespace"),
        ([{"expression": "SEARCH('{ImagePipeline,service} MetricName=\"ByReason\"', 'Sum', 60)"}], "dimensions"),
    ],
)
def test_anything_else_is_refused(metric: list[Any], complaint: str) -> None:
    (problem,) = problems(metric)
    assert complaint in problem


def test_shorthand_entries_are_refused_not_guessed() -> None:
    with pytest.raises(AssertionError, match="shorthand"):
        metric_refs({"widgets": [widget([NAMESPACE, "Processed", "service", "a"], [".", "Rejected", ".", "."])]})


def test_the_contracts_list_exactly_the_metrics_the_code_emits() -> None:
    import re

    from tests.support.metric_catalogue import CONSUMERS, ROOT

    text = (ROOT / "docs" / "contracts.md").read_text()
    table = text.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    documented = {
        name: (frozenset(CONSUMERS) if by == "every consumer" else frozenset({by}), frozenset(dims.split(", ")))
        for name, by, dims in re.findall(r"^\| `(\w+)` \| ([\w ]+) \| ([\w, ]+) \|", table, re.MULTILINE)
    }
    assert documented == {m.name: (m.consumers, m.dimensions) for m in emitted_metrics().values()}
