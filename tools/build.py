"""Build deterministic Lambda artifacts: one zip per function, the image layer (Pillow, libspng for PNGs, libvips
for WebPs), optional self-contained zips.

    python -m tools.build [--runtime python3.13] [--arch arm64|x86_64] [--self-contained] [--no-png-decoder]
                          [--no-webp-decoder] [--no-heif-decoder] [--out dist]

Determinism: entries sorted, fixed timestamps (1980-01-01), fixed permissions, no caches or bytecode, so the
same sources give byte-identical zips (Terraform's source_code_hash only changes when code does).
Wheels are downloaded once into build/wheels/<runtime>-<arch>/ and reused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "lambda_src"
FUNCTIONS = ("image_resizer", "metadata_extractor", "search_indexer")
SHARED_PACKAGE = "consumer_core"
ARCHITECTURES = {"arm64": "aarch64", "x86_64": "x86_64"}
RUNTIMES = ("python3.11", "python3.12", "python3.13")
# The image layer: Pillow, and libspng's binding with numpy (the resizer's PNG decoder). Their pins are read
# from requirements/runtime.txt, so the layer and the test environment cannot drift apart.
PNG_DECODER_PACKAGES = ("pyspng-seunglab", "numpy")  # optional: without them the resizer decodes with Pillow
# libvips for libwebp's scaled decoding of still WebPs; optional: without them Pillow decodes WebPs in full.
WEBP_DECODER_PACKAGES = ("pyvips", "pyvips-binary", "cffi")
# libheif and libde265 for HEIC uploads; optional: without them HEIC is unsupported_format (AVIF is Pillow's own).
HEIF_DECODER_PACKAGES = ("pillow-heif",)
LAYER_PACKAGES = ("pillow", *PNG_DECODER_PACKAGES, *WEBP_DECODER_PACKAGES, *HEIF_DECODER_PACKAGES)
# Pure-Python packages PyPI has as a source distribution only (pyvips 3): built into a py3-none-any wheel here,
# which is the same for every platform (checked: a build that gives anything else is refused).
SOURCE_ONLY_PACKAGES = ("pyvips",)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
EXCLUDED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}
# The Lambda Python runtime ships boto3 and its dependencies; bundling them would add ~20 MB per function.
RUNTIME_PROVIDED = ("boto3-", "botocore-", "s3transfer-", "jmespath-", "python_dateutil-", "six-", "urllib3-")


def iter_files(base: Path) -> Iterator[Path]:
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if path.is_file() and not EXCLUDED_PARTS.intersection(rel.parts) and path.suffix not in EXCLUDED_SUFFIXES:
            yield path


def write_zip(target: Path, entries: Iterable[tuple[str, Path]]) -> str:
    """Write entries (archive name, source file) sorted by name with fixed metadata; returns the sha256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, source in sorted(entries, key=lambda item: item[0]):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            executable = os.access(source, os.X_OK) and source.suffix in {".so", ""}
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.create_system = 3  # unix, so the permission bits above are honoured
            archive.writestr(info, source.read_bytes(), compresslevel=9)
    tmp.replace(target)
    return hashlib.sha256(target.read_bytes()).hexdigest()


def function_entries(function: str) -> list[tuple[str, Path]]:
    entries: list[tuple[str, Path]] = []
    for package in (function, SHARED_PACKAGE):
        base = SOURCE / package
        if not (base / "__init__.py").is_file():
            raise SystemExit(f"missing package {base} (expected __init__.py)")
        entries += [(f"{package}/{p.relative_to(base).as_posix()}", p) for p in iter_files(base)]
    return entries


def platform_args(runtime: str, arch: str) -> list[str]:
    version = runtime.removeprefix("python")
    abi = "cp" + version.replace(".", "")
    # Pillow 13 publishes manylinux_2_27/2_28 wheels only, other packages (pydantic-core) manylinux2014 ones;
    # pip does not widen one --platform to older glibc tags, so both are named. Lambda's Amazon Linux 2023
    # (python3.12+) has glibc 2.34, which runs both.
    machine = ARCHITECTURES[arch]
    return [
        "--only-binary=:all:",
        "--platform",
        f"manylinux_2_28_{machine}",
        "--platform",
        f"manylinux2014_{machine}",
        "--python-version",
        version,
        "--implementation",
        "cp",
        "--abi",
        abi,
    ]


