"""Integration fixtures: one emulator session per backend, the real root stack and the mini stack applied once.

Backends (the `backend` parameter, each test runs on every one unless `exclude_backends` says otherwise):
- `moto`: the embedded emulator, every service on the patched moto server.
- `localstack-core`: LocalStack's open-source core on the host for the services of
  `tools.emulator.localstack_core.LOCALSTACK_SERVICES`, the rest on the moto server; the functions run in the
  local runner, as on moto. Skipped, with the reason, when no Python 3.13+ exists for LocalStack's venv; a
  failure when one exists but `make localstack-venv` has not built the venv.
- `localstack`: a running full LocalStack (Docker, auth token; `make test-localstack`), which runs the
  functions itself. Skipped with instructions when not reachable.

Time: the integration tests run after every other suite (`pytest_collection_modifyitems`), and the embedded
backends' sessions start when the run starts (`pytest_runtestloop`), in background threads: both stacks apply
while the unit, handler and tooling suites run (an apply is mostly the provider waiting) and at the same time
as each other. pytest runs every test of one backend before the next one's (session-scoped parameter), so the
LocalStack stack is ready when the moto tests end.

The moto session's stack has the upload API (`upload_api`), its JWT issuer and upload page served by one
`FrontDoor` up before the apply; its tests, the demo's and the reprocess workflow's run on moto only.
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
from tools.emulator.front_door import FrontDoor
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
            if os.environ.get("LOCALSTACK_CORE_REQUIRED"):  # CI: a skip here would hide the second backend
                pytest.fail(f"LOCALSTACK_CORE_REQUIRED is set: {status.reason}")
            return status.reason  # no Python 3.13+ on this machine
        if not status.ready:
            pytest.fail(status.reason)  # an interpreter exists: the venv must be built, not skipped
    return None


class EmbeddedSessions:
    """Starts the embedded backends' sessions in background threads (after one artifact build, shared);
    `get` waits for one."""

    def __init__(self, backends: list[str]) -> None:
        # The upload API's issuer and page must be up before the moto stack names their URLs.
        self.front_door = FrontDoor().start() if "moto" in backends else None
        self.sessions: dict[str, EmulatorSession] = {}
        self.errors: dict[str, BaseException] = {}
        self.threads: dict[str, threading.Thread] = {}
        self._built: tuple[Path, dict[str, Path]] | None = None
        self._build_lock = threading.Lock()
        self.backends = backends
        for backend in backends:
            thread = threading.Thread(target=self._start, args=(backend,), name=f"start-{backend}", daemon=True)
            self.threads[backend] = thread
            thread.start()

    def _artifacts(self) -> tuple[Path, dict[str, Path]]:
        with self._build_lock:  # one build, for the backends of this process
            if self._built is None:
                # A directory of its own per set of backends: `make test-python` runs each backend in a pytest
                # process of its own (tools/run_tests.py), at the same time; one must not rebuild what the other
                # is uploading.
                build = BUILD / "-".join(["artifacts", *self.backends])
                self._built = build_artifacts(build / "dist", build / "build.log"), build_zips(build / "mini-zips")
            return self._built

    def _session(self, backend: str, dist: Path, mini_zips: dict[str, Path]) -> EmulatorSession:
        upload_api = self.front_door.stack_variables() if backend == "moto" and self.front_door else None
        # LocalStack core's ASL parser (2026.3.0) refuses the reprocess workflow's Distributed Map (ItemBatcher,
        # which AWS documents): that stack goes without the workflow (tools/emulator/README.md).
        extra = {"reprocess_workflow": {"enabled": False}} if backend == "localstack-core" else {}
        mini_vars = {
            "function_zip": str(mini_zips["function"]),
            "layer_zip": str(mini_zips["layer"]),
            "event_source_mapping_enabled": False,
        }
        return EmulatorSession(
            [
                StackSpec(
                    "reference", REPO_ROOT, {**real_stack_variables(artifacts_dir=dist, upload_api=upload_api), **extra}
                ),
                StackSpec("mini", FIXTURES, mini_vars),
            ],
            BUILD / ("session" if backend == "moto" else f"session-{backend}"),
            artifact_zips(dist) + list(mini_zips.values()),
            failed_visibility_timeout_s=1,
            backend=backend,
        )

    def _start(self, backend: str) -> None:
        try:
            dist, mini_zips = self._artifacts()
            session = self.sessions[backend] = self._session(backend, dist, mini_zips)
            session.start()
            if backend == "moto" and self.front_door is not None:
                assert session.runner is not None
                self.front_door.connect(session.runner.api_urls[session.outputs["reference"]["upload_api"]["api_id"]])
        except BaseException as error:  # reported by get(), in the backend's tests
            self.errors[backend] = error

    def get(self, backend: str) -> EmulatorSession:
        self.threads[backend].join()
        if backend in self.errors:
            raise self.errors[backend]
        return self.sessions[backend]

    def close(self, backend: str) -> None:
        self.threads[backend].join()
        if backend in self.sessions:
            self.sessions[backend].close()  # a no-op for what test_destroy_is_clean already destroyed

    def close_all(self) -> None:
        for backend in self.threads:
            self.close(backend)
        if self.front_door is not None:
            self.front_door.stop()


EMBEDDED_SESSIONS = pytest.StashKey[EmbeddedSessions]()


def item_backend(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("backend") if callspec is not None else None


def selected_backends(items: list[pytest.Item]) -> list[str]:
    chosen = {item_backend(item) for item in items}
    return [b for b in EMBEDDED if b in chosen and (b == "moto" or venv_status().ready)]


@pytest.hookimpl(trylast=True)  # after pytest has grouped the items by their session-scoped parameters
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the (test, backend) pairs a test's `exclude_backends` marker names; integration tests last."""
    kept, deselected = [], []
    for item in items:
        marker = item.get_closest_marker("exclude_backends")
        (deselected if marker is not None and item_backend(item) in marker.args else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    here = Path(__file__).parent
    items[:] = [i for i in kept if here not in i.path.parents] + last_per_backend(
        [i for i in kept if here in i.path.parents]
    )


def last_per_backend(items: list[pytest.Item]) -> list[pytest.Item]:
    """The stack's destroy (test_pipeline.py) runs after every other test of its backend's session, whatever
    file sorts after test_pipeline.py, and before the next backend's tests: the session fixture holds one
    backend at a time, so a destroy moved behind the next backend's tests would apply the stack a second time.
    Just before it, test_reprocess.py, which changes a setting of the stack (an apply) and leaves it changed: no
    other test sees the changed stack, and no apply is spent changing it back."""
    last = [item for item in items if _destroys(item) or item.path.name == "test_reprocess.py"]
    last.sort(key=_destroys)  # stable: the reprocess tests in their order, then the destroy
    moved = {id(item) for item in last}
    ordered = [item for item in items if id(item) not in moved]
    for item in last:
        same = [i for i, other in enumerate(ordered) if item_backend(other) == item_backend(item)]
        ordered.insert(same[-1] + 1 if same else len(ordered), item)
    return ordered


def _destroys(item: pytest.Item) -> bool:
    return item.name.startswith("test_destroy_is_clean")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Start the embedded sessions the selected tests need, now: they apply while the other suites run."""
    if session.config.option.collectonly:
        return
    backends = selected_backends(session.items)
    if backends:
        session.stash[EMBEDDED_SESSIONS] = EmbeddedSessions(backends)


def pytest_sessionfinish(session: pytest.Session) -> None:
    sessions = session.stash.get(EMBEDDED_SESSIONS, None)
    if sessions is not None:
        sessions.close_all()


@pytest.fixture(scope="session")
def embedded(request: pytest.FixtureRequest) -> EmbeddedSessions:
    sessions = request.session.stash.get(EMBEDDED_SESSIONS, None)
    assert sessions is not None, "pytest_runtestloop starts the embedded sessions the selected tests need"
    return sessions


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    reason = skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    return str(request.param)


@pytest.fixture(scope="session")
def front_door(embedded: EmbeddedSessions) -> FrontDoor:
    """The upload API's local OIDC issuer and the upload page (web/), connected to the moto stack's API."""
    if embedded.front_door is None:
        pytest.skip("the upload API is deployed on the moto backend only")
    return embedded.front_door


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
