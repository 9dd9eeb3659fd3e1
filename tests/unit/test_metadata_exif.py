"""EXIF normalisation never raises and always returns plain JSON types, whatever the file claims (hypothesis)."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, TiffImagePlugin

from consumer_core.errors import PermanentError
from consumer_core.imaging import ImageLimits
from metadata_extractor import exif
from metadata_extractor.extract import extract_metadata
from tools import testimages as images

scalars_leaf = st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=5))
rationals = st.builds(
    TiffImagePlugin.IFDRational,
    st.one_of(st.integers(-(2**40), 2**40), st.floats(allow_nan=False, allow_infinity=False)),
    st.integers(-(2**32), 2**32),
)
# Anything that looks like a rational, however broken its parts.
fake_rationals = st.builds(SimpleNamespace, numerator=scalars_leaf, denominator=scalars_leaf)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=300),
    st.binary(max_size=300),
    rationals,
    fake_rationals,
    st.builds(Fraction, st.integers(), st.integers(1, 10**6)),
)
values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner)), max_leaves=8
)
CAMERA_TAGS = [
    exif.TAG_MAKE,
    exif.TAG_MODEL,
    exif.TAG_ORIENTATION,
    exif.TAG_EXPOSURE_TIME,
    exif.TAG_F_NUMBER,
    exif.TAG_ISO,
    exif.TAG_DATETIME_ORIGINAL,
    exif.TAG_OFFSET_TIME_ORIGINAL,
    exif.TAG_FOCAL_LENGTH,
    exif.TAG_LENS_MAKE,
    exif.TAG_LENS_MODEL,
]
GPS_TAGS = range(0, 8)
ifds = st.dictionaries(st.sampled_from(CAMERA_TAGS), values, max_size=len(CAMERA_TAGS))
gps_ifds = st.dictionaries(st.sampled_from(list(GPS_TAGS)), values, max_size=8)


def assert_json_plain(value: Any) -> None:
    encoded = json.dumps(value, allow_nan=False)
    encoded.encode("utf-8")  # no lone surrogates
    assert json.loads(encoded) == value


@given(ifd0=ifds, exif_ifd=ifds)
def test_camera_fields_are_always_typed(ifd0: dict[int, Any], exif_ifd: dict[int, Any]) -> None:
    result = exif.camera(ifd0, exif_ifd)
    assert_json_plain(result)
    for key in ("make", "model", "lens_make", "lens_model", "capture_time"):
        assert result[key] is None or (isinstance(result[key], str) and 0 < len(result[key]) <= exif.MAX_TEXT_CHARS)
    for key in ("exposure_time", "f_number", "focal_length"):
        assert result[key] is None or (type(result[key]) is float and math.isfinite(result[key]) and result[key] > 0)
    assert result["iso"] is None or type(result["iso"]) is int
    assert result["orientation"] is None or result["orientation"] in range(1, 9)


@given(gps_ifd=gps_ifds)
def test_gps_is_always_in_range_or_none(gps_ifd: dict[int, Any]) -> None:
    result = exif.gps(gps_ifd)
    assert isinstance(exif.has_gps(gps_ifd), bool)
    if result is not None:
        assert_json_plain(result)
        assert -90 <= result["latitude"] <= 90 and -180 <= result["longitude"] <= 180


@given(value=values)
def test_each_normaliser_accepts_anything(value: Any) -> None:
    for result in (exif.text(value), exif.number(value), exif.integer(value), exif.capture_time(value, value)):
        assert_json_plain(result)
    assert exif.orientation(value) in (None, *range(1, 9))


def test_a_lazy_ifd_that_fails_on_access_is_empty() -> None:
    class Exploding(dict):
        def get(self, *args: Any) -> Any:
            raise struct_error()

    def struct_error() -> Exception:
        import struct

        return struct.error("bad offset")

    assert exif.camera(Exploding(), Exploding())["make"] is None
    assert exif.gps(Exploding()) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (TiffImagePlugin.IFDRational(1, 0), None),
        (TiffImagePlugin.IFDRational(0, 0), None),
        ((1, 0), None),
        ((1, 250), 0.004),
        (TiffImagePlugin.IFDRational(28, 10), 2.8),
        (float("nan"), None),
        (float("inf"), None),
        (b"\x01\x02", None),
        ("2.8", None),
        (True, None),
        (2**80, None),
        ([4.5], 4.5),
    ],
)
def test_number_examples(value: Any, expected: float | None) -> None:
    assert exif.number(value) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("value", "offset", "expected"),
    [
        ("2024:05:01 12:34:56", None, "2024-05-01T12:34:56"),
        (b"2024:05:01 12:34:56\x00", b"-05:30", "2024-05-01T12:34:56-05:30"),
        ("2024:05:01 12:34:56", "+99:00", "2024-05-01T12:34:56"),
        ("0000:00:00 00:00:00", None, None),
        ("2024:13:01 12:00:00", None, None),
        ("    :  :     :  :  ", None, None),
        ("yesterday", None, None),
    ],
)
def test_capture_time_examples(value: Any, offset: Any, expected: str | None) -> None:
    assert exif.capture_time(value, offset) == expected


def test_text_cleans_and_bounds() -> None:
    assert exif.text(b"Canon\x00\x00\x00") == "Canon"
    assert exif.text("\ud800Nikon\x07") == "?Nikon"
    assert exif.text(b"\xff\xfeSony") == "\ufffd\ufffdSony"
    assert exif.text("   ") is None
    assert len(exif.text("a" * 1_000_000) or "") == exif.MAX_TEXT_CHARS


# ------------------------------------------------------------------------------------------- through real files

BASE = images.photo(48, 32, seed=4)
exif_values_in_files = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200),
    st.integers(0, 2**32 - 1),
    st.builds(TiffImagePlugin.IFDRational, st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1)),
    st.tuples(*[st.builds(TiffImagePlugin.IFDRational, st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1))] * 3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ifd0=st.dictionaries(st.sampled_from([exif.TAG_MAKE, exif.TAG_MODEL, exif.TAG_ORIENTATION]), exif_values_in_files),
    sub=st.dictionaries(st.sampled_from(CAMERA_TAGS[3:]), exif_values_in_files),
    gps=st.dictionaries(st.sampled_from(list(GPS_TAGS)), exif_values_in_files),
)
def test_odd_exif_in_a_real_jpeg_never_breaks_extraction(
    ifd0: dict[int, Any], sub: dict[int, Any], gps: dict[int, Any]
) -> None:
    raw = Image.Exif()
    targets = [(ifd0, None), (sub, ExifTags.IFD.Exif), (gps, ExifTags.IFD.GPSInfo)]
    for values_by_tag, pointer in targets:
        for tag, value in values_by_tag.items():
            ifd = raw if pointer is None else raw.get_ifd(pointer)
            ifd[tag] = value
            try:  # keep only what Pillow can write: the point is odd values, not Pillow's writer
                raw.tobytes()
            except Exception:
                del ifd[tag]
    exif_block = raw.tobytes()
    data = images.encode(BASE, "JPEG", exif=exif_block)
    result = extract_metadata(data, include_gps_coordinates=True, limits=ImageLimits(max_pixels=10_000))
    assert_json_plain(result)
    assert (result["width"], result["height"]) in ((48, 32), (32, 48))


SAMPLES = [images.jpeg(48, 32, camera=True, gps=True), images.rgba_png(40, 30), images.animated_gif(24, 16)]


@settings(max_examples=150, deadline=None)
@given(
    sample=st.sampled_from(SAMPLES), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8)
)
def test_corrupted_bytes_give_metadata_or_a_stable_reason(sample: bytes, flips: list[tuple[int, int]]) -> None:
    data = bytearray(sample)
    for position, value in flips:
        data[position % len(data)] = value
    try:
        result = extract_metadata(bytes(data), include_gps_coordinates=True, limits=ImageLimits(max_pixels=1_000_000))
    except PermanentError as rejection:
        assert rejection.reason in {"not_an_image", "corrupt_image", "unsupported_format", "too_many_pixels"}
    else:
        assert_json_plain(result)
