"""Hostile and broken input through the resizer: truncated data found at decode time, the pixel limit enforced
from the header (before any pixel buffer exists), bounded memory, and probe() never decoding. How bytes are
classified when opened (every reason, the WebP canvas check) is tested once, in test_imaging.py."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from PIL import Image

from consumer_core.errors import PermanentError
from consumer_core.imaging import ImageLimits
from image_resizer.probe import probe
from image_resizer.spec import ThumbnailSpec, parse_sizes
from image_resizer.thumbnails import render
from tools import testimages as images

ROOT = Path(__file__).resolve().parents[2]
CORRUPT_IMAGE, NOT_AN_IMAGE, TOO_MANY_PIXELS = "corrupt_image", "not_an_image", "too_many_pixels"


def limited(max_pixels: int) -> ThumbnailSpec:
    return ThumbnailSpec(limits=ImageLimits(max_pixels=max_pixels))


def reason_of(data: bytes, spec: ThumbnailSpec | None = None) -> str:
    with pytest.raises(PermanentError) as info:
        render(data, spec)
    assert info.value.reason in str(info.value)
    return info.value.reason


def pillow_allocations() -> int:
    """How many image buffers Pillow has allocated so far in this process (its own counter)."""
    return Image.core.get_stats()["new_count"]


# ---------------------------------------------------------------------------------------------- reason codes


@pytest.mark.parametrize(
    "data",
    [
        images.truncated_jpeg(),
        images.truncated_jpeg(keep=0.1),
        images.rgba_png(300, 200)[:5000],
        images.animated_gif()[:400],
    ],
    ids=["jpeg-half", "jpeg-tenth", "png", "gif"],
)
def test_truncated_images_are_corrupt(data: bytes) -> None:
    assert reason_of(data) == CORRUPT_IMAGE


def test_pixel_limit_is_inclusive() -> None:
    data = images.jpeg(200, 100)

    assert len(render(data, limited(20_000)).thumbnails) == 4
    assert reason_of(data, limited(19_999)) == TOO_MANY_PIXELS


@pytest.mark.parametrize(
    ("data", "max_pixels"),
    [
        (images.bomb_png(), 50_000_000),  # 10^10 pixels: beyond even Pillow's own hard limit
        (images.bomb_png(8_000, 8_000), 50_000_000),  # 64 MP: only our limit stops it
        (images.bomb_png(3_000, 3_000), 1_000_000),
    ],
    ids=["png-1e10", "png-64mp", "png-9mp-low-limit"],
)
def test_decompression_bombs_are_rejected_before_any_pixel_buffer(data: bytes, max_pixels: int) -> None:
    assert len(data) < 2_000
    before = pillow_allocations()
    tracemalloc.start()
    try:
        reason = reason_of(data, limited(max_pixels))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert reason == TOO_MANY_PIXELS
    assert pillow_allocations() == before  # no image buffer was ever created
    assert peak < 1_000_000  # nor any large Python-side buffer


def test_probe_reads_the_header_only() -> None:
    data = images.jpeg(3000, 2000, quality=70)
    before = pillow_allocations()

    info = probe(data)

    assert pillow_allocations() == before
    assert (info.format, info.width, info.height, info.mode) == ("JPEG", 3000, 2000, "RGB")


def test_probe_reports_displayed_size_and_rejects_like_render() -> None:
    info = probe(images.oriented_jpeg(6, 400, 200))

    assert (info.width, info.height, info.orientation) == (400, 200, 6)
    assert probe(images.animated_gif()).animated
    assert probe(images.jpeg(100, 100, icc_profile=images.adobe_rgb_profile())).has_icc_profile
    with pytest.raises(PermanentError) as rejected:
        probe(images.bomb_png())
    assert rejected.value.reason == TOO_MANY_PIXELS
    with pytest.raises(PermanentError) as rejected:
        probe(images.not_an_image())
    assert rejected.value.reason == NOT_AN_IMAGE


_PEAK = """
import io, json, sys
from PIL import Image
from image_resizer.thumbnails import render
from tools import testimages as images


def hwm_kb():
    # VmHWM: peak RSS of this process image (ru_maxrss would include the parent's peak, inherited at fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])


data = open(sys.argv[1], "rb").read()
render(images.jpeg(64, 48))  # codecs loaded before the baseline
start = hwm_kb()
render(data)
ours = hwm_kb()
Image.open(io.BytesIO(data)).load()  # control: what a full-size decode costs
full = hwm_kb()
print(json.dumps({"ours_kb": ours - start, "full_decode_kb": full - ours}))
"""


def test_large_jpeg_is_never_decoded_at_full_size(tmp_path: Path) -> None:
    # 12 MP decoded at full size is 48 MB in Pillow (4 bytes per RGB pixel); with DCT-domain downscaling
    # the largest buffer is the 1/4-scale decode (3 MB). Peak RSS of a fresh interpreter sees Pillow's C
    # buffers, which tracemalloc cannot.
    path = tmp_path / "12mp.jpg"
    path.write_bytes(images.jpeg(4000, 3000, quality=75))
    env = {"PYTHONPATH": f"{ROOT / 'lambda_src'}:{ROOT}", "PATH": "/usr/bin:/bin"}

    proc = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, env=env, check=True)

    growth = json.loads(proc.stdout)
    assert growth["full_decode_kb"] > 40 * 1024  # the measurement does see a full-size decode
    assert growth["ours_kb"] < 16 * 1024, growth


# ---------------------------------------------------------------------------------------------- settings


def test_spec_validation() -> None:
    for bad in ({"sizes": ()}, {"sizes": (0,)}, {"sizes": (5000,)}, {"format": "gif"}, {"quality": 0}):
        with pytest.raises(ValueError):
            ThumbnailSpec(**bad)
    with pytest.raises(ValueError):
        ImageLimits(max_pixels=0)


def test_parse_sizes() -> None:
    assert parse_sizes("512,256, 128 ,64") == (512, 256, 128, 64)
    assert parse_sizes("64,64,32") == (64, 32)
    for bad in ("", " , ", "0", "-5", "abc", "12.5", "4097"):
        with pytest.raises(ValueError):
            parse_sizes(bad)
