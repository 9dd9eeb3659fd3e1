"""What a peak of uploads asks of each consumer, and what it costs.

Per consumer, from the measured profile (tools.bench.cost's model at the function's memory size) and the stack's
configuration (tools.capacity.stack):
- concurrency at the peak, by Little's law: messages per second x duration of a batch / batch size, which is
  uploads per second x duration per upload (a batch of b messages takes b times one message's duration);
- the limits on it: the event source mapping's maximum_concurrency, reserved concurrency, the mapping's 1,000
  concurrent batches, the account's concurrency; the smallest binds, and sets the uploads per second it can follow;
- scaling: a mapping starts with 5 concurrent batches and adds up to 300 a minute (Lambda's own rate, 1,000 per
  function every 10 s, is faster); the time to drain a burst of uploads follows that ramp up to the binding limit;
- latency in the buffer: a record waits for the records before it in its batch (none to a full batch), plus the
  batching window; a saturated consumer adds the backlog's wait;
- cost per million uploads: Lambda GB-s (the model) and requests, SQS requests, DynamoDB request units, S3
  requests, EventBridge custom events, from the AWS calls the profile counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from consumer_core.event_types import PUBLISHERS
from tools.bench.cost import ConsumerCost
from tools.capacity.assumptions import PRICES, QUOTAS
from tools.capacity.stack import ConsumerConfig, StackConfig

# Messages each consumer receives per upload: the upload's Object Created; the indexer also gets one result from
# each producer on the results bus (Thumbnails Generated, Image Metadata Extracted).
INDEX_WRITER = "search_indexer"
EVENTS_PER_UPLOAD = {consumer: 1 for consumer in PUBLISHERS} | {INDEX_WRITER: 1 + len(PUBLISHERS)}
HEADROOM = 1.5  # recommended limits = projected concurrency x this
SCALE_TARGETS = (10, 100, 1000)  # uploads per second, "scale to millions"
LONG_POLL_S = 20  # an idle mapping's pollers long-poll for 20 s
MONTH_S = 30 * 24 * 3600

_WRITES = ("dynamodb.PutItem", "dynamodb.UpdateItem", "dynamodb.DeleteItem")
_READS = ("dynamodb.GetItem", "dynamodb.Query")
_S3_PUT_CLASS = ("s3.PutObject", "s3.CopyObject", "s3.ListObjectVersions", "s3.ListObjectsV2")
_S3_GET_CLASS = ("s3.GetObject", "s3.HeadObject")


@dataclass(frozen=True)
class Limit:
    label: str
    value: int
    source: str


@dataclass(frozen=True)
class ConsumerLoad:
    config: ConsumerConfig
    events_per_upload: int
    ms_per_upload: float  # at the configured memory
    ms_per_batch: float  # a full batch
    concurrency: float  # projected at the peak
    limits: list[Limit]
    binding: Limit
    capacity_uploads_s: float
    ramp_s: float  # to reach min(concurrency, binding) from the mapping's start
    drain_s: float  # a burst of uploads arriving at once
    wait_ms: tuple[float, float]  # in the buffer: first in its batch, last in a full batch
    risks: list[str] = field(default_factory=list)

    @property
    def utilisation(self) -> float:
        return self.concurrency / self.binding.value


def quota(name: str) -> float:
    return QUOTAS[name].value


def limits_of(config: ConsumerConfig) -> list[Limit]:
    limits = []
    if config.maximum_concurrency is not None:
        limits.append(Limit("mapping maximum_concurrency", config.maximum_concurrency, "stack"))
    if config.reserved_concurrency is not None:
        limits.append(Limit("reserved concurrency", config.reserved_concurrency, "stack"))
    limits.append(
        Limit("mapping's concurrent batches", int(quota("sqs_pollers_max")), QUOTAS["sqs_pollers_max"].source)
    )
    limits.append(Limit("account concurrency", int(quota("account_concurrency")), QUOTAS["account_concurrency"].source))
    return limits


def ramp_seconds(target: float, limit: float) -> float:
    """From the mapping's first batches to `target` concurrent batches (no more than `limit`)."""
    start, per_s = quota("sqs_pollers_start"), quota("sqs_pollers_ramp") / 60
    return max(0.0, min(target, limit) - start) / per_s


