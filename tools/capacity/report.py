"""The capacity report as Markdown and HTML, with its charts as SVG written here (no plotting library): concurrency
against uploads per second with each consumer's binding limit, and the cost per million uploads by memory size."""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from tools.bench.cost import FULL_VCPU_MB, MODEL
from tools.capacity.assumptions import PRICES, PRICES_CHECKED, QUOTAS, REGION
from tools.capacity.model import EVENTS_PER_UPLOAD, HEADROOM, Analysis, ConsumerLoad, CostLine, total

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#7f7f7f")


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Items:
    lines: list[str]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Chart:
    name: str
    svg: str
    caption: str


Block = Heading | Para | Items | Table | Chart


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self.blocks.append(Heading(text))

    def para(self, text: str) -> None:
        self.blocks.append(Para(text))

    def items(self, lines: list[str]) -> None:
        self.blocks.append(Items(lines))

    def table(self, headers: list[str], rows: list[list[str]]) -> None:
        self.blocks.append(Table(headers, rows))

    def chart(self, name: str, svg: str, caption: str) -> None:
        self.blocks.append(Chart(name, svg, caption))

    def charts(self) -> list[Chart]:
        return [block for block in self.blocks if isinstance(block, Chart)]

    def markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for block in self.blocks:
            match block:
                case Heading(text):
                    out += [f"## {text}", ""]
                case Para(text):
                    out += [text, ""]
                case Items(lines):
                    out += [f"- {line}" for line in lines] + [""]
                case Table(headers, rows):
                    out.append("| " + " | ".join(headers) + " |")
                    out.append("|" + "---|" * len(headers))
                    out += ["| " + " | ".join(row) + " |" for row in rows]
                    out.append("")
                case Chart(name, _, caption):
                    out += [f"![{caption}]({name})", ""]
        return "\n".join(out)

    def html(self) -> str:
        body = [f"<h1>{_inline(self.title)}</h1>"]
        for block in self.blocks:
            match block:
                case Heading(text):
                    body.append(f"<h2>{_inline(text)}</h2>")
                case Para(text):
                    body.append(f"<p>{_inline(text)}</p>")
                case Items(lines):
                    body.append("<ul>" + "".join(f"<li>{_inline(line)}</li>" for line in lines) + "</ul>")
                case Table(headers, rows):
                    head = "".join(f"<th>{_inline(h)}</th>" for h in headers)
                    cells = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in rows)
                    body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")
                case Chart(_, svg, caption):
                    body.append(f"<figure>{svg}<figcaption>{_inline(caption)}</figcaption></figure>")
        style = (
            "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
            "table{border-collapse:collapse;margin-bottom:1rem}td,th{border:1px solid #ccc;padding:.3rem .5rem;"
            "vertical-align:top}th{background:#f4f4f4}code{background:#f4f4f4;padding:0 .2rem}figure{margin:1rem 0}"
        )
        return (
            f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(self.title)}</title>'
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
        )


def _inline(text: str) -> str:
    """Markdown's inline code, bold and links, as HTML (everything else escaped)."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", out)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', out)


def number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def price(value: float, unit: str) -> str:
    """As AWS's pricing pages write it: per GB-s in full, requests and events per million, the rest as they are."""
    per = unit.removeprefix("USD per ")
    if per == "GB-s":
        return f"${value:.10f}".rstrip("0") + " per GB-s"
    if value < 0.01:
        return f"${value * 1e6:,.4g} per million {per}s"
    return f"${value:,.2f} {unit.removeprefix('USD ')}"


def backlog_wait(peak: float, load: ConsumerLoad) -> str:
    """A saturated consumer's backlog grows by (peak - capacity) uploads a second, each adding 1 / capacity s."""
    if peak < load.capacity_uploads_s:
        return "steady"
    return f"+{(peak - load.capacity_uploads_s) / load.capacity_uploads_s:,.2f} s for every second the peak lasts"


def seconds(value: float) -> str:
    if value == math.inf:
        return "never"
    return f"{value / 3600:,.1f} h" if value >= 3600 else f"{value:,.1f} s"


