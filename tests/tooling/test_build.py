"""make build: deterministic function zips holding only our code, and a Pillow layer for the chosen platform."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zipfile
from pathlib import Path

import pytest

from tools import build

ELF_MACHINE = {"arm64": 0xB7, "x86_64": 0x3E}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_function_zips_are_byte_identical_when_rebuilt(tmp_path: Path) -> None:
    first = build.build(tmp_path / "a", "python3.13", "arm64", layer=False, self_contained=False)
    # Touch every source file: timestamps must not leak into the archives.
    for path in (build.SOURCE).rglob("*.py"):
        os.utime(path, (1_600_000_000, 1_600_000_000))
    second = build.build(tmp_path / "b", "python3.13", "arm64", layer=False, self_contained=False)
    assert first["functions"] == second["functions"]
    for function in build.FUNCTIONS:
        assert digest(tmp_path / "a" / "functions" / f"{function}.zip") == first["functions"][function]


def test_function_zip_holds_only_its_package_and_the_core(tmp_path: Path) -> None:
    build.build(tmp_path, "python3.13", "arm64", layer=False, self_contained=False)
    for function in build.FUNCTIONS:
        with zipfile.ZipFile(tmp_path / "functions" / f"{function}.zip") as archive:
            names = archive.namelist()
            infos = archive.infolist()
        assert names == sorted(names)
        assert f"{function}/app.py" in names, "the handler module must be in the zip"
        assert {name.split("/")[0] for name in names} == {function, "consumer_core"}
        assert not [n for n in names if n.endswith((".pyc", ".pyo")) or "__pycache__" in n]
        assert {info.date_time for info in infos} == {build.FIXED_TIME}


@pytest.mark.parametrize("arch", ["arm64", "x86_64"])
def test_pillow_layer_matches_the_chosen_architecture(tmp_path: Path, arch: str) -> None:
    manifest = build.build_layer(tmp_path, "python3.13", arch)
    layer = tmp_path / "layers" / "pillow.zip"
    assert manifest["architecture"] == arch
    assert json.loads((tmp_path / "layers" / "pillow.json").read_text())["sha256"] == digest(layer)
    (wheel,) = manifest["wheels"]
    assert wheel.startswith("pillow-13.0.0-cp313-cp313-manylinux_2_")
    assert build.ARCHITECTURES[arch] in wheel
    with zipfile.ZipFile(layer) as archive:
        names = archive.namelist()
        assert all(name.startswith("python/") for name in names)
        extension = next(n for n in names if n.startswith("python/PIL/_imaging.") and n.endswith(".so"))
        header = archive.read(extension)[:20]
    assert header[:4] == b"\x7fELF"
    (machine,) = struct.unpack_from("<H", header, 18)
    assert machine == ELF_MACHINE[arch]
    # Rebuilding gives the same bytes.
    assert build.build_layer(tmp_path / "again", "python3.13", arch)["sha256"] == manifest["sha256"]


def test_unknown_platforms_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="architecture"):
        build.build(tmp_path, "python3.13", "sparc", layer=False, self_contained=False)
    with pytest.raises(SystemExit, match="runtime"):
        build.build(tmp_path, "python2.7", "arm64", layer=False, self_contained=False)