def drain_seconds(work_s: float, limit: float) -> float:
    """Time to do `work_s` concurrency-seconds when concurrency ramps from the start rate up to `limit`."""
    start, per_s = min(quota("sqs_pollers_start"), limit), quota("sqs_pollers_ramp") / 60
    ramp_s = (limit - start) / per_s
    ramp_work = start * ramp_s + per_s * ramp_s**2 / 2
    if work_s <= ramp_work and ramp_s > 0:
        # start * t + per_s * t^2 / 2 = work
        return (-start + math.sqrt(start**2 + 2 * per_s * work_s)) / per_s
    return ramp_s + (work_s - ramp_work) / limit


def load(config: ConsumerConfig, cost: ConsumerCost, latency_ms: float, peak: float, burst: float) -> ConsumerLoad:
    events = EVENTS_PER_UPLOAD[config.name]
    ms_per_upload = cost.duration_ms(config.memory_mb, latency_ms)
    ms_per_message = ms_per_upload / events
    ms_per_batch = config.batch_size * ms_per_message
    concurrency = peak * events * (ms_per_batch / 1000) / config.batch_size  # Little's law
    limits = limits_of(config)
    binding = min(limits, key=lambda limit: limit.value)
    capacity = binding.value * 1000 / ms_per_upload
    drain = drain_seconds(burst * ms_per_upload / 1000, binding.value)
    wait = (0.0, config.batching_window_s * 1000 + (config.batch_size - 1) * ms_per_message)
    risks = []
    if config.reserved_concurrency is not None and (
        config.maximum_concurrency is None or config.reserved_concurrency < config.maximum_concurrency
    ):
        risks.append(
            "throttles: reserved concurrency is below the mapping's maximum concurrency, so Lambda throttles the "
            "mapping's invokes; each throttled batch counts a receive and can reach the DLQ"
        )
    if concurrency >= binding.value:
        risks.append(
            f"saturated at the peak: {peak - capacity:,.1f} uploads/s more arrive than it can take ({binding.label}); "
            "the buffer grows (no throttles: the mapping polls no faster) and so does the latency"
        )
    elif concurrency >= 0.8 * binding.value:
        risks.append(f"{concurrency / binding.value:.0%} of {binding.label} at the peak: little headroom")
    if drain > config.retention_s:
        risks.append(
            f"a burst drains in {drain:,.0f} s, longer than the buffer keeps messages ({config.retention_s} s)"
        )
    return ConsumerLoad(
        config,
        events,
        ms_per_upload,
        ms_per_batch,
        concurrency,
        limits,
        binding,
        capacity,
        ramp_seconds(concurrency, binding.value),
        drain,
        (ms_per_message + wait[0], ms_per_message + wait[1]),
        risks,
    )


@dataclass(frozen=True)
class CostLine:
    consumer: str
    item: str
    usd_per_million: float


def cost_lines(
    config: ConsumerConfig, cost: ConsumerCost, memory_mb: int, latency_ms: float, stack: StackConfig
) -> list[CostLine]:
    """USD per million uploads for one consumer at `memory_mb` (one unit per DynamoDB request: items of at most
    1 KB written and 4 KB read; the search index's writes also write each of its GSIs)."""
    events = EVENTS_PER_UPLOAD[config.name]
    calls = cost.calls
    invocations = events / config.batch_size
    writes = sum(calls.get(name, 0.0) for name in _WRITES)
    if config.name == INDEX_WRITER:
        writes += events * stack.search_index_gsis
    per_upload = {
        "Lambda duration": cost.gb_s_per_million(memory_mb, latency_ms)
        / 1e6
        * PRICES[f"lambda_gb_s_{stack.architecture}"].value,
        "Lambda requests": invocations * PRICES["lambda_request"].value,
        # EventBridge's SendMessage into the buffer; the poller's ReceiveMessage and DeleteMessageBatch per batch.
        "SQS requests": events * (1 + 2 / config.batch_size) * PRICES["sqs_request"].value,
        "DynamoDB": writes * PRICES["dynamodb_write_unit"].value
        + sum(calls.get(name, 0.0) for name in _READS) * PRICES["dynamodb_read_unit"].value,
        "S3 requests": sum(calls.get(name, 0.0) for name in _S3_PUT_CLASS) * PRICES["s3_put_class"].value
        + sum(calls.get(name, 0.0) for name in _S3_GET_CLASS) * PRICES["s3_get_class"].value,
        "EventBridge": (1 if config.name in PUBLISHERS else 0) * PRICES["eventbridge_custom_event"].value,
    }
    return [CostLine(config.name, item, usd * 1e6) for item, usd in per_upload.items()]


