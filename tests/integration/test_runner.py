"""The local Lambda runner against a patched moto server, with the mini stack's tiny handler (fast, no Terraform).

The handler (fixtures/mini_stack/handler/echo/app.py) writes out/<key> with what it saw, reports keys
containing `fail` as batch item failures, sleeps past its timeout for `sleep`, allocates 1 GiB for `oom`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.mini import MiniPipeline, build_zips, create_pipeline
from tools.emulator.discovery import DiscoveryError, aws_client
from tools.emulator.invoker import ExecutionEnvironment, FunctionSpec
from tools.emulator.runner import LocalLambdaRunner
from tools.emulator.server import EmulatorServer


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    server = EmulatorServer(tmp_path_factory.mktemp("runner") / "emulator.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_zips(tmp_path_factory.mktemp("zips"))


def run_until_settled(emulator: EmulatorServer, zips: dict[str, Path], work: Path) -> LocalLambdaRunner:
    runner = LocalLambdaRunner(emulator.endpoint, work, zips.values(), failed_visibility_timeout_s=0).start()
    try:
        assert runner.wait_until_settled(timeout_s=90)
    finally:
        runner.stop()
    return runner


def invocations_of(runner: LocalLambdaRunner, pipeline: MiniPipeline) -> list:
    return [i for i in runner.invocations if i.function == pipeline.name]


def test_batches_run_with_layer_and_context_and_are_deleted(emulator, zips, tmp_path) -> None:
    pipeline = create_pipeline(emulator.endpoint, zips, batch_size=5)
    keys = [f"uploads/ok-{i}" for i in range(12)]
    pipeline.send(keys)
    runner = run_until_settled(emulator, zips, tmp_path)
    outputs = pipeline.outputs()
    assert sorted(outputs) == sorted(keys)
    for seen in outputs.values():
        assert seen["layer"] == "mini-layer-1"  # imported from the layer zip, not from this repository
        assert seen["function_name"] == pipeline.name and seen["memory_limit_in_mb"] == 256
        # moto never received these messages itself: the runner's receive was the first
        assert seen["receive_count"] == 1
        assert 1 <= seen["batch_size"] <= 5
        assert 0 < seen["remaining_ms"] <= 5000
    assert pipeline.dlq_keys() == []
    sqs = aws_client("sqs", emulator.endpoint, "us-east-1")
    attrs = sqs.get_queue_attributes(QueueUrl=pipeline.queue_url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert len(invocations_of(runner, pipeline)) >= 3  # 12 messages, at most 5 per batch


def test_batch_item_failures_are_retried_then_redriven_to_the_dlq(emulator, zips, tmp_path) -> None:
    pipeline = create_pipeline(emulator.endpoint, zips, batch_size=5, max_receive=2)
    pipeline.send(["uploads/ok-a", "uploads/fail-b", "uploads/ok-c"])
    runner = run_until_settled(emulator, zips, tmp_path)
    assert sorted(pipeline.outputs()) == ["uploads/ok-a", "uploads/ok-c"]
    assert pipeline.dlq_keys() == ["uploads/fail-b"]
    failed = [i.failed for i in invocations_of(runner, pipeline) if i.failed]
    assert failed == [1, 1]  # received twice (maxReceiveCount 2), moved to the DLQ by the emulator's redrive


def test_timeout_kills_the_environment_and_fails_the_whole_batch(emulator, zips, tmp_path) -> None:
    pipeline = create_pipeline(emulator.endpoint, zips, timeout=2, batch_size=1, max_receive=1)
    pipeline.send(["uploads/sleep-1", "uploads/ok-after"])
    runner = run_until_settled(emulator, zips, tmp_path)
    statuses = sorted(i.status for i in invocations_of(runner, pipeline))
    assert statuses == ["ok", "timeout"]
    assert pipeline.dlq_keys() == ["uploads/sleep-1"]
    assert sorted(pipeline.outputs()) == ["uploads/ok-after"]


def test_memory_limit_is_enforced(emulator, zips, tmp_path) -> None:
    pipeline = create_pipeline(emulator.endpoint, zips, memory=256, batch_size=1, max_receive=1)
    pipeline.send(["uploads/oom-1"])
    runner = run_until_settled(emulator, zips, tmp_path)
    (invocation,) = invocations_of(runner, pipeline)
    assert invocation.status == "error" and invocation.error["errorType"] == "Runtime.OutOfMemory"
    assert pipeline.dlq_keys() == ["uploads/oom-1"]


def test_maximum_concurrency_is_respected(emulator, zips, tmp_path) -> None:
    pipeline = create_pipeline(emulator.endpoint, zips, timeout=5, batch_size=1, max_concurrency=2)
    pipeline.send([f"uploads/ok-{i}" for i in range(8)])
    runner = LocalLambdaRunner(emulator.endpoint, tmp_path, zips.values(), local_concurrency=4)
    try:
        poller = next(p for p in runner.pollers if p.function.spec.name == pipeline.name)
        assert poller.concurrency == 2  # min(MaximumConcurrency 2, local 4)
        runner.start()
        assert runner.wait_until_settled(timeout_s=60)
    finally:
        runner.stop()
    records = invocations_of(runner, pipeline)
    assert len(records) == 8 and max(r.concurrent for r in records) <= 2


def test_code_must_match_the_deployed_sha(emulator, zips, tmp_path) -> None:
    create_pipeline(emulator.endpoint, zips)
    with pytest.raises(DiscoveryError, match="CodeSha256"):
        LocalLambdaRunner(emulator.endpoint, tmp_path, [zips["layer"]])


def test_worker_sees_only_its_code_layers_and_site_packages(tmp_path) -> None:
    code = tmp_path / "code" / "probe"
    code.mkdir(parents=True)
    (code / "__init__.py").write_text("")
    (code / "app.py").write_text(
        "import os, sys\n"
        "def handler(event, context):\n"
        "    return {'path': sys.path, 'endpoint': os.environ['AWS_ENDPOINT_URL'],"
        " 'key': os.environ['AWS_ACCESS_KEY_ID'],"
        " 'tools': __import__('importlib.util').util.find_spec('tools') is not None}\n"
    )
    spec = FunctionSpec(
        "probe",
        "arn:aws:lambda:us-east-1:123456789012:function:probe",
        "probe.app.handler",
        "python3.11",
        5,
        256,
        {"X": "1"},
        tmp_path / "code",
    )
    environment = ExecutionEnvironment(spec, "http://127.0.0.1:9", "us-east-1", tmp_path / "probe.log")
    try:
        result = environment.invoke({})
    finally:
        environment.stop()
    assert result.status == "ok", result.error
    assert result.result["endpoint"] == "http://127.0.0.1:9" and result.result["key"] == "test"
    assert result.result["path"][0] == str(tmp_path / "code")
    assert result.result["tools"] is False  # the repository is not importable from a function
