"""The root stack sets what docs/contracts.md promises the handlers, and the example package is current."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

from tools.terraform.example_zip import SOURCE, TARGET

ROOT = Path(__file__).resolve().parents[2]


def _contract_env_vars() -> list[str]:
    text = (ROOT / "docs/contracts.md").read_text()
    section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Z_]+)` \|", section, re.MULTILINE)


def test_every_contract_environment_variable_is_set() -> None:
    names = _contract_env_vars()
    assert len(names) >= 10, "could not read the environment table of docs/contracts.md"
    stack = (ROOT / "main.tf").read_text() + (ROOT / "modules/lambda_with_dlq/main.tf").read_text()
    missing = [name for name in names if not re.search(rf"\b{name}\s*=", stack)]
    assert missing == []


def test_domain_event_strings_match_event_types() -> None:
    """main.tf's pipeline_source and publishers (IAM conditions, bus policy, the indexer's results rule) are
    consumer_core.event_types' PIPELINE_SOURCE and PUBLISHERS."""
    from consumer_core.event_types import DOMAIN_DETAIL_TYPES, PIPELINE_SOURCE, PUBLISHERS

    stack = (ROOT / "main.tf").read_text()
    assert re.findall(r'^  pipeline_source = "([^"]*)"$', stack, re.MULTILINE) == [PIPELINE_SOURCE]
    (block,) = re.findall(r"^  publishers = \{\n(.*?)^  \}$", stack, re.MULTILINE | re.DOTALL)
    publishers = {name: json.loads(types) for name, types in re.findall(r"^ +(\w+) += (\[.*\])$", block, re.MULTILINE)}
    assert publishers == {name: list(types) for name, types in PUBLISHERS.items()}
    # The indexer's results rule takes every detail type a producer may publish.
    assert set().union(*PUBLISHERS.values()) == DOMAIN_DETAIL_TYPES


def test_handlers_and_artifacts_follow_the_contract() -> None:
    """Handlers and artifact paths are those of docs/contracts.md; the same relative paths serve artifacts_dir
    (dist/) and a release's S3 key prefix (artifacts_s3)."""
    stack = (ROOT / "main.tf").read_text()
    assert re.search(r'^  handler +?= "\$\{each\.key\}\.app\.handler"$', stack, re.MULTILINE)
    (block,) = re.findall(r"^  artifact_paths = \{\n(.*?)^  \}$", stack, re.MULTILINE | re.DOTALL)
    paths = dict(re.findall(r'^ +(\w+) += "([^"]+)"$', block, re.MULTILINE))
    contract = (ROOT / "docs/contracts.md").read_text()
    documented = dict(re.findall(r"^\| (\w+) \| `\w+\.app\.handler` \| `dist/([^`]+)` \|$", contract, re.MULTILINE))
    documented["pillow"] = re.search(r"^- Image layer: `dist/([^`]+)`", contract, re.MULTILINE).group(1)  # type: ignore[union-attr]
    assert paths == documented
    for consumer in ("image_resizer", "metadata_extractor", "search_indexer"):
        assert re.search(rf"^    {consumer} = \{{", stack, re.MULTILINE), consumer
    for path in paths.values():
        assert '"${local.artifacts_dir}/${local.artifact_paths' in stack and path in stack


def test_example_package_matches_its_source(tmp_path: Path) -> None:
    with zipfile.ZipFile(TARGET) as archive:
        packaged = {name: archive.read(name) for name in archive.namelist()}
    sources = {p.relative_to(SOURCE).as_posix(): p.read_bytes() for p in SOURCE.rglob("*.py")}
    assert packaged == sources, "rebuild with `python -m tools.terraform.example_zip`"


def test_example_handler_reports_only_bad_records() -> None:
    namespace: dict = {}
    exec(compile((SOURCE / "app.py").read_text(), "app.py", "exec"), namespace)  # noqa: S102 - the example's own code
    event = {
        "Records": [
            {"messageId": "ok", "body": json.dumps({"detail-type": "Order Placed", "detail": {"order": 1}})},
            {"messageId": "bad", "body": "not json"},
        ]
    }
    assert namespace["handler"](event, None) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}


