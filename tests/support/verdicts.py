"""Both image consumers' verdict on one file, for tests of hostile and unusual uploads."""

from __future__ import annotations

from consumer_core.errors import PermanentError
from consumer_core.imaging import DEFAULT_LIMITS, ImageLimits
from image_resizer.spec import ThumbnailSpec
from image_resizer.thumbnails import render
from metadata_extractor.extract import extract_metadata


def reason(data: bytes, limits: ImageLimits = DEFAULT_LIMITS) -> str | None:
    """The verdict of both consumers (they must agree); None when both process the file."""
    verdicts = []
    for consume in (
        lambda: render(data, ThumbnailSpec(limits=limits)),
        lambda: extract_metadata(data, include_gps_coordinates=False, limits=limits),
    ):
        try:
            consume()
            verdicts.append(None)
        except PermanentError as exc:
            verdicts.append(exc.reason)
    assert verdicts[0] == verdicts[1], verdicts
    return verdicts[0]
