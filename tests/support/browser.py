"""Chromium for the browser tests, driven by Playwright through its executable path.

Playwright's own browser download (`playwright install`) needs the internet, which these machines do not have;
the distribution's Chromium installs offline (`make chromium`: Debian's `chromium` with apt-get). The browser is
found, in this order, at $CHROMIUM, then as chromium, chromium-browser, google-chrome or google-chrome-stable on
PATH (GitHub's runners have the last). Without one the tests are skipped with that instruction, except under CI
(CI=true), where a missing browser fails the run: CI must run them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTRUCTION = (
    "no Chromium found: run `make chromium` (as root: apt-get install -y --no-install-recommends chromium) or set "
    "CHROMIUM=/path/to/chromium"
)


def find_chromium() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The browser's path, or a skip (a failure under CI) that says how to get one."""
    path = find_chromium()
    missing = INSTRUCTION if path is None else None
    try:
        import playwright.sync_api  # noqa: F401 - pinned in requirements/dev.txt
    except ImportError:
        missing = "Playwright is not installed: `make venv` installs it from requirements/dev.txt"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {missing}")
        pytest.skip(missing)
    assert path is not None
    return path


@contextmanager
def chromium_page(executable: str) -> Iterator[Any]:
    """A fresh headless Chromium page (no sandbox: these machines run tests as root, which Chromium's sandbox
    refuses)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            context = browser.new_context()
            page = context.new_page()
            yield page
        finally:
            browser.close()
