"""No serial waits the work does not need: per image, the AWS calls each consumer makes and the round trips it waits
for one after another, counted through botocore's hooks (tools.round_trips), not timed.

The budgets, per image, for a full batch (BATCH_SIZES; `make bench` reports the same figures as cost):
- image_resizer: the download overlaps the idempotency claim, the four thumbnails go up in one wave, then the
  completion write, and a share of one PutEvents for the batch: 3 + 1/5 round trips, 7 + 1/5 calls;
- metadata_extractor: the same shape with one output: 3 + 1/5 round trips, 4 + 1/5 calls;
- search_indexer: per event, the index read overlaps the claim, then the index write and the completion write:
  3 round trips for each of an upload's three events.
"""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from consumer_core import concurrency
from tools import testimages as images
from tools.bench import cost
from tools.round_trips import CallLog

IMAGES = cost.BATCH_SIZES["image_resizer"]


@pytest.fixture(scope="module")
def costs() -> dict[str, cost.ConsumerCost]:
    return cost.measure([images.jpeg(640, 480, seed=seed) for seed in range(IMAGES)])


def waves_with(consumer_cost: cost.ConsumerCost, operation: str) -> list[list[str]]:
    return [wave for wave in consumer_cost.waves if operation in wave]


def test_resizer_uploads_its_outputs_at_once_and_waits_three_times_per_image(costs) -> None:
    resizer = costs["image_resizer"]
    assert resizer.calls == {
        "s3.GetObject": 1,
        "s3.PutObject": 4,
        "dynamodb.PutItem": 1,
        "dynamodb.UpdateItem": 1,
        "events.PutEvents": 1 / IMAGES,
    }
    assert resizer.serial_round_trips <= 3 + 1 / IMAGES, resizer.waves
    uploads = waves_with(resizer, "s3.PutObject")
    assert len(uploads) == IMAGES and all(wave == ["s3.PutObject"] * 4 for wave in uploads), "one wave per image"
    assert all("dynamodb.PutItem" in wave for wave in waves_with(resizer, "s3.GetObject")), "download ‖ claim"
    assert resizer.waves[-1] == ["events.PutEvents"], "the batch's events in one call, at the end"


def test_extractor_waits_three_times_per_image(costs) -> None:
    extractor = costs["metadata_extractor"]
    assert extractor.calls == {
        "s3.GetObject": 1,
        "s3.PutObject": 1,
        "dynamodb.PutItem": 1,
        "dynamodb.UpdateItem": 1,
        "events.PutEvents": 1 / IMAGES,
    }
    assert extractor.serial_round_trips <= 3 + 1 / IMAGES, extractor.waves
    assert all("dynamodb.PutItem" in wave for wave in waves_with(extractor, "s3.GetObject")), "download ‖ claim"


def test_indexer_waits_three_times_per_event(costs) -> None:
    indexer = costs["search_indexer"]
    events_per_image = 3
    assert indexer.calls == {
        "dynamodb.GetItem": events_per_image,
        "dynamodb.PutItem": 2 * events_per_image,  # the claim and the index write
        "dynamodb.UpdateItem": events_per_image,
    }
    assert indexer.serial_round_trips <= 3 * events_per_image, indexer.waves
    assert all("dynamodb.PutItem" in wave for wave in waves_with(indexer, "dynamodb.GetItem")), "read ‖ claim"


def test_cost_model_follows_the_stated_formula(costs) -> None:
    resizer = costs["image_resizer"]
    for memory in cost.MEMORY_SIZES_MB:
        share = min(1.0, memory / cost.FULL_VCPU_MB)
        expected_ms = resizer.cpu_ms / share + resizer.serial_round_trips * cost.LATENCY_MS
        assert resizer.duration_ms(memory) == pytest.approx(expected_ms)
        assert resizer.gb_s_per_million(memory) == pytest.approx(expected_ms / 1000 * memory / 1024 * 1e6)
    assert resizer.cpu_ms > costs["metadata_extractor"].cpu_ms > 0, "rendering costs more CPU than reading headers"

    rows = cost.table(costs)
    assert [row.split("|")[1].strip() for row in rows[2:]] == [*cost.CONSUMERS, "all three"]
    total_1gb = sum(c.gb_s_per_million(1024) for c in costs.values())
    assert rows[-1].split("|")[-3].strip() == f"{total_1gb:,.0f}"


# -- the measurement itself ----------------------------------------------------------------------------------


@pytest.fixture
def watched_s3():
    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        log = CallLog(hold_s=0.1)
        log.install(session._session)
        s3 = session.client("s3")
        s3.create_bucket(Bucket="bucket")
        yield log, s3


def test_calls_made_one_after_another_are_each_a_round_trip(watched_s3) -> None:
    log, s3 = watched_s3
    with log.watching():
        for index in range(3):
            s3.put_object(Bucket="bucket", Key=f"k{index}", Body=b"x")
    assert log.serial_round_trips() == 3
    assert log.counts() == {"s3.PutObject": 3}


def test_calls_made_at_the_same_time_are_one_round_trip(watched_s3) -> None:
    log, s3 = watched_s3
    with log.watching():
        concurrency.run_all(
            lambda key: s3.put_object(Bucket="bucket", Key=key, Body=b"x"), [(f"k{i}",) for i in range(4)]
        )
        s3.head_object(Bucket="bucket", Key="k0")
    assert log.describe() == [["s3.PutObject"] * 4, ["s3.HeadObject"]]