def fixed_monthly(stack: StackConfig) -> dict[str, float]:
    """What the stack costs a month whatever the traffic."""
    pollers = quota("sqs_pollers_start")  # no fewer with maximum_concurrency set
    idle_receives = len(stack.consumers) * pollers * MONTH_S / LONG_POLL_S
    return {
        "idle polling (SQS receives)": idle_receives * PRICES["sqs_request"].value,
        "alarms": stack.alarms * PRICES["cloudwatch_alarm"].value,
        "dashboard (an account's first three are free)": stack.dashboards * PRICES["cloudwatch_dashboard"].value,
    }


@dataclass(frozen=True)
class ScaleStep:
    uploads_per_s: int
    settings: dict[str, dict[str, int]]  # consumer -> variables to set
    concurrency: dict[str, float]
    account_needed: int
    requests: list[str]  # quota requests and warnings


def scale_step(
    stack: StackConfig, loads: dict[str, ConsumerLoad], profile: dict[str, ConsumerCost], rate: int
) -> ScaleStep:
    settings, concurrency = {}, {}
    for name, current in loads.items():
        needed = rate * current.ms_per_upload / 1000
        concurrency[name] = needed
        recommended = max(2, math.ceil(needed * HEADROOM))
        config = current.config
        change: dict[str, int] = {}
        if config.maximum_concurrency is None or config.maximum_concurrency < recommended:
            change["maximum_concurrency"] = min(recommended, int(quota("sqs_pollers_max")))
        if rate >= 100:
            # So that no other function of the account can take what this consumer needs, and the mapping is
            # never throttled by Lambda (reserved concurrency at least its maximum concurrency).
            change["reserved_concurrent_executions"] = max(
                change.get("maximum_concurrency", config.maximum_concurrency or recommended), recommended
            )
        settings[name] = change
    reserved = sum(s.get("reserved_concurrent_executions", 0) for s in settings.values())
    peak_total = sum(
        min(s.get("maximum_concurrency", loads[n].config.maximum_concurrency or 1000), 1000)
        for n, s in settings.items()
    )
    account_needed = max(reserved + 100, peak_total)
    requests = []
    if account_needed > quota("account_concurrency"):
        requests.append(
            f"Lambda **Concurrent executions**: at least {math.ceil(account_needed / 100) * 100:,} (default "
            f"{quota('account_concurrency'):,.0f}; {reserved:,} reserved + 100 kept unreserved)"
        )
    for name, needed in concurrency.items():
        if needed * HEADROOM > quota("sqs_pollers_max"):
            requests.append(
                f"{name}: {needed:,.0f} concurrent batches exceed one mapping's 1,000: use the mapping's provisioned "
                "mode, more memory (shorter invocations) or a second queue"
            )
    for use in quota_use(stack, loads, profile, rate):
        if use.quota == "eventbridge_invocations" and use.share > 1:
            requests.append(f"EventBridge **Invocations throttle limit**: {use.needed:,.0f}/s")
        elif use.quota == "eventbridge_put_events" and use.share > 1:
            requests.append(f"EventBridge **PutEvents throttle limit**: {use.needed:,.0f}/s")
        elif use.quota == "sqs_in_flight" and use.share > 1:
            requests.append(f"{use.what}: {use.needed:,.0f} (a hard limit): smaller batches or more memory")
        elif use.quota == "dynamodb_table_throughput" and use.share > 1:
            requests.append(f"DynamoDB **table-level write throughput**: {use.what}, {use.needed:,.0f}")
        elif use.quota == "dynamodb_table_throughput" and use.needed > quota("dynamodb_new_table_writes"):
            requests.append(
                f"{use.what}: {use.needed:,.0f} is above what a new on-demand table takes at once "
                f"({quota('dynamodb_new_table_writes'):,.0f}): set its warm throughput before launch (no quota)"
            )
        elif use.quota == "s3_prefix_puts" and use.share > 1:
            requests.append(
                f"S3: {use.needed:,.0f} output PUTs/s; their keys are spread over hashed prefixes, and S3 partitions a "
                "prefix as its rate grows, answering 503 SlowDown (retried by the SDK) meanwhile: no quota to request"
            )
    return ScaleStep(rate, settings, concurrency, account_needed, requests)


