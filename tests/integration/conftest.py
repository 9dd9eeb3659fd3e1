"""Integration fixtures: one emulator session per test run, the real root stack and the mini stack applied once.

Backends: `moto` (embedded, the default) and `localstack` (skipped with instructions when not reachable).
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.mini import FIXTURES, build_zips
from tools.emulator.cli import build_artifacts
from tools.emulator.front_door import FrontDoor
from tools.emulator.localstack import LocalStackSession
from tools.emulator.server import REPO_ROOT, EmulatorServer
from tools.emulator.session import EmulatorSession, StackSpec, artifact_zips, real_stack_variables

BUILD = REPO_ROOT / "build" / "emulator" / "test"
LOCALSTACK_ENDPOINT = os.environ.get("LOCALSTACK_ENDPOINT", "http://localhost:4566")


@pytest.hookimpl(trylast=True)  # after pytest has grouped the items by the session's backend
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The stack's destroy (test_pipeline.py) runs after every other test of its backend's session, whatever
    file sorts after test_pipeline.py, and before the other backend's tests: the session fixture holds one
    backend at a time, so a destroy moved behind the other backend's tests would apply the stack a second time.
    Just before it, test_reprocess.py, which changes a setting of the stack (an apply) and leaves it changed: no
    other test sees the changed stack, and no apply is spent changing it back."""
    last = [item for item in items if _destroys(item) or item.path.name == "test_reprocess.py"]
    last.sort(key=_destroys)  # stable: the reprocess tests in their order, then the destroy
    moved = {id(item) for item in last}
    ordered = [item for item in items if id(item) not in moved]
    for item in last:
        same = [i for i, other in enumerate(ordered) if _backend_of(other) == _backend_of(item)]
        ordered.insert(same[-1] + 1 if same else len(ordered), item)
    items[:] = ordered


def _destroys(item: pytest.Item) -> bool:
    return item.name.startswith("test_destroy_is_clean")


def _backend_of(item: pytest.Item) -> object:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("backend") if callspec is not None else None


def localstack_reachable() -> bool:
    try:
        with urllib.request.urlopen(f"{LOCALSTACK_ENDPOINT}/_localstack/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session", params=["moto", "localstack"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "localstack" and not localstack_reachable():
        pytest.skip(
            f"LocalStack is not reachable at {LOCALSTACK_ENDPOINT}. Start it (Docker, LOCALSTACK_AUTH_TOKEN set) "
            "and run `make test-localstack`; see tools/emulator/README.md."
        )
    return request.param


@pytest.fixture(scope="session")
def mini_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_zips(tmp_path_factory.mktemp("mini-zips"))


@pytest.fixture(scope="session")
def front_door() -> Iterator[FrontDoor]:
    """The upload API's local OIDC issuer and the upload page (web/), up before the stack names their URLs."""
    with FrontDoor() as door:
        yield door


@pytest.fixture(scope="session")
def session(
    backend: str, mini_zips: dict[str, Path], front_door: FrontDoor
) -> Iterator[EmulatorSession | LocalStackSession]:
    """The real root stack (name prefix `emu`, with the upload API) and the mini stack, applied in parallel to
    one moto server; or the real stack alone on LocalStack."""
    if backend == "localstack":
        localstack = LocalStackSession(BUILD.parent / "localstack", endpoint=LOCALSTACK_ENDPOINT).start()
        yield localstack
        localstack.close()
        return
    dist = build_artifacts(BUILD / "dist")
    mini_vars = {
        "function_zip": str(mini_zips["function"]),
        "layer_zip": str(mini_zips["layer"]),
        "event_source_mapping_enabled": False,
    }
    emulator = EmulatorSession(
        [
            StackSpec(
                "reference",
                REPO_ROOT,
                real_stack_variables(artifacts_dir=dist, upload_api=front_door.stack_variables()),
            ),
            StackSpec("mini", FIXTURES, mini_vars),
        ],
        BUILD / "session",
        artifact_zips(dist) + list(mini_zips.values()),
        failed_visibility_timeout_s=1,
    )
    emulator.start()
    assert emulator.runner is not None
    front_door.connect(emulator.runner.api_urls[emulator.outputs["reference"]["upload_api"]["api_id"]])
    yield emulator
    emulator.close()  # a no-op for what test_destroy_is_clean already destroyed


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, EmulatorServer]]:
    """A stock and a patched moto server, to show each patch fixes something stock moto gets wrong."""
    logs = tmp_path_factory.mktemp("servers")
    stock = EmulatorServer(logs / "stock.log", patched=False).start()
    patched = EmulatorServer(logs / "patched.log", patched=True).start()
    yield {"stock": stock, "patched": patched}
    stock.stop()
    patched.stop()
