"""consumer_core.imaging.open_image: the one classification of untrusted bytes (every reason, once), the pixel
limit enforced from the header, and both consumers giving the same upload the same reason."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from consumer_core import imaging
from consumer_core.errors import PermanentError
from consumer_core.imaging import ImageLimits, open_image
from image_resizer.spec import ThumbnailSpec
from image_resizer.thumbnails import render
from metadata_extractor.extract import extract_metadata
from tools import testimages as images

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 50_000_000
NOT_AN_IMAGE, CORRUPT_IMAGE = "not_an_image", "corrupt_image"
UNSUPPORTED_FORMAT, TOO_MANY_PIXELS = "unsupported_format", "too_many_pixels"


def reason_of(data: bytes, max_pixels: int = LIMIT) -> str:
    with pytest.raises(PermanentError) as caught:
        open_image(data, ImageLimits(max_pixels=max_pixels))
    assert caught.value.reason in str(caught.value)
    return caught.value.reason


def webp_vp8x(width: int, height: int) -> bytes:
    """A WebP header declaring an (animated) canvas of width x height, with no frames."""
    payload = bytes([0x02, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    chunk = b"VP8X" + struct.pack("<I", len(payload)) + payload
    anim = b"ANIM" + struct.pack("<I", 6) + b"\0" * 6
    body = b"WEBP" + chunk + anim
    return b"RIFF" + struct.pack("<I", len(body)) + body


def bmp_with_bit_depth(bits: int) -> bytes:
    """A BMP whose header names a pixel depth no reader supports: Pillow raises OSError (not "unidentified")."""
    data = bytearray(images.encode(Image.new("RGB", (4, 4)), "BMP"))
    data[28:30] = struct.pack("<H", bits)
    return bytes(data)


def pillow_allocations() -> int:
    """How many image buffers Pillow has allocated so far in this process (its own counter)."""
    return Image.core.get_stats()["new_count"]


# ---------------------------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", NOT_AN_IMAGE),
        (b"hello", NOT_AN_IMAGE),
        (images.not_an_image(), NOT_AN_IMAGE),
        (b"\x00" * 4096, NOT_AN_IMAGE),
        (b'{"json": true}', NOT_AN_IMAGE),
        (images.encode(images.photo(32, 32), "PPM"), NOT_AN_IMAGE),  # exotic parsers never see our bytes
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\0" * 64, CORRUPT_IMAGE),  # no image in it
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\0" * 64, UNSUPPORTED_FORMAT),  # an MP4 video
        (images.encode(images.photo(32, 32), "ICO"), UNSUPPORTED_FORMAT),
        (images.encode(images.photo(32, 32), "JPEG2000"), UNSUPPORTED_FORMAT),
        (b"8BPS\x00\x01" + b"\0" * 64, UNSUPPORTED_FORMAT),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', UNSUPPORTED_FORMAT),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, CORRUPT_IMAGE),  # supported signature, unidentified
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, CORRUPT_IMAGE),
        (images.rgba_png(64, 64)[:20], CORRUPT_IMAGE),  # cut inside IHDR
        (bmp_with_bit_depth(7), CORRUPT_IMAGE),  # the reader raises OSError while parsing the header
        (images.bomb_png(), TOO_MANY_PIXELS),  # 10^10 pixels: Pillow's own DecompressionBombError
        (images.bomb_png(8_000, 8_000), TOO_MANY_PIXELS),  # 64 MP: only our limit stops it
        (webp_vp8x(16_000, 16_000), TOO_MANY_PIXELS),  # from our header parse, before Pillow opens it
    ],
    ids=[
        "empty",
        "short",
        "pdf-like",
        "zeros",
        "json",
        "ppm",
        "heic-garbage",
        "mp4",
        "ico",
        "jp2",
        "psd",
        "svg",
        "jpeg-garbage",
        "png-garbage",
        "png-cut-header",
        "bmp-bad-depth",
        "png-1e10",
        "png-64mp",
        "webp-256mp",
    ],
)
def test_every_input_gets_one_stable_reason(data: bytes, reason: str) -> None:
    assert reason_of(data) == reason


def test_pixel_limit_is_inclusive_and_read_from_the_header() -> None:
    data = images.jpeg(200, 100)
    before = pillow_allocations()

    with open_image(data, ImageLimits(max_pixels=20_000)) as opened:
        im = opened.image
        assert (im.format, im.size, im.mode) == ("JPEG", (200, 100), "RGB")
    assert reason_of(data, max_pixels=19_999) == TOO_MANY_PIXELS
    assert pillow_allocations() == before  # header only: no pixel buffer, accepted or not


def test_zero_dimensions_are_corrupt(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow 13's readers refuse zero sizes themselves (those land in the signature branch above); this guards
    # against one that does not.
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: Image.new("L", (0, 5)))

    assert reason_of(images.jpeg(8, 8)) == CORRUPT_IMAGE


def test_webp_canvas_is_read_before_pillow_opens_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # libwebp allocates the whole canvas inside Image.open (invisible to Pillow's counters), so the size must
    # come from our own parse of each WebP header kind: extended (VP8X), lossy (VP8), lossless (VP8L).
    lossy = images.encode(Image.new("RGB", (300, 200)), "WEBP")
    lossless = images.encode(Image.new("RGB", (300, 200)), "WEBP", lossless=True)
    assert (lossy[12:16], lossless[12:16]) == (b"VP8 ", b"VP8L")

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("Image.open must not be reached")

    monkeypatch.setattr(Image, "open", no_open)

    assert reason_of(webp_vp8x(16_000, 16_000)) == TOO_MANY_PIXELS
    assert reason_of(lossy, max_pixels=59_999) == TOO_MANY_PIXELS
    assert reason_of(lossless, max_pixels=59_999) == TOO_MANY_PIXELS


def test_webp_under_the_limit_opens() -> None:
    data = images.encode(Image.new("RGB", (300, 200)), "WEBP")
    with open_image(data, ImageLimits(max_pixels=60_000)) as opened:
        assert (opened.image.format, opened.image.size) == ("WEBP", (300, 200))


# ---------------------------------------------------------------------------------------------- both consumers


def _render(data: bytes, max_pixels: int) -> object:
    return render(data, ThumbnailSpec(limits=ImageLimits(max_pixels=max_pixels)))


def _extract(data: bytes, max_pixels: int) -> object:
    return extract_metadata(data, include_gps_coordinates=False, limits=ImageLimits(max_pixels=max_pixels))


CONSUMERS = pytest.mark.parametrize("consume", [_render, _extract], ids=["image_resizer", "metadata_extractor"])


@CONSUMERS
@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", NOT_AN_IMAGE),
        (images.not_an_image(), NOT_AN_IMAGE),
        (b"8BPS\x00\x01" + b"\0" * 64, UNSUPPORTED_FORMAT),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', UNSUPPORTED_FORMAT),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, CORRUPT_IMAGE),
        (bmp_with_bit_depth(7), CORRUPT_IMAGE),
        (images.bomb_png(), TOO_MANY_PIXELS),
    ],
    ids=["empty", "text", "psd", "svg", "jpeg-garbage", "bmp-bad-depth", "png-bomb"],
)
def test_one_upload_gets_one_reason_from_every_consumer(
    consume: Callable[[bytes, int], object], data: bytes, reason: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        consume(data, LIMIT)
    assert caught.value.reason == reason == reason_of(data)


@CONSUMERS
def test_webp_bomb_never_reaches_pillow_in_either_consumer(
    consume: Callable[[bytes, int], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    imaging.load_pillow()  # Pillow's plugins load before Image.open is replaced

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("Image.open must not be reached")

    monkeypatch.setattr(Image, "open", no_open)

    with pytest.raises(PermanentError) as caught:
        consume(webp_vp8x(16_000, 16_000), LIMIT)
    assert caught.value.reason == TOO_MANY_PIXELS


# ---------------------------------------------------------------------------------------------- import cost


_PLUGINS = """
import json, sys
import consumer_core.imaging as imaging
from consumer_core.errors import PermanentError
print(json.dumps("PIL" in sys.modules))
for data in (b"8BPS" + bytes(64), b"\\x00\\x00\\x01\\x00" + bytes(64), b"P6 4 4 255 " + bytes(48), b"hello"):
    try:
        imaging.open_image(data, imaging.ImageLimits(max_pixels=1000))
    except PermanentError:
        pass
