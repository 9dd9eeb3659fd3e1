"""`make redrive CONSUMER=<name> [REASON=<reason>] [DRY_RUN=1]`: list a consumer's DLQ by reason, then move its
messages (all, or those with one reason) back to the consumer's buffer queue.

    python -m tools.redrive --consumer image_resizer [--reason too_complex] [--dry-run] [--rate 50]
        [--method auto|move-task|loop] [--terraform-dir .] [--outputs-json FILE] [--endpoint-url URL]

The queues come from the stack's Terraform outputs (`consumers`): `terraform output -json` in --terraform-dir
(where the stack was applied), or a file holding that output. Credentials, region and endpoint are boto3's usual
ones (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL...). Moving every message uses SQS's message move task where the
service has one (--method auto), the receive/send/delete loop elsewhere and for a single reason.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.redrive.messages import EVENTBRIDGE_REASON_PREFIX, NO_REASON, DlqMessage
from tools.redrive.move import MoveResult, MoveTaskUnavailable, by_loop, by_move_task
from tools.redrive.sweep import look

# What a redrive does to a message, by why it is in the DLQ (consumer_core.runtime and .idempotency say why).
_FORGOTTEN = (
    "processed afresh: the runtime dropped the dead invocation's idempotency record when it sent this; it fails "
    "the same way unless the function's timeout or memory, or the object, changed"
)
OUTCOMES = {
    "retries_exhausted": "processed afresh: transient failures leave no idempotency record",
    "timeout": _FORGOTTEN,
    "out_of_memory": _FORGOTTEN,
    NO_REASON: (
        "moved by SQS after maxReceiveCount, the handler never answered (it crashed, or its invocation died on the "
        "last delivery): processed afresh once the dead record's deadline has passed"
    ),
}
PERMANENT_OUTCOME = "processed afresh (a rejection leaves no idempotency record); rejected again unless fixed"
EVENTBRIDGE_OUTCOME = "EventBridge could not deliver it to the buffer; the body is the event, processed as new"
ALWAYS = (
    "An object whose idempotency record completed meanwhile (another delivery of it succeeded) is replayed, not "
    "processed again: its result's events are announced again, nothing else changes. One still in progress is "
    "left to the invocation processing it."
)


@dataclass(frozen=True)
class Target:
    consumer: str
    dlq_url: str
    dlq_arn: str
    buffer_url: str
    buffer_arn: str

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any], consumer: str) -> Target:
        """From the stack's outputs (`terraform output -json`: {name: {"value": ...}} or {name: value})."""
        consumers = outputs["consumers"]
        if "value" in consumers and "type" in consumers:  # `terraform output -json`'s own wrapping
            consumers = consumers["value"]
        if consumer not in consumers:
            raise SystemExit(f"no consumer {consumer!r} in the stack's outputs; consumers: {sorted(consumers)}")
        c = consumers[consumer]
        return cls(consumer, c["dlq_url"], c["dlq_arn"], c["buffer_queue_url"], c["buffer_queue_arn"])


@dataclass(frozen=True)
class ReasonGroup:
    reason: str
    count: int
    oldest: str
    sample_key: str


def outcome(reason: str) -> str:
    if reason.startswith(EVENTBRIDGE_REASON_PREFIX):
        return EVENTBRIDGE_OUTCOME
    return OUTCOMES.get(reason, PERMANENT_OUTCOME)


def group(messages: list[DlqMessage]) -> list[ReasonGroup]:
    """Per reason: how many, the oldest sent, a sample key (the oldest message's); most numerous first."""
    by_reason: dict[str, list[DlqMessage]] = {}
    for message in messages:
        by_reason.setdefault(message.reason, []).append(message)
    groups = []
    for reason, members in by_reason.items():
        oldest = min(members, key=lambda m: m.sent_at.timestamp() if m.sent_at else float("inf"))
        groups.append(
            ReasonGroup(
                reason,
                len(members),
                oldest.sent_at.strftime("%Y-%m-%d %H:%M:%S UTC") if oldest.sent_at else "?",
                oldest.key or "?",
            )
        )
    return sorted(groups, key=lambda g: (-g.count, g.reason))


