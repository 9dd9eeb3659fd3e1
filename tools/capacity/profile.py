"""The measured cost of one upload to each consumer: `make bench`'s `cost_per_image` (build/bench.json), read back
into tools.bench.cost's own model (ConsumerCost: CPU per image scaled by the vCPU share at each memory size, plus
serial round trips times the stated latency). Without that file, the same measurement runs here (the bench's cost
section alone: its corpus, its handlers on moto, ~30 s) and is kept next to the report."""

from __future__ import annotations

import contextlib
import json
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tools.bench import corpus, cost


@dataclass(frozen=True)
class Profile:
    costs: dict[str, cost.ConsumerCost]
    latency_ms: float
    batch_sizes: dict[str, int]
    source: str


def load(path: Path) -> Profile:
    document = json.loads(path.read_text())
    section = document.get("cost_per_image", document)
    if "consumers" not in section:
        raise SystemExit(f"{path} has no cost per image (was `make bench` run with --no-cost?)")
    costs, latency_ms = cost.read_profile(section)
    machine = document.get("machine") or {"platform": platform.platform(), "python": platform.python_version()}
    written = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    where = f"{path}, written {written}, on {machine['platform']} (Python {machine.get('python', '?')})"
    return Profile(costs, latency_ms, dict(section["model"]["batch_sizes"]), where)


def measure(out: Path, workdir: Path) -> Profile:
    photos = [p.read_bytes() for p in corpus.ensure(workdir / "cost", corpus.COST_PHOTOS).values()]
    print(f"no profile: measuring the cost per image ({len(photos)} 12 MP photos, tools.bench.cost)", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    # The handlers log to stdout as on Lambda: into a file here (left open: their logger keeps the stream).
    log = out.with_suffix(".log").open("w")
    with contextlib.redirect_stdout(log):
        section = cost.profile(cost.measure(photos))
    log.flush()
    out.write_text(json.dumps({"cost_per_image": section}, indent=2))
    return load(out)


def load_or_measure(path: Path, fallback: Path, workdir: Path) -> Profile:
    if path.is_file():
        return load(path)
    if fallback.is_file():
        return load(fallback)
    return measure(fallback, workdir)


__all__ = ["Profile", "load", "load_or_measure", "measure"]
