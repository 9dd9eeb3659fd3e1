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