def download_wheels(requirements: list[str], runtime: str, arch: str, *, with_deps: bool) -> list[Path]:
    cache = ROOT / "build" / "wheels" / f"{runtime}-{arch}{'-all' if with_deps else ''}"
    cache.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "-d", str(cache)]
    command += platform_args(runtime, arch) + requirements
    if not with_deps:
        command.append("--no-deps")
    subprocess.run(command, check=True)
    return sorted(cache.glob("*.whl"))


def build_pure_wheels(requirements: list[str]) -> list[Path]:
    """py3-none-any wheels of pure-Python source distributions (SOURCE_ONLY_PACKAGES), built once and reused."""
    if not requirements:
        return []
    cache = ROOT / "build" / "wheels" / "pure"
    cache.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps", "-w", str(cache)]
    subprocess.run(command + requirements, check=True)
    wanted = {_project(r): Requirement(r).specifier for r in requirements}
    wheels = []
    for wheel in sorted(cache.glob("*.whl")):
        name, version, _, tags = parse_wheel_filename(wheel.name)
        if name in wanted and version in wanted[name]:
            if {str(tag) for tag in tags} != {"py3-none-any"}:
                raise SystemExit(f"{wheel.name} is not pure Python: it cannot go into every platform's layer")
            wheels.append(wheel)
    return wheels


def check_wheel_platform(wheel: Path, arch: str) -> None:
    tags = wheel.stem.split("-")[-1]
    if tags != "any" and ARCHITECTURES[arch] not in tags:
        raise SystemExit(f"{wheel.name} is not built for {arch}")


def wheel_entries(wheels: list[Path], prefix: str, scratch: Path) -> list[tuple[str, Path]]:
    entries: list[tuple[str, Path]] = []
    for wheel in wheels:
        target = scratch / wheel.stem
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
        for path in iter_files(target):
            rel = path.relative_to(target).as_posix()
            if ".dist-info/RECORD" in rel:
                continue  # lists hashes of files we may drop (bytecode); not needed at run time
            entries.append((f"{prefix}{rel}", path))
    return entries


