"""Every price and quota the capacity report uses, with where it comes from. Printed in the report as they are.

Prices are AWS's list prices for us-east-1 (first pricing tier, free tiers left out), as published on the pricing
pages named below and checked on 2026-11-30 against summaries of those pages dated 2026-03 to 2026-06; quotas are
the defaults of a new account in us-east-1 as the service documentation states them. Other Regions differ: see the
sources.
"""

from __future__ import annotations

from dataclasses import dataclass

REGION = "us-east-1"
PRICES_CHECKED = "2026-11-30"


@dataclass(frozen=True)
class Fact:
    value: float
    unit: str
    what: str
    source: str


PRICES = {
    "lambda_gb_s_arm64": Fact(
        0.0000133334, "USD per GB-s", "Lambda duration, arm64", "https://aws.amazon.com/lambda/pricing/"
    ),
    "lambda_gb_s_x86_64": Fact(
        0.0000166667, "USD per GB-s", "Lambda duration, x86_64", "https://aws.amazon.com/lambda/pricing/"
    ),
    "lambda_request": Fact(0.20 / 1e6, "USD per request", "Lambda requests", "https://aws.amazon.com/lambda/pricing/"),
    "sqs_request": Fact(
        0.40 / 1e6,
        "USD per request",
        "SQS standard queue requests (each 64 KB of a message is one)",
        "https://aws.amazon.com/sqs/pricing/",
    ),
    "eventbridge_custom_event": Fact(
        1.00 / 1e6,
        "USD per event",
        "EventBridge custom events (PutEvents entries); events AWS services put on the default bus are free",
        "https://aws.amazon.com/eventbridge/pricing/",
    ),
    "dynamodb_write_unit": Fact(
        0.625 / 1e6,
        "USD per write request unit",
        "DynamoDB on-demand writes (the price since 2024-11-01)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    ),
    "dynamodb_read_unit": Fact(
        0.125 / 1e6,
        "USD per read request unit",
        "DynamoDB on-demand reads",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    ),
    "s3_put_class": Fact(
        0.005 / 1000, "USD per request", "S3 Standard PUT, COPY, POST, LIST", "https://aws.amazon.com/s3/pricing/"
    ),
    "s3_get_class": Fact(
        0.0004 / 1000, "USD per request", "S3 Standard GET, HEAD", "https://aws.amazon.com/s3/pricing/"
    ),
    "cloudwatch_dashboard": Fact(
        3.00, "USD per month", "a CloudWatch dashboard (three are free)", "https://aws.amazon.com/cloudwatch/pricing/"
    ),
    "cloudwatch_alarm": Fact(
        0.10, "USD per month", "a standard-resolution metric alarm", "https://aws.amazon.com/cloudwatch/pricing/"
    ),
}

QUOTAS = {
    "account_concurrency": Fact(
        1000,
        "concurrent executions",
        "Lambda concurrency of the account in a Region (adjustable; 100 always stay unreserved)",
        "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
    ),
    "function_scaling": Fact(
        1000,
        "execution environments per 10 s",
        "Lambda's concurrency scaling rate, per function",
        "https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html",
    ),
    "sqs_pollers_start": Fact(
        5,
        "concurrent batches",
        "an SQS event source mapping starts with five concurrent batches",
        "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html",
    ),
    "sqs_pollers_ramp": Fact(
        300,
        "more concurrent batches per minute",
        "how fast an SQS event source mapping adds batches while messages wait",
        "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html",
    ),
    "sqs_pollers_max": Fact(
        1000,
        "concurrent batches",
        "the most an SQS event source mapping processes at once (standard mode); its maximum_concurrency is 2-1,000",
        "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html",
    ),
    "sqs_in_flight": Fact(
        120_000,
        "in-flight messages per standard queue",
        "received, not yet deleted (standard queue; its API rate is nearly unlimited)",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html",
    ),
    "eventbridge_invocations": Fact(
        18_750,
        "target invocations per second",
        "EventBridge rule target deliveries, us-east-1 (lower in most Regions)",
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html",
    ),
    "eventbridge_put_events": Fact(
        10_000,
        "PutEvents per second",
        "EventBridge PutEvents, us-east-1 (counted here per entry, the cautious reading)",
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html",
    ),
    "dynamodb_table_throughput": Fact(
        40_000,
        "request units per second",
        "DynamoDB on-demand read or write throughput per table (adjustable)",
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html",
    ),
    "dynamodb_new_table_writes": Fact(
        4_000,
        "write request units per second",
        "a new on-demand table at once; it scales to double its previous peak (warm throughput raises it ahead)",
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html",
    ),
    "s3_prefix_puts": Fact(
        3_500,
        "PUT/COPY/POST/DELETE per second per prefix",
        "S3 request rate per partitioned prefix (S3 adds partitions as a prefix's rate grows)",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html",
    ),
}

__all__ = ["PRICES", "PRICES_CHECKED", "QUOTAS", "REGION", "Fact"]
