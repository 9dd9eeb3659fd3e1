"""LocalStack's open-source core on the host (no Docker, no auth token) as a backend of the embedded emulator.

    python -m tools.emulator.localstack_core venv [--venv DIR]   # build the LocalStack venv (make localstack-venv)
    python -m tools.emulator.localstack_core find-python         # which interpreter it would use, or why none

The core serves the services in `LOCALSTACK_SERVICES`; the rest stay on the embedded moto server (`MOTO_ONLY`
says why for each). LocalStack runs from its own venv (`.venv-localstack`, requirements/localstack.txt), built
from a Python 3.13+ found on this machine (`find_python`): localstack-core 2026.3.0 declares `>=3.10` but
imports `warnings.deprecated`, which Python 3.13 added (on 3.12 it starts and finds no runtime components).

`LocalStackCore` starts it (through `localstack_launcher.py`, which applies the one patch this project makes to
LocalStack: a growing S3 event sequencer) on a free 127.0.0.1 port with analytics off (`DISABLE_EVENTS=1`), no
DNS server (`DNS_ADDRESS=0`: in a container it would rewrite /etc/resolv.conf), host-mode directories under the
session's build directory (`OVERRIDE_IN_DOCKER=0`, `FILESYSTEM_ROOT`), queue URLs that resolve here
(`SQS_ENDPOINT_STRATEGY=off`, `LOCALSTACK_HOST=127.0.0.1:<port>`), and only the routed services enabled
(`SERVICES`), so a request routed to it by mistake fails loudly. It stops on SIGTERM, SIGKILL after a grace period.

`CoreWorkspace` runs Terraform through tflocal (terraform-local, in the LocalStack venv): tflocal writes the
provider with every endpoint on LocalStack; `<SERVICE>_ENDPOINT` variables (tflocal's per-service override) send
the moto-only services to moto; a second override file adds the settings tflocal does not write.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tools.emulator.endpoints import Endpoints
from tools.emulator.server import REPO_ROOT
from tools.emulator.terraform import ENDPOINT_SERVICES, Workspace, provider_aliases

MIN_PYTHON = (3, 13)
VENV = REPO_ROOT / ".venv-localstack"
REQUIREMENTS = REPO_ROOT / "requirements" / "localstack.txt"
CONSTRAINTS = REPO_ROOT / "requirements" / "localstack-constraints.txt"
LAUNCHER = Path(__file__).resolve().parent / "localstack_launcher.py"
# LocalStack takes the account id from a 12-digit access key id: the same account as moto's default.
ACCOUNT_ID = "123456789012"

# Served by LocalStack core (boto3 names). Everything else is served by the embedded moto server.
LOCALSTACK_SERVICES = ("s3", "sqs", "events", "cloudwatch", "logs", "stepfunctions", "sts")
# Why these stay on moto (measured with localstack-core 2026.3.0, see tools/emulator/README.md).
MOTO_ONLY = {
    "lambda": "CreateFunction ends in state Failed: it downloads a runtime binary and pulls Docker images",
    "dynamodb": "it downloads DynamoDB Local, which cannot be installed here",
    "iam": "moto's CreateFunction looks the execution role up in its own IAM",
    "apigatewayv2": "HTTP APIs are not in LocalStack's open-source core",
}


# --- the interpreter and the venv ---------------------------------------------------------------------------


def python_version(executable: Path) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [str(executable), "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = out.stdout.split()
    return (int(parts[0]), int(parts[1])) if out.returncode == 0 and len(parts) == 2 else None


def python_candidates(environ: dict[str, str] | None = None) -> list[Path]:
    """Where a Python 3.13+ is looked for, in order: $LOCALSTACK_PYTHON, python3.N and python3 on PATH (newest
    first), pyenv's versions ($PYENV_ROOT or ~/.pyenv), /usr/local/bin and /usr/bin."""
    env = os.environ if environ is None else environ
    found: list[Path] = []
    if env.get("LOCALSTACK_PYTHON"):
        found.append(Path(env["LOCALSTACK_PYTHON"]))
    names = [f"python3.{minor}" for minor in range(20, MIN_PYTHON[1] - 1, -1)] + ["python3"]
    path = env.get("PATH", os.defpath)
    for name in names:
        located = shutil.which(name, path=path)
        if located and "/shims/" not in located:  # a pyenv shim answers only for the selected version
            found.append(Path(located))
    pyenv_root = Path(env.get("PYENV_ROOT") or Path(env.get("HOME", "~")).expanduser() / ".pyenv")
    versions = pyenv_root / "versions"
    if versions.is_dir():
        releases = [v for v in versions.iterdir() if re.fullmatch(r"3\.\d+\.\d+", v.name)]
        for version in sorted(releases, key=lambda v: [int(p) for p in v.name.split(".")], reverse=True):
            found.append(version / "bin" / "python3")
    for directory in ("/usr/local/bin", "/usr/bin"):
        found += [Path(directory) / name for name in names]
    unique: list[Path] = []
    for candidate in found:
        if candidate.is_file() and candidate not in unique:
            unique.append(candidate)
    return unique


