"""`make reprocess`: start the deployed stack's reprocess workflow and show its progress until it ends.

    python -m tools.reprocess --prefix uploads/alice/ --consumers image_resizer,metadata_extractor \\
        [--dry-run] [--rate N] [--tolerated-failure-percentage P] [--run NAME] [--manifest s3://BUCKET/KEY] \\
        [--stack DIR] [--outputs FILE]
    python -m tools.reprocess --resume EXECUTION_ARN [--stack DIR]

Where the workflow is comes from the stack's Terraform outputs (`terraform -chdir=DIR output -json`, output
`reprocess_workflow`; DIR defaults to this repository, or --outputs names a file with that JSON). AWS credentials,
region and endpoint come from the usual environment (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL for an emulator).

Progress is read from the run's counters (one DynamoDB item per consumer, added to by every batch) until the
execution ends; then the summary the workflow wrote to S3 is printed, and the exit status is 0 only if it
succeeded. --run continues an earlier run (its name, its idempotency keys) in a new execution: objects the run
already processed are replayed by the consumers, not processed again. --resume redrives a stopped or failed
execution (AWS RedriveExecution): only the batches that did not finish are sent again.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT = "reprocess_workflow"
CONSUMERS = ("image_resizer", "metadata_extractor", "search_indexer")
FINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


def stack_outputs(stack: Path | None = None, outputs_file: Path | None = None) -> dict[str, Any]:
    """The `reprocess_workflow` output of the deployed stack."""
    if outputs_file is not None:
        raw = json.loads(outputs_file.read_text())
    else:
        command = ["terraform", f"-chdir={stack or REPO_ROOT}", "output", "-json"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"terraform output failed in {stack or REPO_ROOT}:\n{result.stderr.strip()}")
        raw = json.loads(result.stdout or "{}")
    value = raw.get(OUTPUT)
    value = value.get("value") if isinstance(value, dict) and "value" in value else value
    if not value:
        raise SystemExit(f"the stack has no {OUTPUT} output (reprocess_workflow.enabled = false, or not applied)")
    return dict(value)


def execution_input(args: argparse.Namespace) -> dict[str, Any]:
    """The state machine's input (its contract: docs/reprocess.md); unset options take the stack's defaults."""
    document: dict[str, Any] = {"prefix": args.prefix, "consumers": args.consumers, "dry_run": args.dry_run}
    if args.rate is not None:
        document["rate"] = args.rate
    if args.tolerated_failure_percentage is not None:
        document["tolerated_failure_percentage"] = args.tolerated_failure_percentage
    if args.run:
        document["run"] = args.run
    if args.manifest:
        bucket, _, key = args.manifest.removeprefix("s3://").partition("/")
        document["manifest"] = {"bucket": bucket, "key": key}
    return document


def counters(dynamodb: Any, table: str, run: str) -> dict[str, dict[str, int]]:
    """The run's counters, by consumer."""
    items = dynamodb.query(
        TableName=table,
        KeyConditionExpression="#run = :run",
        ExpressionAttributeNames={"#run": "run"},
        ExpressionAttributeValues={":run": {"S": run}},
        ConsistentRead=True,
    ).get("Items", [])
    return {
        item["consumer"]["S"]: {name: int(item[name]["N"]) for name in ("eligible", "sent", "skipped") if name in item}
        for item in items
    }


def describe_counts(counts: dict[str, dict[str, int]]) -> str:
    return "; ".join(
        f"{consumer} {c.get('sent', 0)} sent, {c.get('skipped', 0)} skipped ({c.get('eligible', 0)} eligible)"
        for consumer, c in sorted(counts.items())
    )