def build(analysis: Analysis, profile_source: str, profile_batches: dict[str, int]) -> Document:
    a, stack = analysis, analysis.stack
    doc = Document(f"Concurrency & scaling: {a.peak:g} uploads per second")
    configured = total(a.costs["configured"])
    lines = [
        f"**{name}**: {number(load.concurrency)} concurrent executions at the peak; bound by {load.binding.label} "
        f"({load.binding.value:,}), so it follows up to {number(load.capacity_uploads_s)} uploads/s"
        for name, load in a.loads.items()
    ]
    doc.para(
        f"Projected from the cost per upload measured by `make bench` ({profile_source}) and the stack's configuration "
        f"({stack.source}). Prices and quotas: {REGION}, below with their sources."
    )
    doc.items(
        [
            *lines,
            f"cost per million uploads as configured: **${configured:,.2f}**, plus "
            f"${sum(a.fixed.values()):,.2f} a month whatever the traffic",
        ]
    )
    doc.heading("Concurrency at the peak")
    doc.para(
        "Little's law: concurrency = messages per second x duration of a batch / batch size. A consumer gets "
        + ", ".join(f"{n}: {e}" for n, e in EVENTS_PER_UPLOAD.items() if n in a.loads)
        + " message(s) per upload, and its duration at its memory size comes from the model below."
    )
    doc.table(
        [
            "consumer",
            "memory",
            "ms per upload",
            "batch (window)",
            "ms per batch",
            "messages/s",
            "concurrency",
            "binding limit",
            "use",
            "follows up to (uploads/s)",
        ],
        [
            [
                name,
                f"{load.config.memory_mb} MB",
                number(load.ms_per_upload),
                f"{load.config.batch_size} ({load.config.batching_window_s:g} s)",
                number(load.ms_per_batch),
                number(a.peak * load.events_per_upload),
                number(load.concurrency),
                f"{load.binding.label}: {load.binding.value:,}",
                f"{load.utilisation:.0%}",
                number(load.capacity_uploads_s),
            ]
            for name, load in a.loads.items()
        ],
    )
    doc.chart(
        "concurrency.svg",
        concurrency_chart(a),
        "Concurrency each consumer needs (solid) against uploads per second, its binding limit (dashed), the peak "
        "(dots) and where it saturates (rings): beyond that its buffer grows",
    )
    doc.heading("Limits that bind")
    doc.table(
        ["consumer", "mapping maximum_concurrency", "reserved concurrency", "mapping's concurrent batches", "account"],
        [
            [
                name,
                str(load.config.maximum_concurrency or "none"),
                str(load.config.reserved_concurrency if load.config.reserved_concurrency is not None else "none"),
                f"{QUOTAS['sqs_pollers_max'].value:,.0f}",
                f"{QUOTAS['account_concurrency'].value:,.0f} (shared)",
            ]
            for name, load in a.loads.items()
        ],
    )
    doc.table(
        ["at the peak", "needed", "quota", "use"],
        [
            [
                use.what,
                number(use.needed),
                f"{QUOTAS[use.quota].value:,.0f} {QUOTAS[use.quota].unit}",
                f"{use.share:.1%}",
            ]
            for use in a.quotas
        ],
    )
    total_peak = sum(load.concurrency for load in a.loads.values())
    bound_sum = sum(load.binding.value for load in a.loads.values())
    doc.para(
        f"Together the consumers need {number(total_peak)} of the account's "
        f"{QUOTAS['account_concurrency'].value:,.0f} concurrent executions at the peak, and may take {bound_sum:,} at "
        "their limits (every other function of the account shares the rest). Scaling: a mapping starts with "
        f"{QUOTAS['sqs_pollers_start'].value:g} concurrent batches and adds up to "
        f"{QUOTAS['sqs_pollers_ramp'].value:g} a minute while messages wait; Lambda's own rate "
        f"({QUOTAS['function_scaling'].value:,.0f} per function every 10 s) is faster: the mapping's ramp sets the "
        "pace."
    )
    doc.heading(f"A burst: {a.burst:,.0f} uploads at once")
    doc.table(
        ["consumer", "to reach its peak concurrency", "to drain the burst", "buffer keeps messages"],
        [
            [name, seconds(load.ramp_s), seconds(load.drain_s), seconds(load.config.retention_s)]
            for name, load in a.loads.items()
        ],
    )
    doc.heading("Latency, upload to outputs")
    doc.para(
        "Time in the buffer and the function, at the peak while not saturated: a message waits for those before it in "
        "its batch (none, to a full batch), plus the batching window. The S3 → EventBridge → SQS delivery before "
        "that is not modelled: the dashboard's `UploadToThumbnailsLatency` measures the whole way on AWS."
    )
    doc.table(
        ["consumer", "first in its batch", "last in a full batch", f"at {a.peak:g} uploads/s"],
        [
            [name, f"{load.wait_ms[0]:,.0f} ms", f"{load.wait_ms[1]:,.0f} ms", backlog_wait(a.peak, load)]
            for name, load in a.loads.items()
        ],
    )
    doc.heading("Throttling risk")
    risks = [f"**{name}**: {risk}" for name, load in a.loads.items() for risk in load.risks]
    limits_together = sum(load.binding.value for load in a.loads.values())
    if limits_together > QUOTAS["account_concurrency"].value:
        risks.append(
            f"**account**: the consumers' limits add up to {limits_together:,}, more than the account's "
            f"{QUOTAS['account_concurrency'].value:,.0f}: in a burst they throttle each other and every other function"
        )
    doc.items(risks or ["none at this peak: every consumer stays below 80% of its binding limit"])
    cost_section(doc, a)
    scale_section(doc, a)
    assumptions_section(doc, a, profile_source, profile_batches)
    return doc


