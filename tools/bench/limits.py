"""The largest legitimate uploads through both consumers, each in a fresh process: processed (not refused),
within the CPU budget and the process's memory budget. `make bench` prints one row per file and consumer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from consumer_core.imaging import DEFAULT_LIMITS

_PROBE = """
import json, sys, time
from consumer_core.errors import PermanentError
from image_resizer.thumbnails import render
from metadata_extractor.extract import extract_metadata
from tools import testimages as images
consumer, path = sys.argv[1], sys.argv[2]
run = render if consumer == "image_resizer" else (lambda d: extract_metadata(d, include_gps_coordinates=False))
run(images.jpeg(64, 48))  # codecs loaded first
data = open(path, "rb").read()
started = time.process_time()
try:
    run(data)
    status = "ok"
except PermanentError as exc:
    status = f"{exc.reason}: {exc.message}"
cpu = time.process_time() - started
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print(json.dumps({"status": status, "cpu_s": cpu, "peak_mb": peak}))
"""


def measure(files: dict[str, Path], env: dict[str, str]) -> list[dict]:
    rows = []
    for name, path in files.items():
        for consumer in ("image_resizer", "metadata_extractor"):
            proc = subprocess.run(
                [sys.executable, "-c", _PROBE, consumer, str(path)],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
            )
            row = {"file": name, "consumer": consumer, "bytes": path.stat().st_size}
            if proc.returncode:
                row["status"] = f"crashed: {(proc.stderr.strip().splitlines() or ['?'])[-1][:200]}"
            else:
                row.update(json.loads(proc.stdout.strip().splitlines()[-1]))
            rows.append(row)
            print(
                f"largest     {name:<26} {consumer:<19} {row['status'][:60]:<10} "
                f"{row.get('cpu_s', 0):5.2f} s CPU  {row.get('peak_mb', 0):6.1f} MB peak",
                flush=True,
            )
    return rows


def verdicts(rows: list[dict]) -> list[str]:
    budget_s, budget_mb = DEFAULT_LIMITS.cpu_budget_s, DEFAULT_LIMITS.memory_budget_bytes / 2**20
    lines = []
    for row in rows:
        ok = row["status"] == "ok" and row["cpu_s"] <= budget_s and row["peak_mb"] <= budget_mb
        label = f"{row['file']}/{row['consumer']} processed within {budget_s:g} s and {budget_mb:.0f} MB"
        lines.append(f"{'PASS' if ok else 'FAIL'}  {label}")
    return lines
