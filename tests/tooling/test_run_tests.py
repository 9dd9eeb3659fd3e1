"""`make test-python`'s two pytest processes (tools/run_tests.py): the background one's output reaches the terminal
whole, after the foreground's, and its failure is not lost."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tools import run_tests

BACKGROUND = "import sys, time\nfor i in range(3):\n    print(f'integration line {i}', flush=True); time.sleep(0.3)\n"


def test_the_background_log_is_shown_after_the_foreground_and_both_statuses_kept(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "build" / "integration.log"
    statuses = run_tests.alongside(
        [sys.executable, "-c", BACKGROUND + "sys.exit(3)"],
        [sys.executable, "-c", "print('unit suites', flush=True)"],
        log,
    )
    assert statuses == (3, 0)
    out = capfd.readouterr().out
    assert out.index("unit suites") < out.index("integration line 0") < out.index("integration line 2")
    assert log.read_text() == "".join(f"integration line {i}\n" for i in range(3))


@pytest.mark.parametrize(("integration", "others", "expected"), [(0, 0, 0), (1, 0, 1), (0, 1, 1)])
def test_either_failing_fails_the_run(
    monkeypatch: pytest.MonkeyPatch, integration: int, others: int, expected: int
) -> None:
    monkeypatch.setattr(run_tests, "alongside", lambda *_: (integration, others))
    assert run_tests.main([]) == expected
