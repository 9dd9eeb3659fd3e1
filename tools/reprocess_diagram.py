"""The reprocess workflow's diagram, generated from its state machine definition (ASL JSON), never drawn by hand:
a Mermaid state diagram (stateDiagram-v2), with every Map's item processor drawn inside it.

    python -m tools.reprocess_diagram                  # exit 1 when docs/reprocess.md's diagram is out of date
    python -m tools.reprocess_diagram --write          # rewrite it (make reprocess-diagram)
    python -m tools.reprocess_diagram --print [FILE]   # the diagram of FILE (default: the module's definition)

The definition is modules/reprocess_workflow/state_machine.asl.json, the file Terraform renders and deploys (its
placeholders only fill in names, never states or transitions); the demo report draws the definition the emulator
returns for the deployed state machine, and tests/integration checks the two give the same diagram.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFINITION = ROOT / "modules" / "reprocess_workflow" / "state_machine.asl.json"
DOCUMENT = ROOT / "docs" / "reprocess.md"
BEGIN, END = "<!-- BEGIN_REPROCESS_DIAGRAM -->", "<!-- END_REPROCESS_DIAGRAM -->"

_OPERATORS = {
    "StringEquals": "=",
    "BooleanEquals": "=",
    "NumericEquals": "=",
    "StringMatches": "matches",
    "NumericGreaterThan": ">",
    "NumericGreaterThanEquals": ">=",
    "NumericLessThan": "<",
    "NumericLessThanEquals": "<=",
}
_TESTS = {"IsPresent": "present", "IsNull": "null", "IsString": "a string", "IsNumeric": "a number"}
_TESTS |= {"IsBoolean": "a boolean", "IsTimestamp": "a timestamp"}


def mermaid(definition: dict[str, Any]) -> str:
    """The Mermaid source of a state machine definition."""
    lines = ["stateDiagram-v2", "    direction TB"]
    lines += _machine(definition, prefix="", indent="    ")
    return "\n".join(lines) + "\n"


def _machine(machine: dict[str, Any], prefix: str, indent: str) -> list[str]:
    states = _in_flow_order(machine)
    ids: dict[str, str] = {}
    for name in states:
        node = _id(prefix, name)
        while node in ids.values():  # "Known?" and "Known" would be the same id
            node += "_"
        ids[name] = node
    lines = [f"{indent}[*] --> {ids[machine['StartAt']]}"]
    for name, state in states.items():
        node = ids[name]
        kind = state["Type"]
        label = _label(name, state)
        if kind == "Map":
            processor = state.get("ItemProcessor") or state.get("Iterator")
            lines.append(f'{indent}state "{label}" as {node} {{')
            lines += _machine(processor, prefix=f"{node}__", indent=indent + "    ")
            lines.append(f"{indent}}}")
        else:
            lines.append(f'{indent}state "{label}" as {node}')
        for target, text in _transitions(state):
            arrow = f"{indent}{node} --> {ids[target] if target != '[*]' else '[*]'}"
            lines.append(f"{arrow} : {text}" if text else arrow)
    return lines


def _in_flow_order(machine: dict[str, Any]) -> dict[str, Any]:
    """The states in the order the flow reaches them from StartAt (then any unreachable ones, by name): the same
    diagram whatever the order of the definition's keys (Terraform's jsonencode sorts them)."""
    states: dict[str, Any] = machine["States"]
    ordered: list[str] = []
    pending = [machine["StartAt"]]
    while pending:
        name = pending.pop(0)
        if name in ordered or name not in states:
            continue
        ordered.append(name)
        pending += [target for target, _ in _transitions(states[name]) if target != "[*]"]
    ordered += sorted(set(states) - set(ordered))
    return {name: states[name] for name in ordered}


def _transitions(state: dict[str, Any]) -> Iterator[tuple[str, str]]:
    kind = state["Type"]
    for rule in state.get("Choices", ()):
        yield rule["Next"], _describe(rule)
    if "Default" in state:
        yield state["Default"], "otherwise"
    if "Next" in state:
        yield state["Next"], ""
    for catcher in state.get("Catch", ()):
        yield catcher["Next"], "catch " + ", ".join(catcher["ErrorEquals"])
    if state.get("End") or kind in ("Succeed", "Fail"):
        yield "[*]", "fails" if kind == "Fail" else ""


def _label(name: str, state: dict[str, Any]) -> str:
    kind = state["Type"]
    detail = ""
    if kind == "Map":
        processor = state.get("ItemProcessor") or state.get("Iterator") or {}
        distributed = (processor.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED"
        detail = "Distributed Map" if distributed else "Map"
        if "ItemBatcher" in state:
            detail += ", batched"
        reader = (state.get("ItemReader") or {}).get("Resource", "")
        if reader:
            source = reader.rsplit(":", 1)[-1]
            input_type = ((state.get("ItemReader") or {}).get("ReaderConfig") or {}).get("InputType")
            detail += f", {source}" + (f" {input_type}" if input_type else "")
    elif kind == "Task":
        detail = state["Resource"].split(":::", 1)[-1].replace("aws-sdk:", "")
    elif kind == "Fail":
        detail = f"Fail {state.get('Error', '')}".strip()
    elif kind == "Wait":
        detail = f"Wait {state.get('Seconds', state.get('SecondsPath', ''))} s"
    elif kind in ("Succeed", "Choice"):
        detail = kind
    return _text(f"{name}<br/>({detail})" if detail else name)


def _describe(rule: dict[str, Any]) -> str:
    """A short reading of a Choice rule, for the edge it labels: its Comment, else its comparisons."""
    if rule.get("Comment"):
        return _text(rule["Comment"])
    if "Not" in rule:
        return "not " + _describe(rule["Not"])
    for combinator, word in (("And", " and "), ("Or", " or ")):
        if combinator in rule:
            parts = [_describe(sub) for sub in rule[combinator]]
            text = word.join(parts)
            return f"({text})" if len(text) <= 70 else f"({len(parts)} checks, {combinator.lower()})"
    variable = str(rule.get("Variable", "")).removeprefix("$.")
    for operator, symbol in _OPERATORS.items():
        if operator in rule:
            return _text(f"{variable} {symbol} {json.dumps(rule[operator])}")
    for test, word in _TESTS.items():
        if test in rule:
            return f"{variable} {'is' if rule[test] else 'is not'} {word}"
    return variable


def _id(prefix: str, name: str) -> str:
    return prefix + (re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "state")


def _text(text: str) -> str:
    # Mermaid reads ';' as a statement end and '#' as an entity; quotes would end a state's label.
    return text.replace('"', "'").replace(";", ",").replace("#", "")


def load(path: Path = DEFINITION) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def document_block(diagram: str) -> str:
    return f"{BEGIN}\n```mermaid\n{diagram}```\n{END}"


def refreshed(text: str, diagram: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + document_block(diagram) + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite the diagram in docs/reprocess.md")
    parser.add_argument("--print", nargs="?", const=str(DEFINITION), metavar="FILE", dest="print_file")
    args = parser.parse_args(argv)
    if args.print_file:
        sys.stdout.write(mermaid(load(Path(args.print_file))))
        return 0
    text = DOCUMENT.read_text()
    wanted = refreshed(text, mermaid(load()))
    if args.write:
        DOCUMENT.write_text(wanted)
        return 0
    if wanted != text:
        print(f"{DOCUMENT.relative_to(ROOT)}: the workflow diagram is out of date: run `make reprocess-diagram`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
