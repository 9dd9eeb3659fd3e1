"""Print the per-image table and write the HTML report (thumbnails embedded as data URIs)."""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path
from typing import Any

CONSUMER_ORDER = ("image_resizer", "metadata_extractor", "search_indexer")


def _status(entry: dict[str, Any]) -> str:
    if entry["status"] == "dlq":
        return f"DLQ: {entry['reason']}"
    return entry["status"]


def metadata_summary(metadata: dict[str, Any]) -> str:
    summary = metadata.get("metadata", metadata)
    exif = summary.get("exif") or {}
    parts = [
        str(summary.get("format") or ""),
        f"{summary.get('width')}x{summary.get('height')}" if summary.get("width") else "",
        str(summary.get("mode") or ""),
        " ".join(str(exif.get(k) or "") for k in ("make", "model")).strip(),
        str(exif.get("capture_time") or summary.get("capture_time") or ""),
        "GPS" if summary.get("has_gps") else "",
    ]
    return " ".join(p for p in parts if p)


def index_summary(index: dict[str, Any]) -> str:
    if not index:
        return ""
    fields = ("owner", "status", "width", "height", "format", "thumbnail_count")
    return ", ".join(f"{k}={index[k]}" for k in fields if index.get(k) is not None) or json.dumps(index)[:80]


def text_table(report: dict[str, Any]) -> str:
    lines = []
    for obj in report["objects"]:
        lines.append(f"\n{obj['key']}  (version {obj.get('version_id') or '-'})")
        for consumer in sorted(obj["consumers"], key=lambda c: CONSUMER_ORDER.index(c) if c in CONSUMER_ORDER else 9):
            entry = obj["consumers"][consumer]
            detail = ""
            if entry["status"] == "processed":
                if consumer == "image_resizer":
                    detail = ", ".join(Path(t["key"]).name + f" ({t['bytes']} B)" for t in obj["thumbnails"])
                elif consumer == "metadata_extractor":
                    detail = metadata_summary(obj["metadata"])
                elif consumer == "search_indexer":
                    detail = index_summary(obj["index"])
            elif entry.get("message"):
                detail = entry["message"][:90]
            lines.append(f"  {consumer:<20} {_status(entry):<28} {detail}")
    dlq = ", ".join(f"{k}={v}" for k, v in sorted(report["dlq"].items()))
    lines.append(f"\nDLQ messages: {dlq}   elapsed: {report.get('elapsed_s')} s")
    return "\n".join(lines)


def write_html(
    report: dict[str, Any], thumbnails: dict[str, bytes], path: Path, links: dict[str, Path] | None = None
) -> Path:
    """`thumbnails`: S3 key -> bytes of the thumbnails to embed; `links`: other reports to link, by title."""
    related = "".join(
        f'<li><a href="{html.escape(os.path.relpath(target, path.parent))}">{html.escape(title)}</a></li>'
        for title, target in (links or {}).items()
    )
    rows = []
    for obj in report["objects"]:
        cells = []
        for t in obj["thumbnails"]:
            data = thumbnails.get(t["key"])
            if data is None:
                continue
            mime = "image/webp" if t["key"].endswith(".webp") else "image/jpeg"
            uri = f"data:{mime};base64,{base64.b64encode(data).decode()}"
            cells.append(f'<img src="{uri}" title="{html.escape(t["key"])}" alt="thumbnail">')
        statuses = "".join(
            f'<li class="{html.escape(e["status"])}"><b>{html.escape(c)}</b>: {html.escape(_status(e))}</li>'
            for c, e in obj["consumers"].items()
        )
        rows.append(
            "<tr>"
            f"<td><code>{html.escape(obj['key'])}</code></td>"
            f"<td><ul>{statuses}</ul></td>"
            f"<td class='thumbs'>{''.join(cells)}</td>"
            f"<td>{html.escape(metadata_summary(obj['metadata']))}</td>"
            f"<td>{html.escape(index_summary(obj['index']))}</td>"
            "</tr>"
        )
    dlq = ", ".join(f"{html.escape(k)}: {v}" for k, v in sorted(report["dlq"].items()))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Image pipeline: emulator run</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .4rem; vertical-align: top; }}
.thumbs img {{ margin-right: .3rem; vertical-align: bottom; background: #eee; }}
li.processed {{ color: #176a2c; }} li.dlq {{ color: #a4161a; }} li.missing {{ color: #a0670b; }}
ul {{ margin: 0; padding-left: 1rem; }}
</style></head><body>
<h1>Image pipeline on the embedded emulator</h1>
<p>{len(report["objects"])} objects, elapsed {report.get("elapsed_s")} s. DLQ messages: {dlq}</p>
{f"<ul>{related}</ul>" if related else ""}
<table><thead><tr><th>object</th><th>consumers</th><th>thumbnails</th><th>metadata</th><th>index</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    return path
