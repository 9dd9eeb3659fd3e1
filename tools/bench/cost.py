"""Cost per image: what each consumer spends on one upload (CPU, AWS calls, and the round trips it waits for one
after another) and what a million uploads cost in GB-seconds at 512 MB, 1 GB and 2 GB, under a stated model.

Measured through the real handlers, in this process, on moto (tools.moto_pipeline): a batch of uploads goes
through image_resizer and metadata_extractor as SQS batches of BATCH_SIZES; the indexer then gets each upload's
three events (Object Created, Thumbnails Generated, Image Metadata Extracted). Calls and serial round trips come
from tools.round_trips (botocore's hooks, no timers); CPU is the process's CPU during each invocation less what
was spent inside AWS calls (botocore and moto answering), i.e. the function's own work.

The model (the same figures a capacity estimate uses):
    duration  = CPU / vCPU share + serial round trips x LATENCY_MS
    vCPU share = min(1, memory / 1,769 MB)   Lambda gives CPU in proportion to memory; 1,769 MB is one vCPU
    GB-s      = duration x memory / 1,024 MB
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tools.moto_pipeline import PipelineResources
from tools.round_trips import HOLD_S, CallLog

MEMORY_SIZES_MB = (512, 1024, 2048)
MODEL = "CPU / min(1, memory / 1769 MB) + serial round trips x latency"
FULL_VCPU_MB = 1769
LATENCY_MS = 20.0  # one in-region round trip to S3, DynamoDB or EventBridge, request to response (stated, not measured)
# Records per SQS batch: the stack's defaults (variables.tf: image_resizer, metadata_extractor, search_indexer).
BATCH_SIZES = {"image_resizer": 5, "metadata_extractor": 5, "search_indexer": 10}
CONSUMERS = tuple(BATCH_SIZES)


@dataclass
class ConsumerCost:
    consumer: str
    images: int
    invocations: int
    cpu_ms: float  # per image
    calls: dict[str, float]  # per image, by operation
    serial_round_trips: float  # per image
    waves: list[list[str]] = field(default_factory=list)  # the calls of each serial round trip, in order

    @property
    def calls_per_image(self) -> float:
        return sum(self.calls.values())

    def duration_ms(self, memory_mb: int, latency_ms: float = LATENCY_MS) -> float:
        return self.cpu_ms / min(1.0, memory_mb / FULL_VCPU_MB) + self.serial_round_trips * latency_ms

    def gb_s_per_million(self, memory_mb: int, latency_ms: float = LATENCY_MS) -> float:
        return self.duration_ms(memory_mb, latency_ms) / 1000 * memory_mb / 1024 * 1_000_000

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConsumerCost:
        """Back from as_dict() (the `cost_per_image` section of build/bench.json)."""
        return cls(
            consumer=data["consumer"],
            images=int(data["images"]),
            invocations=int(data["invocations"]),
            cpu_ms=float(data["cpu_ms_per_image"]),
            calls={name: float(count) for name, count in data["calls_per_image"].items()},
            serial_round_trips=float(data["serial_round_trips_per_image"]),
        )

    def as_dict(self, latency_ms: float = LATENCY_MS) -> dict[str, Any]:
        return {
            "consumer": self.consumer,
            "images": self.images,
            "invocations": self.invocations,
            "cpu_ms_per_image": round(self.cpu_ms, 2),
            "calls_per_image": {name: round(count, 3) for name, count in sorted(self.calls.items())},
            "serial_round_trips_per_image": round(self.serial_round_trips, 3),
            "duration_ms_per_image": {str(m): round(self.duration_ms(m, latency_ms), 1) for m in MEMORY_SIZES_MB},
            "gb_s_per_million_images": {str(m): round(self.gb_s_per_million(m, latency_ms)) for m in MEMORY_SIZES_MB},
        }


@contextlib.contextmanager
def pipeline_on_moto(log: CallLog) -> Iterator[PipelineResources]:
    """moto with the pipeline's resources, the handlers' environment pointing at them, and every AWS client the
    handlers create from now on watched by `log`."""
    import boto3
    from moto import mock_aws

    from tools.moto_pipeline import clear_process_caches, create_pipeline_resources, environment

    saved = dict(os.environ)
    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's placeholder
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_NAMESPACE="ImagePipelineCost",
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws():
            resources = create_pipeline_resources(prefix="cost")
            os.environ.update(environment(resources))
            boto3.setup_default_session()
            log.install(boto3.DEFAULT_SESSION._session)  # type: ignore[union-attr]
            clear_process_caches()
            try:
                yield resources
            finally:
                boto3.DEFAULT_SESSION = None
                clear_process_caches()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _upload(resources: PipelineResources, index: int, body: bytes) -> dict[str, Any]:
    import boto3

    from tools.s3_events import object_created

    key = f"uploads/user{index % 7}/photo {index}.jpg"
    response = boto3.client("s3").put_object(Bucket=resources.bucket, Key=key, Body=body)
    return object_created(
        resources.bucket,
        key,
        size=len(body),
        etag=response["ETag"].strip('"'),
        version_id=response["VersionId"],
        sequencer=f"{index + 1:018X}",
    )


def _run(log: CallLog, consumer: str, handler: Any, events: list[dict[str, Any]], images: int) -> ConsumerCost:
    from tools.lambda_context import LambdaContext
    from tools.s3_events import sqs_batch

    cpu_s = 0.0
    size = BATCH_SIZES[consumer]
    batches = [events[i : i + size] for i in range(0, len(events), size)]
    with log.watching():
        for batch in batches:
            started = time.process_time()
            response = handler(sqs_batch(*batch), LambdaContext())
            cpu_s += time.process_time() - started
            if response != {"batchItemFailures": []}:
                raise RuntimeError(f"{consumer} failed records while measuring: {response}")
    own_cpu_s = max(0.0, cpu_s - log.cpu_in_calls_s())
    return ConsumerCost(
        consumer=consumer,
        images=images,
        invocations=len(batches),
        cpu_ms=own_cpu_s * 1000 / images,
        calls={name: count / images for name, count in log.counts().items()},
        serial_round_trips=log.serial_round_trips() / images,
        waves=log.describe(),
    )


def measure(photos: list[bytes], hold_s: float = HOLD_S) -> dict[str, ConsumerCost]:
    """Run `photos` (distinct uploads) through the three consumers; their cost per image."""
    log = CallLog(hold_s=hold_s)
    with pipeline_on_moto(log) as resources:
        from image_resizer import app as resizer_app
        from metadata_extractor import app as extractor_app
        from search_indexer import app as indexer_app

        created = [_upload(resources, index, body) for index, body in enumerate(photos)]
        costs = {
            "image_resizer": _run(log, "image_resizer", resizer_app.handler, created, len(photos)),
            "metadata_extractor": _run(log, "metadata_extractor", extractor_app.handler, created, len(photos)),
        }
        published = resources.published_events()
        # Each upload's three events together, as they arrive for one upload (by version: S3 percent-encodes keys).
        ordered = [
            event
            for upload in created
            for event in (
                upload,
                *(
                    e
                    for e in published
                    if e["detail"]["object"]["version_id"] == upload["detail"]["object"]["version-id"]
                ),
            )
        ]
        if len(ordered) != 3 * len(photos):
            raise RuntimeError(f"expected three events per upload for the indexer, got {len(ordered)}")
        costs["search_indexer"] = _run(log, "search_indexer", indexer_app.handler, ordered, len(photos))
    return costs


def profile(costs: dict[str, ConsumerCost], latency_ms: float = LATENCY_MS) -> dict[str, Any]:
    """The `cost_per_image` section of build/bench.json: the model, its stated latency, the measurement's batch sizes
    and each consumer's figures (tools.capacity reads it back with read_profile)."""
    return {
        "model": {"duration": MODEL, "latency_ms": latency_ms, "batch_sizes": BATCH_SIZES},
        "consumers": [c.as_dict(latency_ms) for c in costs.values()],
    }


