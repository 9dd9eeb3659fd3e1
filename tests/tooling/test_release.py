"""The release tool lays out the build for S3 with hashes Terraform and Lambda agree on."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from tools.release import ARTIFACTS, KEY_PREFIX, artifacts_s3, base64sha256, main, package, version


def _dist(root: Path) -> Path:
    for rel in ARTIFACTS.values():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(f"zip of {rel}".encode())
    (root / "layers" / "pillow.json").write_text(json.dumps({"runtime": "python3.13", "architecture": "arm64"}))
    return root


def test_package_lays_out_the_release_with_a_manifest(tmp_path: Path) -> None:
    target = package(_dist(tmp_path / "dist"), tmp_path / "out", release="1.2.3")
    assert target == tmp_path / "out" / "1.2.3"
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["key_prefix"] == f"{KEY_PREFIX}1.2.3/"
    assert (manifest["runtime"], manifest["architecture"]) == ("python3.13", "arm64")
    for name, rel in ARTIFACTS.items():
        data = (target / rel).read_bytes()
        assert manifest["artifacts"][name] == {
            "key": rel,
            "base64sha256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        }


def test_package_refuses_an_incomplete_build(tmp_path: Path) -> None:
    dist = _dist(tmp_path / "dist")
    (dist / ARTIFACTS["pillow"]).unlink()
    with pytest.raises(FileNotFoundError, match="make build"):
        package(dist, tmp_path / "out", release="1.2.3")


def test_artifacts_s3_matches_the_root_stack_input(tmp_path: Path) -> None:
    target = package(_dist(tmp_path / "dist"), tmp_path / "out", release="1.2.3")
    value = artifacts_s3(json.loads((target / "manifest.json").read_text()), "my-artifacts")
    assert value["bucket"] == "my-artifacts" and value["key_prefix"] == "image-pipeline/1.2.3/"
    assert set(value["source_code_hashes"]) == set(ARTIFACTS)
    assert value["source_code_hashes"]["pillow"] == base64sha256(target / ARTIFACTS["pillow"])


def test_tfvars_command_prints_the_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = package(_dist(tmp_path / "dist"), tmp_path / "out", release="1.2.3")
    assert main(["tfvars", "--bucket", "b", "--manifest", str(target / "manifest.json")]) == 0
    assert json.loads(capsys.readouterr().out)["artifacts_s3"]["key_prefix"] == "image-pipeline/1.2.3/"


def test_the_artifact_names_are_those_of_the_root_stack() -> None:
    root = Path(__file__).resolve().parents[2]
    stack = (root / "main.tf").read_text()
    for name, rel in ARTIFACTS.items():
        assert f'{name} = "{rel}"' in " ".join(stack.split()), name


def test_version_is_semver() -> None:
    assert version().count(".") == 2
