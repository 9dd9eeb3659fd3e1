"""`make test-python`: every pytest suite, as three pytest processes at the same time.

The integration suites (tests/integration: the real stack applied to an embedded backend, then that backend's
tests) spend most of their time waiting on the emulators and the provider; the other suites (unit, handler,
tooling, terraform) are CPU work in one process. In one pytest process the run used one core of two on average.
Here the other suites stream to the terminal while the integration suites run beside them, one process per
embedded backend (moto, with the tests that take no backend; LocalStack core), each writing its own log under
build/; the logs are followed on the terminal, one after the other, once the other suites are done. Any process
failing fails the run.

Arguments are passed to every process (e.g. `-x`). `python -m pytest` alone still runs everything in one process.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = "tests/integration"
# Each integration process: its log, and the tests it takes (by the backend in their ids).
INTEGRATION_RUNS = {
    "build/test-integration.log": ["-k", "not localstack-core"],
    "build/test-integration-localstack-core.log": ["-k", "localstack-core"],
}


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


def alongside(background: dict[Path, list[str]], foreground: list[str]) -> tuple[list[int], int]:
    """Run each `background` command (its output to its log) while `foreground` runs on the terminal; then follow
    the logs in order until each command ends. Their exit statuses, and the foreground's."""
    behind: dict[Path, subprocess.Popen[bytes]] = {}
    try:
        for log, command in background.items():
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("wb") as sink:
                behind[log] = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        ahead = subprocess.run(foreground, cwd=ROOT, check=False).returncode
        for log, process in behind.items():
            print(f"\n==> {' '.join(background[log][1:])} (run alongside; its log: {log})", flush=True)
            follow(log, process)
    except KeyboardInterrupt:
        for process in behind.values():
            process.send_signal(signal.SIGINT)  # pytest's teardown destroys the stacks it applied
        for process in behind.values():
            process.wait()
        raise
    return [process.wait() for process in behind.values()], ahead


def main(argv: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest"]
    integration = {ROOT / log: [*pytest, INTEGRATION, *selection, *argv] for log, selection in INTEGRATION_RUNS.items()}
    statuses, others = alongside(integration, [*pytest, f"--ignore={INTEGRATION}", *argv])
    print(f"==> other suites: exit {others}; {INTEGRATION}: exit {', '.join(map(str, statuses))}", flush=True)
    return 0 if others == 0 and not any(statuses) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
