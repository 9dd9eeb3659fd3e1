"""make build: deterministic function zips holding only our code, and the image layer (Pillow, pyspng,
numpy, pyvips with its libvips and cffi) for the chosen platform."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
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
def test_image_layer_matches_the_chosen_architecture(tmp_path: Path, arch: str) -> None:
    manifest = build.build_layer(tmp_path, "python3.13", arch)
    layer = tmp_path / "layers" / "pillow.zip"
    assert manifest["architecture"] == arch
    assert json.loads((tmp_path / "layers" / "pillow.json").read_text())["sha256"] == digest(layer)
    # Pillow, libspng's binding and numpy, libvips' binding, libvips and cffi, pillow-heif with libheif, at the
    # versions runtime.txt pins, for this platform (pyvips alone is pure Python).
    pins = {r.split("==")[0].lower(): r.split("==")[1] for r in build.layer_requirements()}
    assert pins.keys() == {"pillow", "pyspng-seunglab", "numpy", "pyvips", "pyvips-binary", "cffi", "pillow-heif"}
    wheels = sorted(manifest["wheels"])
    names = ["cffi", "numpy", "pillow", "pillow_heif", "pyspng_seunglab", "pyvips", "pyvips_binary"]
    assert [w.split("-")[0] for w in wheels] == names
    for wheel in wheels:
        name, version, python = wheel.split("-")[:3]
        assert version == pins[name.replace("_", "-")]
        if wheel.endswith("-none-any.whl"):
            assert name == "pyvips"
            continue
        assert python in ("cp313", "cp37")  # pyvips-binary: one abi3 wheel for every CPython
        assert build.ARCHITECTURES[arch] in wheel and "manylinux_2_" in wheel
    with zipfile.ZipFile(layer) as archive:
        names = archive.namelist()
        assert all(name.startswith("python/") for name in names)
        extensions = [n for n in names if n.endswith(".so") or ".so." in n]
        for package in (
            "python/PIL/_imaging.",
            "python/_pyspng_c.",
            "python/numpy/_core/_multiarray_umath.",
            "python/_libvips.",
            "python/pyvips_binary.libs/libvips-",
            "python/_cffi_backend.",
            "python/_pillow_heif.",
            "python/pillow_heif.libs/libheif-",
            "python/pillow_heif.libs/libde265-",
        ):
            assert any(n.startswith(package) for n in extensions), f"no native code under {package}"
        headers = {n: archive.read(n)[:20] for n in extensions}
    for name, header in headers.items():
        assert header[:4] == b"\x7fELF", name
        (machine,) = struct.unpack_from("<H", header, 18)
        assert machine == ELF_MACHINE[arch], name
    # Rebuilding gives the same bytes.
    assert build.build_layer(tmp_path / "again", "python3.13", arch)["sha256"] == manifest["sha256"]


def test_unknown_platforms_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="architecture"):
        build.build(tmp_path, "python3.13", "sparc", layer=False, self_contained=False)
    with pytest.raises(SystemExit, match="runtime"):
        build.build(tmp_path, "python2.7", "arm64", layer=False, self_contained=False)


def test_layer_without_the_decoders_holds_pillow_only(tmp_path: Path) -> None:
    manifest = build.build_layer(
        tmp_path, "python3.13", "arm64", png_decoder=False, webp_decoder=False, heif_decoder=False
    )

    assert [w.split("-")[0] for w in manifest["wheels"]] == ["pillow"]
    with zipfile.ZipFile(tmp_path / "layers" / "pillow.zip") as archive:
        tops = {name.split("/")[1] for name in archive.namelist()}
    assert (
        "PIL" in tops
        and not {
            "numpy",
            "pyspng",
            "numpy.libs",
            "pyvips",
            "pyvips_binary.libs",
            "cffi",
            "pillow_heif",
            "pillow_heif.libs",
        }
        & tops
    )
    only_png = build.build_layer(tmp_path / "png", "python3.13", "arm64", webp_decoder=False, heif_decoder=False)
    assert [w.split("-")[0] for w in sorted(only_png["wheels"])] == ["numpy", "pillow", "pyspng_seunglab"]


def test_make_build_passes_the_decoder_switches() -> None:
    def dry_run(*args: str) -> str:
        return subprocess.run(
            ["make", "-n", "build", *args], cwd=build.ROOT, capture_output=True, text=True, check=True
        ).stdout

    assert "--no-png-decoder" in dry_run("PNG_DECODER=0")
    assert "--no-png-decoder" not in dry_run()
    assert "--no-png-decoder" not in dry_run("PNG_DECODER=1")
    assert "--no-webp-decoder" in dry_run("WEBP_DECODER=0")
    assert "--no-webp-decoder" not in dry_run()
    assert "--no-heif-decoder" in dry_run("HEIF_DECODER=0")
    assert "--no-heif-decoder" not in dry_run()
