"""Discovery: reads the deployed functions, their layers and event source mappings back from the emulator.

moto cannot serve code back (`Code.Location` does not resolve), so each function's code and each layer comes
from the local zip whose SHA-256 equals moto's CodeSha256 (`ArtifactIndex`, `code_sha256`); without one,
`DiscoveryError`. The zips are extracted under the work directory (re-extracted only when the zip changes).

The public Powertools layer (account 017000801446) is not in the emulator; its modules come from this
interpreter's site-packages, which every worker sees after the function's own layers.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tools.emulator.endpoints import Endpoints, as_endpoints
from tools.emulator.invoker import FunctionSpec

POWERTOOLS_PUBLISHER = "017000801446"


def _boto3_arguments(service: str, endpoints: Endpoints, region: str) -> dict[str, Any]:
    return {
        "endpoint_url": endpoints.url(service),
        "region_name": region,
        "aws_access_key_id": endpoints.access_key,
        "aws_secret_access_key": "test",  # the emulator's fake credentials
        "config": Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=32),
    }


def aws_client(service: str, endpoint: str | Endpoints, region: str) -> Any:
    """A boto3 client for `service` where the session serves it (one URL, or an `Endpoints` routing table)."""
    endpoints = as_endpoints(endpoint)
    arguments = _boto3_arguments(service, endpoints, region)
    if arguments["endpoint_url"] == endpoints.localstack:
        return localstack_client(service, arguments["endpoint_url"], region, endpoints.access_key, arguments["config"])
    return boto3.client(service, **arguments)


def aws_resource(service: str, endpoint: str | Endpoints, region: str) -> Any:
    """A boto3 resource (e.g. a DynamoDB Table) for `service`, where the session serves it, as `aws_client`."""
    return boto3.resource(service, **_boto3_arguments(service, as_endpoints(endpoint), region))


def localstack_client(service: str, url: str, region: str, access_key: str, config: Config) -> Any:
    """A client from localstack-client's session for a service LocalStack serves."""
    from localstack_client.session import Session

    host = url.split("://", 1)[1].rstrip("/")
    session = Session(
        aws_access_key_id=access_key,
        aws_secret_access_key="test",  # noqa: S106 - the emulator's fake credentials
        region_name=region,
        localstack_host=host,
    )
    client = session.client(service, config=config)
    # localstack-client prefers $AWS_ENDPOINT_URL over the host it is given
    if client.meta.endpoint_url.rstrip("/") != url.rstrip("/"):
        raise RuntimeError(
            f"localstack-client chose {client.meta.endpoint_url} for {service}, not {url}: unset AWS_ENDPOINT_URL"
        )
    return client


def code_sha256(path: Path) -> str:
    """Lambda's CodeSha256: base64 of the SHA-256 of the zip."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


class ArtifactIndex:
    """Local zips by Lambda CodeSha256."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.by_sha: dict[str, Path] = {}
        for path in paths:
            if path.is_file():
                self.by_sha.setdefault(code_sha256(path), path)

    def find(self, sha: str) -> Path | None:
        return self.by_sha.get(sha)


@dataclass(frozen=True)
class Mapping:
    uuid: str
    function_name: str
    queue_arn: str
    queue_url: str
    batch_size: int
    window_s: float
    max_concurrency: int | None
    report_batch_item_failures: bool
    state: str


@dataclass
class LayerSource:
    arn: str
    origin: str  # "zip:<path>" | "site-packages"
    directory: Path | None = None


@dataclass
class DeployedFunction:
    spec: FunctionSpec
    code_zip: Path
    layers: list[LayerSource]
    mappings: list[Mapping]
    architectures: list[str]


class DiscoveryError(RuntimeError):
    pass


def discover(
    endpoint: str | Endpoints, region: str, artifacts: ArtifactIndex, work_dir: Path
) -> list[DeployedFunction]:
    """Read functions, layers and event source mappings back from the emulator and extract their code."""
    lam = aws_client("lambda", endpoint, region)
    sqs = aws_client("sqs", endpoint, region)
    mappings = [
        m for page in lam.get_paginator("list_event_source_mappings").paginate() for m in page["EventSourceMappings"]
    ]
    functions = []
    for page in lam.get_paginator("list_functions").paginate():
        for summary in page["Functions"]:
            config = lam.get_function(FunctionName=summary["FunctionName"])["Configuration"]
            # A mapping may target the function, a version or an alias (function ARN + ":qualifier").
            own = [m for m in mappings if _unqualified(m["FunctionArn"]) == config["FunctionArn"]]
            functions.append(_deployed_function(lam, sqs, config, own, artifacts, work_dir))
    return functions


