"""Release artifacts: the zips of `make build`, laid out for S3 under a versioned key prefix, with a manifest.

    python -m tools.release package [--dist dist] [--out build/release]
        -> build/release/<version>/functions/<consumer>.zip, layers/pillow.zip, manifest.json
    python -m tools.release tfvars --bucket <bucket> [--manifest build/release/<version>/manifest.json]
        -> the root stack's artifacts_s3 value (JSON) for that release

Upload the package directory as is to s3://<bucket>/<KEY_PREFIX><version>/ (docs/terraform.md, "Releases").
The version comes from the VERSION file, the project's one place for it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VERSION_FILE = ROOT / "VERSION"
# Where the modules are published: <namespace>/<name>/<provider>. The namespace is the organisation that publishes
# the release; READMEs show it in their registry-style `source` (a test keeps them equal to this and VERSION).
REGISTRY_SOURCE = "example-org/image-pipeline/aws"
# Key prefix of the artifacts in S3, before the version.
KEY_PREFIX = "image-pipeline/"
# Artifact name (the keys of the root stack's artifacts_s3 maps) -> path relative to dist/ and to the release prefix.
ARTIFACTS = {
    "image_resizer": "functions/image_resizer.zip",
    "metadata_extractor": "functions/metadata_extractor.zip",
    "search_indexer": "functions/search_indexer.zip",
    "upload_api": "functions/upload_api.zip",
    "pillow": "layers/pillow.zip",
}
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")


def version(path: Path = VERSION_FILE) -> str:
    """The project's version (semver), from VERSION."""
    text = path.read_text().strip()
    if not _SEMVER.match(text):
        raise ValueError(f"{path}: {text!r} is not a semantic version")
    return text


def base64sha256(path: Path) -> str:
    """What Terraform's filebase64sha256() returns for the file (and Lambda reports as CodeSha256)."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def package(dist: Path, out: Path, release: str | None = None) -> Path:
    """Copy the artifacts of `dist` into out/<version>/ with manifest.json; returns that directory."""
    release = release or version()
    target = out / release
    missing = [rel for rel in ARTIFACTS.values() if not (dist / rel).is_file()]
    if missing:
        raise FileNotFoundError(f"not in {dist} (run `make build`): {', '.join(missing)}")
    if target.exists():
        shutil.rmtree(target)
    artifacts: dict[str, dict[str, str]] = {}
    for name, rel in ARTIFACTS.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dist / rel, target / rel)
        artifacts[name] = {"key": rel, "base64sha256": base64sha256(target / rel)}
    layer = dist / "layers" / "pillow.json"
    platform = json.loads(layer.read_text()) if layer.is_file() else {}
    manifest = {
        "version": release,
        "key_prefix": f"{KEY_PREFIX}{release}/",
        "runtime": platform.get("runtime"),
        "architecture": platform.get("architecture"),
        "artifacts": artifacts,
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return target


def artifacts_s3(manifest: dict[str, Any], bucket: str) -> dict[str, Any]:
    """The root stack's artifacts_s3 for a release manifest."""
    return {
        "bucket": bucket,
        "key_prefix": manifest["key_prefix"],
        "source_code_hashes": {name: a["base64sha256"] for name, a in sorted(manifest["artifacts"].items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    pack = commands.add_parser("package", help="lay out dist/ for upload, with manifest.json")
    pack.add_argument("--dist", type=Path, default=ROOT / "dist")
    pack.add_argument("--out", type=Path, default=ROOT / "build" / "release")
    tfvars = commands.add_parser("tfvars", help="print artifacts_s3 for a packaged release")
    tfvars.add_argument("--bucket", required=True)
    tfvars.add_argument("--manifest", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "package":
        target = package(args.dist, args.out)
        manifest = json.loads((target / "manifest.json").read_text())
        print(f"packaged {target}")
        print(f"upload: aws s3 cp --recursive {target}/ s3://<bucket>/{manifest['key_prefix']}")
        return 0
    manifest_path = args.manifest or ROOT / "build" / "release" / version() / "manifest.json"
    print(json.dumps({"artifacts_s3": artifacts_s3(json.loads(manifest_path.read_text()), args.bucket)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
