"""Run tools/bench/sharp/bench.mjs (sharp's best pipeline) on the same files, when node and sharp are present."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from image_resizer.spec import ThumbnailSpec

HERE = Path(__file__).parent / "sharp"


def available() -> str | None:
    """None when sharp can run, else why not."""
    if shutil.which("node") is None:
        return "node not found"
    if not (HERE / "node_modules" / "sharp").is_dir():
        return "sharp not installed (npm ci --prefix tools/bench/sharp)"
    return None


def run(files: list[Path], spec: ThumbnailSpec, repeats: int, workdir: Path) -> dict:
    config = {
        "files": [str(f) for f in files],
        "sizes": list(spec.sizes),
        "format": spec.format,
        "quality": spec.quality,
        "effort": spec.webp_method,  # the same libwebp method as ours
        "background": {"r": spec.background[0], "g": spec.background[1], "b": spec.background[2]},
        "repeats": repeats,
        "outdir": str(workdir / f"sharp-{spec.format}"),
    }
    config_path = workdir / f"sharp-{spec.format}.json"
    config_path.write_text(json.dumps(config))
    proc = subprocess.run(
        ["node", str(HERE / "bench.mjs"), str(config_path)], capture_output=True, text=True, timeout=300, cwd=HERE
    )
    if proc.returncode != 0:
        raise RuntimeError(f"sharp bench failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout)
