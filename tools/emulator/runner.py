"""The local Lambda runner: stands in for Lambda's SQS poller and execution, which moto does not provide.

It takes the functions and event source mappings that `discovery` reads back from the emulator, then polls
each mapping's queue like Lambda: ReceiveMessage up to the batch size within the batching window (the queue's
own visibility timeout applies), invoke in a separate process, delete the successes, leave batch item failures
to become visible again (moto then redrives them to the DLQ after maxReceiveCount, as SQS does). At most
`MaximumConcurrency` invokes run at once per mapping.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.emulator.discovery import ArtifactIndex, DeployedFunction, Mapping, aws_client, discover
from tools.emulator.endpoints import Endpoints
from tools.emulator.http_api import LocalHttpApi, discover_apis
from tools.emulator.invoker import ExecutionEnvironment, InvokeResult

LOG = logging.getLogger(__name__)
SQS_RECEIVE_MAX = 10


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """A message as Lambda's SQS event source delivers it."""
    attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        attributes[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(value["BinaryValue"]).decode() if value.get("BinaryValue") else None,
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType", "String"),
        }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def failed_message_ids(result: InvokeResult, batch_ids: list[str], report_failures: bool) -> list[str]:
    """Which messages of a batch stay on the queue after an invoke (Lambda's partial batch response rules)."""
    if result.status != "ok":
        return list(batch_ids)
    if not report_failures:
        return []
    response = result.result
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return []
    failures = response["batchItemFailures"]
    if not isinstance(failures, list):
        return list(batch_ids)
    ids = []
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in batch_ids:
            return list(batch_ids)  # a malformed response fails the whole batch
        ids.append(identifier)
    return ids


@dataclass
class InvocationRecord:
    function: str
    status: str
    batch: int
    failed: int
    duration_s: float
    cold_start: bool
    concurrent: int
    error: dict[str, Any] = field(default_factory=dict)


class MappingPoller:
    """One event source mapping: a polling thread feeding up to `concurrency` execution environments."""

    def __init__(self, runner: LocalLambdaRunner, function: DeployedFunction, mapping: Mapping) -> None:
        self.runner = runner
        self.function = function
        self.mapping = mapping
        limit = mapping.max_concurrency or runner.local_concurrency
        self.concurrency = max(1, min(limit, runner.local_concurrency))
        self.sqs = aws_client("sqs", runner.endpoint, runner.region)
        self.idle: list[ExecutionEnvironment] = []
        self.slots = threading.Semaphore(self.concurrency)
        self.in_flight = 0
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"invoke-{function.spec.name}")
        self.receiving = threading.Event()
        self.thread = threading.Thread(target=self._poll, name=f"poll-{function.spec.name}", daemon=True)

    def _poll(self) -> None:
        while not self.runner.stopping.is_set():
            if not self.runner.polling.wait(timeout=0.5):
                continue
            if not self.slots.acquire(timeout=0.5):
                continue
            self.receiving.set()
            try:
                batch = self._receive_batch() if self.runner.polling.is_set() else []
            except Exception:  # keep polling, like Lambda's poller
                LOG.exception("receive from %s failed", self.mapping.queue_url)
                batch = []
            finally:
                self.receiving.clear()
            if not batch:
                self.slots.release()
                continue
            with self.lock:
                self.in_flight += 1
            self.pool.submit(self._invoke, batch)

    def _receive_batch(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.mapping.window_s
        while len(batch) < self.mapping.batch_size and not self.runner.stopping.is_set():
            remaining = deadline - time.monotonic()
            wait = 1 if not batch else max(0, min(1, int(remaining)))
            response = self.sqs.receive_message(
                QueueUrl=self.mapping.queue_url,
                MaxNumberOfMessages=min(SQS_RECEIVE_MAX, self.mapping.batch_size - len(batch)),
                WaitTimeSeconds=wait,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages = response.get("Messages", [])
            batch.extend(messages)
            if not batch or time.monotonic() >= deadline or (not messages and wait == 0):
                break
        return batch

    def _invoke(self, messages: list[dict[str, Any]]) -> None:
        try:
            event = {"Records": [sqs_record(m, self.mapping.queue_arn, self.runner.region) for m in messages]}
            with self.lock:
                environment = self.idle.pop() if self.idle else self._new_environment()
                concurrent = self.in_flight
            if environment.spec != self.function.spec:  # started before a configuration change (reload)
                environment.stop()
                environment = self._new_environment()
            result = environment.invoke(event)
            ids = [m["MessageId"] for m in messages]
            failed = failed_message_ids(result, ids, self.mapping.report_batch_item_failures)
            self._settle(messages, set(failed))
            self.runner.record(
                InvocationRecord(
                    self.function.spec.name,
                    result.status,
                    len(ids),
                    len(failed),
                    result.duration_s,
                    result.cold_start,
                    concurrent,
                    result.error,
                )
            )
            with self.lock:
                self.idle.append(environment)
        except Exception:  # a runner bug must not kill the poller
            LOG.exception("invoke of %s failed", self.function.spec.name)
        finally:
            with self.lock:
                self.in_flight -= 1
            self.slots.release()

    def _new_environment(self) -> ExecutionEnvironment:
        log = self.runner.work_dir / "logs" / f"{self.function.spec.name}.log"
        return ExecutionEnvironment(self.function.spec, self.runner.endpoint, self.runner.region, log)

    def _settle(self, messages: list[dict[str, Any]], failed: set[str]) -> None:
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), SQS_RECEIVE_MAX):
            chunk = done[start : start + SQS_RECEIVE_MAX]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            self.sqs.delete_message_batch(QueueUrl=self.mapping.queue_url, Entries=entries)
        retry_after = self.runner.failed_visibility_timeout_s
        retry = [m for m in messages if m["MessageId"] in failed]
        if retry_after is not None and retry:
            for start in range(0, len(retry), SQS_RECEIVE_MAX):
                chunk = retry[start : start + SQS_RECEIVE_MAX]
                entries = [
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": retry_after}
                    for i, m in enumerate(chunk)
                ]
                self.sqs.change_message_visibility_batch(QueueUrl=self.mapping.queue_url, Entries=entries)

    def queue_depth(self) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.mapping.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def retire_stale(self) -> None:
        """Stop the idle environments started with an older configuration of the function."""
        with self.lock:
            stale = [e for e in self.idle if e.spec != self.function.spec]
            self.idle = [e for e in self.idle if e.spec == self.function.spec]
        for environment in stale:
            environment.stop()

    def stop(self) -> None:
        self.pool.shutdown(wait=True)
        with self.lock:
            for environment in self.idle:
                environment.stop()
            self.idle.clear()