print(json.dumps("PIL" in sys.modules))  # what is not an accepted format never reaches Pillow
gif = bytes.fromhex("474946383761010001008100000000000000000000000000002c000000000100010000080400010404003b")
imaging.open_image(gif, imaging.ImageLimits(max_pixels=1000)).close()
print(json.dumps(sorted(m for m in sys.modules if m.startswith("PIL.") and m.endswith("ImagePlugin"))))
"""


def test_pillow_loads_on_first_use_with_only_the_accepted_readers() -> None:
    env = {"PYTHONPATH": f"{ROOT / 'lambda_src'}:{ROOT}", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", _PLUGINS], capture_output=True, text=True, env=env, check=True)

    imported_at_start, imported_for_non_images, plugins = (json.loads(line) for line in proc.stdout.splitlines())
    assert imported_at_start is False
    assert imported_for_non_images is False
    accepted = {f"PIL.{name}ImagePlugin" for name in ("Avif", "Bmp", "Gif", "Jpeg", "Mpo", "Png", "Tiff", "WebP")}
    # Image.open itself imports Pillow's few "common" readers (PPM among them); `formats=` keeps them untried.
    # What must never happen is Pillow's fallback to loading every plugin (PSD, ICO, EPS, ... parsers).
    assert accepted <= set(plugins) <= accepted | {"PIL.PpmImagePlugin"}, plugins
