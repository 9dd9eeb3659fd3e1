"""The localstack-core backend's pieces that need no running emulator: finding a Python 3.13+, the routing table,
the generated provider settings, the venv marker, and the launcher's LocalStack patch (in LocalStack's venv)."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from tools.emulator import localstack_core
from tools.emulator.endpoints import Endpoints
from tools.emulator.localstack_core import (
    LAUNCHER,
    LOCALSTACK_SERVICES,
    VENV,
    core_routes,
    find_python,
    settings_override,
    venv_status,
)


def fake_python(path: Path, version: str) -> Path:
    """An executable answering the version probe as a Python `version` would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    major, minor = version.split(".")[:2]
    path.write_text(f"#!/bin/sh\necho {major} {minor}\n")
    path.chmod(0o755)
    return path


def test_localstack_python_is_taken_only_when_it_is_new_enough(tmp_path: Path) -> None:
    new = fake_python(tmp_path / "new" / "python", "3.13")
    old = fake_python(tmp_path / "old" / "python", "3.12")
    empty_pyenv = str(tmp_path / "no-pyenv")
    assert find_python({"LOCALSTACK_PYTHON": str(new), "PATH": "", "PYENV_ROOT": empty_pyenv})[0] == new
    found, looked = find_python({"LOCALSTACK_PYTHON": str(old), "PATH": "", "PYENV_ROOT": empty_pyenv})
    assert found != old
    assert f"{old} (3.12)" in looked


def test_pyenv_versions_are_searched_newest_first_and_shims_skipped(tmp_path: Path) -> None:
    root = tmp_path / "pyenv"
    fake_python(root / "versions" / "3.12.9" / "bin" / "python3", "3.12")
    newest = fake_python(root / "versions" / "3.14.1" / "bin" / "python3", "3.14")
    fake_python(root / "versions" / "3.13.2" / "bin" / "python3", "3.13")
    shims = tmp_path / "pyenv" / "shims"
    fake_python(shims / "python3.13", "3.13")
    assert find_python({"PATH": str(shims), "PYENV_ROOT": str(root)})[0] == newest


def test_routes_send_localstack_services_there_and_the_rest_to_moto() -> None:
    routes = core_routes("http://127.0.0.1:1", "http://127.0.0.1:2")
    assert routes.url("s3") == routes.url("events") == routes.url("stepfunctions") == "http://127.0.0.1:1"
    assert routes.url("lambda") == routes.url("dynamodb") == routes.url("iam") == "http://127.0.0.1:2"
    env = routes.environ()
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:2"
    # botocore's names: from the service id, not the client name
    assert env["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"] == env["AWS_ENDPOINT_URL_EVENTBRIDGE"] == "http://127.0.0.1:1"
    assert env["AWS_ENDPOINT_URL_SFN"] == "http://127.0.0.1:1"
    assert "AWS_ENDPOINT_URL_LAMBDA" not in env
    terraform = routes.terraform(["lambda"])
    assert terraform["sfn"] == terraform["s3"] == "http://127.0.0.1:1" and terraform["lambda"] == "http://127.0.0.1:2"
    assert set(routes.served_by("http://127.0.0.1:1")) == set(LOCALSTACK_SERVICES)
    assert routes.access_key == "123456789012"  # LocalStack's account id comes from it
    proxied = routes.with_route("s3", "http://127.0.0.1:3")
    assert proxied.url("s3") == "http://127.0.0.1:3" and routes.url("s3") == "http://127.0.0.1:1"
    assert Endpoints("http://x").environ() == {"AWS_ENDPOINT_URL": "http://x"}


def test_settings_override_adds_retries_to_every_provider_block() -> None:
    blocks = json.loads(settings_override([None, "results"]))["provider"]["aws"]
    assert [b.get("alias") for b in blocks] == [None, "results"]
    assert all(b["max_retries"] == 1 and b["skip_requesting_account_id"] for b in blocks)


def test_venv_is_ready_only_for_the_current_requirements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALSTACK_PYTHON", str(fake_python(tmp_path / "py" / "python", "3.13")))
    venv = tmp_path / "venv"
    assert not venv_status(venv).ready and "is not built" in venv_status(venv).reason
    venv.mkdir()
    (venv / ".installed").write_text("stale\n")
    assert "is out of date" in venv_status(venv).reason
    (venv / ".installed").write_text(localstack_core.requirements_digest() + "\n")
    assert venv_status(venv).ready


PATCH_PROBE = textwrap.dedent(
    """
    import json, sys, types
    from localstack.services.s3.notifications import EventBridgeNotifier

    def sequencers():
        ctx = types.SimpleNamespace(
            bucket_name="b", key_name="k", key_size=1, key_etag="e", key_version_id="v1", region="us-east-1",
            event_type="s3:ObjectCreated:Put", event_time=None, request_id="r", xray=None,
        )
        return [json.loads(EventBridgeNotifier._get_event_payload(ctx)["Detail"])["object"]["sequencer"]
                for _ in range(3)]

    stock = sequencers()
    sys.path.insert(0, sys.argv[1])
    import localstack_launcher
    localstack_launcher.patch_s3_eventbridge_sequencer()
    print(json.dumps({"stock": stock, "patched": sequencers()}))
    """
)


@pytest.mark.skipif(not venv_status().ready, reason="needs .venv-localstack (make localstack-venv)")
def test_launcher_patch_gives_every_s3_event_a_greater_sequencer() -> None:
    out = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", PATCH_PROBE, str(LAUNCHER.parent)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(set(result["stock"])) == 1  # stock LocalStack: one constant for every event
    patched = result["patched"]
    assert patched == sorted(patched) and len(set(patched)) == 3 and all(len(s) == 16 for s in patched)
