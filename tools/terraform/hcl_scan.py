"""A small scanner for Terraform files: enough HCL to list variables and outputs with their attributes.

Terraform has no stdlib-friendly parser in this repository's venv, and the docs tables only need the top-level
`variable`/`output` blocks and their `description`, `type`, `default` and `sensitive` attributes as source text.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

_BLOCK_RE = re.compile(r'^(variable|output)\s+"([^"]+)"\s*\{', re.MULTILINE)
_ATTR_RE = re.compile(r"[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*=(?!=)")
_HEREDOC_RE = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")


@dataclass(frozen=True)
class Block:
    """One `variable` or `output` block: its kind, name and top-level attributes as source text."""

    kind: str
    name: str
    attributes: dict[str, str]

    def string(self, attribute: str) -> str | None:
        """Value of a string-literal attribute, unescaped; None when absent."""
        raw = self.attributes.get(attribute)
        if raw is None:
            return None
        if raw.startswith("<<"):
            body = raw.split("\n", 1)[1].rsplit("\n", 1)[0] if "\n" in raw else ""
            return textwrap.dedent(body).strip() if raw.startswith("<<-") else body
        return json.loads(raw) if raw.startswith('"') and raw.endswith('"') else raw


def mask(text: str) -> str:
    """Blank out comments and the literal parts of strings and heredocs, keeping offsets and quote marks.

    After masking, braces, brackets and `=` signs in the result are all syntax, so nesting can be counted.
    Template interpolations (`${ ... }`) inside strings stay visible, as they may hold nested strings.
    """
    out = list(text)
    i, n = 0, len(text)
    # Stack of contexts: "code" (with its own brace depth) or "string".
    stack: list[list] = [["code", 0]]

    def blank(start: int, end: int) -> None:
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        ctx = stack[-1]
        ch = text[i]
        if ctx[0] == "string":
            if ch == "\\":
                blank(i, min(i + 2, n))
                i += 2
            elif text.startswith("${", i) or text.startswith("%{", i):
                stack.append(["code", 0])
                i += 2
            elif ch == '"':
                stack.pop()
                i += 1
            else:
                blank(i, i + 1)
                i += 1
            continue
        # Code context.
        if ch == '"':
            stack.append(["string"])
            i += 1
        elif ch == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            blank(i, end)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end == -1 else end + 2
            blank(i, end)
            i = end
        elif (heredoc := _HEREDOC_RE.match(text, i)) is not None:
            marker = heredoc.group(1)
            close = re.compile(rf"^[ \t]*{re.escape(marker)}[ \t]*$", re.MULTILINE).search(text, heredoc.end())
            end = n if close is None else close.start()
            blank(heredoc.end(), end)
            i = n if close is None else close.end()
        elif ch == "{":
            ctx[1] += 1
            i += 1
        elif ch == "}":
            if len(stack) > 1 and ctx[1] == 0:
                stack.pop()  # end of an interpolation: back into the string
            else:
                ctx[1] -= 1
            i += 1
        else:
            i += 1
    return "".join(out)


def _matching_brace(masked: str, open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(masked)):
        if masked[k] in "{[(":
            depth += 1
        elif masked[k] in "}])":
            depth -= 1
            if depth == 0:
                return k
    raise ValueError(f"unbalanced braces from offset {open_at}")


def _attributes(text: str, masked: str, start: int, end: int) -> dict[str, str]:
    """Top-level `name = value` attributes between offsets start and end (a block body)."""
    attributes: dict[str, str] = {}
    pos = start
    while pos < end:
        line_end = masked.find("\n", pos, end)
        line_end = end if line_end == -1 else line_end
        match = _ATTR_RE.match(masked, pos, line_end)
        if match is None:
            # A nested block (`validation {`) or blank line: skip the whole nested block if one opens here.
            brace = masked.find("{", pos, line_end)
            pos = (_matching_brace(masked, brace) if brace != -1 else line_end) + 1
            continue
        value_start = match.end()
        depth, k = 0, value_start
        while k < end:
            c = masked[k]
            if c in "{[(":
                depth += 1
            elif c in "}])":
                depth -= 1
            elif c == "\n" and depth == 0:
                break
            k += 1
        heredoc = re.fullmatch(r"<<-?([A-Za-z_][A-Za-z0-9_]*)", text[value_start:k].strip())
        if heredoc is not None:
            close = re.compile(rf"^[ \t]*{re.escape(heredoc.group(1))}[ \t]*$", re.MULTILINE).search(text, k, end)
            k = end if close is None else close.end()
        attributes[match.group(1)] = text[value_start:k].strip()
        pos = k + 1
    return attributes


def scan(text: str) -> list[Block]:
    """All top-level variable and output blocks of one file, in order."""
    masked = mask(text)
    blocks = []
    for match in _BLOCK_RE.finditer(masked):
        name = text[match.start(2) : match.end(2)]
        close = _matching_brace(masked, match.end() - 1)
        blocks.append(Block(match.group(1), name, _attributes(text, masked, match.end(), close)))
    return blocks


def scan_dir(directory: Path) -> list[Block]:
    """Blocks of every *.tf file of a configuration directory (not subdirectories), files in name order."""
    return [block for path in sorted(directory.glob("*.tf")) for block in scan(path.read_text())]


def blocks_of(text: str, header: str) -> list[dict[str, object]]:
    """Attributes of every block whose header matches `header` (a regex over the source, ending at `{`),
    with nested blocks listed under their type: {"attr": "source", "<nested type>": [{...}, ...]}.
    """
    masked = mask(text)
    found = []
    for match in re.finditer(header, text, re.MULTILINE):
        if masked[match.start()] == text[match.start()] and masked[match.end() - 1] == "{":  # code, not a comment
            found.append(_block_body(text, masked, match.end() - 1))
    return found


def _block_body(text: str, masked: str, open_at: int) -> dict[str, object]:
    close = _matching_brace(masked, open_at)
    body: dict[str, object] = dict(_attributes(text, masked, open_at + 1, close))
    for nested in re.finditer(r"^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\{", masked[:close], re.MULTILINE):
        if nested.start() <= open_at or _depth(masked, open_at, nested.start()) != 1:
            continue
        body.setdefault(nested.group(1), []).append(_block_body(text, masked, nested.end() - 1))  # type: ignore[union-attr]
    return body


def _depth(masked: str, start: int, end: int) -> int:
    depth = 0
    for c in masked[start:end]:
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
    return depth