def _cli_config(tmp_path: Path, mirror: Path) -> subprocess.CompletedProcess[str]:
    out = tmp_path / "cli.tfrc"
    return subprocess.run(
        [str(ROOT / "tools/terraform/cli_config.sh")],
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "TF_PLUGIN_MIRROR": str(mirror),
            "TF_CLI_CONFIG_OUT": str(out),
        },
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_config_points_at_the_mirror(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64").mkdir(parents=True)
    result = _cli_config(tmp_path, mirror)
    assert result.returncode == 0, result.stderr
    config = Path(result.stdout.strip()).read_text()
    assert f'path    = "{mirror}"' in config
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in config


def test_cli_config_rejects_a_mirror_without_the_provider(tmp_path: Path) -> None:
    result = _cli_config(tmp_path, tmp_path / "empty")
    assert result.returncode == 1
    assert "has no registry.terraform.io/hashicorp/aws" in result.stderr


def _unquote(value: object) -> object:
    return json.loads(value) if isinstance(value, str) and value.startswith('"') else value


def test_search_index_table_matches_the_indexer_schema() -> None:
    from search_indexer.table_schema import TABLE_SCHEMA
    from tools.terraform.hcl_scan import blocks_of

    (table,) = blocks_of((ROOT / "main.tf").read_text(), r'^resource "aws_dynamodb_table" "search_index" \{')
    assert _unquote(table["billing_mode"]) == TABLE_SCHEMA["BillingMode"]
    assert [{"AttributeName": _unquote(table["hash_key"]), "KeyType": "HASH"}] == TABLE_SCHEMA["KeySchema"]
    attributes = [
        {"AttributeName": _unquote(a["name"]), "AttributeType": _unquote(a["type"])} for a in table["attribute"]
    ]
    assert sorted(attributes, key=str) == sorted(TABLE_SCHEMA["AttributeDefinitions"], key=str)
    indexes = [
        {
            "IndexName": _unquote(g["name"]),
            "KeySchema": [
                {"AttributeName": _unquote(g["hash_key"]), "KeyType": "HASH"},
                {"AttributeName": _unquote(g["range_key"]), "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": _unquote(g["projection_type"])},
        }
        for g in table["global_secondary_index"]
    ]
    assert sorted(indexes, key=str) == sorted(TABLE_SCHEMA["GlobalSecondaryIndexes"], key=str)
    (ttl,) = table["ttl"]
    assert {"AttributeName": _unquote(ttl["attribute_name"]), "Enabled": ttl["enabled"] == "true"} == TABLE_SCHEMA[
        "TimeToLiveSpecification"
    ]


def test_variable_defaults_are_the_python_defaults() -> None:
    """Facts with a home in Python and a default in Terraform: one value, kept equal here."""
    from consumer_core import config
    from consumer_core.imaging.limits import DEFAULT_LIMITS
    from image_resizer.spec import DEFAULT_SIZES, OUTPUT_FORMATS, ThumbnailSpec
    from tools.terraform.hcl_scan import scan

    variables = {b.name: b for b in scan((ROOT / "variables.tf").read_text()) if b.kind == "variable"}

    def default(name: str) -> object:
        return json.loads(variables[name].attributes["default"])

    assert default("thumbnail_sizes") == list(DEFAULT_SIZES)
    assert default("thumbnail_format") == ThumbnailSpec().format
    formats = re.search(r"contains\((\[[^\]]*\]), var\.thumbnail_format\)", (ROOT / "variables.tf").read_text())
    assert formats is not None and sorted(json.loads(formats.group(1))) == sorted(OUTPUT_FORMATS)
    assert default("thumbnail_quality") == ThumbnailSpec().quality
    assert default("max_image_pixels") == DEFAULT_LIMITS.max_pixels
    assert default("image_cpu_budget_ms") == DEFAULT_LIMITS.cpu_budget_s * 1000
    assert default("image_memory_budget_mb") == DEFAULT_LIMITS.memory_budget_bytes // 2**20
    assert default("max_object_bytes") == config.DEFAULT_MAX_OBJECT_BYTES
    assert default("upload_prefix") == config.DEFAULT_UPLOAD_PREFIX
    assert default("thumbnail_prefix") == config.DEFAULT_THUMBNAIL_PREFIX
    assert default("metadata_prefix") == config.DEFAULT_METADATA_PREFIX
