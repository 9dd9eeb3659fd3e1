"""`make test-python`'s pytest processes (tools/run_tests.py): each background process's output reaches the terminal
whole, after the foreground's, and no failure is lost; the integration processes split the tests between them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools import run_tests


def background(name: str, status: int) -> list[str]:
    script = f"import sys, time\nfor i in range(3):\n    print('{name} line', i, flush=True); time.sleep(0.2)\n"
    return [sys.executable, "-c", script + f"sys.exit({status})"]


def test_background_logs_are_shown_after_the_foreground_and_every_status_kept(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    logs = [tmp_path / "build" / "moto.log", tmp_path / "build" / "core.log"]
    statuses, ahead = run_tests.alongside(
        {logs[0]: background("moto", 3), logs[1]: background("core", 0)},
        [sys.executable, "-c", "print('unit suites', flush=True)"],
    )
    assert (statuses, ahead) == ([3, 0], 0)
    out = capfd.readouterr().out
    assert out.index("unit suites") < out.index("moto line 0") < out.index("moto line 2") < out.index("core line 0")
    assert logs[1].read_text() == "".join(f"core line {i}\n" for i in range(3))


@pytest.mark.parametrize(("integration", "others", "expected"), [([0, 0], 0, 0), ([0, 1], 0, 1), ([0, 0], 1, 1)])
def test_any_failure_fails_the_run(
    monkeypatch: pytest.MonkeyPatch, integration: list[int], others: int, expected: int
) -> None:
    monkeypatch.setattr(run_tests, "alongside", lambda *_: (integration, others))
    assert run_tests.main([]) == expected


def test_the_integration_processes_take_every_integration_test_once() -> None:
    def collected(*selection: str) -> set[str]:
        command = [sys.executable, "-m", "pytest", "--collect-only", "-q", run_tests.INTEGRATION, *selection]
        out = subprocess.run(command, cwd=run_tests.ROOT, capture_output=True, text=True, check=False).stdout
        return {line for line in out.splitlines() if "::" in line}

    every = collected()
    parts = [collected(*selection) for selection in run_tests.INTEGRATION_RUNS.values()]
    assert all(parts) and not parts[0] & parts[1]
    assert parts[0] | parts[1] == every
    assert all("[localstack-core" in test for test in parts[1])