def cost_section(doc: Document, a: Analysis) -> None:
    doc.heading("Cost per million uploads")
    items = list(dict.fromkeys(line.item for line in a.costs["configured"]))
    doc.para(
        f"USD, {REGION}, {a.stack.architecture}; every consumer at the memory size of the column (`configured`: "
        "each at its own)."
    )
    doc.table(
        ["", *a.costs],
        [
            [item, *[f"{sum(x.usd_per_million for x in lines if x.item == item):,.2f}" for lines in a.costs.values()]]
            for item in items
        ]
        + [["**total**", *[f"**{total(lines):,.2f}**" for lines in a.costs.values()]]],
    )
    doc.table(
        ["consumer (configured)", *items],
        [
            [
                name,
                *[f"{_amount(a.costs['configured'], consumer=name, item=i):,.2f}" for i in items],
            ]
            for name in a.loads
        ],
    )
    doc.chart("cost.svg", cost_chart(a), "Cost per million uploads by memory size")
    doc.para("Every month, whatever the traffic: " + "; ".join(f"{k}: ${v:,.2f}" for k, v in a.fixed.items()) + ".")


def _amount(lines: list[CostLine], *, consumer: str, item: str) -> float:
    return sum(x.usd_per_million for x in lines if x.consumer == consumer and x.item == item)


def scale_section(doc: Document, a: Analysis) -> None:
    doc.heading("Scale to millions")
    doc.para(
        f"What to set for a sustained rate (at today's memory sizes): `maximum_concurrency` = the projected "
        f"concurrency x {HEADROOM:g}, and from 100 uploads/s `reserved_concurrent_executions` as large, so that no "
        "other function takes what a consumer needs and Lambda never throttles its mapping."
    )
    for step in a.scale:
        month = step.uploads_per_s * 30 * 24 * 3600 / 1e6
        doc.para(
            f"**{step.uploads_per_s:,} uploads/s** ({month:,.0f} million a month, "
            f"${month * total(a.costs['configured']):,.0f} a month as configured): concurrency "
            + ", ".join(f"{name} {number(c)}" for name, c in step.concurrency.items())
            + "."
        )
        changes = {name: s for name, s in step.settings.items() if s}
        if changes:
            hcl = "; ".join(
                f"`{name} = {{ " + ", ".join(f"{k} = {v}" for k, v in s.items()) + " }`" for name, s in changes.items()
            )
            doc.items([f"variables: {hcl}", *(step.requests or ["no quota request needed"])])
        else:
            doc.items(["the defaults suffice", *(step.requests or ["no quota request needed"])])


