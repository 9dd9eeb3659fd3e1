"""Peak resident memory of one render, measured in a fresh interpreter (Pillow's pixel buffers live outside
Python's allocator, so tracemalloc cannot see them; the process's peak RSS, VmHWM, can)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_PROBE = """
import json, sys


def hwm_kb():
    # VmHWM: peak RSS of this process image (ru_maxrss would include the parent's peak, inherited at fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])


from pathlib import Path
from image_resizer.spec import ThumbnailSpec
from tools.bench import pipelines
pipeline, path, fmt = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
data = path.read_bytes()
spec = ThumbnailSpec(format=fmt)
from tools import testimages as images
getattr(pipelines, pipeline)(images.jpeg(64, 48), spec)  # load codecs before the baseline
before = hwm_kb()
getattr(pipelines, pipeline)(data, spec)
after = hwm_kb()
print(json.dumps({"baseline_mb": before / 1024, "peak_mb": after / 1024, "extra_mb": (after - before) / 1024}))
"""


def peak(pipeline: str, path: Path, fmt: str, env: dict[str, str]) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, pipeline, str(path), fmt], capture_output=True, text=True, env=env, timeout=120
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(proc.stdout.strip().splitlines()[-1])
