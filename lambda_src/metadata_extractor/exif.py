"""Normalise raw EXIF tag values into plain JSON types.

EXIF comes from whoever made the file, so every value may be the wrong type, broken or huge: strings as bytes,
rationals with zero denominators, NaN, tuples where scalars belong, megabyte-long "models". Every function here
takes arbitrary Python values and returns a JSON-safe value or None; none of them raises. No Pillow import:
rationals are recognised by their `numerator`/`denominator` attributes (Pillow's IFDRational, Fraction) or as
(numerator, denominator) pairs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

# IFD pointers and tags (EXIF 2.32 / TIFF 6.0 numbering).
EXIF_IFD = 0x8769
GPS_IFD = 0x8825

TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_ORIENTATION = 0x0112
TAG_EXPOSURE_TIME = 0x829A
TAG_F_NUMBER = 0x829D
TAG_ISO = 0x8827  # PhotographicSensitivity (ISOSpeedRatings before EXIF 2.3)
TAG_DATETIME_ORIGINAL = 0x9003
TAG_OFFSET_TIME_ORIGINAL = 0x9011
TAG_FOCAL_LENGTH = 0x920A
TAG_LENS_MAKE = 0xA433
TAG_LENS_MODEL = 0xA434

GPS_LATITUDE_REF = 1
GPS_LATITUDE = 2
GPS_LONGITUDE_REF = 3
GPS_LONGITUDE = 4
GPS_ALTITUDE_REF = 5
GPS_ALTITUDE = 6

MAX_TEXT_CHARS = 128  # make/model/lens are short; anything longer is junk or an attack on the index
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_EXIF_DATETIME = re.compile(r"^\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"^\s*([+-])(\d{2}):(\d{2})\s*$")


def text(value: Any, *, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    """An ASCII/UTF-8 tag as a clean, short str: NULs and control characters removed, valid UTF-8 guaranteed."""
    value = _unwrap(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value[: max_chars * 4])  # bound the work before decoding
        value = raw.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    value = value[: max_chars * 4]
    # Lone surrogates (from odd decoders) cannot be stored as UTF-8 by S3 metadata or DynamoDB.
    value = value.encode("utf-8", errors="replace").decode("utf-8")
    value = _CONTROL_CHARS.sub("", value).strip()[:max_chars].strip()
    return value or None


def number(value: Any) -> float | None:
    """A rational, integer or float tag as a finite float (None for 0/0, x/0, NaN, infinities, junk)."""
    value = _unwrap(value)
    if isinstance(value, (tuple, list)):
        if len(value) == 2 and all(_is_int(v) for v in value):
            return _ratio(value[0], value[1])
        return None
    if isinstance(value, bool):
        return None
    if _is_int(value):
        return _finite(float(value)) if abs(value) < 2**63 else None
    if isinstance(value, float):
        return _finite(value)
    numerator = getattr(value, "numerator", None)
    denominator = getattr(value, "denominator", None)
    if numerator is not None and denominator is not None:
        try:
            return _ratio(numerator, denominator)
        except Exception:  # an object pretending to be a rational
            return None
    return None


def integer(value: Any, *, minimum: int = 0, maximum: int = 2**31 - 1) -> int | None:
    """An integer tag (first element of a sequence) within [minimum, maximum]."""
    if isinstance(value, (tuple, list)):  # e.g. several ISO values: the first one counts
        value = _unwrap(value[0]) if value else None
    if isinstance(value, bool):
        return None
    if _is_int(value):
        result = int(value)
    else:
        as_float = number(value)
        if as_float is None or not as_float.is_integer():
            return None
        result = int(as_float)
    return result if minimum <= result <= maximum else None


def orientation(value: Any) -> int | None:
    """EXIF orientation 1..8; anything else is treated by callers as 'no rotation'."""
    return integer(value, minimum=1, maximum=8)


def capture_time(value: Any, offset: Any = None) -> str | None:
    """'YYYY:MM:DD HH:MM:SS' (+ optional '+HH:MM' offset tag) as ISO 8601; None for zeros or impossible dates."""
    raw = text(value, max_chars=64)
    if raw is None:
        return None
    match = _EXIF_DATETIME.match(raw)
    if not match:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:  # 0000:00:00 00:00:00, month 13, ...
        return None
    result = moment.isoformat()
    offset_text = text(offset, max_chars=16)
    offset_match = _EXIF_OFFSET.match(offset_text) if offset_text else None
    if offset_match:
        sign, hours, minutes = offset_match.groups()
        if int(hours) <= 14 and int(minutes) < 60:
            result += f"{sign}{hours}:{minutes}"
    return result


def gps_coordinate(dms: Any, ref: Any, *, limit: float) -> float | None:
    """Degrees/minutes/seconds + N/S/E/W reference as signed decimal degrees, rounded to 6 places (~0.1 m)."""
    sequence = isinstance(dms, (tuple, list)) and 1 <= len(dms) <= 3
    parts = [number(part) for part in dms] if sequence else [number(dms)]
    known = [part for part in parts if part is not None and part >= 0]
    if len(known) != len(parts):
        return None
    degrees = sum(part / 60.0**index for index, part in enumerate(known))
    if not math.isfinite(degrees) or degrees > limit:
        return None
    ref_text = (text(ref, max_chars=4) or "").upper()[:1]
    if ref_text in ("S", "W"):
        degrees = -degrees
    elif ref_text not in ("N", "E", ""):
        return None
    return round(degrees, 6) + 0.0  # + 0.0 turns -0.0 into 0.0


def camera(ifd0: Mapping[int, Any], exif_ifd: Mapping[int, Any]) -> dict[str, Any]:
    """The selected EXIF fields, every key always present (None when absent or unusable)."""
    return {
        "make": text(_get(ifd0, TAG_MAKE)),
        "model": text(_get(ifd0, TAG_MODEL)),
        "lens_make": text(_get(exif_ifd, TAG_LENS_MAKE)),
        "lens_model": text(_get(exif_ifd, TAG_LENS_MODEL)),
        "capture_time": capture_time(_get(exif_ifd, TAG_DATETIME_ORIGINAL), _get(exif_ifd, TAG_OFFSET_TIME_ORIGINAL)),
        "orientation": orientation(_get(ifd0, TAG_ORIENTATION)),
        "exposure_time": _positive(number(_get(exif_ifd, TAG_EXPOSURE_TIME))),
        "f_number": _positive(number(_get(exif_ifd, TAG_F_NUMBER))),
        "iso": integer(_get(exif_ifd, TAG_ISO), minimum=1, maximum=10_000_000),
        "focal_length": _positive(number(_get(exif_ifd, TAG_FOCAL_LENGTH))),
    }


def has_gps(gps_ifd: Mapping[int, Any]) -> bool:
    """True when the GPS IFD carries a position (latitude or longitude), usable or not."""
    try:
        return any(tag in gps_ifd for tag in (GPS_LATITUDE, GPS_LONGITUDE))
    except Exception:
        return False


def gps(gps_ifd: Mapping[int, Any]) -> dict[str, float] | None:
    """Decimal latitude/longitude (and altitude in metres when present), or None without a usable position."""
    latitude = gps_coordinate(_get(gps_ifd, GPS_LATITUDE), _get(gps_ifd, GPS_LATITUDE_REF), limit=90.0)
    longitude = gps_coordinate(_get(gps_ifd, GPS_LONGITUDE), _get(gps_ifd, GPS_LONGITUDE_REF), limit=180.0)
    if latitude is None or longitude is None:
        return None
    result = {"latitude": latitude, "longitude": longitude}
    altitude = number(_get(gps_ifd, GPS_ALTITUDE))
    if altitude is not None and abs(altitude) < 100_000:
        below_sea_level = integer(_get(gps_ifd, GPS_ALTITUDE_REF), maximum=1) == 1
        result["altitude"] = round(-altitude if below_sea_level else altitude, 2) + 0.0
    return result


def _get(mapping: Mapping[int, Any], tag: int) -> Any:
    try:
        return mapping.get(tag)
    except Exception:  # a lazily parsed IFD that fails on access
        return None


def _unwrap(value: Any) -> Any:
    """Single-element sequences stand for their element (Pillow returns some scalars as 1-tuples)."""
    for _ in range(4):  # bounded: no recursion on hostile nesting
        if isinstance(value, (tuple, list)) and len(value) == 1:
            value = value[0]
        else:
            break
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ratio(numerator: Any, denominator: Any) -> float | None:
    if isinstance(numerator, bool) or isinstance(denominator, bool):
        return None
    if not isinstance(numerator, (int, float)) or not isinstance(denominator, (int, float)):
        return None
    if denominator == 0:
        return None
    try:
        return _finite(numerator / denominator)
    except (OverflowError, ZeroDivisionError):
        return None


def _finite(value: float) -> float | None:
    if not math.isfinite(value):
        return None
    return value + 0.0


def _positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 else None