def table(groups: list[ReasonGroup]) -> str:
    rows = [("reason", "count", "oldest", "sample key", "after a redrive")]
    rows += [(g.reason, str(g.count), g.oldest, g.sample_key, outcome(g.reason)) for g in groups]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)) for row in rows)


def redrive(
    sqs: Any,
    target: Target,
    *,
    reason: str | None = None,
    dry_run: bool = False,
    method: str = "auto",
    rate: float | None = None,
    out: Callable[[str], None] = print,
) -> MoveResult | None:
    """List the DLQ by reason; unless `dry_run`, move the messages (all, or those with `reason`) to the buffer."""
    groups = group(look(sqs, target.dlq_url))
    total = sum(g.count for g in groups)
    out(f"{target.consumer}: {total} message(s) in {target.dlq_url}")
    if groups:
        out(table(groups))
        out(ALWAYS)
    if reason is not None and reason not in {g.reason for g in groups}:
        out(f"no message with reason {reason!r}: nothing to move")
        return MoveResult("none")
    if dry_run or not groups:
        out("dry run: nothing moved" if dry_run else "nothing to move")
        return None
    chosen = f"the {reason} messages" if reason else "every message"
    out(f"moving {chosen} to {target.buffer_url}")
    result: MoveResult | None = None
    if reason is None and method in ("auto", "move-task"):
        try:
            result = by_move_task(sqs, target.dlq_arn, target.buffer_arn, rate=rate, progress=out)
        except MoveTaskUnavailable as unavailable:
            if method == "move-task":
                raise
            out(f"no message move task here ({unavailable}); moving with receive/send/delete")
    if result is None:
        result = by_loop(sqs, target.dlq_url, target.buffer_url, lambda m: reason is None or m.reason == reason, rate)
    out(f"moved {result.moved} ({result.method}); left in the DLQ: {result.kept}")
    for line in result.failed:
        out(f"  {line}")
    return result


def terraform_outputs(directory: Path) -> dict[str, Any]:
    proc = subprocess.run(["terraform", "output", "-json"], cwd=directory, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"terraform output in {directory} failed:\n{proc.stderr}")
    outputs: dict[str, Any] = json.loads(proc.stdout or "{}")
    if "consumers" not in outputs:
        raise SystemExit(f"no `consumers` output in {directory}: is the stack applied there? (--terraform-dir)")
    return outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.redrive", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--consumer", required=True)
    parser.add_argument("--reason", help="move only the messages with this reason (as the listing shows it)")
    parser.add_argument("--dry-run", action="store_true", help="list only, move nothing")
    parser.add_argument("--rate", type=float, help="at most this many messages a second")
    parser.add_argument("--method", choices=("auto", "move-task", "loop"), default="auto")
    parser.add_argument("--terraform-dir", type=Path, default=Path("."))
    parser.add_argument("--outputs-json", type=Path, help="`terraform output -json` saved to a file")
    parser.add_argument(
        "--endpoint-url",
        help="SQS endpoint; by default boto3's own choice (AWS_ENDPOINT_URL_SQS, then AWS_ENDPOINT_URL, then AWS)",
    )
    args = parser.parse_args(argv)
    import boto3

    outputs = json.loads(args.outputs_json.read_text()) if args.outputs_json else terraform_outputs(args.terraform_dir)
    target = Target.from_outputs(outputs, args.consumer)
    sqs = boto3.client("sqs", endpoint_url=args.endpoint_url or None)
    result = redrive(sqs, target, reason=args.reason, dry_run=args.dry_run, method=args.method, rate=args.rate)
    return 1 if result is not None and result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
