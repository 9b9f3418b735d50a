"""Rendering a BudgetReport: text table, JSON, Markdown, self-contained HTML (inline SVG) and PNG.

The chart (HTML and PNG) is a waterfall of stacked bars, one per layer with on-chip bits: each bar
starts at the running total of the layers before it and stacks the layer's weight bits (on chip) and
activation bits, so the last bar ends at the network total and the horizontal line is the budget.
In the layer architecture activations are one shared feature-map pool, drawn as a last bar.
JSON schema "hwsim.budget/1": see the README section "Memory budget" (BudgetReport.to_dict).
"""
from __future__ import annotations

import html
import io
import json

from . import report_tables as tables
from .memory import BudgetReport
from .memory_units import format_bits, format_budget

FORMATS = ("table", "json", "md", "html")
COLORS = {"weights": "#4c72b0", "activations": "#dd8452", "budget": "#c44e52"}


def verdict(r: BudgetReport) -> str:
    """One line: `FITS: 1.23 MiB of 10 MiB (12.3%)` or `EXCEEDS: ...` (budget, then device)."""
    used, budget = r.totals.onchip_bits, r.budget_bits
    head = f"{format_bits(used)} of {format_budget(budget)} ({100 * used / budget:.1f}%)"
    if not r.fits_budget:
        return f"EXCEEDS: {head}, over by {format_bits(used - budget)}"
    if not r.fits_device:
        short = ", ".join(f"{c.resource} {c.used} > {c.available}" for c in r.checks if not c.ok)
        return f"EXCEEDS: {head} fits the budget, but not {r.device.name}: {short}"
    return f"FITS: {head}" + (f" and {r.device.name}" if r.device is not None else "")


def _header(r: BudgetReport) -> list[str]:
    shape = "x".join(map(str, r.input_shape))
    lines = [f"model {r.model} {shape}, arch {r.arch}, weights {'on chip' if r.weights == 'onchip' else 'off chip'}"]
    if r.compression is not None:
        c = r.compression
        lines.append(f"deep compression: prune {c.label or 'none'}, codebook "
                     f"{c.codebook_bits if c.codebook_bits else 'none'} bits, relative index {c.index_bits} bits")
    lines.append(f"budget {format_budget(r.budget_bits)} = {r.budget_bits:,} bits")
    if r.device is not None:
        d = r.device
        checks = ", ".join(f"{c.resource} {c.used:,}/{c.available:,} {'ok' if c.ok else 'OVER'}" for c in r.checks)
        lines.append(f"device {d.name} ({d.board}; {d.source}): {checks}")
    t = r.totals
    mapped = sum(m.bits for l in r.layers for m in l.memories) + sum(m.bits for m in r.extra_memories)
    if t.allocated_bits:
        lines.append(f"memories: {format_bits(mapped)} mapped into {format_bits(t.allocated_bits)} allocated "
                     f"({100 * mapped / t.allocated_bits:.1f}% packing efficiency): {t.bram18:,} {r.block_kind}, "
                     f"{t.uram:,} URAM, {format_bits(t.lutram_bits)} LUTRAM, {format_bits(t.reg_bits)} registers")
    lines.append(f"estimate at {r.clock_mhz:g} MHz: {t.cycles:,} cycles/image "
                 f"({'bottleneck ' + r.bottleneck if r.arch == 'stream' else 'sum of layers'}) "
                 f"-> {r.fps:,.1f} frames/s; {t.multipliers:,} multipliers, {t.dsp:,} DSP (estimates)")
    return lines


_COLS = ("layer", "kind", "params", "weights", "activations", "BLK", "URAM", "LUTRAM", "DSP", "cycles")


def _rows(r: BudgetReport) -> list[tuple[str, ...]]:
    rows = []
    for l in r.layers:
        rows.append((l.name, l.kind, f"{l.params:,}", format_bits(l.weight_bits) if l.weight_bits else "-",
                     format_bits(l.activation_bits) if l.activation_bits else "-", str(l.bram18), str(l.uram),
                     format_bits(l.lutram_bits) if l.lutram_bits else "-", str(l.dsp), f"{l.cycles:,}"))
    for m in r.extra_memories:
        rows.append((m.role, "pool", "-", "-", format_bits(m.bits), str(m.blocks), str(m.uram),
                     format_bits(m.lutram_bits) if m.lutram_bits else "-", "0", "-"))
    t = r.totals
    rows.append(("total", "", f"{t.params:,}", format_bits(t.weight_bits), format_bits(t.activation_bits),
                 str(t.bram18), str(t.uram), format_bits(t.lutram_bits), str(t.dsp), f"{t.cycles:,}"))
    return rows


def _cols(r: BudgetReport) -> tuple[str, ...]:
    return tuple(r.block_kind if c == "BLK" else c for c in _COLS)


def table(r: BudgetReport) -> str:
    cols, rows = _cols(r), _rows(r)
    widths = tables.column_widths(cols, rows)

    def fmt(row):
        return tables.text_row(row, widths, 2).rstrip()
    lines = _header(r) + ["", fmt(cols), fmt(tuple("-" * w for w in widths))]
    lines += [fmt(row) for row in rows[:-1]] + [fmt(tuple("-" * w for w in widths)), fmt(rows[-1])]
    note = ("activations: this stage's buffers" if r.arch == "stream"
            else "activations: feature maps live at that step; the total is the largest (a shared pool)")
    lines += ["", note, verdict(r)]
    return "\n".join(lines) + "\n"


