"""Inputs/outputs tables of the Terraform READMEs, generated from variables.tf and outputs.tf.

    python -m tools.terraform.readme_tables           # exit 1 and list the READMEs that are out of date
    python -m tools.terraform.readme_tables --write   # rewrite the tables in place

Each document holds the tables between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->`.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from tools.terraform.hcl_scan import Block, scan_dir

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"

# (configuration directory, document holding its tables), relative to the repository root.
DOCUMENTS: list[tuple[str, str]] = [
    ("modules/eventbridge_fanout", "modules/eventbridge_fanout/README.md"),
    ("modules/lambda_with_dlq", "modules/lambda_with_dlq/README.md"),
    ("modules/idempotency_table", "modules/idempotency_table/README.md"),
    ("examples/complete", "examples/complete/README.md"),
    ("examples/from-release", "examples/from-release/README.md"),
    ("examples/multi-account", "examples/multi-account/README.md"),
    ("examples/single-consumer", "examples/single-consumer/README.md"),
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


def render(document: str, generated: str) -> str:
    """The document with its marked section replaced by `generated`."""
    start, end = document.find(BEGIN), document.find(END)
    if start == -1 or end < start:
        raise ValueError(f"missing {BEGIN} ... {END} markers")
    return document[: start + len(BEGIN)] + "\n" + generated + "\n" + document[end:]


def expected(config: str, doc: str, root: Path = ROOT) -> tuple[str, str]:
    """(current text, text with up-to-date tables) of one document."""
    current = (root / doc).read_text()
    return current, render(current, tables(scan_dir(root / config)))


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
