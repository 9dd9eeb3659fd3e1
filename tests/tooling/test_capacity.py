"""tools.capacity: the stack's configuration read from a real plan, the model (Little's law, limits, ramp, cost by
tools.bench.cost's own model), and `make capacity` end to end (with a plan JSON and a profile given, so that it
neither plans nor measures again)."""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tools.bench import cost
from tools.capacity import model, stack
from tools.capacity.assumptions import PRICES, QUOTAS
from tools.capacity.report import number
from tools.emulator.server import REPO_ROOT

# Settings unlike every default, so that reading them back proves they come from the plan.
VARIABLES = {
    "lambda_architecture": "x86_64",
    "image_resizer": {
        "memory_size": 1536,
        "timeout": 45,
        "batch_size": 7,
        "maximum_concurrency": 13,
        "reserved_concurrent_executions": 20,
    },
    "search_indexer": {"maximum_batching_window_in_seconds": 2},
}


def make_capacity(*arguments: str) -> None:
    proc = subprocess.run(
        ["make", "-s", "capacity", *arguments], cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make capacity` as the docs show it, once for this module (~20 s: an offline plan of the root stack with
    VARIABLES): a profile given (so nothing is measured), VAR_FILE, and an output directory given relative to the
    repository, as make passes its default (build/capacity, left alone here); returns that directory."""
    directory = tmp_path_factory.mktemp("capacity")
    (directory / "settings.tfvars.json").write_text(json.dumps(VARIABLES))
    (directory / "bench.json").write_text(json.dumps({"cost_per_image": cost.profile(PROFILE, 20.0)}))
    relative = os.path.relpath(directory / "out", REPO_ROOT)
    make_capacity(
        "PEAK=40",
        f"PROFILE={directory / 'bench.json'}",
        f"VAR_FILE={directory / 'settings.tfvars.json'}",
        f"CAPACITY_OUT={relative}",
    )
    return directory / "out"


@pytest.fixture(scope="module")
def plan(made: Path) -> Path:
    """The plan `make capacity` made (and kept) for its report."""
    return made / "terraform" / "plan.json"


def test_the_configuration_is_read_from_the_plan(plan: Path) -> None:
    config = stack.from_terraform_json(json.loads(plan.read_text()), "plan")

    resizer = config.consumers["image_resizer"]
    settings = VARIABLES["image_resizer"]
    assert (
        resizer.memory_mb,
        resizer.timeout_s,
        resizer.batch_size,
        resizer.maximum_concurrency,
        resizer.reserved_concurrency,
    ) == (
        settings["memory_size"],
        settings["timeout"],
        settings["batch_size"],
        settings["maximum_concurrency"],
        settings["reserved_concurrent_executions"],
    )
    assert resizer.visibility_timeout_s == 6 * settings["timeout"]  # lambda_with_dlq's default
    assert config.consumers["search_indexer"].batching_window_s == 2
    assert config.consumers["metadata_extractor"].reserved_concurrency is None
    assert set(config.consumers) == {"image_resizer", "metadata_extractor", "search_indexer"}
    assert config.architecture == "x86_64"
    assert config.search_index_gsis == 2 and config.dashboards == 1 and config.alarms >= 3 * len(config.consumers)


def test_a_state_is_read_as_a_plan_is() -> None:
    def resource(kind: str, name: str, values: dict[str, Any]) -> dict[str, Any]:
        return {"address": f'module.consumer["c"].{kind}.{name}', "type": kind, "name": name, "values": values}

    state = {
        "values": {
            "root_module": {
                "child_modules": [
                    {
                        "resources": [
                            resource(
                                "aws_lambda_function",
                                "this",
                                {
                                    "handler": "c.app.handler",
                                    "function_name": "p-c",
                                    "memory_size": 128,
                                    "timeout": 3,
                                    "reserved_concurrent_executions": -1,
                                    "architectures": ["arm64"],
                                },
                            ),
                            resource(
                                "aws_lambda_event_source_mapping", "this[0]", {"batch_size": 2, "scaling_config": []}
                            ),
                            resource(
                                "aws_sqs_queue",
                                "buffer[0]",
                                {
                                    "visibility_timeout_seconds": 18,
                                    "message_retention_seconds": 60,
                                    "redrive_policy": json.dumps({"deadLetterTargetArn": "arn", "maxReceiveCount": 7}),
                                },
                            ),
                        ]
                    }
                ]
            }
        }
    }
    (consumer,) = stack.from_terraform_json(state, "state").consumers.values()
    assert (consumer.name, consumer.batch_size, consumer.maximum_concurrency, consumer.retention_s) == (
        "c",
        2,
        None,
        60,
    )
    assert consumer.reserved_concurrency is None  # -1: none reserved


def consumer_cost(name: str, cpu_ms: float, round_trips: float, calls: dict[str, float]) -> cost.ConsumerCost:
    return cost.ConsumerCost(name, images=5, invocations=1, cpu_ms=cpu_ms, calls=calls, serial_round_trips=round_trips)


PROFILE = {
    "image_resizer": consumer_cost(
        "image_resizer",
        150,
        3.2,
        {"s3.GetObject": 1, "s3.PutObject": 4, "dynamodb.PutItem": 1, "dynamodb.UpdateItem": 1},
    ),
    "metadata_extractor": consumer_cost(
        "metadata_extractor",
        60,
        3.2,
        {"s3.GetObject": 1, "s3.PutObject": 1, "dynamodb.PutItem": 1, "dynamodb.UpdateItem": 1},
    ),
    "search_indexer": consumer_cost(
        "search_indexer", 20, 9, {"dynamodb.GetItem": 3, "dynamodb.PutItem": 6, "dynamodb.UpdateItem": 3}
    ),
}


def config(name: str, **changes: Any) -> stack.ConsumerConfig:
    values = {
        "name": name,
        "function_name": f"p-{name}",
        "memory_mb": 1024,
        "timeout_s": 60,
        "reserved_concurrency": None,
        "batch_size": 5,
        "batching_window_s": 0.0,
        "maximum_concurrency": 10,
        "visibility_timeout_s": 360,
        "retention_s": 345600,
    }
    return stack.ConsumerConfig(**(values | changes))


def test_concurrency_follows_littles_law_whatever_the_batch_size() -> None:
    resizer = PROFILE["image_resizer"]
    small = model.load(config("image_resizer", batch_size=2), resizer, 20, peak=40, burst=0)
    large = model.load(config("image_resizer", batch_size=10), resizer, 20, peak=40, burst=0)
    twice = model.load(config("image_resizer", batch_size=10), resizer, 20, peak=80, burst=0)

    per_upload_s = resizer.duration_ms(1024, 20) / 1000  # the bench's own model, not re-derived
    assert small.concurrency == pytest.approx(40 * per_upload_s)
    assert large.concurrency == pytest.approx(small.concurrency)  # longer batches, fewer of them
    assert large.ms_per_batch == pytest.approx(5 * small.ms_per_batch)
    assert twice.concurrency == pytest.approx(2 * large.concurrency)
    indexer = model.load(config("search_indexer", batch_size=10), PROFILE["search_indexer"], 20, peak=40, burst=0)
    assert indexer.events_per_upload == 3  # its upload and one result from each producer
    assert indexer.concurrency == pytest.approx(40 * 3 * (indexer.ms_per_batch / 1000) / 10)


def test_the_smallest_limit_binds_and_sets_what_a_consumer_follows() -> None:
    reserved = model.load(config("image_resizer", reserved_concurrency=4), PROFILE["image_resizer"], 20, 10, 0)
    assert (reserved.binding.label, reserved.binding.value) == ("reserved concurrency", 4)
    assert reserved.capacity_uploads_s == pytest.approx(4 / (reserved.ms_per_upload / 1000))
    assert any(r.startswith("throttles: reserved concurrency is below") for r in reserved.risks)

    unbounded = model.load(config("image_resizer", maximum_concurrency=None), PROFILE["image_resizer"], 20, 10, 0)
    assert unbounded.binding.value == QUOTAS["sqs_pollers_max"].value == QUOTAS["account_concurrency"].value
    assert unbounded.risks == []

    saturated = model.load(config("image_resizer", maximum_concurrency=2), PROFILE["image_resizer"], 20, 100, 0)
    assert saturated.concurrency > 2 and saturated.risks[0].startswith("saturated at the peak")


@pytest.mark.parametrize(("work_s", "limit"), [(10.0, 3.0), (30.0, 50.0), (5_000.0, 50.0), (200_000.0, 900.0)])
def test_a_burst_drains_as_a_ramping_mapping_would(work_s: float, limit: float) -> None:
    """Checked against a step-by-step simulation of the mapping: five batches at first, 300 more a minute."""
    start, per_s = min(QUOTAS["sqs_pollers_start"].value, limit), QUOTAS["sqs_pollers_ramp"].value / 60
    step, done, elapsed = 0.01, 0.0, 0.0
    while done < work_s:
        done += min(limit, start + per_s * (elapsed + step / 2)) * step
        elapsed += step
    assert model.drain_seconds(work_s, limit) == pytest.approx(elapsed, abs=0.02)
    assert model.ramp_seconds(limit, limit) == pytest.approx(max(0, limit - start) / per_s)


def test_cost_uses_the_bench_model_and_the_listed_prices() -> None:
    configs = {name: config(name) for name in PROFILE}
    stack_config = stack.StackConfig(configs, "arm64", 2, 12, 1, "test")
    lines = {
        (c.consumer, c.item): c.usd_per_million
        for c in model.cost_lines(configs["image_resizer"], PROFILE["image_resizer"], 2048, 20, stack_config)
    }

    gb_s = PROFILE["image_resizer"].gb_s_per_million(2048, 20)
    assert lines["image_resizer", "Lambda duration"] == pytest.approx(gb_s * PRICES["lambda_gb_s_arm64"].value)
    assert lines["image_resizer", "Lambda requests"] == pytest.approx(1e6 / 5 * PRICES["lambda_request"].value)
    expected_s3 = 4 * PRICES["s3_put_class"].value + 1 * PRICES["s3_get_class"].value
    assert lines["image_resizer", "S3 requests"] == pytest.approx(1e6 * expected_s3)
    assert lines["image_resizer", "EventBridge"] == pytest.approx(1e6 * PRICES["eventbridge_custom_event"].value)
    indexer = {
        c.item: c.usd_per_million
        for c in model.cost_lines(configs["search_indexer"], PROFILE["search_indexer"], 256, 20, stack_config)
    }
    writes = 6 + 3 + 3 * 2  # PutItem, UpdateItem, and each of its three index writes in both GSIs
    expected = writes * PRICES["dynamodb_write_unit"].value + 3 * PRICES["dynamodb_read_unit"].value
    assert indexer["DynamoDB"] == pytest.approx(1e6 * expected)
    assert indexer["EventBridge"] == 0


def test_scaling_up_sets_limits_and_names_the_quota_requests() -> None:
    configs = {name: config(name) for name in PROFILE}
    stack_config = stack.StackConfig(configs, "arm64", 2, 12, 1, "test")
    analysis = model.analyse(stack_config, PROFILE, 20, peak=10, burst=600, memory_sizes=(512, 1024))

    low, middle, high = analysis.scale
    assert [s.uploads_per_s for s in analysis.scale] == list(model.SCALE_TARGETS)
    assert all(not s for s in low.settings.values()) and low.requests == []
    for step in (middle, high):
        for name, settings in step.settings.items():
            assert settings["maximum_concurrency"] == min(1000, math.ceil(step.concurrency[name] * model.HEADROOM))
            assert settings["reserved_concurrent_executions"] >= settings["maximum_concurrency"]
    needed = sum(s["reserved_concurrent_executions"] for s in high.settings.values()) + 100
    assert needed > QUOTAS["account_concurrency"].value
    assert any(r.startswith("Lambda **Concurrent executions**") for r in high.requests)
    assert not any("Concurrent executions" in r for r in middle.requests)
    assert set(analysis.costs) == {"configured", "512 MB", "1024 MB"}


def test_make_capacity_writes_the_report_with_its_charts(made: Path) -> None:
    markdown, page = (made / "report.md").read_text(), (made / "report.html").read_text()
    resizer = PROFILE["image_resizer"]
    concurrency = 40 * resizer.duration_ms(VARIABLES["image_resizer"]["memory_size"], 20) / 1000
    assert f"**image_resizer**: {number(concurrency)} concurrent executions at the peak" in markdown
    assert "bound by reserved concurrency (20)" not in markdown  # 13, the mapping's maximum, is smaller
    assert "bound by mapping maximum_concurrency (13)" in markdown
    for section in (
        "Limits that bind",
        "A burst",
        "Latency",
        "Throttling risk",
        "Cost per million",
        "Scale to millions",
    ):
        assert f"## {section}" in markdown
    assert "x86_64" in markdown and "settings.tfvars.json" in markdown and "capacity0/bench.json" in markdown
    assert page.count("<svg") == 2 and "<table>" in page
    assert (made / "concurrency.svg").read_text().startswith("<svg") and "cost.svg" in markdown


def test_make_capacity_reads_a_plan_json_as_it_reads_its_own_plan(made: Path, plan: Path, tmp_path: Path) -> None:
    """PLAN_JSON (here the plan the first run kept) gives the same report."""
    profile = next(line for line in (made / "report.md").read_text().splitlines() if line.startswith("- Profile: "))
    bench = profile.removeprefix("- Profile: ").split(",")[0]

    make_capacity("PEAK=40", f"PROFILE={bench}", f"PLAN_JSON={plan}", f"CAPACITY_OUT={tmp_path}")

    def without_source(markdown: str) -> list[str]:
        return [line for line in markdown.splitlines() if "plan" not in line]

    ours, theirs = (tmp_path / "report.md").read_text(), (made / "report.md").read_text()
    assert str(plan) in ours and not (tmp_path / "terraform").exists()  # read, not planned again
    assert without_source(ours) == without_source(theirs)
    assert (tmp_path / "cost.svg").read_text() == (made / "cost.svg").read_text()


def test_the_demo_report_links_the_capacity_report_make_capacity_writes(tmp_path: Path) -> None:
    from tools.emulator import cli as emulator_cli
    from tools.emulator.report import write_html

    page = tmp_path / "demo" / "report.html"
    capacity = tmp_path / "capacity" / "report.html"
    write_html({"objects": [], "dlq": {}}, {}, page, {"Concurrency & scaling report": capacity})

    assert '<a href="../capacity/report.html">Concurrency &amp; scaling report</a>' in page.read_text()
    assert emulator_cli.CAPACITY_REPORT == REPO_ROOT / "build" / "capacity" / "report.html"  # what `make demo` links
    recipe = subprocess.run(["make", "-n", "capacity"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert '--out "build/capacity"' in recipe.stdout  # where `make capacity` writes it


def test_limits_that_together_exceed_the_account_are_a_risk() -> None:
    from tools.capacity import report

    def markdown(maximum: int) -> str:
        configs = {name: config(name, maximum_concurrency=maximum) for name in PROFILE}
        analysis = model.analyse(stack.StackConfig(configs, "arm64", 2, 12, 1, "t"), PROFILE, 20, 10, 600, (1024,))
        return report.build(analysis, "profile", cost.BATCH_SIZES).markdown()

    assert "**account**: the consumers' limits add up to 1,500" in markdown(500)
    assert "**account**" not in markdown(300)