def _unqualified(function_arn: str) -> str:
    return ":".join(function_arn.split(":")[:7])


def _deployed_function(
    lam: Any,
    sqs: Any,
    config: dict[str, Any],
    raw_mappings: list[dict[str, Any]],
    artifacts: ArtifactIndex,
    work: Path,
) -> DeployedFunction:
    name = config["FunctionName"]
    code_zip = artifacts.find(config["CodeSha256"])
    if code_zip is None:
        raise DiscoveryError(f"{name}: no local zip matches CodeSha256 {config['CodeSha256']} (run make build?)")
    code_dir = _extract(code_zip, work / "functions" / name)
    layers = [_resolve_layer(lam, layer["Arn"], artifacts, work) for layer in config.get("Layers") or []]
    spec = FunctionSpec(
        name=name,
        arn=config["FunctionArn"],
        handler=config["Handler"],
        runtime=config.get("Runtime", ""),
        timeout_s=int(config.get("Timeout", 3)),
        memory_mb=int(config.get("MemorySize", 128)),
        environment=dict((config.get("Environment") or {}).get("Variables") or {}),
        code_dir=code_dir,
        layer_dirs=tuple(layer.directory for layer in layers if layer.directory is not None),
        credentials=_role_session(lam, config),
    )
    mappings = []
    for m in raw_mappings:
        arn = m["EventSourceArn"]
        if ":sqs:" not in arn:
            continue
        queue_name, account = arn.split(":")[5], arn.split(":")[4]
        url = sqs.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        mappings.append(
            Mapping(
                uuid=m["UUID"],
                function_name=name,
                queue_arn=arn,
                queue_url=url,
                batch_size=int(m.get("BatchSize") or 10),
                window_s=float(m.get("MaximumBatchingWindowInSeconds") or 0),
                max_concurrency=(m.get("ScalingConfig") or {}).get("MaximumConcurrency"),
                report_batch_item_failures="ReportBatchItemFailures" in (m.get("FunctionResponseTypes") or []),
                state=m.get("State", ""),
            )
        )
    return DeployedFunction(spec, code_zip, layers, mappings, list(config.get("Architectures") or []))


def _role_session(lam: Any, config: dict[str, Any]) -> tuple[str, str, str] | None:
    """The function's execution role assumed on the emulator, as Lambda does: its requests then carry the role's
    identity (bucket policies that name a principal see it). None when moto cannot assume the role."""
    endpoint = lam.meta.endpoint_url
    try:
        sts = aws_client("sts", endpoint, lam.meta.region_name)
        session = sts.assume_role(RoleArn=config["Role"], RoleSessionName=config["FunctionName"][:64])["Credentials"]
    except Exception:  # a role moto does not know: the fake credentials, as before
        return None
    return session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]


def _resolve_layer(lam: Any, arn: str, artifacts: ArtifactIndex, work: Path) -> LayerSource:
    parts = arn.split(":")
    account, layer_name, version = parts[4], parts[6], int(parts[7])
    if account == POWERTOOLS_PUBLISHER:
        return LayerSource(arn, "site-packages")
    # GetLayerVersionByArn is not implemented in moto; name + version is.
    content = lam.get_layer_version(LayerName=layer_name, VersionNumber=version)["Content"]
    local = artifacts.find(content["CodeSha256"])
    if local is None:
        raise DiscoveryError(f"layer {arn}: no local zip matches CodeSha256 {content['CodeSha256']}")
    return LayerSource(arn, f"zip:{local}", _extract(local, work / "layers" / f"{layer_name}-{version}"))


def _extract(zip_path: Path, target: Path) -> Path:
    marker = target / ".emulator-sha256"
    sha = code_sha256(zip_path)
    if marker.exists() and marker.read_text() == sha:
        return target
    if target.exists():
        import shutil

        shutil.rmtree(target)
    target.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(target)
    marker.write_text(sha)
    return target
