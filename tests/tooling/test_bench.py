"""`make bench` machinery on a tiny corpus (the real run is `make bench`; timings are not asserted here)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from image_resizer.spec import ThumbnailSpec
from tools import testimages as images
from tools.bench import pipelines, run
from tools.emulator.server import REPO_ROOT


@pytest.mark.parametrize("fmt", ["webp", "jpeg"])
def test_baselines_make_the_same_sizes_as_ours(fmt: str) -> None:
    data = images.rgba_png(640, 480, seed=4)
    spec = ThumbnailSpec(format=fmt)

    ours = [(w, h) for w, h, _ in pipelines.ours(data, spec)]
    assert [(w, h) for w, h, _ in pipelines.naive(data, spec)] == ours
    assert [(w, h) for w, h, _ in pipelines.naive_decode_once(data, spec)] == ours


def test_the_naive_way_opens_the_upload_once_per_size(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[int] = []
    real_open = Image.open

    def counting_open(fp, *args, **kwargs):
        opened.append(1)
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(pipelines.Image, "open", counting_open)
    spec = ThumbnailSpec(sizes=(300, 200, 100))
    pipelines.naive(images.jpeg(600, 400), spec)
    assert len(opened) == 3
    opened.clear()
    pipelines.naive_decode_once(images.jpeg(600, 400), spec)
    assert len(opened) == 1


def test_bench_rows_and_verdicts(tmp_path: Path) -> None:
    files = {"small.jpg": tmp_path / "small.jpg", "small.png": tmp_path / "small.png"}
    files["small.jpg"].write_bytes(images.jpeg(1200, 900, seed=1))
    files["small.png"].write_bytes(images.rgba_png(900, 600, seed=2))

    rows = run.bench_images(files, repeats=2, workdir=tmp_path, use_sharp=False)

    assert [(r["file"], r["format"]) for r in rows] == [
        ("small.jpg", "webp"),
        ("small.png", "webp"),
        ("small.jpg", "jpeg"),
        ("small.png", "jpeg"),
    ]
    for row in rows:
        assert len(row["ours_ms_runs"]) == len(row["naive_ms_runs"]) == 2
        assert row["speedup_vs_naive"] > 0 and row["speedup_vs_naive_once"] > 0
        assert abs(row["psnr_delta_vs_naive"]) < 0.5  # same quality as the baseline
        assert row["sharp"] == "disabled (--no-sharp)"
    checks = run.verdicts(rows, {})
    # No naive target for these classes (small pictures): PSNR only, the speed-ups as INFO.
    assert sum(line.startswith(("PASS", "FAIL")) for line in checks) == len(rows)
    assert sum(line.startswith("INFO") for line in checks) == 2 * len(rows)
    assert all(row["floor_ms"] > 0 and row["floor_share"] > 0 for row in rows)
    assert len(run.summary(rows)) == len(rows) + 1


def test_psnr_ranks_by_distortion() -> None:
    a = images.photo(64, 48, seed=1)

    def jpeg_round_trip(quality: int) -> Image.Image:
        return Image.open(io.BytesIO(images.encode(a, "JPEG", quality=quality))).convert("RGB")

    assert pipelines.psnr(a, a) == 99.0
    assert 99.0 > pipelines.psnr(a, jpeg_round_trip(95)) > pipelines.psnr(a, jpeg_round_trip(30)) > 10


def test_handler_output_goes_to_a_file_not_into_the_bench_table(tmp_path: Path) -> None:
    """The cost section's handlers write their log lines and metrics as on Lambda (the writes are part of the cost),
    into a file rather than between the bench's rows (a process of its own: stdout is file descriptor 1 there)."""
    log = tmp_path / "cost" / "handlers.log"
    script = (
        "import sys; from pathlib import Path; from tools.bench.run import stdout_to\n"
        "print('row before')\n"
        f"with stdout_to(Path({str(log)!r})):\n"
        "    print('{\"level\":\"INFO\"}'); sys.stdout.flush(); import os; os.write(1, b'emf\\n')\n"
        "print('row after')\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "lambda_src"), str(REPO_ROOT)])}
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    assert shown.stdout == "row before\nrow after\n"
    assert log.read_text() == '{"level":"INFO"}\nemf\n'
