"""Release hygiene: one version (VERSION) that the changelog and every README's registry-style usage agree on,
the licence, the upgrade notes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.version import Version

from tools.release import REGISTRY_SOURCE, version

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p.parent.name for p in ROOT.glob("modules/*/versions.tf"))
EXAMPLES = sorted(p.parent.name for p in ROOT.glob("examples/*/versions.tf"))
_HCL_BLOCKS = re.compile(r"^```hcl\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _usage(readme: Path) -> str:
    return "\n".join(_HCL_BLOCKS.findall(readme.read_text()))


def _sources(hcl: str) -> list[tuple[str, str | None]]:
    """(source, version or None) of every module call in the HCL."""
    calls = []
    for block in re.findall(r'module "[^"]+" \{(.*?)^\}', hcl, re.MULTILINE | re.DOTALL):
        source = re.search(r'^\s*source\s*=\s*"([^"]+)"', block, re.MULTILINE)
        pinned = re.search(r'^\s*version\s*=\s*"([^"]+)"', block, re.MULTILINE)
        assert source, block
        calls.append((source.group(1), pinned.group(1) if pinned else None))
    return calls


def test_the_changelog_releases_the_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n") and "keepachangelog.com" in text and "semver.org" in text
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.MULTILINE)
    assert headings[0] == ("Unreleased", "")
    released = [Version(v) for v, date in headings[1:]]
    assert all(date for _, date in headings[1:]), "every release has a date"
    assert released == sorted(released, reverse=True), "newest release first"
    assert str(released[0]) == version(), "VERSION is the newest release of the changelog"


def test_license_is_apache_2() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text


def test_upgrading_covers_the_provider_major() -> None:
    text = (ROOT / "UPGRADING.md").read_text()
    assert "## hashicorp/aws 6.x" in text and "CHANGELOG.md" in text


@pytest.mark.parametrize("name", MODULES)
def test_module_readme_shows_registry_usage(name: str) -> None:
    calls = _sources(_usage(ROOT / "modules" / name / "README.md"))
    assert (f"{REGISTRY_SOURCE}//modules/{name}", version()) in calls


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_readme_shows_registry_usage(name: str) -> None:
    calls = _sources(_usage(ROOT / "examples" / name / "README.md"))
    assert calls, "the README shows the example's module calls as a registry user writes them"
    for source, pinned in calls:
        assert source == REGISTRY_SOURCE or source.startswith(f"{REGISTRY_SOURCE}//modules/"), source
        assert pinned == version(), source


def test_root_readme_shows_registry_usage() -> None:
    assert (REGISTRY_SOURCE, version()) in _sources(_usage(ROOT / "README.md"))


@pytest.mark.parametrize("readme", ["README.md", *(f"modules/{m}/README.md" for m in MODULES)])
def test_no_local_sources_in_usage(readme: str) -> None:
    """A reader copies the usage: it must not point into this repository's directories."""
    assert all(not source.startswith((".", "/")) for source, _ in _sources(_usage(ROOT / readme)))
