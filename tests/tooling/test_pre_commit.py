"""The pre-commit hooks are the checks of `make lint`, installable from PyPI at the project's pins.

pre-commit itself is not needed here (it lives in .venv-pre-commit, `make pre-commit`, outside `make test`):
the config is read as YAML and checked against the Makefile, the pins and the files the hooks run.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HOOK_KEYS = {
    "id",
    "name",
    "entry",
    "language",
    "additional_dependencies",
    "types_or",
    "files",
    "pass_filenames",
    "require_serial",
}


def _config() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())


def _hooks() -> list[dict]:  # type: ignore[type-arg]
    return [hook for repo in _config()["repos"] for hook in repo["hooks"]]


def _lint_steps() -> list[str]:
    match = re.search(r"^lint: ([^#\n]+?)\s*##", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "Makefile has no documented lint target"
    return match.group(1).split()


def _pins() -> dict[str, str]:
    dev = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (ROOT / "requirements/dev.txt").read_text(), re.MULTILINE))
    checkov = re.search(r"^CHECKOV_VERSION \?= (\S+)$", (ROOT / "mk/terraform.mk").read_text(), re.MULTILINE)
    assert checkov
    return {"ruff": dev["ruff"], "checkov": checkov.group(1)}


def test_every_hook_is_local_and_well_formed() -> None:
    config = _config()
    assert config["minimum_pre_commit_version"].startswith("4.")
    assert [repo["repo"] for repo in config["repos"]] == ["local"], "no hook repositories to clone from git"
    for hook in _hooks():
        assert set(hook) <= HOOK_KEYS, hook["id"]
        assert {"id", "name", "entry", "language"} <= set(hook), hook
        assert hook["language"] in {"python", "system"}, hook["id"]


def test_the_hooks_are_the_steps_of_make_lint() -> None:
    assert [hook["id"] for hook in _hooks()] == _lint_steps()


def test_python_hooks_install_the_project_pins_from_pypi() -> None:
    pins = _pins()
    python_hooks = [hook for hook in _hooks() if hook["language"] == "python"]
    assert {hook["id"] for hook in python_hooks} == {"lint-ruff", "lint-ruff-format", "terraform-checkov"}
    for hook in python_hooks:
        (requirement,) = hook["additional_dependencies"]
        name, version = requirement.split("==")
        assert pins[name] == version, f"{hook['id']}: {requirement} differs from the project's pin"


def test_system_hooks_run_files_of_the_project() -> None:
    tools = {"mypy", "python"}
    for hook in _hooks():
        if hook["language"] != "system":
            continue
        command = hook["entry"].split()[0]
        assert (ROOT / command).is_file() or (command.startswith(".venv/bin/") and command.rsplit("/", 1)[1] in tools)


def test_pre_commit_is_pinned_with_its_dependencies() -> None:
    lines = [
        line for line in (ROOT / "requirements/pre-commit.txt").read_text().splitlines() if line and line[0] != "#"
    ]
    assert "pre-commit==4.7.0" in lines
    assert all("==" in line for line in lines)
