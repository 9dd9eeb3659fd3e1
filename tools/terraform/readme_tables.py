"""The reference sections of the Terraform READMEs, generated from the configuration's own files: Requirements
(versions.tf), Providers (provider configurations and the constraint), Modules (module calls), Resources
(resource and data blocks), Inputs (variables.tf) and Outputs (outputs.tf), as terraform-docs lays them out.

    python -m tools.terraform.readme_tables           # exit 1 and list the READMEs that are out of date
    python -m tools.terraform.readme_tables --write   # rewrite the sections in place

Each document holds the sections between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->`. This replaces
terraform-docs, a Go binary that cannot be installed here (no Go module proxy, no release downloads).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from tools.terraform.hcl_scan import Block, blocks_of, mask, scan_dir

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"

# (configuration directory, document holding its tables), relative to the repository root.
DOCUMENTS: list[tuple[str, str]] = [
    ("modules/eventbridge_fanout", "modules/eventbridge_fanout/README.md"),
    ("modules/lambda_with_dlq", "modules/lambda_with_dlq/README.md"),
    ("modules/idempotency_table", "modules/idempotency_table/README.md"),
    ("modules/upload_api", "modules/upload_api/README.md"),
    ("modules/reprocess_workflow", "modules/reprocess_workflow/README.md"),
    ("examples/complete", "examples/complete/README.md"),
    ("examples/from-release", "examples/from-release/README.md"),
    ("examples/multi-account", "examples/multi-account/README.md"),
    ("examples/single-consumer", "examples/single-consumer/README.md"),
    ("examples/upload-api", "examples/upload-api/README.md"),
    (".", "docs/terraform.md"),
]


def _code(source: str) -> str:
    """Source text as one table cell: one line (object attributes joined by commas), pipes escaped."""
    lines = [line.strip() for line in source.strip().splitlines() if line.strip()]
    flat = ""
    for line in lines:
        if flat and not flat.endswith(("(", "{", "[", ",")) and not line.startswith((")", "}", "]")):
            flat += ","
        flat += ("" if not flat or flat.endswith(("(", "[")) or line.startswith((")", "]")) else " ") + line
    flat = re.sub(r"\s+", " ", flat)
    return "`" + flat.replace("|", "\\|") + "`"


def _text(value: str | None) -> str:
    """Prose as one table cell: pipes escaped, angle brackets kept visible (not read as HTML)."""
    text = (value or "").replace("|", "\\|").replace("\n", " ")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def tables(blocks: list[Block]) -> str:
    """The markdown between the markers for one configuration."""
    lines = ["## Inputs", ""]
    variables = [b for b in blocks if b.kind == "variable"]
    if variables:
        lines += ["| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
        for b in variables:
            default = b.attributes.get("default")
            lines.append(
                f"| `{b.name}` | {_text(b.string('description'))} | {_code(b.attributes.get('type', 'any'))} "
                f"| {_code(default) if default is not None else 'n/a'} | {'no' if default is not None else 'yes'} |"
            )
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    outputs = [b for b in blocks if b.kind == "output"]
    if outputs:
        lines += ["| Name | Description |", "|---|---|"]
        lines += [f"| `{b.name}` | {_text(b.string('description'))} |" for b in outputs]
    else:
        lines.append("No outputs.")
    return "\n".join(lines)


_DOCS = "https://registry.terraform.io/providers/hashicorp/{provider}/latest/docs/{kind}/{name}"
_TERRAFORM_DATA = "https://developer.hashicorp.com/terraform/language/resources/terraform-data"


def _code_blocks(directory: Path, pattern: str) -> list[tuple[re.Match[str], str]]:
    """Matches of a block-header regex in the *.tf files of a directory (code only, not comments), with the file
    text; files in name order."""
    found = []
    for path in sorted(directory.glob("*.tf")):
        text = path.read_text()
        masked = mask(text)
        found += [(m, text) for m in re.finditer(pattern, text, re.MULTILINE) if masked[m.start()] == text[m.start()]]
    return found


def _unquote(value: str | None) -> str | None:
    return value[1:-1] if value and value.startswith('"') and value.endswith('"') else value


def requirements(directory: Path) -> list[tuple[str, str]]:
    """(name, version constraint) of Terraform itself and of every required provider."""
    text = (directory / "versions.tf").read_text()
    (terraform,) = blocks_of(text, r"^terraform \{")
    found = [("terraform", _unquote(str(terraform["required_version"])) or "")]
    for required in terraform.get("required_providers", []):  # type: ignore[union-attr]
        for name, spec in required.items():
            constraint = re.search(r'version\s*=\s*"([^"]+)"', str(spec))
            found.append((name, constraint.group(1) if constraint else "n/a"))
    return found


def providers(directory: Path) -> list[tuple[str, str]]:
    """(provider configuration, version constraint): the configured ones (`aws`, `aws.<alias>`) or, in a module
    that configures none, the providers its resources use."""
    constraints = dict(requirements(directory))
    names = []
    for match, text in _code_blocks(directory, r'^provider "([a-z0-9]+)" \{'):
        body = blocks_of(text[match.start() :], r'^provider "[a-z0-9]+" \{')[0]
        alias = _unquote(str(body["alias"])) if "alias" in body else None
        names.append(f"{match.group(1)}.{alias}" if alias else match.group(1))
    if not names:
        names = sorted(
            {m.group(2).split("_", 1)[0] for m, _ in _code_blocks(directory, RESOURCE_HEADER)} - {"terraform"}
        )
    return [(name, constraints.get(name.split(".")[0], "n/a")) for name in names]


RESOURCE_HEADER = r'^(resource|data) "([a-z0-9_]+)" "([^"]+)" \{'


def resources(directory: Path) -> list[tuple[str, str, str]]:
    """(address, kind, documentation URL) of every resource and data block, sorted by address."""
    found = []
    for match, _ in _code_blocks(directory, RESOURCE_HEADER):
        block, kind, name = match.groups()
        provider, _, short = kind.partition("_")
        url = (
            _TERRAFORM_DATA
            if kind == "terraform_data"
            else _DOCS.format(
                provider=provider, kind="resources" if block == "resource" else "data-sources", name=short
            )
        )
        prefix = "data." if block == "data" else ""
        found.append((f"{prefix}{kind}.{name}", "resource" if block == "resource" else "data source", url))
    return sorted(found)


def modules(directory: Path) -> list[tuple[str, str, str]]:
    """(name, source, version) of every module call."""
    found = []
    for match, text in _code_blocks(directory, r'^module "([^"]+)" \{'):
        body = blocks_of(text[match.start() :], r'^module "[^"]+" \{')[0]
        source = _unquote(str(body.get("source"))) or ""
        found.append((match.group(1), source, _unquote(str(body["version"])) if "version" in body else "n/a"))
    return found


def reference(directory: Path) -> str:
    """Requirements, Providers, Modules and Resources sections of a configuration."""
    lines = ["## Requirements", "", "| Name | Version |", "|---|---|"]
    lines += [f"| {name} | `{constraint}` |" for name, constraint in requirements(directory)]
    lines += ["", "## Providers", ""]
    used = providers(directory)
    lines += ["| Name | Version |", "|---|---|", *(f"| {n} | `{v}` |" for n, v in used)] if used else ["No providers."]
    lines += ["", "## Modules", ""]
    calls = modules(directory)
    if calls:
        lines += ["| Name | Source | Version |", "|---|---|---|"]
        lines += [f"| `{name}` | `{source}` | {version} |" for name, source, version in calls]
    else:
        lines.append("No modules.")
    lines += ["", "## Resources", ""]
    blocks = resources(directory)
    if blocks:
        lines += ["| Name | Type |", "|---|---|", *(f"| [{a}]({url}) | {kind} |" for a, kind, url in blocks)]
    else:
        lines.append("No resources.")
    return "\n".join(lines)


def render(document: str, generated: str) -> str:
    """The document with its marked section replaced by `generated`."""
    start, end = document.find(BEGIN), document.find(END)
    if start == -1 or end < start:
        raise ValueError(f"missing {BEGIN} ... {END} markers")
    return document[: start + len(BEGIN)] + "\n" + generated + "\n" + document[end:]


def expected(config: str, doc: str, root: Path = ROOT) -> tuple[str, str]:
    """(current text, text with up-to-date tables) of one document."""
    current = (root / doc).read_text()
    directory = root / config
    return current, render(current, reference(directory) + "\n\n" + tables(scan_dir(directory)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite out-of-date tables in place")
    args = parser.parse_args(argv)
    stale = []
    for config, doc in DOCUMENTS:
        current, wanted = expected(config, doc)
        if current != wanted:
            stale.append(doc)
            if args.write:
                (ROOT / doc).write_text(wanted)
    if stale and not args.write:
        print("out of date (run `make terraform-docs`):", *stale, sep="\n  ", file=sys.stderr)
        return 1
    for doc in stale:
        print(f"updated {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
