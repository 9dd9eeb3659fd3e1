"""The upload page (web/) in a real browser (issue 13, part 3): Chromium, driven by Playwright, signs in with a
token of the local issuer, uploads a photo through the API with the progress bar, sees its thumbnails and
metadata; a non-image gets a friendly error. On the session's stack: the page's origin is the one the stack's
CORS settings name (tools/emulator/front_door.py). How Chromium is found or installed: tests/support/browser.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.browser import chromium_page, require_chromium
from tools import testimages as images
from tools.emulator.front_door import FrontDoor

# moto only: the upload API, the demo and the reprocess workflow are not compared on LocalStack core.
pytestmark = [pytest.mark.integration, pytest.mark.exclude_backends("localstack-core")]
WAIT_MS = 120_000


@pytest.fixture(scope="module")
def chromium(backend: str) -> str:
    if backend != "moto":
        pytest.skip("the upload page runs against the embedded emulator")
    return require_chromium()


def sign_in(page, front_door: FrontDoor, sub: str) -> None:
    page.goto(front_door.page_url())
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#token", front_door.issuer.token(sub))
    page.click("#signin-button")
    page.wait_for_selector("#upload:not([hidden])")
    assert page.text_content("#subject") == sub


def test_a_photo_uploaded_through_the_page_shows_its_thumbnails(
    chromium: str, session, front_door: FrontDoor, tmp_path: Path
) -> None:
    photo = tmp_path / "beach at dusk.jpg"
    photo.write_bytes(images.jpeg(2400, 1600, seed=21, camera=True))
    started = time.monotonic()
    with chromium_page(chromium) as page:
        sign_in(page, front_door, "page-alice")
        page.set_input_files("#file", str(photo))
        page.click("#upload-button")

        page.wait_for_selector("#result:not([hidden])", timeout=WAIT_MS)
        widths = page.eval_on_selector_all("#thumbnails img", "imgs => imgs.map(i => Number(i.dataset.width))")
        assert widths == [512, 256, 128, 64]
        page.wait_for_function(
            "() => [...document.querySelectorAll('#thumbnails img')].every(i => i.complete && i.naturalWidth > 0)"
        )
        natural = page.eval_on_selector_all("#thumbnails img", "imgs => imgs.map(i => i.naturalWidth)")
        assert natural == [512, 256, 128, 64], "the thumbnails themselves loaded from S3"
        assert page.text_content("#metadata [data-field=dimensions]") == "2400 × 1600"
        assert page.get_attribute("#progress", "value") == "100"
        assert page.is_hidden("#error")
        assert page.text_content("#status") == "Done."
    print(f"browser upload to thumbnails: {time.monotonic() - started:.1f} s")


def test_heic_and_avif_photos_upload_through_the_page(
    chromium: str, session, front_door: FrontDoor, tmp_path: Path
) -> None:
    """An iPhone's HEIC and a browser's AVIF. Chromium types a .heic by the system's MIME database, which may
    have no HEIF entry: the page then types it by its extension (config.json)."""
    pictures = {
        "IMG_0042.HEIC": (images.heic(1200, 900, seed=41), ("image/heic", "image/heif"), "1200 × 900", "HEIF"),
        "screenshot.avif": (images.avif(900, 1200, seed=42), ("image/avif",), "900 × 1200", "AVIF"),
    }
    with chromium_page(chromium) as page:
        sign_in(page, front_door, "page-carol")
        for name, (data, typed, dimensions, shown_format) in pictures.items():
            path = tmp_path / name
            path.write_bytes(data)
            page.set_input_files("#file", str(path))
            with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/uploads")) as signing:
                page.click("#upload-button")
            assert signing.value.post_data_json["content_type"] in typed, signing.value.post_data_json
            page.wait_for_function(
                f"() => document.querySelector('#metadata [data-field=dimensions]')?.textContent === '{dimensions}'",
                timeout=WAIT_MS,
            )
            assert page.eval_on_selector_all("#thumbnails img", "imgs => imgs.length") == 4
            assert page.text_content("#metadata [data-field=format]") == shown_format
            assert page.is_hidden("#error") and page.text_content("#status") == "Done."


def test_a_non_image_gets_a_friendly_error(chromium: str, session, front_door: FrontDoor, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping: eggs, flour\n")
    disguised = tmp_path / "holiday.png"
    disguised.write_bytes(images.not_an_image())
    with chromium_page(chromium) as page:
        sign_in(page, front_door, "page-bob")
        page.set_input_files("#file", str(notes))
        page.click("#upload-button")
        page.wait_for_selector("#error:not([hidden])")
        message = page.text_content("#error")
        assert "“notes.txt” is not an image we accept" in message and "JPEG" in message
        assert page.is_hidden("#progress"), "nothing was uploaded"

        # Named like a picture, typed image/png by the browser: S3 takes it, the pipeline refuses it.
        page.set_input_files("#file", str(disguised))
        page.click("#upload-button")
        page.wait_for_function(
            "() => document.querySelector('#error').textContent.includes('not an image we can read')",
            timeout=WAIT_MS,
        )
        assert page.is_hidden("#result")
