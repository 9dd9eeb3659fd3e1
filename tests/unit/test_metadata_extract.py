"""metadata_extractor.extract on real generated images: geometry, EXIF, GPS privacy, hashes, limits, reasons."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib
from typing import Any

import pytest
from PIL import ExifTags, Image, ImageCms, TiffImagePlugin

from consumer_core.errors import PermanentError
from consumer_core.imaging import ImageLimits
from metadata_extractor.extract import extract_metadata, summarise
from metadata_extractor.phash import hamming
from tools import testimages as images

LIMIT = 50_000_000


def extract(data: bytes, *, gps: bool = False, max_pixels: int = LIMIT) -> dict[str, Any]:
    result = extract_metadata(data, include_gps_coordinates=gps, limits=ImageLimits(max_pixels=max_pixels))
    json.dumps(result, allow_nan=False)  # JSON-ready, no NaN/inf, no bytes
    return result


def rejected(data: bytes, *, max_pixels: int = LIMIT) -> str:
    with pytest.raises(PermanentError) as caught:
        extract_metadata(data, include_gps_coordinates=True, limits=ImageLimits(max_pixels=max_pixels))
    return caught.value.reason


def camera_jpeg(**exif_ifd_values: Any) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon\x00\x00"
    exif[ExifTags.Base.Model] = "  EOS R5 "
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = "2024:05:01 12:34:56"
    sub[ExifTags.Base.OffsetTimeOriginal] = "+02:00"
    sub[ExifTags.Base.ExposureTime] = TiffImagePlugin.IFDRational(1, 250)
    sub[ExifTags.Base.FNumber] = TiffImagePlugin.IFDRational(28, 10)
    sub[ExifTags.Base.ISOSpeedRatings] = 400
    sub[ExifTags.Base.FocalLength] = TiffImagePlugin.IFDRational(50, 1)
    sub[ExifTags.Base.LensModel] = "RF 50mm F1.2L"
    for name, value in exif_ifd_values.items():
        sub[ExifTags.Base[name]] = value
    return images.encode(images.photo(320, 240, seed=5), "JPEG", quality=90, exif=exif.tobytes())


# ------------------------------------------------------------------------------------------- geometry


@pytest.mark.parametrize("orientation", range(1, 9))
def test_width_and_height_are_upright_after_exif_orientation(orientation: int) -> None:
    result = extract(images.oriented_jpeg(orientation, 400, 200))
    assert (result["width"], result["height"]) == (400, 200)
    stored = (200, 400) if orientation >= 5 else (400, 200)
    assert (result["stored_width"], result["stored_height"]) == stored
    assert result["exif"]["orientation"] == orientation


def test_perceptual_hash_is_computed_on_the_upright_picture() -> None:
    upright = extract(images.oriented_jpeg(1, 400, 200))["perceptual_hash"]
    for orientation in range(2, 9):
        assert hamming(extract(images.oriented_jpeg(orientation, 400, 200))["perceptual_hash"], upright) <= 2


# ------------------------------------------------------------------------------------------- EXIF, GPS


def test_selected_exif_values_are_plain_typed_json() -> None:
    exif = extract(camera_jpeg())["exif"]
    assert exif == {
        "make": "Canon",
        "model": "EOS R5",
        "lens_make": None,
        "lens_model": "RF 50mm F1.2L",
        "capture_time": "2024-05-01T12:34:56+02:00",
        "orientation": None,
        "exposure_time": pytest.approx(0.004),
        "f_number": pytest.approx(2.8),
        "iso": 400,
        "focal_length": 50.0,
    }
    assert type(exif["iso"]) is int and type(exif["exposure_time"]) is float


def test_broken_exif_values_become_none_without_failing() -> None:
    data = camera_jpeg(
        ExposureTime=TiffImagePlugin.IFDRational(1, 0),
        FNumber=TiffImagePlugin.IFDRational(0, 0),
        DateTimeOriginal="0000:00:00 00:00:00",
        LensModel="x" * 10_000,
    )
    exif = extract(data)["exif"]
    assert exif["exposure_time"] is None and exif["f_number"] is None and exif["capture_time"] is None
    assert exif["lens_model"] == "x" * 128


def test_gps_is_flagged_but_coordinates_only_when_opted_in() -> None:
    data = images.jpeg(320, 240, gps=True)
    private = extract(data, gps=False)
    assert private["has_gps"] is True and private["gps"] is None
    assert "52." not in json.dumps(private)
    public = extract(data, gps=True)
    lat, lon = images.GPS_LATITUDE, images.GPS_LONGITUDE
    assert public["gps"] == {
        "latitude": pytest.approx(lat[0] + lat[1] / 60 + lat[2] / 3600, abs=1e-6),
        "longitude": pytest.approx(lon[0] + lon[1] / 60 + lon[2] / 3600, abs=1e-6),
    }


def test_southern_and_western_coordinates_are_negative() -> None:
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (33.0, 51.0, 36.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (70.0, 30.0, 0.0)
    result = extract(images.encode(images.photo(64, 64), "JPEG", exif=exif.tobytes()), gps=True)
    assert result["gps"] == {"latitude": pytest.approx(-33.86), "longitude": pytest.approx(-70.5)}


def test_no_gps_when_absent() -> None:
    result = extract(images.jpeg(320, 240, camera=True), gps=True)
    assert result["has_gps"] is False and result["gps"] is None


def test_gps_hidden_in_xmp_is_flagged() -> None:
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="52,31.2N"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    result = extract(images.encode(images.photo(64, 64), "JPEG", xmp=xmp))
    assert result["has_gps"] is True


# ------------------------------------------------------------------------------------------- hashes


def test_sha256_is_of_the_exact_bytes() -> None:
    data = images.jpeg(320, 240)
    result = extract(data)
    assert result["sha256"] == hashlib.sha256(data).hexdigest()
    assert result["bytes"] == len(data)


def test_perceptual_hash_survives_reencoding_and_resizing() -> None:
    picture = images.photo(1200, 800, seed=21)
    original = extract(images.encode(picture, "JPEG", quality=92))["perceptual_hash"]
    variants = [
        images.encode(picture, "JPEG", quality=40),
        images.encode(picture.resize((600, 400), Image.Resampling.LANCZOS), "JPEG", quality=80),
        images.encode(picture.resize((300, 200), Image.Resampling.BILINEAR), "PNG"),
        images.encode(picture.resize((480, 320)), "WEBP", quality=60),
    ]
    distances = [hamming(original, extract(data)["perceptual_hash"]) for data in variants]
    assert max(distances) <= 6, distances


def test_perceptual_hash_differs_between_different_pictures() -> None:
    hashes = [extract(images.jpeg(640, 480, seed=seed))["perceptual_hash"] for seed in range(6)]
    distances = [hamming(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :]]
    assert min(distances) >= 14, distances
    assert all(len(value) == 16 and int(value, 16) >= 0 for value in hashes)


# ------------------------------------------------------------------------------------------- formats, modes


def test_animated_gif_and_webp_report_frame_count() -> None:
    for data, fmt in ((images.animated_gif(frames=4), "GIF"), (images.animated_webp(frames=3), "WEBP")):
        result = extract(data)
        assert result["format"] == fmt and result["is_animated"] is True
    assert extract(images.animated_gif(frames=4))["frame_count"] == 4
    assert extract(images.animated_webp(frames=3))["frame_count"] == 3
    still = extract(images.jpeg(64, 64))
    assert still["is_animated"] is False and still["frame_count"] == 1


def test_placeholder_of_animation_is_the_first_frame() -> None:
    placeholder = extract(images.animated_gif(frames=3))["placeholder"]
    expected = "#{:02x}{:02x}{:02x}".format(*images.FRAME_COLORS[0])
    assert placeholder["dominant_color"] == expected
    assert placeholder["grid"] == [expected] * 16


def png_rgb16(width: int, height: int) -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow cannot write one): IHDR bit depth 16, colour type 2."""
    row = b"".join(struct.pack(">HHH", x * 65535 // width, 30000, 65535 - x * 65535 // width) for x in range(width))
    raw = b"".join(b"\x00" + row for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_bit_depth_16_for_greyscale_and_rgb_png() -> None:
    grey = extract(images.png16())
    assert grey["bit_depth"] == 16 and grey["mode"] == "I;16"
    # The ramp 0..65535 maps to the full 8-bit range: a left-to-right brightening hash, not clipped white.
    assert grey["perceptual_hash"] == "ff" * 8
    assert grey["placeholder"]["grid"][0] < "#404040" < grey["placeholder"]["grid"][3]
    rgb = extract(png_rgb16(64, 32))
    assert rgb["bit_depth"] == 16 and rgb["format"] == "PNG"
    assert extract(images.jpeg(64, 64))["bit_depth"] == 8


def test_icc_profile_description() -> None:
    result = extract(images.jpeg(200, 100, icc_profile=images.adobe_rgb_profile()))
    expected = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(images.adobe_rgb_profile())))
    assert result["has_icc_profile"] is True
    assert result["icc_profile_description"] == expected.strip() and expected.strip()
    plain = extract(images.jpeg(64, 64))
    assert plain["has_icc_profile"] is False and plain["icc_profile_description"] is None


def test_broken_icc_profile_is_not_a_broken_image() -> None:
    result = extract(images.jpeg(64, 64, icc_profile=b"not a profile" * 10))
    assert result["has_icc_profile"] is True and result["icc_profile_description"] is None


def test_alpha_detection() -> None:
    assert extract(images.rgba_png())["has_alpha"] is True
    assert extract(images.palette_png(transparent=True))["has_alpha"] is True
    assert extract(images.palette_png(transparent=False))["has_alpha"] is False
    assert extract(images.jpeg(64, 64))["has_alpha"] is False


def test_alpha_is_flattened_on_white_for_the_placeholder() -> None:
    transparent = images.encode(Image.new("RGBA", (50, 50), (255, 0, 0, 0)), "PNG")
    assert extract(transparent)["placeholder"]["dominant_color"] == "#ffffff"


def test_cmyk_and_greyscale_jpeg() -> None:
    cmyk = extract(images.cmyk_jpeg())
    assert cmyk["mode"] == "CMYK" and cmyk["format"] == "JPEG"
    assert extract(images.grayscale_jpeg())["mode"] == "L"


def test_flat_colour_placeholder_and_grid() -> None:
    result = extract(images.encode(Image.new("RGB", (120, 80), (10, 120, 200)), "PNG"))
    assert result["placeholder"] == {
        "dominant_color": "#0a78c8",
        "grid_width": 4,
        "grid_height": 4,
        "grid": ["#0a78c8"] * 16,
    }


def test_placeholder_grid_follows_the_upright_picture() -> None:
    grid = extract(images.oriented_jpeg(6, 400, 200))["placeholder"]["grid"]
    top_left = tuple(int(grid[0][i : i + 2], 16) for i in (1, 3, 5))
    assert all(abs(a - b) <= 12 for a, b in zip(top_left, images.QUADRANT_COLORS[0], strict=True)), top_left


# ------------------------------------------------------------------------------------------- limits, reasons


def test_pixel_limit_is_checked_from_the_header() -> None:
    data = images.jpeg(400, 300)
    assert rejected(data, max_pixels=400 * 300 - 1) == "too_many_pixels"
    assert extract(data, max_pixels=400 * 300)["width"] == 400


def test_decompression_bomb_is_rejected_as_too_many_pixels() -> None:
    bomb = images.bomb_png()
    assert len(bomb) < 2048
    assert rejected(bomb) == "too_many_pixels"
    assert rejected(images.bomb_png(8000, 8000), max_pixels=50_000_000) == "too_many_pixels"


def test_truncated_jpeg_is_corrupt() -> None:
    # Classification at open is tested once, in test_imaging.py; truncation shows only when decoding.
    assert rejected(images.truncated_jpeg()) == "corrupt_image"


def test_truncated_png_is_corrupt() -> None:
    data = images.rgba_png(200, 150)
    assert rejected(data[: len(data) // 2]) == "corrupt_image"


def test_rejection_reason_must_be_known() -> None:
    with pytest.raises(ValueError):
        PermanentError("bad_reason", "x")


# ------------------------------------------------------------------------------------------- summary


def test_summary_is_the_compact_flat_subset() -> None:
    full = extract(camera_jpeg())
    summary = summarise(full)
    assert summary == {
        "schema_version": "1.0",
        "format": "JPEG",
        "mime_type": "image/jpeg",
        "width": 320,
        "height": 240,
        "mode": "RGB",
        "has_alpha": False,
        "is_animated": False,
        "sha256": full["sha256"],
        "perceptual_hash": full["perceptual_hash"],
        "placeholder": full["placeholder"],
        "has_gps": False,
        "capture_time": "2024-05-01T12:34:56+02:00",
        "camera_make": "Canon",
        "camera_model": "EOS R5",
    }
    assert len(json.dumps(summary)) < 1024  # fits an event detail and an index item comfortably


def test_summary_never_carries_coordinates() -> None:
    summary = summarise(extract(images.jpeg(320, 240, gps=True), gps=True))
    assert summary["has_gps"] is True and "gps" not in summary and "latitude" not in json.dumps(summary)


def test_importing_the_extractor_does_not_import_pillow() -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = "import sys, metadata_extractor.extract; print('PIL' in sys.modules)"
    env = {"PYTHONPATH": f"{root / 'lambda_src'}:{root}", "PATH": "/usr/bin:/bin"}
    output = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "False"  # cold start: Pillow loads on the first image, not at import
