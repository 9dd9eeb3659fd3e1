"""Still WebPs without alpha decoded by libwebp at reduced scale (pyvips): the thumbnails Pillow's full decode
would give, one verdict from both consumers, every other WebP left to Pillow, and a cost estimate that follows
the decoder."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from consumer_core.errors import PermanentError
from consumer_core.imaging import DEFAULT_LIMITS, open_image, webp_decoder
from consumer_core.imaging.limits import MAX_DECODE_EDGE
from consumer_core.imaging.structure import webp as webp_structure
from image_resizer.spec import MAX_SIZE, ThumbnailSpec
from image_resizer.thumbnails import render
from metadata_extractor.extract import extract_metadata
from tools import testimages as images
from tools.bench import pipelines
from tools.testimages import hostile


@pytest.fixture
def vips_calls(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records the scale of every libwebp decode (the dev environment installs pyvips: the path must run)."""
    module = webp_decoder._pyvips()
    assert module is not None, "pyvips is in requirements/runtime.txt; the venv must have it"
    calls: list[float] = []
    real = module.Image.webpload_buffer

    def load(data: bytes, **options: object):
        calls.append(float(options["scale"]))  # type: ignore[arg-type]
        return real(data, **options)

    monkeypatch.setattr(module.Image, "webpload_buffer", load)
    return calls


def without_vips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webp_decoder, "_pyvips", lambda: None)


STILL = {
    "lossy": lambda: images.webp(1600, 1200, seed=1),
    "lossy-portrait": lambda: images.webp(1199, 1601, seed=2),
    "lossless": lambda: images.encode(images.photo(900, 700, seed=3), "WEBP", lossless=True),
}


