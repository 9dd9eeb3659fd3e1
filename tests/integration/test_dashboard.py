"""The dashboard the stack deploys (dashboard.tf), read back from the emulator: every metric it names is one the
code emits (tests/support/metric_catalogue.py reads lambda_src) or AWS publishes for this stack's resources, and
each consumer's row shows what issue 10 asks for."""

from __future__ import annotations

import json

import pytest

from tests.support.metric_catalogue import dashboard_problems, emitted_metrics, metric_refs
from tools.emulator.discovery import aws_client
from tools.emulator.localstack import LocalStackSession
from tools.emulator.session import EmulatorSession

Session = EmulatorSession | LocalStackSession

pytestmark = pytest.mark.integration


def test_every_metric_on_the_dashboard_is_emitted_or_published(session: Session) -> None:
    outputs = session.outputs["reference"]
    body = json.loads(
        aws_client("cloudwatch", session.endpoints, session.region).get_dashboard(
            DashboardName=outputs["dashboard_name"]
        )["DashboardBody"]
    )
    lam = aws_client("lambda", session.endpoints, session.region)
    environments = {
        consumer: lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
        for consumer, name in outputs["function_names"].items()
    }
    # The `service` dimension of the consumers' metrics is POWERTOOLS_SERVICE_NAME; the namespace is theirs too.
    assert {c: env["POWERTOOLS_SERVICE_NAME"] for c, env in environments.items()} == {c: c for c in environments}
    (namespace,) = {env["POWERTOOLS_METRICS_NAMESPACE"] for env in environments.values()}
    queues = {url.rsplit("/", 1)[-1] for kind in ("buffer_queue_urls", "dlq_urls") for url in outputs[kind].values()}

    problems = dashboard_problems(
        body,
        namespace=namespace,
        functions=set(outputs["function_names"].values()),
        queues=queues,
        emitted=emitted_metrics(),
    )
    assert problems == []

    shown = {
        (ref.namespace, ref.name, tuple(sorted((k, v) for k, v in ref.dimensions.items() if v)))
        for ref in metric_refs(body)
    }
    for consumer, function in outputs["function_names"].items():
        buffer = outputs["buffer_queue_urls"][consumer].rsplit("/", 1)[-1]
        dlq = outputs["dlq_urls"][consumer].rsplit("/", 1)[-1]
        wanted = {
            *((namespace, m, (("service", consumer),)) for m in ("Processed", "Rejected", "Duplicates")),
            (namespace, "RejectedByReason", (("service", consumer),)),
            *(
                ("AWS/Lambda", m, (("FunctionName", function),))
                for m in ("Duration", "ConcurrentExecutions", "Throttles")
            ),
            ("AWS/SQS", "ApproximateAgeOfOldestMessage", (("QueueName", buffer),)),
            ("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", dlq),)),
        }
        assert wanted <= shown, sorted(wanted - shown)
        durations = {
            r.stat for r in metric_refs(body) if r.name == "Duration" and r.dimensions["FunctionName"] == function
        }
        assert {"p50", "p99"} <= durations
    assert (namespace, "UploadToThumbnailsLatency", (("service", "image_resizer"),)) in shown
