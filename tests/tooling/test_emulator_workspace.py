"""The emulator's Terraform workspace: what `prepare()` leaves in a reused build directory."""

from __future__ import annotations

from pathlib import Path

from tools.emulator.terraform import OVERRIDE_NAME, PROVIDER_NAME, Workspace


def _workspace(stack: Path, work: Path, port: int) -> Workspace:
    return Workspace(stack_dir=stack, work_dir=work, endpoint=f"http://127.0.0.1:{port}").prepare()


def test_a_reused_workspace_keeps_only_the_current_provider_file(tmp_path: Path) -> None:
    stack, work = tmp_path / "stack", tmp_path / "work"
    stack.mkdir()
    (stack / "main.tf").write_text('resource "aws_sqs_queue" "q" {}\n')
    work.mkdir()
    # Left by an older version of the stack that had a provider block (the override form), pointing at an old port.
    (work / OVERRIDE_NAME).write_text('provider "aws" {\n  endpoints {\n    sqs = "http://127.0.0.1:1111"\n  }\n}\n')

    _workspace(stack, work, 2222)

    assert not (work / OVERRIDE_NAME).exists()
    assert "127.0.0.1:2222" in (work / PROVIDER_NAME).read_text()
    assert (work / "main.tf").resolve() == (stack / "main.tf").resolve()


def test_a_stack_with_a_provider_block_gets_the_override_only(tmp_path: Path) -> None:
    stack, work = tmp_path / "stack", tmp_path / "work"
    stack.mkdir()
    (stack / "main.tf").write_text('provider "aws" {\n  region = "us-east-1"\n}\n')
    _workspace(stack, work, 3333)
    _workspace(stack, work, 4444)

    assert not (work / PROVIDER_NAME).exists()
    text = (work / OVERRIDE_NAME).read_text()
    assert "127.0.0.1:4444" in text and "127.0.0.1:3333" not in text
