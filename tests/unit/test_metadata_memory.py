"""A 24 MP JPEG is never decoded at full resolution: peak memory stays far below width x height x 3.

Pillow allocates pixels with C malloc, which tracemalloc does not see, so the peak resident set size of a fresh
interpreter is measured instead: VmHWM from /proc (Linux), reset just before the call through clear_refs
(getrusage's ru_maxrss is useless here: Linux carries it over from the parent across fork/exec). The
control run decodes the same file in full and must exceed the bound, which proves the measurement can fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tools import testimages as images

WIDTH, HEIGHT = 6000, 4000  # 24 MP
FULL_DECODE_BYTES = WIDTH * HEIGHT * 3

_MEASURE = """
import sys
from PIL import Image
import PIL.JpegImagePlugin
from metadata_extractor.extract import extract_metadata

def peak_kib():
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0])

data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # reset the peak to the current resident set
before = peak_kib()
if sys.argv[2] == "extract":
    result = extract_metadata(data, include_gps_coordinates=False)
    assert result["width"] == 6000, result
else:  # control: what a full decode costs
    import io
    Image.open(io.BytesIO(data)).load()
print((peak_kib() - before) * 1024)
"""


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    picture = images.photo(600, 400, seed=9).resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    path = tmp_path_factory.mktemp("big") / "24mp.jpg"
    path.write_bytes(images.encode(picture, "JPEG", quality=85))
    return path


def peak_growth(path: Path, what: str) -> int:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": f"{root / 'lambda_src'}{os.pathsep}{root}"}
    output = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), what], env=env, capture_output=True, text=True, check=True
    ).stdout
    return int(output.strip())


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc to measure peak memory")
def test_metadata_of_a_24_megapixel_jpeg_never_decodes_it_in_full(big_jpeg: Path) -> None:
    growth = peak_growth(big_jpeg, "extract")
    control = peak_growth(big_jpeg, "full-decode")
    assert control > FULL_DECODE_BYTES * 0.9, control  # the measurement sees a full decode
    assert growth < FULL_DECODE_BYTES / 8, (growth, control)
