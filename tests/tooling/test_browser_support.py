"""How the browser test finds Chromium, and what it says when there is none (tests/support/browser.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.support import browser


@pytest.fixture
def no_browser_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.delenv("CI", raising=False)
    return tmp_path


def fake_browser(directory: Path, name: str) -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_without_chromium_the_test_is_skipped_with_the_way_to_get_one(no_browser_on_path: Path) -> None:
    assert browser.find_chromium() is None
    with pytest.raises(pytest.skip.Exception) as skipped:
        browser.require_chromium()
    assert "make chromium" in str(skipped.value) and "CHROMIUM=" in str(skipped.value)


def test_under_ci_a_missing_chromium_fails_instead(no_browser_on_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="browser tests must run in CI"):
        browser.require_chromium()


def test_chromium_is_found_on_path_by_its_distribution_names(no_browser_on_path: Path) -> None:
    chrome = fake_browser(no_browser_on_path, "google-chrome-stable")
    assert browser.find_chromium() == str(chrome)
    chromium = fake_browser(no_browser_on_path, "chromium")
    assert browser.find_chromium() == str(chromium)  # the distribution's first


def test_an_explicit_chromium_wins_and_must_be_executable(
    no_browser_on_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_browser(no_browser_on_path, "chromium")
    elsewhere = no_browser_on_path / "elsewhere"
    elsewhere.mkdir()
    mine = fake_browser(elsewhere, "my-chromium")
    monkeypatch.setenv("CHROMIUM", str(mine))
    assert browser.find_chromium() == str(mine)
    mine.chmod(0o644)
    assert browser.find_chromium() is None  # not silently another browser than the one asked for
    assert not os.access(mine, os.X_OK)