def read_profile(section: dict[str, Any]) -> tuple[dict[str, ConsumerCost], float]:
    """The consumers' costs and the stated latency from a `cost_per_image` section."""
    if section.get("model", {}).get("duration") != MODEL:
        raise ValueError(f"a profile of another model: {section.get('model')}")
    costs = {c["consumer"]: ConsumerCost.from_dict(c) for c in section["consumers"]}
    return costs, float(section["model"]["latency_ms"])


def table(costs: dict[str, ConsumerCost], latency_ms: float = LATENCY_MS) -> list[str]:
    header = "| consumer | CPU ms / image | AWS calls / image | serial round trips / image | " + " | ".join(
        f"GB-s per million at {m} MB" for m in MEMORY_SIZES_MB
    )
    lines = [header + " |", "|---" * (4 + len(MEMORY_SIZES_MB)) + "|"]
    for cost in costs.values():
        gb_s = " | ".join(f"{cost.gb_s_per_million(m, latency_ms):,.0f}" for m in MEMORY_SIZES_MB)
        lines.append(
            f"| {cost.consumer} | {cost.cpu_ms:.1f} | {cost.calls_per_image:.2f} | {cost.serial_round_trips:.2f} "
            f"| {gb_s} |"
        )
    total = {m: sum(c.gb_s_per_million(m, latency_ms) for c in costs.values()) for m in MEMORY_SIZES_MB}
    lines.append("| all three | | | | " + " | ".join(f"{total[m]:,.0f}" for m in MEMORY_SIZES_MB) + " |")
    return lines


__all__ = [
    "BATCH_SIZES",
    "FULL_VCPU_MB",
    "LATENCY_MS",
    "MEMORY_SIZES_MB",
    "MODEL",
    "ConsumerCost",
    "measure",
    "profile",
    "read_profile",
    "table",
]