def assumptions_section(doc: Document, a: Analysis, profile_source: str, profile_batches: dict[str, int]) -> None:
    doc.heading("Assumptions")
    doc.items(
        [
            f"Duration per upload (tools.bench.cost, the model `make bench` reports): {MODEL}; latency "
            f"{a.latency_ms:g} ms a serial round trip (stated, not measured); CPU measured on the bench machine, "
            f"taken as one Lambda vCPU ({FULL_VCPU_MB:,} MB is one vCPU; below it the CPU share is memory / "
            f"{FULL_VCPU_MB:,} MB). Cold starts and init are left out.",
            "Profile: "
            + profile_source
            + "; measured in batches of "
            + ", ".join(f"{n} {b}" for n, b in profile_batches.items())
            + "; the stack's batch sizes set requests and batch durations here.",
            "Full batches at the peak (fewer, smaller batches when traffic is light cost more requests).",
            "DynamoDB: one request unit per request (items of at most 1 KB written, 4 KB read; larger ones cost a "
            f"unit per KB); each write to the search index also writes its {a.stack.search_index_gsis} GSIs.",
            "Not counted: the upload's own PUT, S3 storage, CloudWatch Logs, X-Ray traces (tracing is Active by "
            "default), data transfer, free tiers.",
        ]
    )
    doc.table(
        ["price", "value", "source"],
        [[p.what, price(p.value, p.unit), p.source] for p in PRICES.values()],
    )
    doc.para(f"Prices: {REGION}, first tier, checked {PRICES_CHECKED}.")
    doc.table(
        ["quota", "default", "source"],
        [[q.what, f"{q.value:,.0f} {q.unit}", q.source] for q in QUOTAS.values()],
    )


# -- charts ------------------------------------------------------------------------------------------------------


def concurrency_chart(a: Analysis, width: int = 760, height: int = 380) -> str:
    left, right, top, bottom = 70, 190, 20, 50
    x_max = max(1000.0, a.peak)
    y_min, y_max = 0.1, max(2000.0, max(load.binding.value for load in a.loads.values()) * 2)

    def x(rate: float) -> float:
        return left + (math.log10(rate) - 0) / math.log10(x_max) * (width - left - right)

    def y(value: float) -> float:
        value = min(max(value, y_min), y_max)
        span = math.log10(y_max) - math.log10(y_min)
        return top + (1 - (math.log10(value) - math.log10(y_min)) / span) * (height - top - bottom)

    parts = [_axes(left, top, width - right, height - bottom)]
    for power in range(int(math.log10(x_max)) + 1):
        rate = 10.0**power
        parts.append(_tick_x(x(rate), height - bottom, f"{rate:,.0f}"))
    for power in range(-1, int(math.log10(y_max)) + 1):
        value = 10.0**power
        parts.append(_tick_y(left, y(value), f"{value:g}", width - right))
    for index, (name, load) in enumerate(a.loads.items()):
        colour = COLOURS[index % len(COLOURS)]
        per_upload_s = load.ms_per_upload / 1000
        x0, x1 = 1.0, x_max
        parts.append(
            f'<line x1="{x(x0):.1f}" y1="{y(x0 * per_upload_s):.1f}" x2="{x(x1):.1f}" y2="{y(x1 * per_upload_s):.1f}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'<line x1="{left}" y1="{y(load.binding.value):.1f}" x2="{width - right}" y2="{y(load.binding.value):.1f}" '
            f'stroke="{colour}" stroke-dasharray="6 4"/>'
        )
        parts.append(f'<circle cx="{x(a.peak):.1f}" cy="{y(load.concurrency):.1f}" r="4" fill="{colour}"/>')
        if load.capacity_uploads_s <= x_max:  # where it saturates: its limit reached
            parts.append(
                f'<circle cx="{x(load.capacity_uploads_s):.1f}" cy="{y(load.binding.value):.1f}" r="5" fill="white" '
                f'stroke="{colour}" stroke-width="2"><title>{html.escape(name)} saturates at '
                f"{load.capacity_uploads_s:,.1f} uploads/s</title></circle>"
            )
        legend_y = top + 16 + index * 36
        parts.append(
            f'<text x="{width - right + 12}" y="{legend_y}" fill="{colour}" font-size="12">{html.escape(name)}</text>'
        )
        parts.append(
            f'<text x="{width - right + 12}" y="{legend_y + 14}" font-size="10" fill="#555">'
            f"limit {load.binding.value:,} (dashed)</text>"
        )
    parts.append(
        f'<line x1="{x(a.peak):.1f}" y1="{top}" x2="{x(a.peak):.1f}" y2="{height - bottom}" stroke="#999" '
        'stroke-dasharray="2 3"/>'
    )
    parts.append(_label(x(a.peak) + 4, top + 12, f"peak {a.peak:g}/s", "start"))
    parts.append(_label((left + width - right) / 2, height - 12, "uploads per second (log)", "middle"))
    parts.append(
        f'<text x="16" y="{(top + height - bottom) / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 16 {(top + height - bottom) / 2})">concurrent executions (log)</text>'
    )
    return _svg(width, height, parts, "Concurrency against uploads per second")