def runtime_requirements() -> list[str]:
    lines = (ROOT / "requirements" / "runtime.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _project(requirement: str) -> str:
    """ "Pillow==13.0.0" -> "pillow" (the canonical project name)."""
    return canonicalize_name(Requirement(requirement).name)


def _wheel_project(wheel: Path) -> str:
    return parse_wheel_filename(wheel.name)[0]


def layer_requirements() -> list[str]:
    pinned = [r for r in runtime_requirements() if _project(r) in LAYER_PACKAGES]
    if sorted(_project(r) for r in pinned) != sorted(LAYER_PACKAGES):
        raise SystemExit(f"requirements/runtime.txt must pin each of {LAYER_PACKAGES} exactly once")
    return pinned


def build_layer(
    out: Path,
    runtime: str,
    arch: str,
    *,
    png_decoder: bool = True,
    webp_decoder: bool = True,
    heif_decoder: bool = True,
) -> dict[str, object]:
    left_out = (
        (() if png_decoder else PNG_DECODER_PACKAGES)
        + (() if webp_decoder else WEBP_DECODER_PACKAGES)
        + (() if heif_decoder else HEIF_DECODER_PACKAGES)
    )
    requirements = [r for r in layer_requirements() if _project(r) not in left_out]
    wanted = {_project(r) for r in requirements}
    source_only = [r for r in requirements if _project(r) in SOURCE_ONLY_PACKAGES]
    binary = [r for r in requirements if r not in source_only]
    wheels = download_wheels(binary, runtime, arch, with_deps=False)
    wheels = [w for w in wheels if _wheel_project(w) in wanted]  # the cache may hold other pins' wheels
    wheels += build_pure_wheels(source_only)
    for wheel in wheels:
        check_wheel_platform(wheel, arch)
    with tempfile.TemporaryDirectory() as scratch:
        digest = write_zip(out / "layers" / "pillow.zip", wheel_entries(wheels, "python/", Path(scratch)))
    manifest = {"runtime": runtime, "architecture": arch, "wheels": [w.name for w in wheels], "sha256": digest}
    (out / "layers" / "pillow.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def build_self_contained(out: Path, runtime: str, arch: str) -> dict[str, str]:
    requirements = runtime_requirements()
    source_only = [r for r in requirements if _project(r) in SOURCE_ONLY_PACKAGES]
    wheels = download_wheels([r for r in requirements if r not in source_only], runtime, arch, with_deps=True)
    wheels = [w for w in wheels if not w.name.lower().startswith(RUNTIME_PROVIDED)]
    wheels += build_pure_wheels(source_only)  # their dependencies are pinned in runtime.txt too
    for wheel in wheels:
        check_wheel_platform(wheel, arch)
    digests = {}
    with tempfile.TemporaryDirectory() as scratch:
        dependencies = wheel_entries(wheels, "", Path(scratch))
        for function in FUNCTIONS:
            target = out / "self-contained" / f"{function}.zip"
            digests[function] = write_zip(target, function_entries(function) + dependencies)
    return digests


def build(
    out: Path,
    runtime: str,
    arch: str,
    *,
    layer: bool,
    self_contained: bool,
    png_decoder: bool = True,
    webp_decoder: bool = True,
    heif_decoder: bool = True,
) -> dict[str, object]:
    if runtime not in RUNTIMES:
        raise SystemExit(f"unsupported runtime {runtime!r}; choose one of {RUNTIMES}")
    if arch not in ARCHITECTURES:
        raise SystemExit(f"unsupported architecture {arch!r}; choose one of {tuple(ARCHITECTURES)}")
    report: dict[str, object] = {"runtime": runtime, "architecture": arch, "functions": {}}
    for function in FUNCTIONS:
        digest = write_zip(out / "functions" / f"{function}.zip", function_entries(function))
        report["functions"][function] = digest  # type: ignore[index]
    if layer:
        report["pillow_layer"] = build_layer(
            out, runtime, arch, png_decoder=png_decoder, webp_decoder=webp_decoder, heif_decoder=heif_decoder
        )
    if self_contained:
        report["self_contained"] = build_self_contained(out, runtime, arch)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runtime", default=os.environ.get("LAMBDA_RUNTIME", "python3.13"))
    parser.add_argument("--arch", default=os.environ.get("LAMBDA_ARCH", "arm64"))
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--no-layer", action="store_true", help="skip the image layer (no download)")
    parser.add_argument("--self-contained", action="store_true", help="also bundle every dependency per function")
    parser.add_argument(
        "--no-png-decoder",
        action="store_true",
        help="leave libspng (pyspng, numpy: ~17 MB zipped) out of the layer; PNGs are then decoded by Pillow",
    )
    parser.add_argument(
        "--no-webp-decoder",
        action="store_true",
        help="leave libvips (pyvips, pyvips-binary, cffi: ~8 MB zipped) out of the layer; WebPs are then decoded by "
        "Pillow in full",
    )
    parser.add_argument(
        "--no-heif-decoder",
        action="store_true",
        help="leave libheif (pillow-heif) out of the layer; HEIC uploads are then unsupported_format",
    )
    args = parser.parse_args(argv)
    report = build(
        args.out,
        args.runtime,
        args.arch,
        layer=not args.no_layer,
        self_contained=args.self_contained,
        png_decoder=not args.no_png_decoder,
        webp_decoder=not args.no_webp_decoder,
        heif_decoder=not args.no_heif_decoder,
    )
    print(json.dumps(report, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