def table_writes(stack: StackConfig, profile: dict[str, ConsumerCost], rate: float) -> dict[str, float]:
    """Write request units per second on each table at `rate` uploads/s: the search index takes one write per
    indexer event (and one per GSI), the idempotency table every other write."""
    index = idempotency = 0.0
    for name in stack.consumers:
        writes = sum(profile[name].calls.get(op, 0.0) for op in _WRITES)
        if name == INDEX_WRITER:
            index_writes = EVENTS_PER_UPLOAD[name]
            index += index_writes * (1 + stack.search_index_gsis)
            writes -= index_writes
        idempotency += writes
    return {"idempotency": rate * idempotency, "search index": rate * index}


@dataclass(frozen=True)
class QuotaUse:
    what: str
    needed: float
    quota: str  # key of QUOTAS

    @property
    def share(self) -> float:
        return self.needed / QUOTAS[self.quota].value


def quota_use(
    stack: StackConfig, loads: dict[str, ConsumerLoad], profile: dict[str, ConsumerCost], rate: float
) -> list[QuotaUse]:
    """The pipeline's use of the account- and queue-level quotas at `rate` uploads/s."""
    concurrency = {name: rate * load.ms_per_upload / 1000 for name, load in loads.items()}
    writes = table_writes(stack, profile, rate)
    uses = [
        QuotaUse("Lambda concurrent executions, all consumers", sum(concurrency.values()), "account_concurrency"),
        QuotaUse(
            "EventBridge target invocations/s (every message a consumer receives)",
            rate * sum(EVENTS_PER_UPLOAD[n] for n in loads),
            "eventbridge_invocations",
        ),
        QuotaUse(
            "EventBridge PutEvents entries/s (the producers' results)", rate * len(PUBLISHERS), "eventbridge_put_events"
        ),
        *(
            QuotaUse(
                f"SQS in-flight messages, {name}'s buffer", concurrency[name] * load.config.batch_size, "sqs_in_flight"
            )
            for name, load in loads.items()
        ),
        *(
            QuotaUse(f"DynamoDB write units/s, {table} table", units, "dynamodb_table_throughput")
            for table, units in writes.items()
        ),
        QuotaUse(
            "S3 output PUTs/s (spread over hashed prefixes)",
            rate * sum(profile[name].calls.get("s3.PutObject", 0.0) for name in loads),
            "s3_prefix_puts",
        ),
    ]
    return uses


@dataclass(frozen=True)
class Analysis:
    stack: StackConfig
    peak: float
    burst: float
    latency_ms: float
    loads: dict[str, ConsumerLoad]
    costs: dict[str, list[CostLine]]  # "configured" and "<m> MB" -> lines
    fixed: dict[str, float]
    scale: list[ScaleStep]
    quotas: list[QuotaUse]


def analyse(
    stack: StackConfig,
    profile: dict[str, ConsumerCost],
    latency_ms: float,
    peak: float,
    burst: float,
    memory_sizes: tuple[int, ...],
) -> Analysis:
    missing = set(stack.consumers) - set(profile)
    if missing:
        raise ValueError(f"the profile measured no {sorted(missing)}")
    loads = {name: load(c, profile[name], latency_ms, peak, burst) for name, c in stack.consumers.items()}
    costs = {
        "configured": [
            line
            for name, c in stack.consumers.items()
            for line in cost_lines(c, profile[name], c.memory_mb, latency_ms, stack)
        ]
    }
    for memory in memory_sizes:
        costs[f"{memory} MB"] = [
            line
            for name, c in stack.consumers.items()
            for line in cost_lines(c, profile[name], memory, latency_ms, stack)
        ]
    scale = [scale_step(stack, loads, profile, rate) for rate in SCALE_TARGETS]
    quotas = quota_use(stack, loads, profile, peak)
    return Analysis(stack, peak, burst, latency_ms, loads, costs, fixed_monthly(stack), scale, quotas)


def total(lines: list[CostLine]) -> float:
    return sum(line.usd_per_million for line in lines)


__all__ = [
    "EVENTS_PER_UPLOAD",
    "HEADROOM",
    "SCALE_TARGETS",
    "Analysis",
    "ConsumerLoad",
    "CostLine",
    "Limit",
    "QuotaUse",
    "ScaleStep",
    "analyse",
    "drain_seconds",
    "load",
    "quota_use",
    "ramp_seconds",
    "scale_step",
    "table_writes",
    "total",
]
