"""`make capacity [PEAK=<uploads per second>] [PROFILE=<file>]`: build/capacity/report.md and report.html.

    python -m tools.capacity [--peak 10] [--burst N] [--profile build/bench.json] [--plan-json FILE]
        [--var-file FILE] [--out build/capacity]

--profile: `make bench`'s build/bench.json (its cost per image); when missing, the bench's cost measurement runs
here (~30 s) and is kept as build/capacity/profile.json. --plan-json: `terraform show -json` of your plan or
state; without it the root stack is planned here, offline, with its defaults (--var-file adds yours). --burst:
uploads arriving at once (default: a minute of the peak).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tools.bench.cost import MEMORY_SIZES_MB
from tools.capacity import model, profile, report, stack
from tools.emulator.server import REPO_ROOT

BUILD = REPO_ROOT / "build" / "capacity"


def run(
    peak: float,
    profile_path: Path,
    out: Path = BUILD,
    burst: float | None = None,
    plan_json: Path | None = None,
    var_file: Path | None = None,
) -> tuple[Path, Path]:
    measured = profile.load_or_measure(profile_path, out / "profile.json", REPO_ROOT / "build" / "bench")
    config = stack.read_stack(plan_json, out / "terraform", var_file)
    analysis = model.analyse(
        config, measured.costs, measured.latency_ms, peak, burst if burst is not None else peak * 60, MEMORY_SIZES_MB
    )
    return report.write(report.build(analysis, measured.source, measured.batch_sizes), out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tools.capacity", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--peak", type=float, default=10.0, help="uploads per second at the peak")
    parser.add_argument("--burst", type=float, help="uploads arriving at once (default: the peak for a minute)")
    parser.add_argument("--profile", type=Path, default=REPO_ROOT / "build" / "bench.json")
    parser.add_argument("--plan-json", type=Path)
    parser.add_argument("--var-file", type=Path)
    parser.add_argument("--out", type=Path, default=BUILD)
    args = parser.parse_args(argv)
    if args.peak <= 0:
        parser.error("--peak must be positive")
    # Absolute: Terraform runs in a directory under --out, and make passes the default relative to the repository.
    markdown, page = run(args.peak, args.profile, args.out.resolve(), args.burst, args.plan_json, args.var_file)
    print(f"capacity report: {markdown}\n                 {page}")


__all__ = ["main", "run"]
