"""The README stays true: every make target it names exists, every link it makes points at a file."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def make_targets() -> set[str]:
    # `make -qp` prints the database without running anything.
    output = subprocess.run(
        ["make", "-qp", "-C", str(ROOT)], capture_output=True, text=True, check=False, timeout=60
    ).stdout
    return {m.group(1) for m in re.finditer(r"^([a-zA-Z][\w-]*):", output, re.MULTILINE)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_make_target_named_in_the_docs_exists(doc: Path) -> None:
    text = doc.read_text()
    code_blocks = "\n".join(re.findall(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL))
    named = set(re.findall(r"`make ([a-z][\w-]*)", text)) | set(
        re.findall(r"^\s*make ([a-z][\w-]*)", code_blocks, re.MULTILINE)
    )
    missing = named - make_targets()
    assert not missing, f"{doc.name} names make targets that do not exist: {sorted(missing)}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_resolves(doc: Path) -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text())
    broken = [link for link in links if "://" not in link and not (doc.parent / link).exists()]
    assert not broken, f"{doc.name} links to missing files: {broken}"


def test_readme_quick_start_is_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    quick_start = text.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make demo" in quick_start and "make test" in quick_start


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.MULTILINE)


def test_the_threat_model_lists_exactly_the_reasons_the_code_uses() -> None:
    from consumer_core.errors import PERMANENT_REASONS

    text = (ROOT / "docs" / "threat-model.md").read_text()
    table = text.split("## Rejection reasons", 1)[1].split("\n## ", 1)[0]
    documented = dict(re.findall(r"^\| `([a-z_]+)` \| (.+?) \|$", table, re.MULTILINE))
    assert documented == dict(PERMANENT_REASONS)


def test_the_threat_model_states_the_limits_the_code_applies() -> None:
    from consumer_core.imaging.limits import DEFAULT_LIMITS, HARD_STOP_FACTOR
    from consumer_core.imaging.structure import isobmff

    text = (ROOT / "docs" / "threat-model.md").read_text()
    assert f"| CPU | {DEFAULT_LIMITS.cpu_budget_s:g} s of one core |" in text
    assert f"hard stop at {HARD_STOP_FACTOR:g} x the budget" in text
    assert f"| memory | {DEFAULT_LIMITS.memory_budget_bytes // 2**20} MB peak for the process |" in text
    assert f"{DEFAULT_LIMITS.process_baseline_bytes // 2**20} MB are the process's own" in text
    from consumer_core.uploads import PREFETCH_MAX_BYTES

    assert f"downloaded ahead (at most {PREFETCH_MAX_BYTES // 2**20} MB, `PREFETCH_MAX_BYTES`" in text
    for what, value in (
        ("JPEG marker segments before the first scan", DEFAULT_LIMITS.max_segments),
        ("JPEG scans", DEFAULT_LIMITS.max_scans),
        ("PNG chunks, WebP chunks", DEFAULT_LIMITS.max_chunks),
        ("animation frames (GIF, APNG, WebP), TIFF pages", DEFAULT_LIMITS.max_frames),
        ("TIFF tags per directory", DEFAULT_LIMITS.max_ifd_entries),
        ("TIFF strips or tiles", DEFAULT_LIMITS.max_tiles),
        ("Photoshop resource blocks (APP13)", DEFAULT_LIMITS.max_blocks),
        ("HEIF/AVIF items, property associations, references, grid tiles", DEFAULT_LIMITS.max_blocks),
        ("HEIF/AVIF extents of one item", isobmff.MAX_EXTENTS),
    ):
        assert f"| {what} | {value:,} |" in text, what
    assert f"| HEIF/AVIF boxes | {DEFAULT_LIMITS.max_chunks:,}, nested at most {isobmff.MAX_DEPTH} deep |" in text
    assert f"| AVIF sequence pictures | {DEFAULT_LIMITS.max_frames:,} (as animation frames) |" in text