def find_python(environ: dict[str, str] | None = None) -> tuple[Path | None, str]:
    """(the first candidate that is Python 3.13+, or None; what was looked at)."""
    seen = []
    for candidate in python_candidates(environ):
        version = python_version(candidate)
        seen.append(f"{candidate} ({'.'.join(map(str, version)) if version else 'does not run'})")
        if version is not None and version >= MIN_PYTHON:
            return candidate, "; ".join(seen)
    wanted = ".".join(map(str, MIN_PYTHON))
    looked = "; ".join(seen) or "no Python 3 interpreter found"
    return None, (
        f"no Python {wanted}+ for LocalStack core (looked at: {looked}). Install one (e.g. `pyenv install "
        f"{wanted}`) or set LOCALSTACK_PYTHON to its path, then `make localstack-venv`."
    )


def requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes() + CONSTRAINTS.read_bytes()).hexdigest()


@dataclass(frozen=True)
class VenvStatus:
    ready: bool
    reason: str  # why not ready (empty when ready)
    python: Path | None = None  # an interpreter to build it with, when one was found


def venv_status(venv: Path = VENV) -> VenvStatus:
    marker = venv / ".installed"
    if marker.is_file() and marker.read_text().strip() == requirements_digest():
        return VenvStatus(True, "")
    python, looked = find_python()
    if python is None:
        return VenvStatus(False, looked)
    state = "is out of date" if marker.exists() else "is not built"
    return VenvStatus(False, f"{venv} {state}: run `make localstack-venv` (it would use {python})", python)


