"""`make demo` on the shared applied stack: the bundled samples through the real stack, and the two reports.

`make demo` itself applies its own stack (tools.emulator.cli.run); this runs the same steps after the apply
(images_through, unfinished, write_reports) on the stack the integration tests share, so the README's first
command is exercised by `make test` without a second apply.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

from tools import reprocess_diagram
from tools.emulator.cli import SAMPLES, images_through, unfinished, write_reports
from tools.emulator.session import EmulatorSession

pytestmark = [pytest.mark.integration, pytest.mark.exclude_backends("localstack-core")]
CONSUMERS = ("image_resizer", "metadata_extractor", "search_indexer")


def test_the_demo_samples_go_through_and_are_reported(
    session: EmulatorSession, backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if backend != "moto":
        pytest.skip("make demo runs on the embedded emulator")
    report, thumbnails = images_through(session, SAMPLES, "uploads/demo-test/")
    links = {"Concurrency & scaling report": tmp_path / "capacity" / "report.html"}
    write_reports(report, thumbnails, tmp_path / "report.json", tmp_path / "report.html", links)

    samples = sorted(p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*") if p.is_file())
    assert [o["key"] for o in report["objects"]] == [f"uploads/demo-test/{name}" for name in samples]
    assert report["settled"] and unfinished(report) == []
    for obj in report["objects"]:
        statuses = {name: obj["consumers"][name]["status"] for name in CONSUMERS}
        if obj["key"].startswith("uploads/demo-test/broken/"):
            # a file that is not a usable image is rejected by both image consumers, each with its reason
            assert statuses["image_resizer"] == statuses["metadata_extractor"] == "dlq", obj
            assert obj["consumers"]["image_resizer"]["reason"], obj
        else:
            assert set(statuses.values()) == {"processed"}, obj
            assert obj["thumbnails"] and all(t["key"] in thumbnails for t in obj["thumbnails"])

    assert json.loads((tmp_path / "report.json").read_text())["objects"] == json.loads(
        json.dumps(report["objects"], default=str)
    )
    html = (tmp_path / "report.html").read_text()
    assert html.count("data:image/") == sum(len(o["thumbnails"]) for o in report["objects"])
    assert 'href="capacity/report.html"' in html
    # The workflow diagram, drawn from the deployed definition, is docs/reprocess.md's: neither can drift.
    shown = re.search(r'<pre class="mermaid">\n(.*?)</pre>', html, re.DOTALL)
    documented = re.search(r"```mermaid\n(.*?)```", reprocess_diagram.DOCUMENT.read_text(), re.DOTALL)
    assert shown is not None and documented is not None
    assert unescape(shown.group(1)) == documented.group(1)
    table = capsys.readouterr().out
    assert all(o["key"] in table for o in report["objects"])