@pytest.mark.parametrize("kind", list(STILL))
def test_still_webps_are_decoded_scaled_with_the_quality_of_a_full_decode(
    kind: str, vips_calls: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = STILL[kind]()
    for fmt in ("webp", "jpeg"):
        spec = ThumbnailSpec(format=fmt)
        reference = pipelines.Reference(data, spec.background)
        scaled = render(data, spec)
        with monkeypatch.context() as patch:
            without_vips(patch)
            full = render(data, spec)
        assert [(t.width, t.height) for t in scaled.thumbnails] == [(t.width, t.height) for t in full.thumbnails]
        assert scaled.source == full.source
        ours = [(t.width, t.height, t.body) for t in scaled.thumbnails]
        pillow = [(t.width, t.height, t.body) for t in full.thumbnails]
        assert pipelines.quality(ours, reference) >= pipelines.quality(pillow, reference) - 0.2, (kind, fmt)
    largest = max(scaled.source.width, scaled.source.height)
    assert vips_calls and all(abs(scale - 512 / largest) < 1e-9 for scale in vips_calls)


@pytest.mark.parametrize("lossless", [False, True], ids=["lossy", "lossless"])
def test_webps_with_alpha_stay_with_pillow_no_dark_fringes(lossless: bool, vips_calls: list[float]) -> None:
    # Opaque white squares on fully transparent black: libwebp's scaled decoding averages straight alpha and
    # darkens every edge (min channel ~55 measured); premultiplied resampling keeps them white.
    picture = Image.new("RGBA", (1024, 1024), (0, 0, 0, 0))
    for x in range(0, 1024, 64):
        picture.paste((255, 255, 255, 255), (x, x, x + 37, x + 37))
    data = images.encode(picture, "WEBP", quality=90, lossless=lossless)
    out = Image.open(io.BytesIO(render(data, ThumbnailSpec(sizes=(100,))).thumbnails[0].body)).convert("RGBA")
    visible = [rgb for *rgb, alpha in out.get_flattened_data() if alpha >= 32]
    assert vips_calls == []
    assert min(min(rgb) for rgb in visible) >= 200


@pytest.mark.parametrize(
    "data",
    [images.animated_webp(), hostile.webp_canvas(640, 480)],
    ids=["animated", "one-frame-animation"],
)
def test_animated_webps_stay_with_pillow(data: bytes, vips_calls: list[float]) -> None:
    opened = open_image(data, DEFAULT_LIMITS)
    assert webp_decoder.decode(opened, (64, 64)) is None
    render(data)
    assert vips_calls == []


def test_the_metadata_extractor_decodes_at_its_own_small_size(vips_calls: list[float]) -> None:
    data = images.webp(2000, 1000, seed=4)
    metadata = extract_metadata(data, include_gps_coordinates=False)
    assert (metadata["format"], metadata["width"], metadata["height"]) == ("WEBP", 2000, 1000)
    assert vips_calls == [64 / 2000]


def test_orientation_and_icc_profile_come_from_the_header(vips_calls: list[float]) -> None:
    upright = images.orientation_pattern(400, 200)
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what orientation 6 undoes
    data = images.encode(
        stored, "WEBP", quality=95, exif=images.exif_bytes(orientation=6), icc_profile=images.srgb_profile()
    )
    rendered = render(data, ThumbnailSpec(sizes=(200,), format="jpeg", quality=95))
    assert vips_calls
    assert (rendered.source.width, rendered.source.height, rendered.source.orientation) == (400, 200, 6)
    assert rendered.source.has_icc_profile
    out = Image.open(io.BytesIO(rendered.thumbnails[0].body)).convert("RGB")
    assert out.size == (200, 100)
    assert max(abs(a - b) for a, b in zip(out.getpixel((50, 25)), images.QUADRANT_COLORS[0], strict=True)) <= 24


def test_truncated_pixel_data_is_corrupt_for_both_consumers() -> None:
    data = bytearray(images.webp(800, 600, seed=5))
    data = data[: len(data) * 6 // 10]
    data[4:8] = struct.pack("<I", len(data) - 8)  # RIFF and VP8 sizes fixed: only the bitstream ends early
    data[16:20] = struct.pack("<I", len(data) - 20)
    verdicts = []
    for consume in (
        lambda: render(bytes(data)),
        lambda: extract_metadata(bytes(data), include_gps_coordinates=False),
    ):
        with pytest.raises(PermanentError) as caught:
            consume()
        verdicts.append(caught.value.reason)
    assert verdicts == ["corrupt_image", "corrupt_image"]


def test_only_the_webp_loader_of_libvips_can_run() -> None:
    vips = webp_decoder._pyvips()
    assert vips is not None
    for other in (images.jpeg(64, 48), images.rgb_png(64, 48), images.encode(Image.new("RGB", (8, 8)), "GIF")):
        with pytest.raises(vips.Error):
            vips.Image.new_from_buffer(other, "").write_to_memory()
    assert vips.cache_get_max() == 0


def test_the_scale_never_upscales_nor_passes_the_largest_decode_edge() -> None:
    assert MAX_SIZE == MAX_DECODE_EDGE
    assert webp_decoder.scale_for((2048, 1536), (512, 384)) == 0.25
    assert webp_decoder.scale_for((300, 200), (512, 341)) == 1.0
    assert webp_decoder.scale_for((16000, 1000), (4096, 256)) == MAX_DECODE_EDGE / 16000
    assert webp_decoder.largest_output(16000, 1000) == (4096, 256)
    assert webp_decoder.largest_output(800, 600) == (800, 600)


def with_canvas(data: bytes, width: int, height: int) -> bytes:
    """`data` (a bare VP8 WebP) with its frame header claiming width x height: enough for the header walk."""
    return data[:26] + struct.pack("<HH", width, height) + data[30:]


def test_the_estimate_follows_the_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    width, height = 8000, 3000  # 24 MP
    still = webp_structure.inspect(with_canvas(images.webp(64, 48), width, height), DEFAULT_LIMITS)
    alpha = webp_structure.inspect(images.webp(64, 48, alpha=True), DEFAULT_LIMITS)
    assert still is not None and alpha is not None
    pillow_bytes = width * height * webp_structure.BYTES_PER_PIXEL  # ~430 MB: over the default budget
    canvas_bytes = width * height * webp_structure.SCALED_CANVAS_BYTES["lossy"]
    output_bytes = MAX_DECODE_EDGE * 1536 * webp_structure.SCALED_OUTPUT_BYTES
    assert still.memory_bytes == canvas_bytes + output_bytes + height * 8 < pillow_bytes / 2
    assert alpha.memory_bytes == 64 * 48 * webp_structure.BYTES_PER_PIXEL + 48 * 8  # Pillow decodes it
    # Without pyvips every WebP is Pillow's, and so is the estimate.
    without_vips(monkeypatch)
    pillow = webp_structure.inspect(with_canvas(images.webp(64, 48), width, height), DEFAULT_LIMITS)
    assert pillow is not None and pillow.memory_bytes == pillow_bytes + height * 8
