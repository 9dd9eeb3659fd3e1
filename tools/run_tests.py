"""`make test-python`: every pytest suite, as two pytest processes at the same time.

The integration suites (tests/integration: the real stack applied to each embedded backend, then each backend's
tests) spend most of their time waiting on the emulators and the provider; the other suites (unit, handler,
tooling, terraform) are CPU work in one process. One pytest process used one core of two on average; two use
both. The other suites stream to the terminal; the integration suites write `build/test-integration.log`, which
is followed on the terminal once the other suites are done. Either failing fails the run.

Arguments are passed to both processes (e.g. `-x`, `-k ...`). `python -m pytest` alone still runs everything
in one process.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = "tests/integration"
LOG = ROOT / "build" / "test-integration.log"


def follow(log: Path, process: subprocess.Popen[bytes]) -> None:
    """Copy `log` to stdout until `process` ends and everything it wrote is shown."""
    with log.open("rb") as source:
        while True:
            ended = process.poll() is not None
            chunk = source.read()
            if chunk:
                sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
            elif ended:
                return
            else:
                time.sleep(0.5)


def alongside(background: list[str], foreground: list[str], log: Path) -> tuple[int, int]:
    """Run `background` (its output to `log`) while `foreground` runs on the terminal; then follow `log` until
    `background` ends. Their exit statuses."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        behind = subprocess.Popen(background, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
    try:
        ahead = subprocess.run(foreground, cwd=ROOT, check=False).returncode
        print(f"\n==> {' '.join(background[1:])} (run alongside; its log: {log})", flush=True)
        follow(log, behind)
    except KeyboardInterrupt:
        behind.send_signal(signal.SIGINT)  # pytest's teardown destroys the stacks it applied
        behind.wait()
        raise
    return behind.wait(), ahead


def main(argv: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest"]
    integration, others = alongside([*pytest, INTEGRATION, *argv], [*pytest, f"--ignore={INTEGRATION}", *argv], LOG)
    print(f"==> other suites: exit {others}; {INTEGRATION}: exit {integration}", flush=True)
    return 0 if others == 0 and integration == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
