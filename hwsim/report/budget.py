"""Rendering a BudgetReport: text table, JSON, Markdown, self-contained HTML (inline SVG) and PNG.

The chart (HTML and PNG) is hwsim.report.budget_chart's: the total against the budget, then one bar per
module on its own scale.
JSON schema "hwsim.budget/1": see the README section "Memory budget" (BudgetReport.to_dict).
"""
from __future__ import annotations

import html
import io
import json

from hwsim.report import budget_chart, tables
from hwsim.report.tables import FORMATS
from hwsim.hw.estimate import BudgetReport
from hwsim.spec.units import format_bits, format_budget
from hwsim.spec.config import FOLDED_KINDS



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
                 f"-> {r.fps:,.1f} frames/s; {t.multipliers:,} multipliers, {t.dsp:,} DSP, {t.luts:,} LUT (estimates)")
    if r.latency is not None:
        lines.append(f"pipeline model (estimate): interval {r.interval:,} cycles/image, latency of the first image "
                     f"{r.latency:,} cycles = {r.latency / (r.clock_mhz * 1e3):,.3f} ms at {r.clock_mhz:g} MHz "
                     "(FIFO depths from hwsim.hw.fifo_depth)")
    return lines


_COLS = ("layer", "kind", "PE", "SIMD", "params", "weights", "activations", "BLK", "URAM", "LUTRAM", "mult",
         "DSP", "LUT", "cycles")


def _rows(r: BudgetReport) -> list[tuple[str, ...]]:
    rows = []
    for l in r.layers:
        folded = l.kind in FOLDED_KINDS
        rows.append((l.name, l.kind, str(l.pe) if l.units else "-", str(l.simd) if folded else "-",
                     f"{l.params:,}", format_bits(l.weight_bits) if l.weight_bits else "-",
                     format_bits(l.activation_bits) if l.activation_bits else "-", str(l.bram18), str(l.uram),
                     format_bits(l.lutram_bits) if l.lutram_bits else "-", f"{l.multipliers:,}", str(l.dsp),
                     f"{l.luts:,}", f"{l.cycles:,}"))
    for m in r.extra_memories:
        rows.append((m.role, "pool", "-", "-", "-", "-", format_bits(m.bits), str(m.blocks), str(m.uram),
                     format_bits(m.lutram_bits) if m.lutram_bits else "-", "0", "0", "-", "-"))
    t = r.totals
    rows.append(("total", "", "", "", f"{t.params:,}", format_bits(t.weight_bits), format_bits(t.activation_bits),
                 str(t.bram18), str(t.uram), format_bits(t.lutram_bits), f"{t.multipliers:,}", str(t.dsp),
                 f"{t.luts:,}", f"{t.cycles:,}"))
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


def chart_rows(r: BudgetReport):
    """On-chip bits per module, as the chart draws them (hwsim.report.budget_chart.rows)."""
    return budget_chart.rows(r)


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
<h2>On-chip memory by module</h2>
{budget_chart.svg(r)}
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
    """The chart as PNG bytes (hwsim.report.budget_chart: the total against the budget, then per module)."""
    return budget_chart.png(r)
