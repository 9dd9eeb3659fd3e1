"""Integration fixtures: one emulator session per backend, the real root stack and the mini stack applied once.

Backends (the `backend` parameter, each test runs on every one):
- `moto`: the embedded emulator, every service on the patched moto server.
- `localstack-core`: LocalStack's open-source core on the host for the services of
  `tools.emulator.localstack_core.LOCALSTACK_SERVICES`, the rest on the moto server; the functions run in the
  local runner, as on moto. Skipped, with the reason, when no Python 3.13+ exists for LocalStack's venv.
- `localstack`: a running full LocalStack (Docker, auth token; `make test-localstack`), which runs the
  functions itself. Skipped with instructions when not reachable.

The embedded backends' sessions start together, at the first test that needs one of them, in background
threads: both stacks apply at once (their provider waits overlap) and the second backend's tests find theirs
ready. pytest runs every test of one backend before the next one's (session-scoped parameter).
"""

from __future__ import annotations

import os
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.mini import FIXTURES, build_zips
from tools.emulator.cli import build_artifacts
from tools.emulator.localstack import LocalStackSession
from tools.emulator.localstack_core import venv_status
from tools.emulator.server import REPO_ROOT, EmulatorServer
from tools.emulator.session import EmulatorSession, StackSpec, artifact_zips, real_stack_variables

BUILD = REPO_ROOT / "build" / "emulator" / "test"
LOCALSTACK_ENDPOINT = os.environ.get("LOCALSTACK_ENDPOINT", "http://localhost:4566")
EMBEDDED = ("moto", "localstack-core")
BACKENDS = [*EMBEDDED, "localstack"]


def localstack_reachable() -> bool:
    try:
        with urllib.request.urlopen(f"{LOCALSTACK_ENDPOINT}/_localstack/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def skip_reason(backend: str) -> str | None:
    """Why `backend` cannot run on this machine, or None. Fails when it could but is not set up."""
    if backend == "localstack" and not localstack_reachable():
        return (
            f"LocalStack is not reachable at {LOCALSTACK_ENDPOINT}. Start it (Docker, LOCALSTACK_AUTH_TOKEN set) "
            "and run `make test-localstack`; see tools/emulator/README.md."
        )
    if backend == "localstack-core":
        status = venv_status()
        if not status.ready and status.python is None:
            return status.reason  # no Python 3.13+ on this machine
        if not status.ready:
            pytest.fail(status.reason)  # an interpreter exists: the venv must be built, not skipped
    return None


class EmbeddedSessions:
    """Starts the embedded backends' sessions in background threads; `get` waits for one."""

    def __init__(self, backends: list[str], mini_zips: dict[str, Path]) -> None:
        self.sessions: dict[str, EmulatorSession] = {}
        self.errors: dict[str, BaseException] = {}
        self.threads: dict[str, threading.Thread] = {}
        dist = build_artifacts(BUILD / "dist")  # one build, for both backends
        for backend in backends:
            self.sessions[backend] = self._session(backend, dist, mini_zips)
            thread = threading.Thread(target=self._start, args=(backend,), name=f"start-{backend}", daemon=True)
            self.threads[backend] = thread
            thread.start()

    @staticmethod
    def _session(backend: str, dist: Path, mini_zips: dict[str, Path]) -> EmulatorSession:
        mini_vars = {
            "function_zip": str(mini_zips["function"]),
            "layer_zip": str(mini_zips["layer"]),
            "event_source_mapping_enabled": False,
        }
        return EmulatorSession(
            [
                StackSpec("reference", REPO_ROOT, real_stack_variables(artifacts_dir=dist)),
                StackSpec("mini", FIXTURES, mini_vars),
            ],
            BUILD / ("session" if backend == "moto" else f"session-{backend}"),
            artifact_zips(dist) + list(mini_zips.values()),
            failed_visibility_timeout_s=1,
            backend=backend,
        )

    def _start(self, backend: str) -> None:
        try:
            self.sessions[backend].start()
        except BaseException as error:  # reported by get(), in the backend's tests
            self.errors[backend] = error

    def get(self, backend: str) -> EmulatorSession:
        self.threads[backend].join()
        if backend in self.errors:
            raise self.errors[backend]
        return self.sessions[backend]

    def close(self, backend: str) -> None:
        self.threads[backend].join()
        self.sessions[backend].close()  # a no-op for what test_destroy_is_clean already destroyed


def selected_backends(session: pytest.Session) -> list[str]:
    chosen = {
        item.callspec.params["backend"]
        for item in session.items
        if hasattr(item, "callspec") and "backend" in item.callspec.params
    }
    return [b for b in EMBEDDED if b in chosen and (b == "moto" or venv_status().ready)]


@pytest.fixture(scope="session")
def embedded(request: pytest.FixtureRequest, mini_zips: dict[str, Path]) -> Iterator[EmbeddedSessions]:
    sessions = EmbeddedSessions(selected_backends(request.session), mini_zips)
    yield sessions
    for backend in sessions.sessions:
        sessions.close(backend)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    reason = skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    return str(request.param)


@pytest.fixture(scope="session")
def mini_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_zips(tmp_path_factory.mktemp("mini-zips"))


@pytest.fixture(scope="session")
def session(request: pytest.FixtureRequest, backend: str) -> Iterator[EmulatorSession | LocalStackSession]:
    """The real root stack (name prefix `emu`) and the mini stack on an embedded backend; or the real stack
    alone on a full LocalStack."""
    if backend == "localstack":
        localstack = LocalStackSession(BUILD.parent / "localstack", endpoint=LOCALSTACK_ENDPOINT).start()
        yield localstack
        localstack.close()
        return
    embedded: EmbeddedSessions = request.getfixturevalue("embedded")
    yield embedded.get(backend)
    embedded.close(backend)  # destroy and stop now: the next backend's tests do not need this one


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, EmulatorServer]]:
    """A stock and a patched moto server, to show each patch fixes something stock moto gets wrong."""
    logs = tmp_path_factory.mktemp("servers")
    stock = EmulatorServer(logs / "stock.log", patched=False).start()
    patched = EmulatorServer(logs / "patched.log", patched=True).start()
    yield {"stock": stock, "patched": patched}
    stock.stop()
    patched.stop()
