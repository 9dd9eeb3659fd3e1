"""The upload API's cold start with and without its SnapStart hook, each in a fresh interpreter (no AWS call:
POST /uploads only signs, locally).

- without the hook (a cold start without SnapStart): init = importing the handler; the first request then
  imports boto3, creates the client and signs for the first time.
- with the hook (what SnapStart snapshots): init = import + the before-snapshot hook (boto3, the clients, one
  presign); a restored environment's first request does only its own work. Restoring the snapshot itself
  happens on AWS only and is not measured here.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

MARK = "SNAPSTART-BENCH "
_PROBE = """
import json, sys, time
hooks = sys.argv[1] == "hooks"
t0 = time.perf_counter()
import upload_api.app as app
t1 = time.perf_counter()
if hooks:
    import snapshot_restore_py as runtime
    for function, args, kwargs in runtime._before_snapshot_registry:
        function(*args, **kwargs)
t2 = time.perf_counter()
from tools.http_events import http_api_event
from tools.lambda_context import LambdaContext
event = http_api_event("POST", "/uploads", body=json.dumps({"content_type": "image/jpeg", "size": 1000}),
                       claims={"sub": "bench"})
times = []
for _ in range(3):
    started = time.perf_counter()
    answer = app.handler(event, LambdaContext())
    times.append(time.perf_counter() - started)
    assert answer["statusCode"] == 201, answer
print(__MARK__ + json.dumps({"import_ms": (t1 - t0) * 1000, "hooks_ms": (t2 - t1) * 1000,
                        "first_request_ms": times[0] * 1000, "warm_request_ms": min(times[1:]) * 1000}))
""".replace("__MARK__", repr(MARK))

ENV = {
    "UPLOAD_BUCKET": "bench-uploads",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def _once(mode: str, env: dict[str, str]) -> dict[str, float] | dict[str, str]:
    proc = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, env=env, timeout=120)
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]}


def measure(env: dict[str, str], runs: int = 5) -> dict[str, dict[str, float | str]]:
    """{"without_hook" | "with_hook": {init_ms, first_request_ms, warm_request_ms, ...}} (medians of `runs`,
    interleaved so that load on the machine hits both alike)."""
    env = {**env, **ENV}
    samples: dict[str, list[dict[str, float]]] = {"without_hook": [], "with_hook": []}
    errors: dict[str, str] = {}
    for _ in range(runs + 1):  # the first run of each compiles bytecode: discarded
        for label, mode in (("without_hook", "plain"), ("with_hook", "hooks")):
            sample = _once(mode, env)
            if "error" in sample:
                errors[label] = str(sample["error"])
            else:
                samples[label].append(sample)  # type: ignore[arg-type]
    results: dict[str, dict[str, float | str]] = {}
    for label, runs_of in samples.items():
        kept = runs_of[1:] or runs_of
        if not kept:
            results[label] = {"error": errors.get(label, "no run")}
            continue
        median = {key: statistics.median(s[key] for s in kept) for key in kept[0]}
        median["init_ms"] = median["import_ms"] + median["hooks_ms"]
        results[label] = median
    return results
