"""The Content-Type `make demo` labels its uploads with: the format the bytes are, as a browser's upload page would
label them, from the pipeline's one MIME table (consumer_core.imaging.formats), whatever the file is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import testimages
from tools.emulator.cli import content_type


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("photo.jpg", testimages.jpeg(64, 48), "image/jpeg"),
        ("renamed.png", testimages.jpeg(64, 48), "image/jpeg"),  # the bytes decide, not the name
        ("alpha.png", testimages.rgba_png(64, 48), "image/png"),
        ("modern.webp", testimages.webp(64, 48), "image/webp"),
        ("phone.heic", testimages.heic(64, 48), "image/heic"),
        ("browser.avif", testimages.avif(64, 48), "image/avif"),
        ("notes.txt", b"not an image", "text/plain"),
        ("no-extension", b"not an image", "application/octet-stream"),
    ],
)
def test_demo_uploads_are_labelled_by_their_bytes(name: str, body: bytes, expected: str) -> None:
    assert content_type(Path(name), body) == expected
