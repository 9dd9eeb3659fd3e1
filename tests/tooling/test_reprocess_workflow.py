"""The reprocess workflow's definition, its generated diagram and `make reprocess`'s tool, without AWS."""

from __future__ import annotations

import argparse
import html
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tools import reprocess, reprocess_diagram
from tools.emulator.report import MERMAID_MODULE, write_html

DEFINITION = reprocess_diagram.load()
MODULE_MAIN = (reprocess_diagram.ROOT / "modules" / "reprocess_workflow" / "main.tf").read_text()


def machines(machine: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (state machine or item processor, its id prefix in the diagram)."""
    yield prefix, machine
    for name, state in machine["States"].items():
        processor = state.get("ItemProcessor")
        if processor:
            yield from machines(processor, f"{reprocess_diagram._id(prefix, name)}__")


def test_the_documented_diagram_is_drawn_from_the_definition() -> None:
    assert reprocess_diagram.main([]) == 0, "run `make reprocess-diagram`"


def test_the_diagram_has_every_state_and_every_transition() -> None:
    diagram = reprocess_diagram.mermaid(DEFINITION)
    for prefix, machine in machines(DEFINITION):
        for name, state in machine["States"].items():
            label = name.replace('"', "'")
            assert re.search(rf'state "{re.escape(label)}(<br/>[^"]*)?" as {prefix}\w+', diagram), name
            targets = [rule["Next"] for rule in state.get("Choices", ())]
            targets += [state[field] for field in ("Next", "Default") if field in state]
            targets += [catcher["Next"] for catcher in state.get("Catch", ())]
            for target in targets:
                assert re.search(rf"{prefix}\w+ --> {prefix}{reprocess_diagram._id('', target)}_*\b", diagram), (
                    f"{name} -> {target}"
                )


def test_the_diagram_does_not_depend_on_the_order_of_keys() -> None:
    """Terraform's jsonencode sorts keys: the deployed definition must draw the same diagram."""
    resorted = json.loads(json.dumps(DEFINITION, sort_keys=True))
    assert list(resorted["States"]) != list(DEFINITION["States"])
    assert reprocess_diagram.mermaid(resorted) == reprocess_diagram.mermaid(DEFINITION)


def documented_diagram() -> str:
    block = re.search(r"```mermaid\n(.*?)```", reprocess_diagram.DOCUMENT.read_text(), re.DOTALL)
    assert block is not None
    return block.group(1)


def test_the_demo_report_shows_the_diagram_it_is_given(tmp_path) -> None:
    """The demo report (tools/emulator/report.py) renders the Mermaid source it is given, unchanged: the source
    the demo draws from the deployed definition (tests/integration/test_reprocess.py compares that one with
    docs/reprocess.md's)."""
    page = write_html(
        {"objects": [], "dlq": {}, "workflow_diagram": documented_diagram()}, {}, tmp_path / "r.html"
    ).read_text()
    shown = re.search(r'<pre class="mermaid">\n(.*?)</pre>', page, re.DOTALL)
    assert shown is not None and html.unescape(shown.group(1)) == documented_diagram()
    assert MERMAID_MODULE in page and re.search(r"mermaid@\d+\.\d+\.\d+/", MERMAID_MODULE), "a pinned version"
    bare = write_html({"objects": [], "dlq": {}}, {}, tmp_path / "bare.html").read_text()
    assert "mermaid" not in bare, "no workflow section for a stack without the workflow"


def test_prefix_and_inventory_walks_process_batches_alike() -> None:
    walks = [s for s in DEFINITION["States"].values() if s.get("ItemReader")]
    assert len(walks) == 2
    assert walks[0]["ItemProcessor"] == walks[1]["ItemProcessor"]
    assert {w["ItemReader"]["Resource"] for w in walks} == {
        "arn:aws:states:::s3:listObjectsV2",
        "arn:aws:states:::s3:getObject",
    }


def test_the_template_takes_exactly_the_placeholders_terraform_fills_in() -> None:
    text = reprocess_diagram.DEFINITION.read_text()
    used = set(re.findall(r"\$\{([a-z_]+)\}", text))
    call = MODULE_MAIN.split("templatefile(", 1)[1].split("})))", 1)[0]
    given = set(re.findall(r"^\s+([a-z_]+)\s+=", call, re.MULTILINE))
    assert used == given
    # Every placeholder sits inside a JSON string: the template is JSON as it is.
    assert json.loads(text)["StartAt"] == "Read configuration"


def test_messages_are_the_events_the_consumers_parse() -> None:
    """The event "Check objects" builds for each object, filled in as the state machine fills it in, is a valid
    Reprocess Requested (its schema) that the consumers parse."""
    from consumer_core.reprocess import parse_reprocess_request
    from tests.support.schemas import validate_event

    child = DEFINITION["States"]["Walk prefix"]["ItemProcessor"]["States"]["Check objects"]["ItemSelector"]["event"]
    batch = {"account": "123456789012", "requested_at": "2026-11-30T09:15:00.125Z", "region": "eu-west-1"}
    batch |= {"resources": ["arn:aws:states:eu-west-1:123456789012:execution:r:run-1"], "run": "run-1"}
    batch |= {"bucket": "photos-prod"}
    item = {"key": "uploads/alice/a b.jpg", "key_encoding": "none", "etag": '"abc"', "size": 12}

    def fill(template: Any) -> Any:
        if isinstance(template, dict):
            filled = {}
            for key, value in template.items():
                if key.endswith(".$"):
                    if value == "$$.Map.Item.Value":
                        filled[key[:-2]] = item
                    elif value.startswith("$.BatchInput."):
                        filled[key[:-2]] = batch[value.removeprefix("$.BatchInput.")]
                    else:
                        assert value == "States.UUID()", value
                        filled[key[:-2]] = "3c1b6f0e-5d1e-4a53-9a8e-0b6f5c2d7e41"
                else:
                    filled[key] = fill(value)
            return filled
        return template

    event = fill(child)
    validate_event(event)
    parsed = parse_reprocess_request(event)
    assert (parsed.key, parsed.etag, parsed.run) == ("uploads/alice/a b.jpg", "abc", "run-1")
    assert parsed.bucket == "photos-prod"


# --- tools/reprocess.py (make reprocess) ----------------------------------------------------------------------

WORKFLOW = {
    "state_machine_arn": "arn:aws:states:eu-west-1:123456789012:stateMachine:images-reprocess",
    "runs_table_name": "images-reprocess-runs",
    "report_location": {"bucket": "photos", "prefix": "reprocess/"},
}


class FakeAws:
    """The three clients the tool uses: an execution that runs two polls, then ends with `status`."""

    def __init__(self, status: str = "SUCCEEDED") -> None:
        self.status, self.polls = status, 0
        self.started: list[dict[str, Any]] = []
        self.started_at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def start_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.started.append(kwargs)
        return {"executionArn": f"arn:aws:states:eu-west-1:123456789012:execution:images-reprocess:{kwargs['name']}"}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        self.polls += 1
        done = self.polls > 2
        return {
            "status": self.status if done else "RUNNING",
            "startDate": self.started_at,
            "stopDate": self.started_at + timedelta(seconds=12),
        }

    def query(self, **kwargs: Any) -> dict[str, Any]:
        sent = str(min(self.polls, 2) * 5)
        return {"Items": [{"consumer": {"S": "image_resizer"}, "eligible": {"N": sent}, "sent": {"N": sent}}]}

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        assert (Bucket, Key) == ("photos", "reprocess/fix-1/summary.json")
        summary = {"consumers": [{"consumer": "image_resizer", "eligible": 10, "sent": 10, "skipped": 1}]}
        return {"Body": io.BytesIO(json.dumps(summary).encode())}


@pytest.fixture
def outputs(tmp_path) -> Any:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"reprocess_workflow": {"value": WORKFLOW}}))
    return path