def markdown(r: BudgetReport) -> str:
    cols, rows = _cols(r), _rows(r)
    lines = [f"# Memory budget: {r.model}", ""] + [f"- {h}" for h in _header(r)] + [""]
    lines += [tables.md_row(cols), tables.md_rule(len(cols), 2)]
    for i, row in enumerate(rows):
        cells = [f"**{v}**" if i == len(rows) - 1 and v else v for v in row]
        lines.append(tables.md_row(c.replace("|", "\\|") for c in cells))
    lines += ["", f"**{verdict(r)}**", ""]
    return "\n".join(lines)


def to_json(r: BudgetReport) -> str:
    return json.dumps(r.to_dict(), indent=2) + "\n"


def chart_bars(r: BudgetReport) -> list[tuple[str, int, int, int]]:
    """(label, base, weight bits on chip, activation bits) per bar of the waterfall chart."""
    bars, base = [], 0
    for l in r.layers:
        w = l.weight_bits if r.weights == "onchip" else 0
        a = l.activation_bits if r.arch == "stream" else 0
        if w or a:
            bars.append((l.name, base, w, a))
            base += w + a
    if r.arch == "layer":
        bars.append(("feature maps", base, 0, r.totals.activation_bits))
    return bars


def svg_chart(r: BudgetReport, width: int = 960, height: int = 420) -> str:
    bars = chart_bars(r)
    top = max(r.totals.onchip_bits, r.budget_bits) * 1.08 or 1
    left, plot_h = 70, height - 150
    plot_w = width - left - 20
    step = plot_w / max(len(bars), 1)
    bw = max(step * 0.8, 1)

    def y(v):
        return 20 + plot_h * (1 - v / top)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">',
             f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - 20}" y2="{y(0):.1f}" stroke="#333"/>']
    for k in range(5):
        v = top * k / 4
        parts.append(f'<text x="{left - 4}" y="{y(v) + 3:.1f}" text-anchor="end">{html.escape(format_bits(int(v)))}</text>')
    for i, (label, base, w, a) in enumerate(bars):
        x = left + i * step + (step - bw) / 2
        for lo, hi, key in ((base, base + w, "weights"), (base + w, base + w + a, "activations")):
            if hi > lo:
                parts.append(f'<rect x="{x:.1f}" y="{y(hi):.1f}" width="{bw:.1f}" height="{max(y(lo) - y(hi), 0.5):.1f}" '
                             f'fill="{COLORS[key]}"><title>{html.escape(label)}: {key} {html.escape(format_bits(hi - lo))}</title></rect>')
        cx, cy = x + bw / 2, y(0) + 6
        parts.append(f'<text x="{cx:.1f}" y="{cy:.1f}" transform="rotate(60 {cx:.1f} {cy:.1f})">{html.escape(label)}</text>')
    by = y(r.budget_bits)
    parts.append(f'<line x1="{left}" y1="{by:.1f}" x2="{width - 20}" y2="{by:.1f}" stroke="{COLORS["budget"]}" '
                 f'stroke-dasharray="6,4"/><text x="{width - 22}" y="{by - 4:.1f}" text-anchor="end" '
                 f'fill="{COLORS["budget"]}">budget {html.escape(format_budget(r.budget_bits))}</text>')
    for i, key in enumerate(("weights", "activations")):
        parts.append(f'<rect x="{left + 10 + i * 110}" y="26" width="10" height="10" fill="{COLORS[key]}"/>'
                     f'<text x="{left + 24 + i * 110}" y="35">{key}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def html_page(r: BudgetReport) -> str:
    cols, rows = _cols(r), _rows(r)
    head = tables.html_row(cols, "th")
    body = "\n".join(tables.html_row(row) for row in rows)
    info = "".join(f"<li>{html.escape(h)}</li>" for h in _header(r))
    v = verdict(r)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Memory budget: {html.escape(r.model)}</title>
<style>body{{font-family:sans-serif;margin:1.5em}} table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}} td:nth-child(-n+2),th:nth-child(-n+2){{text-align:left}}
tr:last-child{{font-weight:bold}} .verdict{{font-size:1.2em;font-weight:bold;color:{'#2a7d2a' if r.fits else '#b22222'}}}</style>
</head><body>
<h1>Memory budget: {html.escape(r.model)}</h1>
<p class="verdict">{html.escape(v)}</p>
<ul>{info}</ul>
<h2>On-chip bits, cumulative by layer</h2>
{svg_chart(r)}
<h2>Layers</h2>
<table><thead>{head}</thead><tbody>
{body}
</tbody></table>
</body></html>
"""


def render(r: BudgetReport, fmt: str = "table") -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    return {"table": table, "json": to_json, "md": markdown, "html": html_page}[fmt](r)


def plot_png(r: BudgetReport) -> bytes:
    """The waterfall chart as PNG bytes (matplotlib, Agg backend)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    bars = chart_bars(r)
    fig = Figure(figsize=(max(8.0, 0.14 * len(bars) + 2), 5.5))
    ax = fig.add_subplot()
    xs = range(len(bars))
    mib = 8 * 2**20
    ax.bar(xs, [w / mib for _, _, w, _ in bars], bottom=[b / mib for _, b, _, _ in bars],
           color=COLORS["weights"], label="weights")
    ax.bar(xs, [a / mib for _, _, _, a in bars], bottom=[(b + w) / mib for _, b, w, _ in bars],
           color=COLORS["activations"], label="activations")
    ax.axhline(r.budget_bits / mib, color=COLORS["budget"], linestyle="--",
               label=f"budget {format_budget(r.budget_bits)}")
    ax.set_xticks(list(xs), [b[0] for b in bars], rotation=90, fontsize=6)
    ax.set_ylabel("cumulative on-chip MiB")
    ax.set_title(f"{r.model} ({r.arch}): {verdict(r)}", fontsize=9)
    ax.legend(fontsize=8)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.28)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()
