"""The inputs/outputs tables of the Terraform docs match variables.tf/outputs.tf, and every input is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.terraform.hcl_scan import mask, scan, scan_dir
from tools.terraform.readme_tables import BEGIN, DOCUMENTS, END, ROOT, expected, reference, render, tables

CONFIGS = sorted({config for config, _ in DOCUMENTS})


@pytest.mark.parametrize(("config", "doc"), DOCUMENTS, ids=[doc for _, doc in DOCUMENTS])
def test_tables_are_up_to_date(config: str, doc: str) -> None:
    current, wanted = expected(config, doc)
    assert current == wanted, f"{doc} is out of date: run `make terraform-docs`"


@pytest.mark.parametrize("config", CONFIGS)
def test_every_variable_and_output_is_described_and_typed(config: str) -> None:
    blocks = scan_dir(ROOT / config)
    assert blocks, f"no variables or outputs found in {config}"
    undocumented = [f"{b.kind} {b.name}" for b in blocks if not (b.string("description") or "").strip()]
    assert undocumented == []
    untyped = [b.name for b in blocks if b.kind == "variable" and b.attributes.get("type", "any").strip() == "any"]
    assert untyped == [], "variables must have a concrete type"


def test_every_module_and_example_has_a_documented_config() -> None:
    documented = {config for config, _ in DOCUMENTS}
    on_disk = {
        p.parent.relative_to(ROOT).as_posix()
        for top in ("modules", "examples")
        for p in ROOT.glob(f"{top}/*/versions.tf")
    }
    assert len(on_disk) == 10
    assert on_disk <= documented


TRICKY = """
# variable "commented" { }
variable "tricky" {
  description = "Braces } { and a # hash in a string, and \\"quotes\\"."
  type = object({
    name = optional(string, "x}")   # a } in a comment
    tags = optional(map(string), {})
  })
  default = { name = "${join(",", ["a", "}"])}" }

  validation {
    condition     = var.tricky.name != "="
    error_message = "Not =."
  }
}

output "after" {
  description = <<-EOT
    heredoc } with braces {
  EOT
  value = 1
}
"""


def test_scanner_handles_strings_comments_interpolations_and_heredocs() -> None:
    blocks = scan(TRICKY)
    assert [(b.kind, b.name) for b in blocks] == [("variable", "tricky"), ("output", "after")]
    tricky = blocks[0]
    assert tricky.string("description") == 'Braces } { and a # hash in a string, and "quotes".'
    assert set(tricky.attributes) == {"description", "type", "default"}
    assert tricky.attributes["default"] == '{ name = "${join(",", ["a", "}"])}" }'
    assert tricky.attributes["type"].startswith("object({") and tricky.attributes["type"].endswith("})")
    assert blocks[1].string("description") == "heredoc } with braces {"
    assert blocks[1].attributes["value"] == "1"


def test_mask_keeps_offsets_and_hides_literals() -> None:
    text = 'a = "{x}" # {\nb = 1'
    masked = mask(text)
    assert len(masked) == len(text)
    assert "{" not in masked and "}" not in masked
    assert masked.splitlines()[1] == "b = 1"


def test_tables_render_required_defaults_and_escape_pipes() -> None:
    blocks = scan(
        'variable "a" {\n  description = "x | y"\n  type = string\n}\n'
        'variable "b" {\n  description = "d"\n  type = list(number)\n  default = [1, 2]\n}\n'
        'output "o" {\n  description = "<out>"\n  value = 1\n}\n'
    )
    text = tables(blocks)
    assert "| `a` | x \\| y | `string` | n/a | yes |" in text
    assert "| `b` | d | `list(number)` | `[1, 2]` | no |" in text
    assert "| `o` | &lt;out&gt; |" in text


def test_render_needs_markers(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="markers"):
        render("# no markers\n", "x")
    assert render(f"head\n{BEGIN}\nold\n{END}\ntail\n", "new") == f"head\n{BEGIN}\nnew\n{END}\ntail\n"


@pytest.mark.parametrize(("config", "doc"), DOCUMENTS, ids=[doc for _, doc in DOCUMENTS])
def test_every_document_has_the_registry_sections(config: str, doc: str) -> None:
    _, wanted = expected(config, doc)
    section = wanted.split(BEGIN, 1)[1].split(END, 1)[0]
    headings = [line for line in section.splitlines() if line.startswith("## ")]
    assert headings == [f"## {h}" for h in ("Requirements", "Providers", "Modules", "Resources", "Inputs", "Outputs")]


def test_reference_lists_requirements_providers_modules_and_resources(tmp_path: Path) -> None:
    (tmp_path / "versions.tf").write_text(
        'terraform {\n  required_version = ">= 1.5"\n\n  required_providers {\n    aws = {\n'
        '      source  = "hashicorp/aws"\n      version = ">= 5.79, < 7.0"\n    }\n  }\n}\n'
    )
    (tmp_path / "main.tf").write_text(
        'provider "aws" {\n  region = "eu-west-1"\n}\n\nprovider "aws" {\n  alias  = "workload"\n'
        '  region = "eu-west-1"\n}\n\n# resource "aws_sqs_queue" "commented" {}\n'
        'module "pipeline" {\n  source  = "example-org/image-pipeline/aws"\n  version = "1.0.0"\n}\n\n'
        'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n\ndata "aws_caller_identity" "me" {}\n\n'
        'resource "terraform_data" "checks" {}\n'
    )
    text = reference(tmp_path)
    assert "| terraform | `>= 1.5` |\n| aws | `>= 5.79, < 7.0` |" in text
    assert "| aws | `>= 5.79, < 7.0` |\n| aws.workload | `>= 5.79, < 7.0` |" in text
    assert "| `pipeline` | `example-org/image-pipeline/aws` | 1.0.0 |" in text
    docs = "https://registry.terraform.io/providers/hashicorp/aws/latest/docs"
    assert f"[aws_sqs_queue.q]({docs}/resources/sqs_queue) | resource |" in text
    assert f"[data.aws_caller_identity.me]({docs}/data-sources/caller_identity) | data source |" in text
    assert "terraform_data.checks" in text and "commented" not in text
