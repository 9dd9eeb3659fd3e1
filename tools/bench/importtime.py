"""Cold import cost of each Lambda handler module vs a bare `import boto3`, each in a fresh interpreter."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

HANDLERS = ("image_resizer.app", "metadata_extractor.app", "search_indexer.app", "upload_api.app")
BASELINE = "boto3"
# Handlers read their configuration at import or first use; give them harmless values (no AWS call is made).
ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "IDEMPOTENCY_TABLE": "bench-idempotency",
    "DLQ_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-dlq",
    "SEARCH_INDEX_TABLE": "bench-index",
    "UPLOAD_BUCKET": "bench-uploads",
    "POWERTOOLS_SERVICE_NAME": "bench",
    "POWERTOOLS_METRICS_NAMESPACE": "Bench",
}

_PROBE = """
import importlib.util, json, sys, time
name = sys.argv[1]
try:
    found = importlib.util.find_spec(name) is not None
except ModuleNotFoundError:
    found = False
if not found:
    print(json.dumps({"missing": True})); raise SystemExit
t0 = time.perf_counter()
import importlib
importlib.import_module(name)
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}))
"""


def _once(module: str, env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", _PROBE, module], capture_output=True, text=True, env=env, timeout=60)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(env: dict[str, str], runs: int = 7) -> dict[str, dict]:
    """{module: {"median_ms", "runs_ms"} | {"missing": True} | {"error": msg}}; interleaved runs so noise
    hits every module alike; one discarded warm-up each (bytecode compilation)."""
    env = {**env, **ENV}
    modules = (BASELINE, *HANDLERS)
    results: dict[str, dict] = {}
    samples: dict[str, list[float]] = {m: [] for m in modules}
    for module in modules:
        first = _once(module, env)
        if "ms" not in first:
            results[module] = first
    live = [m for m in modules if m not in results]
    for _ in range(runs):
        for module in live:
            sample = _once(module, env)
            if "ms" in sample:
                samples[module].append(sample["ms"])
    for module in live:
        if samples[module]:
            results[module] = {"median_ms": statistics.median(samples[module]), "runs_ms": samples[module]}
        else:
            results[module] = {"error": "no successful run"}
    return results