class LocalLambdaRunner:
    """Polls every SQS event source mapping of the emulator and runs the functions locally.

    `failed_visibility_timeout_s`: None keeps Lambda's behaviour (a failed message becomes visible again after
    the queue's visibility timeout); a number shortens that wait (ChangeMessageVisibility), which tests and the
    demo use to compress retry time. `held()` stops receiving for a while (invokes in flight go on), so that
    messages sent meanwhile arrive in full batches, as they would from a busy queue. `reload()` picks up a
    function's changed configuration.
    """

    def __init__(
        self,
        endpoint: str | Endpoints,
        work_dir: Path,
        artifacts: Iterable[Path],
        region: str = "us-east-1",
        local_concurrency: int = 2,
        failed_visibility_timeout_s: int | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.region = region
        self.work_dir = work_dir
        self.local_concurrency = local_concurrency
        self.failed_visibility_timeout_s = failed_visibility_timeout_s
        self.stopping = threading.Event()
        self.polling = threading.Event()
        self.polling.set()
        self.functions = discover(endpoint, region, ArtifactIndex(artifacts), work_dir)
        self.pollers = [MappingPoller(self, f, m) for f in self.functions for m in f.mappings]
        # HTTP APIs (moto stores them, runs nothing): each served on a local port from its deployed routes,
        # authorizers and integrations (tools/emulator/http_api.py).
        self.http_apis = [
            LocalHttpApi(api, self.functions, endpoint, region, work_dir / "logs", local_concurrency)
            for api in discover_apis(endpoint, region)
        ]
        self.invocations: list[InvocationRecord] = []
        self._record_lock = threading.Lock()

    def record(self, invocation: InvocationRecord) -> None:
        with self._record_lock:
            self.invocations.append(invocation)

    def start(self) -> LocalLambdaRunner:
        for poller in self.pollers:
            poller.thread.start()
        for api in self.http_apis:
            api.start()
        return self

    @property
    def api_urls(self) -> dict[str, str]:
        """Local URL of each HTTP API by its API id (what its $default stage's invoke URL stands for)."""
        return {api.api.api_id: api.url for api in self.http_apis}

    @contextmanager
    def held(self) -> Iterator[None]:
        self.polling.clear()
        deadline = time.monotonic() + 5  # a receive in flight long-polls for at most a second
        while any(p.receiving.is_set() for p in self.pollers) and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            yield
        finally:
            self.polling.set()

    def reload(self) -> None:
        """Read each function's configuration again (environment, timeout, memory; not its code), as Lambda applies
        an UpdateFunctionConfiguration to the invocations that start after it: invocations in flight finish with the
        old one, idle environments started with it are stopped."""
        lam = aws_client("lambda", self.endpoint, self.region)
        for function in self.functions:
            config = lam.get_function_configuration(FunctionName=function.spec.name)
            function.spec = dataclasses.replace(
                function.spec,
                environment=dict((config.get("Environment") or {}).get("Variables") or {}),
                timeout_s=int(config.get("Timeout", function.spec.timeout_s)),
                memory_mb=int(config.get("MemorySize", function.spec.memory_mb)),
            )
        for poller in self.pollers:
            poller.retire_stale()

    def stop(self) -> None:
        self.stopping.set()
        for api in self.http_apis:
            api.stop()
        for poller in self.pollers:
            poller.thread.join(timeout=10)
            poller.stop()

    def busy(self) -> bool:
        return any(p.in_flight for p in self.pollers) or any(p.queue_depth() for p in self.pollers)

    def wait_until_settled(self, timeout_s: float = 120.0, quiet_s: float = 1.5) -> bool:
        """True once every buffer queue is empty and nothing runs, continuously for `quiet_s`."""
        deadline = time.monotonic() + timeout_s
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            if self.busy():
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_s:
                return True
            time.sleep(0.2)
        return False

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "function": f.spec.name,
                "handler": f.spec.handler,
                "runtime": f.spec.runtime,
                "architectures": f.architectures,
                "timeout_s": f.spec.timeout_s,
                "memory_mb": f.spec.memory_mb,
                "code_zip": str(f.code_zip),
                "layers": [{"arn": layer.arn, "origin": layer.origin} for layer in f.layers],
                "mappings": [
                    {**m.__dict__, "effective_concurrency": p.concurrency}
                    for p in self.pollers
                    if p.function is f
                    for m in [p.mapping]
                ],
            }
            for f in self.functions
        ]

    def summary(self) -> dict[str, Any]:
        with self._record_lock:
            records = list(self.invocations)
        by_status: dict[str, int] = {}
        for r in records:
            by_status[r.status] = by_status.get(r.status, 0) + 1
        return {
            "invocations": len(records),
            "by_status": by_status,
            "max_concurrent": max((r.concurrent for r in records), default=0),
            "cold_starts": sum(r.cold_start for r in records),
        }


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str)
