"""HEIC and AVIF uploads (what phones and browsers send): both consumers read them like any other accepted format,
upright, in sRGB, with alpha, from grids and sequences; their structure is walked and their costs judged before a
decoder sees them; AVIF is also an output format."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from consumer_core.errors import PermanentError
from consumer_core.imaging import DEFAULT_LIMITS, ImageLimits, formats, heif_support, structure
from image_resizer.spec import ThumbnailSpec
from image_resizer.thumbnails import render
from metadata_extractor.extract import extract_metadata
from tests.support.verdicts import reason
from tools import testimages as images
from tools.testimages import hostile

ROOT = Path(__file__).resolve().parents[2]
MAKERS = {"heic": images.heic, "avif": images.avif}


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=False))


# -- what they are ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "name", "mime"), [("heic", "HEIF", "image/heic"), ("avif", "AVIF", "image/avif")])
def test_recognised_by_brand_and_reported_with_their_mime_type(kind: str, name: str, mime: str) -> None:
    data = MAKERS[kind](64, 48)
    assert formats.sniff(data) == name
    assert formats.mime_type(name) == mime
    assert mime in formats.UPLOAD_CONTENT_TYPES and "image/heif" in formats.UPLOAD_CONTENT_TYPES
    metadata = extract_metadata(data, include_gps_coordinates=False)
    assert (metadata["format"], metadata["mime_type"]) == (name, mime)


def test_an_avif_that_also_names_heifs_brand_is_avif() -> None:
    data = bytearray(images.avif(32, 24))
    assert data[8:12] == b"avif"
    data[8:12] = b"mif1"  # major brand HEIF's structural one; `avif` stays among the compatible brands
    assert formats.sniff(bytes(data)) == "AVIF"


# -- what comes out -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", MAKERS)
def test_exif_orientation_is_applied_once(kind: str) -> None:
    """HEIC stores the rotation as `irot` (libheif applies it), AVIF as `irot` read back as EXIF orientation
    (Pillow); either way the thumbnail is upright, and the metadata gives the displayed size."""
    stored = images.orientation_pattern(400, 200).transpose(Image.Transpose.ROTATE_90)  # undone by orientation 6
    data = MAKERS[kind](picture=stored, quality=90, exif=images.exif_bytes(orientation=6))

    (thumb,) = render(data, ThumbnailSpec(sizes=(200,), format="jpeg", quality=95)).thumbnails
    out = Image.open(io.BytesIO(thumb.body)).convert("RGB")

    assert out.size == (200, 100)
    assert close(out.getpixel((50, 25)), images.QUADRANT_COLORS[0], 32)
    assert close(out.getpixel((150, 75)), images.QUADRANT_COLORS[3], 32)
    metadata = extract_metadata(data, include_gps_coordinates=False)
    assert (metadata["width"], metadata["height"]) == (400, 200)


@pytest.mark.parametrize("kind", MAKERS)
def test_alpha_survives_and_an_icc_profile_is_applied(kind: str) -> None:
    data = MAKERS[kind](320, 240, alpha=True, icc_profile=images.adobe_rgb_profile())
    rendered = render(data, ThumbnailSpec(sizes=(128,)))
    assert rendered.source.has_icc_profile
    (thumb,) = rendered.thumbnails
    with Image.open(io.BytesIO(thumb.body)) as out:
        assert out.mode == "RGBA"
        assert out.getchannel("A").getextrema()[0] < 128, "the transparent parts stay transparent"
    assert extract_metadata(data, include_gps_coordinates=False)["has_alpha"] is True


def test_a_grid_heic_is_one_picture() -> None:
    data = images.heic(600, 400, tile=128)
    walked = structure.inspect(data, DEFAULT_LIMITS)
    assert (walked.width, walked.height, walked.counts["tiles"]) == (600, 400, 5 * 4)
    assert [(t.width, t.height) for t in render(data).thumbnails] == [(512, 341), (256, 171), (128, 85), (64, 43)]


def test_an_avif_sequence_gives_its_first_picture() -> None:
    first = Image.new("RGB", (64, 48), (250, 30, 30))
    data = images.encode(first, "AVIF", save_all=True, append_images=[Image.new("RGB", (64, 48), (30, 30, 250))])
    walked = structure.inspect(data, DEFAULT_LIMITS)
    assert walked.frames == 2
    rendered = render(data, ThumbnailSpec(sizes=(32,), format="jpeg"))
    assert rendered.source.animated
    with Image.open(io.BytesIO(rendered.thumbnails[0].body)) as out:
        assert close(out.convert("RGB").getpixel((16, 12)), (250, 30, 30), 40)


def test_a_ten_bit_heic_is_read_and_costed_as_such() -> None:
    numpy = pytest.importorskip("numpy")
    import pillow_heif

    photo = numpy.asarray(images.photo(200, 150)).astype(numpy.uint16) * 257
    heif_file = pillow_heif.from_bytes(mode="RGB;16", size=(200, 150), data=photo.tobytes())
    out = io.BytesIO()
    heif_file.save(out, quality=80, enc_params={"preset": "ultrafast"})
    data = out.getvalue()
    eight_bit = images.heic(200, 150, quality=80)

    walked, baseline = structure.inspect(data, DEFAULT_LIMITS), structure.inspect(eight_bit, DEFAULT_LIMITS)
    assert walked.memory_bytes > baseline.memory_bytes
    assert [(t.width, t.height) for t in render(data, ThumbnailSpec(sizes=(100,))).thumbnails] == [(100, 75)]


def test_avif_is_an_output_format() -> None:
    rendered = render(images.jpeg(800, 600), ThumbnailSpec(sizes=(256, 64), format="avif"))
    assert [t.content_type for t in rendered.thumbnails] == ["image/avif"] * 2
    with Image.open(io.BytesIO(rendered.thumbnails[0].body)) as out:
        assert (out.format, out.size) == ("AVIF", (256, 192))


# -- hostile ones -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: hostile.heif_grid_flood(80, 80), "too_complex"),  # 6,400 tiles
        (lambda: hostile.heif_grid_flood(8, 8), "corrupt_image"),  # a grid naming none of its tiles
        (lambda: hostile.heif_item_flood(5_000), "too_complex"),
        (lambda: hostile.isobmff_box_flood(25_000), "too_complex"),
        (lambda: hostile.isobmff_deep_nesting(20), "too_complex"),
        (lambda: hostile.avif_huge_size(10_000, 10_000), "too_many_pixels"),
        (lambda: hostile.avif_frame_flood(20_000), "too_complex"),
        (lambda: hostile.avif_frame_flood(3), None),
        (lambda: images.heic(320, 240)[:1000], "corrupt_image"),  # cut inside the coded picture
        (lambda: images.avif(320, 240)[:300], "corrupt_image"),
        (lambda: b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, "corrupt_image"),
        (lambda: b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42" + b"\x00" * 64, "unsupported_format"),
    ],
    ids=[
        "grid-tiles",
        "grid-without-tiles",
        "items",
        "boxes",
        "nesting",
        "size",
        "frames-over",
        "frames-under",
        "heic-truncated",
        "avif-truncated",
        "heic-empty",
        "mp4",
    ],
)
def test_each_class_gets_one_stable_verdict_from_both_consumers(make: Any, expected: str | None) -> None:
    assert reason(make()) == expected


def test_a_sequence_whose_timescale_is_zero_is_corrupt_not_a_crash() -> None:
    """Found by the fuzzer: Pillow's AVIF reader divides by the track's timescale."""
    data = bytearray(images.avif(32, 24, frames=2, quality=40))
    mdhd = data.index(b"mdhd") + 4
    times = 8 if data[mdhd] == 1 else 4  # version 1: 64-bit creation and modification times
    timescale = mdhd + 4 + 2 * times
    data[timescale : timescale + 4] = b"\x00\x00\x00\x00"
    assert reason(bytes(data)) == "corrupt_image"


def test_a_coded_picture_too_dense_for_the_cpu_budget_is_refused_before_decoding() -> None:
    data = images.heic(320, 240, quality=90)
    walked = structure.inspect(data, DEFAULT_LIMITS)
    tight = ImageLimits(cpu_budget_s=walked.decode_cpu_s / 2)
    assert reason(data, tight) == "too_complex"


@pytest.mark.parametrize(
    ("make", "dropped"), [(hostile.heic_with_exif, "exif"), (hostile.avif_with_icc, "icc_profile")]
)
def test_oversized_metadata_is_dropped_without_moving_a_byte(make: Any, dropped: str) -> None:
    limits = ImageLimits(max_exif_bytes=64 * 1024, max_icc_bytes=64 * 1024)
    data = make(0.25)
    walked = structure.inspect(data, limits)
    assert walked.dropped == (dropped,)
    assert len(walked.data) == len(data) and walked.data != data
    metadata = extract_metadata(data, include_gps_coordinates=False, limits=limits)
    assert metadata["metadata_dropped"] == [dropped]
    assert render(data, ThumbnailSpec(limits=limits)).thumbnails


def test_without_pillow_heif_a_heic_is_unsupported_and_an_avif_still_read(monkeypatch: pytest.MonkeyPatch) -> None:
    heic, avif = images.heic(64, 48), images.avif(64, 48)
    heif_support.heif_available.cache_clear()
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # import fails, as in a layer built without it
    try:
        with pytest.raises(PermanentError) as caught:
            structure.inspect(heic, DEFAULT_LIMITS)
        assert caught.value.reason == "unsupported_format" and "built without" in caught.value.message
        assert reason(avif) is None
    finally:
        heif_support.heif_available.cache_clear()


# -- the estimates hold -------------------------------------------------------------------------------------

_PEAK = """
import sys
from consumer_core.imaging import load_pillow
from image_resizer.thumbnails import render
load_pillow()
render(open(sys.argv[1], "rb").read())  # warm: libraries loaded, allocator primed
def peak():
    return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")
before = peak()
render(open(sys.argv[1], "rb").read())
print(peak() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc to reset the peak RSS")
@pytest.mark.parametrize(
    "make",
    [
        lambda: images.heic(2000, 1500, quality=90),
        lambda: images.heic(1600, 1200, alpha=True, quality=80),
        lambda: images.avif(2000, 1500, quality=90),
        lambda: images.avif(1600, 1200, alpha=True, quality=80),
    ],
    ids=["heic", "heic-alpha", "avif", "avif-alpha"],
)
def test_the_memory_estimate_covers_what_rendering_takes(make: Any, tmp_path: Path) -> None:
    data = make()
    path = tmp_path / "upload"
    path.write_bytes(data)
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'lambda_src'}{os.pathsep}{ROOT}"}
    measured = int(
        subprocess.run([sys.executable, "-c", _PEAK, str(path)], env=env, capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    estimate = structure.inspect(data, DEFAULT_LIMITS).memory_bytes
    assert 0 < measured <= estimate
