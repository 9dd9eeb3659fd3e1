"""`make thumbnails` end to end: the real command on a generated folder, its files and its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tools import testimages as images

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": f"{ROOT / 'lambda_src'}:{ROOT}"}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.thumbnails", *args], cwd=ROOT, env=ENV, capture_output=True, text=True
    )


def test_make_thumbnails_on_a_folder(tmp_path: Path) -> None:
    corpus = images.write_corpus(tmp_path / "in")
    (tmp_path / "in" / "nested").mkdir()
    (tmp_path / "in" / "nested" / "deep.jpg").write_bytes(images.jpeg(300, 600))
    (tmp_path / "in" / ".hidden.jpg").write_bytes(images.jpeg(50, 50))
    out, report = tmp_path / "out", tmp_path / "report.json"

    proc = subprocess.run(
        ["make", "-s", "thumbnails", f"IN={tmp_path / 'in'}", f"OUT={out}", f"REPORT={report}"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )

    assert proc.returncode == 0, proc.stderr
    entries = json.loads(report.read_text())
    by_name = {Path(e["input"]).name: e for e in entries}
    assert set(by_name) == {*corpus, "deep.jpg"}  # hidden files skipped
    for entry in entries:
        assert set(entry) >= {"input", "status", "reason", "ms", "thumbnails"}
        assert entry["ms"] >= 0
    bad = {name: e["reason"] for name, e in by_name.items() if e["status"] == "rejected"}
    assert bad == {
        "not_an_image_bad.jpg": "not_an_image",
        "truncated_bad.jpg": "corrupt_image",
        "bomb_bad.png": "too_many_pixels",
    }
    assert all(not by_name[name]["thumbnails"] for name in bad)

    photo = by_name["photo.jpg"]
    assert (photo["status"], photo["reason"]) == ("ok", None)
    assert [(t["width"], t["height"], t["format"]) for t in photo["thumbnails"]] == [
        (512, 341, "webp"),
        (256, 171, "webp"),
        (128, 85, "webp"),
        (64, 43, "webp"),
    ]
    for entry in entries:
        for thumb in entry["thumbnails"]:
            path = Path(thumb["path"])
            assert path.is_relative_to(out)
            assert path.stat().st_size == thumb["bytes"]
            with Image.open(path) as im:
                assert (im.format, im.size) == ("WEBP", (thumb["width"], thumb["height"]))
    assert (out / "nested" / "deep.jpg.512.webp").is_file()  # folder structure kept, names unambiguous
    assert "3 rejected" in proc.stdout


def test_single_file_jpeg_output_and_default_report(tmp_path: Path) -> None:
    source = tmp_path / "one.png"
    source.write_bytes(images.rgba_png(400, 300))

    proc = run_cli("--in", str(source), "--out", str(tmp_path / "out"), "--sizes", "200,50", "--format", "jpeg")

    assert proc.returncode == 0, proc.stderr
    [entry] = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [(t["path"], t["width"], t["height"]) for t in entry["thumbnails"]] == [
        (str(tmp_path / "out" / "one.png.200.jpg"), 200, 150),
        (str(tmp_path / "out" / "one.png.50.jpg"), 50, 38),
    ]
    with Image.open(tmp_path / "out" / "one.png.200.jpg") as im:
        assert im.mode == "RGB"


def test_misuse_fails_with_a_message(tmp_path: Path) -> None:
    missing = run_cli("--in", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    bad_sizes = run_cli("--in", str(tmp_path), "--out", str(tmp_path / "out"), "--sizes", "0")
    no_in = subprocess.run(["make", "-s", "thumbnails"], cwd=ROOT, env=ENV, capture_output=True, text=True)

    assert missing.returncode == 2 and "input not found" in missing.stderr
    assert bad_sizes.returncode == 2 and "size must be 1..4096" in bad_sizes.stderr
    assert no_in.returncode != 0 and "usage: make thumbnails" in no_in.stderr
