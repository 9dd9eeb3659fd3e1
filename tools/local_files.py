"""What `make thumbnails` and `make metadata` share: the input files, per-file measurement, the JSON report.

Each file is measured for wall time, CPU time and the process's peak resident memory while it was processed
(the kernel's high-water mark is reset before each file, where /proc allows it), so a report shows every file
within the budgets, or not.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consumer_core.errors import PermanentError


def inputs(root: Path) -> list[Path]:
    """The file itself, or every non-hidden file under the folder, in a stable order."""
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def relative_name(path: Path, root: Path) -> str:
    return path.name if root.is_file() else path.relative_to(root).as_posix()


@dataclass
class Measurement:
    ms: float = 0.0
    cpu_ms: float = 0.0
    peak_rss_mb: float | None = None


@contextmanager
def measured() -> Iterator[Measurement]:
    result = Measurement()
    resettable = _reset_peak_rss()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield result
    finally:
        result.ms = round((time.perf_counter() - wall) * 1000, 2)
        result.cpu_ms = round((time.process_time() - cpu) * 1000, 2)
        result.peak_rss_mb = _peak_rss_mb() if resettable else None


def entry(path: Path, measurement: Measurement, error: PermanentError | None, **extra: Any) -> dict[str, Any]:
    return {
        "input": str(path),
        "status": "rejected" if error else "ok",
        "reason": error.reason if error else None,
        "message": error.message if error else None,
        "ms": measurement.ms,
        "cpu_ms": measurement.cpu_ms,
        "peak_rss_mb": measurement.peak_rss_mb,
        **extra,
    }


def write_report(entries: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2) + "\n")


def summary_line(entries: list[dict[str, Any]]) -> str:
    ok = sum(e["status"] == "ok" for e in entries)
    return f"{ok} ok, {len(entries) - ok} rejected"


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current resident size (Linux: `5` in /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
