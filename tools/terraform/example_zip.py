"""Build examples/single-consumer/function.zip from its src/ directory, reproducibly (fixed timestamps, order).

python -m tools.terraform.example_zip
"""

from __future__ import annotations

import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "examples/single-consumer/src"
TARGET = ROOT / "examples/single-consumer/function.zip"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def build(source: Path = SOURCE, target: Path = TARGET) -> Path:
    files = sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return target


if __name__ == "__main__":
    print(build())