@pytest.mark.parametrize(("status", "code"), [("SUCCEEDED", 0), ("FAILED", 1)])
def test_make_reprocess_starts_follows_and_summarises(outputs, status: str, code: int) -> None:
    aws, out = FakeAws(status), io.StringIO()
    argv = ["--outputs", str(outputs), "--prefix", "uploads/alice/", "--consumers", "image_resizer"]
    argv += ["--rate", "20", "--name", "fix-1", "--interval", "0"]
    assert reprocess.main(argv, out=out, clients=(aws, aws, aws)) == code
    (started,) = aws.started
    assert started["stateMachineArn"] == WORKFLOW["state_machine_arn"] and started["name"] == "fix-1"
    assert json.loads(started["input"]) == {
        "prefix": "uploads/alice/",
        "consumers": ["image_resizer"],
        "dry_run": False,
        "rate": 20,
    }
    text = out.getvalue()
    assert "image_resizer 5 sent" in text and "image_resizer 10 sent" in text, "progress as it grows"
    assert f"{status} in 12 s" in text and "s3://photos/reprocess/fix-1/summary.json" in text
    assert re.search(r"image_resizer\s+10\s+10\s+1", text)


def test_a_run_is_continued_under_its_name_and_inputs_map_to_the_contract(outputs) -> None:
    args = argparse.Namespace(
        prefix="uploads/",
        consumers=["image_resizer", "search_indexer"],
        dry_run=True,
        rate=None,
        tolerated_failure_percentage=2.5,
        run="fix-1",
        manifest="s3://inventory/images/uploads/2026-11-30T01-00Z/manifest.json",
    )
    assert reprocess.execution_input(args) == {
        "prefix": "uploads/",
        "consumers": ["image_resizer", "search_indexer"],
        "dry_run": True,
        "tolerated_failure_percentage": 2.5,
        "run": "fix-1",
        "manifest": {"bucket": "inventory", "key": "images/uploads/2026-11-30T01-00Z/manifest.json"},
    }
    aws = FakeAws()
    argv = ["--outputs", str(outputs), "--prefix", "uploads/", "--consumers", "image_resizer", "--run", "fix-1"]
    reprocess.main([*argv, "--interval", "0"], out=io.StringIO(), clients=(aws, aws, aws))
    reprocess.main([*argv, "--interval", "0"], out=io.StringIO(), clients=(aws, aws, aws))
    first, again = aws.started
    assert json.loads(first["input"])["run"] == json.loads(again["input"])["run"] == "fix-1"
    assert re.fullmatch(r"fix-1-\d{8}-\d{6}", first["name"]), "a new execution continues the run"
    assert (
        reprocess.run_name(datetime(2026, 11, 30, 9, 0, 1, tzinfo=UTC), run="r" * 90) == "r" * 64 + "-20261130-090001"
    )


def test_a_stack_without_the_workflow_is_reported(tmp_path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"reprocess_workflow": {"value": None}}))
    with pytest.raises(SystemExit, match="no reprocess_workflow output"):
        reprocess.stack_outputs(outputs_file=path)
