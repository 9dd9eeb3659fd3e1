"""The CloudWatch metrics the pipeline has: those its code emits (read from lambda_src, not listed by hand) and those
AWS publishes for the resources the stack creates. `dashboard_problems` checks every metric a dashboard names.

What the code emits, and with which dimensions (Powertools for AWS Lambda, EMF):
- `metrics.add_metric(name=...)`: the Metrics object's default dimension `service`, which Powertools takes from
  POWERTOOLS_SERVICE_NAME (the stack sets it to the consumer's name);
- `single_metric(name=...)` blocks: exactly the `add_dimension(name=...)` calls in the block;
- `log_metrics(..., capture_cold_start_metric=True)`: Powertools' `ColdStart`, by `function_name` and `service`.
A metric emitted in consumer_core is emitted by every consumer; one in a consumer's package by that consumer only.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_SRC = ROOT / "lambda_src"
SHARED_PACKAGE = "consumer_core"
CONSUMERS = ("image_resizer", "metadata_extractor", "search_indexer")

# What AWS publishes, by namespace: the metric names and the one dimension the stack's resources are named by.
AWS_PUBLISHED: dict[str, dict[str, Any]] = {
    "AWS/Lambda": {
        "dimension": "FunctionName",
        "metrics": {
            "Invocations",
            "Errors",
            "Throttles",
            "Duration",
            "ConcurrentExecutions",  # emitted for every function, version and alias
            "DeadLetterErrors",
            "DestinationDeliveryFailures",
        },
        "sources": [
            "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-concurrency.html",
        ],
    },
    "AWS/SQS": {
        "dimension": "QueueName",
        "metrics": {
            "ApproximateAgeOfOldestMessage",
            "ApproximateNumberOfMessagesDelayed",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesVisible",
            "NumberOfEmptyReceives",
            "NumberOfMessagesDeleted",
            "NumberOfMessagesReceived",
            "NumberOfMessagesSent",
            "SentMessageSize",
        },
        "sources": [
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html"
        ],
    },
}


@dataclass(frozen=True)
class Emitted:
    name: str
    dimensions: frozenset[str]
    consumers: frozenset[str]


@dataclass(frozen=True)
class MetricRef:
    """One metric a dashboard widget names (a SEARCH expression names its schema's dimensions, values optional)."""

    widget: str
    namespace: str
    name: str
    dimensions: dict[str, str | None]
    stat: str | None = None


def emitted_metrics(root: Path = LAMBDA_SRC) -> dict[str, Emitted]:
    found: dict[str, Emitted] = {}
    for path in sorted(root.rglob("*.py")):
        package = path.relative_to(root).parts[0]
        consumers = frozenset(CONSUMERS) if package == SHARED_PACKAGE else frozenset({package})
        for name, dimensions in _metrics_in(ast.parse(path.read_text())):
            previous = found.get(name)
            if previous is not None and previous.dimensions != dimensions:
                raise AssertionError(f"{name} is emitted with two dimension sets: {previous.dimensions}, {dimensions}")
            found[name] = Emitted(name, dimensions, consumers | (previous.consumers if previous else frozenset()))
    return found


def _metrics_in(tree: ast.Module) -> list[tuple[str, frozenset[str]]]:
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def text(node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return constants.get(node.id)
        return None

    def keyword(call: ast.Call, name: str) -> ast.expr | None:
        return next((k.value for k in call.keywords if k.arg == name), None)

    metrics = []
    in_blocks: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and _called(call) == "single_metric":
                    dimensions = frozenset(
                        d
                        for inner in ast.walk(node)
                        if isinstance(inner, ast.Call) and _called(inner) == "add_dimension"
                        for d in [text(keyword(inner, "name"))]
                        if d is not None
                    )
                    metrics.append((_required(text(keyword(call, "name")), call), dimensions))
                    in_blocks.add(id(call))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or id(node) in in_blocks:
            continue
        if _called(node) == "add_metric":
            metrics.append((_required(text(keyword(node, "name")), node), frozenset({"service"})))
        cold_start = keyword(node, "capture_cold_start_metric")
        if isinstance(cold_start, ast.Constant) and cold_start.value is True:
            metrics.append(("ColdStart", frozenset({"function_name", "service"})))
    return metrics


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else None


def _required(name: str | None, call: ast.Call) -> str:
    if name is None:
        raise AssertionError(f"a metric name the scan cannot read (line {call.lineno}): name it with a constant")
    return name


_SEARCH = re.compile(r"SEARCH\('\{(?P<schema>[^}]*)\}(?P<terms>[^']*)'")
_TERM = re.compile(r'(?P<key>[\w-]+)="(?P<value>[^"]*)"')


def metric_refs(body: dict[str, Any]) -> list[MetricRef]:
    refs = []
    for widget in body["widgets"]:
        if widget.get("type") != "metric":
            continue
        title = widget["properties"].get("title", "?")
        default_stat = widget["properties"].get("stat")
        for entry in widget["properties"]["metrics"]:
            options = entry[-1] if entry and isinstance(entry[-1], dict) else {}
            if "expression" in options:
                match = _SEARCH.search(options["expression"])
                if match is None:
                    raise AssertionError(f"{title}: an expression that is not a SEARCH: {options['expression']}")
                namespace, *dimension_names = [part.strip() for part in match.group("schema").split(",")]
                terms = {m.group("key"): m.group("value") for m in _TERM.finditer(match.group("terms"))}
                dimensions = {name: terms.get(name) for name in dimension_names}
                refs.append(MetricRef(title, namespace, terms.get("MetricName", "?"), dimensions, "expression"))
                continue
            parts = [part for part in entry if not isinstance(part, dict)]
            if "." in parts or len(parts) % 2:
                raise AssertionError(f"{title}: write every metric out in full (no '.' shorthand): {entry}")
            namespace, name, *pairs = parts
            dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
            refs.append(MetricRef(title, namespace, name, dimensions, options.get("stat", default_stat)))
    return refs


def dashboard_problems(
    body: dict[str, Any], *, namespace: str, functions: set[str], queues: set[str], emitted: dict[str, Emitted]
) -> list[str]:
    """Every metric the dashboard names that nothing emits (as named: namespace, name, dimensions, values)."""
    problems = []
    resources = {"AWS/Lambda": functions, "AWS/SQS": queues}
    for ref in metric_refs(body):
        where = f"{ref.widget}: {ref.namespace} {ref.name} {ref.dimensions}"
        if ref.namespace == namespace:
            metric = emitted.get(ref.name)
            if metric is None:
                problems.append(f"{where}: the code emits no metric {ref.name!r}")
            elif set(ref.dimensions) != metric.dimensions:
                problems.append(f"{where}: emitted with dimensions {sorted(metric.dimensions)}")
            elif ref.dimensions.get("service") not in metric.consumers:
                problems.append(f"{where}: emitted only by {sorted(metric.consumers)}")
        elif ref.namespace in AWS_PUBLISHED:
            published = AWS_PUBLISHED[ref.namespace]
            if ref.name not in published["metrics"]:
                problems.append(f"{where}: {ref.namespace} publishes no {ref.name!r}")
            elif set(ref.dimensions) != {published["dimension"]}:
                problems.append(f"{where}: the stack's resources are named by {published['dimension']} alone")
            elif ref.dimensions[published["dimension"]] not in resources[ref.namespace]:
                problems.append(f"{where}: not a resource of this stack")
        else:
            problems.append(f"{where}: a namespace neither the code nor this catalogue knows")
    return problems


__all__ = ["AWS_PUBLISHED", "Emitted", "MetricRef", "dashboard_problems", "emitted_metrics", "metric_refs"]