def follow(
    sfn: Any,
    dynamodb: Any,
    execution_arn: str,
    workflow: dict[str, Any],
    run: str,
    out: TextIO,
    interval_s: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Print the run's progress whenever it changes, until the execution ends; returns DescribeExecution."""
    last = ""
    started = time.monotonic()
    while True:
        execution = sfn.describe_execution(executionArn=execution_arn)
        line = describe_counts(counters(dynamodb, workflow["runs_table_name"], run))
        if line and line != last:
            out.write(f"  [{time.monotonic() - started:5.0f} s] {line}\n")
            out.flush()
            last = line
        if execution["status"] in FINAL:
            return dict(execution)
        sleep(interval_s)


def summary_table(summary: dict[str, Any]) -> str:
    rows = [f"  {'consumer':<20}{'eligible':>10}{'sent':>10}{'skipped':>10}"]
    rows += [
        f"  {c['consumer']:<20}{c['eligible']:>10}{c['sent']:>10}{c['skipped']:>10}"
        for c in summary.get("consumers", [])
    ]
    return "\n".join(rows)


def read_summary(s3: Any, workflow: dict[str, Any], run: str) -> dict[str, Any] | None:
    location = workflow["report_location"]
    try:
        body = s3.get_object(Bucket=location["bucket"], Key=f"{location['prefix']}{run}/summary.json")["Body"].read()
    except Exception:  # the run ended before it wrote one (invalid input)
        return None
    document: dict[str, Any] = json.loads(body)
    return document


def run_name(now: datetime | None = None, run: str | None = None) -> str:
    """A new execution's name: reprocess-<UTC time>, or <run>-<UTC time> for one continuing a run (execution names
    are unique per state machine, runs are not)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return f"{run[: 80 - len(stamp) - 1]}-{stamp}" if run else f"reprocess-{stamp}"


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, clients: Any = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.reprocess", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prefix", help="key prefix to walk: the upload prefix or a folder under it")
    parser.add_argument("--consumers", type=lambda text: [c.strip() for c in text.split(",") if c.strip()])
    parser.add_argument("--dry-run", action="store_true", help="count what would be sent, send nothing")
    parser.add_argument("--rate", type=int, help="objects a second (1..1000); default: the stack's")
    parser.add_argument("--tolerated-failure-percentage", type=float)
    parser.add_argument("--run", help="continue the run of this name (its idempotency keys) in a new execution")
    parser.add_argument("--manifest", help="walk this S3 Inventory manifest.json (s3://bucket/key) instead")
    parser.add_argument("--name", help="execution name (default: reprocess-<UTC time>, or <run>-<UTC time>)")
    parser.add_argument("--resume", metavar="EXECUTION_ARN", help="redrive this stopped or failed execution")
    parser.add_argument("--stack", type=Path, help="directory of the deployed stack (default: this repository)")
    parser.add_argument("--outputs", type=Path, help="a file with `terraform output -json` instead of --stack")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between progress reads")
    args = parser.parse_args(argv)
    if not args.resume and (not args.prefix or not args.consumers):
        parser.error("--prefix and --consumers are required (or --resume)")

    workflow = stack_outputs(args.stack, args.outputs)
    sfn, dynamodb, s3 = clients or _clients(workflow["state_machine_arn"])
    if args.resume:
        sfn.redrive_execution(executionArn=args.resume)
        execution_arn = args.resume
        run = (
            json.loads(sfn.describe_execution(executionArn=execution_arn)["input"]).get("run")
            or (execution_arn.rsplit(":", 1)[-1])
        )
        out.write(f"redriving {execution_arn} (run {run}): only the batches that did not finish are sent again\n")
    else:
        document = execution_input(args)
        name = args.name or run_name(run=args.run)
        run = args.run or name
        response = sfn.start_execution(
            stateMachineArn=workflow["state_machine_arn"], name=name, input=json.dumps(document)
        )
        execution_arn = response["executionArn"]
        out.write(f"started {execution_arn}\n  run {run}, input {json.dumps(document)}\n")
    out.flush()
    try:
        execution = follow(sfn, dynamodb, execution_arn, workflow, run, out, args.interval)
    except KeyboardInterrupt:
        out.write(
            f"\nstill running: {execution_arn}\n  stop it: aws stepfunctions stop-execution --execution-arn "
            f"{execution_arn}\n  then continue it: make reprocess RESUME={execution_arn}\n"
        )
        return 130
    started, stopped = execution.get("startDate"), execution.get("stopDate")
    took = f" in {(stopped - started).total_seconds():.0f} s" if started and stopped else ""
    out.write(f"{execution['status']}{took}\n")
    summary = read_summary(s3, workflow, run)
    if summary is not None:
        location = workflow["report_location"]
        out.write(f"summary: s3://{location['bucket']}/{location['prefix']}{run}/summary.json\n")
        out.write(summary_table(summary) + "\n")
        if summary.get("failure"):
            out.write(f"  failure: {summary['failure'].get('Error')}: {summary['failure'].get('Cause')}\n")
    if execution["status"] != "SUCCEEDED" and execution.get("error"):
        out.write(f"  {execution.get('error')}: {execution.get('cause')}\n")
    return 0 if execution["status"] == "SUCCEEDED" else 1


def _clients(state_machine_arn: str) -> tuple[Any, Any, Any]:
    import boto3

    region = state_machine_arn.split(":")[3]
    session = boto3.session.Session()
    region_name = session.region_name or region
    return (
        session.client("stepfunctions", region_name=region_name),
        session.client("dynamodb", region_name=region_name),
        session.client("s3", region_name=region_name),
    )


if __name__ == "__main__":
    sys.exit(main())
