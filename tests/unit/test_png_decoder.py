"""The libspng path for 8-bit RGB/RGBA PNGs: same pixels, same thumbnails and same rejection reasons as
Pillow's decoder, and every other PNG left to Pillow."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from consumer_core.errors import PermanentError
from consumer_core.imaging import DEFAULT_LIMITS, OpenedImage, open_image, png_decoder
from image_resizer.spec import ThumbnailSpec
from image_resizer.thumbnails import render
from tools import testimages as images

CORRUPT_IMAGE = "corrupt_image"


def header(data: bytes) -> OpenedImage:
    return open_image(data, DEFAULT_LIMITS)


def pillow_pixels(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


@pytest.fixture
def spng_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts libspng decodes (the dev environment installs it: the fast path must really run here)."""
    module = png_decoder._pyspng()
    assert module is not None, "pyspng-seunglab is in requirements/runtime.txt; the venv must have it"
    calls: list[str] = []
    real = module.load

    def load(data: bytes, fmt: str | None = None):
        calls.append(fmt or "")
        return real(data, fmt)

    monkeypatch.setattr(module, "load", load)
    return calls


def without_spng(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(png_decoder, "_pyspng", lambda: None)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("interlace", [0, 1])
def test_pixels_are_identical_to_pillows(mode: str, interlace: int, spng_calls: list[str]) -> None:
    source = Image.open(io.BytesIO(images.rgba_png(333, 222, seed=5))).convert(mode)
    data = images.encode(source, "PNG", interlace=interlace)

    decoded = png_decoder.decode(header(data))

    # Both layouts are decoded to 4 bytes a pixel so that Pillow wraps libspng's buffer without a copy: RGBA, or
    # RGBX for RGB (the fourth byte is padding, dropped once the picture is small).
    assert decoded is not None and spng_calls == ["RGBA"]
    assert (decoded.mode, decoded.size, decoded.format) == ({"RGB": "RGBX"}.get(mode, mode), (333, 222), "PNG")
    assert decoded.convert(mode).tobytes() == pillow_pixels(data).tobytes()


@pytest.mark.parametrize(
    "data",
    [
        images.palette_png(),
        images.png16(),
        images.encode(images.photo(200, 100).convert("L"), "PNG"),
        images.encode(images.photo(200, 100), "PNG", transparency=(0, 0, 0)),
        images.encode(images.photo(200, 100), "PNG", save_all=True, append_images=[images.photo(200, 100, seed=2)]),
        images.jpeg(200, 100),
    ],
    ids=["palette", "16-bit", "grey", "tRNS", "APNG", "JPEG"],
)
def test_other_layouts_are_left_to_pillow(data: bytes, spng_calls: list[str]) -> None:
    assert png_decoder.decode(header(data)) is None
    assert spng_calls == []


@pytest.mark.parametrize(
    "data",
    [images.rgba_png(900, 600, seed=7), images.rgb_png(900, 600, seed=7), images.rgb_png(1100, 300, seed=8)],
    ids=["RGBA", "RGB", "RGB-wide"],
)
def test_thumbnails_are_byte_identical_with_either_decoder(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    for fmt in ("webp", "jpeg"):
        spec = ThumbnailSpec(format=fmt, sizes=(512, 256, 100, 64))
        rendered = render(data, spec)
        with monkeypatch.context() as patch:
            without_spng(patch)
            slow = render(data, spec)
        assert [t.body for t in slow.thumbnails] == [t.body for t in rendered.thumbnails]
        assert slow.source == rendered.source  # the header's mode (RGB), not the decoder's RGBX


def test_exif_after_the_pixel_data_still_orients(spng_calls: list[str]) -> None:
    stored = images.orientation_pattern(400, 200).transpose(Image.Transpose.ROTATE_90)  # undoes orientation 6
    data = images.png_with_late_exif(stored, 6)
    assert "exif" not in header(data).image.info  # Pillow's header parse has not reached it

    rendered = render(data, ThumbnailSpec(sizes=(200,), format="jpeg", quality=95))

    assert spng_calls == ["RGBA"]
    assert (rendered.source.width, rendered.source.height, rendered.source.orientation) == (400, 200, 6)
    out = pillow_pixels(rendered.thumbnails[0].body).convert("RGB")
    assert out.size == (200, 100)
    assert max(abs(a - b) for a, b in zip(out.getpixel((50, 25)), images.QUADRANT_COLORS[0], strict=True)) <= 24


def test_icc_profile_from_the_header_is_kept(spng_calls: list[str]) -> None:
    data = images.encode(images.photo(120, 80), "PNG", icc_profile=images.adobe_rgb_profile())

    decoded = png_decoder.decode(header(data))

    assert decoded is not None and decoded.info["icc_profile"] == images.adobe_rgb_profile()


@pytest.mark.parametrize("damage", ["truncated", "flipped byte"])
def test_damaged_pngs_get_the_same_verdict_as_with_pillow(
    damage: str, spng_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = bytearray(images.rgba_png(600, 400, seed=3))
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    data = bytes(data)

    assert png_decoder.decode(header(data)) is None  # libspng refused: Pillow decides
    assert spng_calls
    with pytest.raises(PermanentError) as fast:
        render(data)
    without_spng(monkeypatch)
    with pytest.raises(PermanentError) as slow:
        render(data)
    assert fast.value.reason == slow.value.reason == CORRUPT_IMAGE


def test_exif_chunk_is_found_wherever_it_is() -> None:
    late = images.png_with_late_exif(images.photo(50, 40), 3)
    early = images.encode(images.photo(50, 40), "PNG", exif=images.exif_bytes(orientation=3))

    # Pillow keeps EXIF as b"Exif\0\0" + TIFF data; exif_bytes() is in that form already.
    assert png_decoder.exif_chunk(late) == png_decoder.exif_chunk(early) == images.exif_bytes(orientation=3)
    assert png_decoder.exif_chunk(images.encode(images.photo(50, 40), "PNG")) is None


def test_a_missing_pyspng_is_logged_once_and_pillow_decodes(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pyspng", None)  # import pyspng -> ImportError
    png_decoder._pyspng.cache_clear()
    try:
        with caplog.at_level("INFO", logger=png_decoder.__name__):
            data = images.rgba_png(300, 200)
            assert png_decoder.decode(header(data)) is None
            assert png_decoder.decode(header(data)) is None
            assert render(data).thumbnails[0].width == 300
        assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1
        assert "decoded by Pillow" in caplog.records[0].getMessage()
    finally:
        png_decoder._pyspng.cache_clear()