def build_venv(venv: Path = VENV) -> int:
    """Create or refresh the LocalStack venv from the pinned requirements; 0 also when no interpreter exists
    (the backend is then skipped, with the reason)."""
    status = venv_status(venv)
    if status.ready:
        print(f"localstack venv: {venv} is up to date")
        return 0
    if status.python is None:
        print(f"localstack venv: not built, the localstack-core backend will be skipped: {status.reason}")
        return 0
    print(f"localstack venv: building {venv} with {status.python} (requirements/localstack.txt)", flush=True)
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([str(status.python), "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS), "-c", str(CONSTRAINTS)], check=True)
    (venv / ".installed").write_text(requirements_digest() + "\n")
    return 0


# --- the server ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalStackCore:
    """LocalStack core as a child process on a free 127.0.0.1 port, state under `work_dir`."""

    def __init__(self, work_dir: Path, venv: Path = VENV, services: Iterable[str] = LOCALSTACK_SERVICES) -> None:
        self.work_dir = work_dir
        self.venv = venv
        self.services = list(services)
        self.log_path = work_dir / "localstack.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environ(self) -> dict[str, str]:
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
        env = {k: v for k, v in os.environ.items() if k in keep}
        tmp = self.work_dir / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        env.update(
            {
                "GATEWAY_LISTEN": f"127.0.0.1:{self.port}",
                "LOCALSTACK_HOST": f"127.0.0.1:{self.port}",
                "SERVICES": ",".join(sorted(self.services)),  # LocalStack names them as boto3 does
                "DISABLE_EVENTS": "1",  # analytics off (and no lookup of their host on shutdown)
                "SKIP_SSL_CERT_DOWNLOAD": "1",
                "DNS_ADDRESS": "0",
                "OVERRIDE_IN_DOCKER": "0",
                "FILESYSTEM_ROOT": str(self.work_dir / "filesystem"),
                "TMPDIR": str(tmp),
                # queue URLs http://127.0.0.1:<port>/<account>/<name>, as moto; the provider refuses the "path" form
                "SQS_ENDPOINT_STRATEGY": "off",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def start(self, timeout_s: float = 180.0) -> LocalStackCore:
        python = self.venv / "bin" / "python"
        if not python.exists():
            raise RuntimeError(f"{python} does not exist: run `make localstack-venv`")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(python), str(LAUNCHER)],  # localstack.runtime.main, patched (localstack_launcher.py)
                cwd=self.work_dir,
                env=self.environ(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends whatever it started
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"LocalStack exited early (rc={self.process.returncode}), see {self.log_path}")
            if self.ready():
                return self
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"LocalStack did not become ready within {timeout_s}s, see {self.log_path}")

    def ready(self) -> bool:
        """Its init stage is complete (the gateway answers before the services are up)."""
        try:
            with urllib.request.urlopen(f"{self.endpoint}/_localstack/init/ready", timeout=2) as response:
                return bool(json.loads(response.read()).get("completed"))
        except (OSError, ValueError):
            return False

    def health(self) -> dict[str, object]:
        with urllib.request.urlopen(f"{self.endpoint}/_localstack/health", timeout=10) as response:
            data: dict[str, object] = json.loads(response.read())
            return data

    def stop(self, grace_s: float = 20.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> LocalStackCore:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- Terraform through tflocal ------------------------------------------------------------------------------

# tflocal writes no retries setting: with the provider's default, one unimplemented API (HTTP 500) stalls an
# apply for minutes. It writes its provider block as an override without a base block (allowed for the default
# provider); this file, read after it (override files merge in name order), adds to that block. JSON, because
# tflocal reads every *.tf file for provider blocks and would copy these.
SETTINGS_OVERRIDE = "zz_emulator_settings_override.tf.json"
TFLOCAL_OVERRIDE = "localstack_providers_override.tf"


def settings_override(aliases: list[str | None]) -> str:
    settings = {"skip_requesting_account_id": True, "skip_region_validation": True, "max_retries": 1}
    blocks = [{**({"alias": alias} if alias else {}), **settings} for alias in aliases]
    return json.dumps(
        {"//": "Generated by tools/emulator: settings tflocal does not write.", "provider": {"aws": blocks}}, indent=2
    )


@dataclass
class CoreWorkspace(Workspace):
    """A Workspace whose commands run through tflocal (from the LocalStack venv), every service routed by
    `routes`; `endpoint` is unused."""

    routes: Endpoints | None = None

    def prepare(self) -> CoreWorkspace:
        self.binary = str(VENV / "bin" / "tflocal")
        super().prepare()
        for generated in ("emulator_override.tf", "emulator_provider.tf", TFLOCAL_OVERRIDE):
            (self.work_dir / generated).unlink(missing_ok=True)
        (self.work_dir / SETTINGS_OVERRIDE).write_text(settings_override(provider_aliases(self.stack_dir) or [None]))
        return self

    def env(self) -> dict[str, str]:
        assert self.routes is not None, "CoreWorkspace needs routes"
        env = super().env()
        env.update(
            {
                "AWS_ENDPOINT_URL": self.routes.default,
                # tflocal writes this access key (instead of "test"): LocalStack then uses account 123456789012.
                "CUSTOMIZE_ACCESS_KEY": "1",
                "AWS_ACCESS_KEY_ID": ACCOUNT_ID,
                "DISABLE_DEPRECATION_NOTICE": "1",
                "TF_CMD": shutil.which("terraform") or "terraform",
            }
        )
        # tflocal's per-service override: <NAME>_ENDPOINT, NAME as the provider names the service.
        for name, url in self.routes.terraform(ENDPOINT_SERVICES).items():
            env[f"{name.upper()}_ENDPOINT"] = url
        return env


def core_routes(localstack: str, moto: str, services: Iterable[str] = LOCALSTACK_SERVICES) -> Endpoints:
    """LocalStack serves `services`; moto everything else (the default)."""
    return Endpoints.split(moto, localstack, services, localstack=localstack, access_key=ACCOUNT_ID)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["venv", "find-python"])
    parser.add_argument("--venv", type=Path, default=VENV)
    args = parser.parse_args(argv)
    if args.command == "venv":
        return build_venv(args.venv)
    python, looked = find_python()
    print(python if python else looked)
    return 0 if python else 1


if __name__ == "__main__":
    sys.exit(main())