def cost_chart(a: Analysis, width: int = 760, height: int = 340) -> str:
    left, right, top, bottom = 70, 190, 20, 50
    columns = list(a.costs)
    items = list(dict.fromkeys(line.item for line in a.costs["configured"]))
    top_value = max(total(lines) for lines in a.costs.values()) * 1.15
    band = (width - left - right) / len(columns)

    def y(value: float) -> float:
        return height - bottom - value / top_value * (height - top - bottom)

    parts = [_axes(left, top, width - right, height - bottom)]
    step = _nice_step(top_value)
    value = 0.0
    while value <= top_value:
        parts.append(_tick_y(left, y(value), f"${value:,.0f}", width - right))
        value += step
    for column_index, column in enumerate(columns):
        base = 0.0
        x0 = left + column_index * band + band * 0.2
        for item_index, item in enumerate(items):
            amount = sum(line.usd_per_million for line in a.costs[column] if line.item == item)
            parts.append(
                f'<rect x="{x0:.1f}" y="{y(base + amount):.1f}" width="{band * 0.6:.1f}" '
                f'height="{max(0.0, y(base) - y(base + amount)):.1f}" fill="{COLOURS[item_index % len(COLOURS)]}">'
                f"<title>{html.escape(column)}: {html.escape(item)} ${amount:,.2f}</title></rect>"
            )
            base += amount
        parts.append(_label(x0 + band * 0.3, y(base) - 4, f"${base:,.2f}", "middle"))
        parts.append(_label(x0 + band * 0.3, height - bottom + 16, column, "middle"))
    for item_index, item in enumerate(items):
        legend_y = top + 14 + item_index * 18
        colour = COLOURS[item_index % len(COLOURS)]
        parts.append(f'<rect x="{width - right + 12}" y="{legend_y - 10}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{width - right + 28}" y="{legend_y}" font-size="12">{html.escape(item)}</text>')
    parts.append(_label((left + width - right) / 2, height - 12, "memory size of every consumer", "middle"))
    return _svg(width, height, parts, "Cost per million uploads")


def _nice_step(span: float) -> float:
    raw = span / 5
    magnitude: float = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _svg(width: int, height: int, parts: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="system-ui, sans-serif" role="img"><title>{html.escape(title)}</title>'
        f'<rect width="{width}" height="{height}" fill="white"/>' + "".join(parts) + "</svg>"
    )


def _axes(x0: float, y0: float, x1: float, y1: float) -> str:
    return f'<path d="M{x0},{y0} V{y1} H{x1}" fill="none" stroke="#333"/>'


def _tick_x(x: float, y: float, text: str) -> str:
    return f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 5}" stroke="#333"/>' + _label(x, y + 18, text, "middle")


def _tick_y(x: float, y: float, text: str, x_end: float) -> str:
    return (
        f'<line x1="{x}" y1="{y:.1f}" x2="{x_end}" y2="{y:.1f}" stroke="#eee"/>'
        f'<line x1="{x - 5}" y1="{y:.1f}" x2="{x}" y2="{y:.1f}" stroke="#333"/>' + _label(x - 8, y + 4, text, "end")
    )


def _label(x: float, y: float, text: str, anchor: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="12" text-anchor="{anchor}">{html.escape(text)}</text>'


def write(doc: Document, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    for chart in doc.charts():
        (out / chart.name).write_text(chart.svg)
    (out / "report.md").write_text(doc.markdown())
    (out / "report.html").write_text(doc.html())
    return out / "report.md", out / "report.html"


__all__ = ["Document", "build", "concurrency_chart", "cost_chart", "write"]
