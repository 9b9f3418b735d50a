"""The accuracy report (hwsim.study.compare.Report) as plain text, JSON, Markdown or HTML."""
from __future__ import annotations

import json
import math

from hwsim.report import tables
from hwsim.report.tables import FORMATS
from hwsim.spec.units import format_bits
from hwsim.study.compare import Report
from hwsim.util.errors import InputError


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.2f}%"


def _db(v) -> str:
    return "-" if v is None else ("exact" if v == math.inf else f"{v:.1f}")


def _rows(report: Report) -> tuple[list[str], list[list[str]], list[bool]]:
    head = ["layer", "kind", "type", "SQNR dB", "max |err|", "overflows", "saturations", "min", "max"]
    rows = [[l.name, l.kind, l.type, _db(l.sqnr_db), f"{l.max_abs_err:.4g}", str(l.overflows),
             str(l.saturations), f"{l.min:.4g}", f"{l.max:.4g}"] for l in report.layers]
    return head, rows, [l.worst for l in report.layers]


def _sweep_rows(report: Report) -> tuple[list[str], list[list[str]]]:
    head = ["bits", "top-1", "top-5", "agreement", "on-chip bits", "on-chip"]
    return head, [[str(p.width), _pct(p.fixed_top1), _pct(p.fixed_top5), _pct(p.agreement),
                   f"{p.onchip_bits:,}", format_bits(p.onchip_bits)] for p in report.sweep]


def _summary(report: Report) -> list[tuple[str, str, str]]:
    out = [("top-1", _pct(report.float_top1), _pct(report.fixed_top1))]
    if report.float_top5 is not None:
        out.append(("top-5", _pct(report.float_top5), _pct(report.fixed_top5)))
    return out


def _title(report: Report) -> list[str]:
    lines = [f"{report.model} on {report.data}: {report.samples} images, {report.num_classes} classes",
             f"fixed point: {report.precision}"]
    if report.onchip_bits is not None:
        lines.append(f"on-chip memory (stream): {report.onchip_bits:,} bits ({format_bits(report.onchip_bits)})")
    lines.append(f"top-1 agreement fixed vs float: {_pct(report.agreement)}")
    return lines


def _text_table(head, rows, marks=None) -> list[str]:
    widths = tables.column_widths(head, rows)
    out = ["  " + tables.text_row(head, widths, 3)]
    for i, r in enumerate(rows):
        out.append(("* " if marks and marks[i] else "  ") + tables.text_row(r, widths, 3))
    return out


def render(report: Report, fmt: str = "table") -> str:
    """The report as `table` (plain text), `json`, `md` (Markdown) or `html`."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"
    head, rows, marks = _rows(report)
    shead, srows = _sweep_rows(report)
    worst = ", ".join(report.worst) or "none"
    if fmt == "table":
        out = _title(report) + [""] + _text_table(["", "float", "fixed"], [list(r) for r in _summary(report)])
        out += [""] + _text_table(head, rows, marks) + [f"* worst layers: {worst}"]
        if srows:
            out += ["", "bit-width sweep (all activations and weights):"] + _text_table(shead, srows)
        return "\n".join(out) + "\n"
    if fmt == "md":
        def md(h, rs, bold=None):
            return [tables.md_row(h), tables.md_rule(len(h))] + [
                tables.md_row([f"**{c}**" for c in r] if bold and bold[i] else r) for i, r in enumerate(rs)]
        out = [f"## {_title(report)[0]}", ""] + [f"- {l}" for l in _title(report)[1:]] + [""]
        out += md(["", "float", "fixed"], [list(r) for r in _summary(report)]) + [""]
        out += md(head, rows, marks) + ["", f"Worst layers (bold): {worst}"]
        if srows:
            out += ["", "### Bit-width sweep", ""] + md(shead, srows)
        return "\n".join(out) + "\n"
    import html as h

    def table(hd, rs, bold=None):
        return (["<table>", tables.html_row(hd, "th")]
                + [tables.html_row(r, attrs=' class="worst"' if bold and bold[i] else "") for i, r in enumerate(rs)]
                + ["</table>"])
    title = _title(report)
    out = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">",
           f"<title>{h.escape(title[0])}</title>",
           "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:right}"
           "tr.worst{background:#fdd;font-weight:bold}</style></head><body>",
           f"<h2>{h.escape(title[0])}</h2>"] + [f"<p>{h.escape(l)}</p>" for l in title[1:]]
    out += table(["", "float", "fixed"], [list(r) for r in _summary(report)])
    out += ["<h3>Layers</h3>"] + table(head, rows, marks) + [f"<p>Worst layers (highlighted): {h.escape(worst)}</p>"]
    if srows:
        out += ["<h3>Bit-width sweep</h3>"] + table(shead, srows)
    return "\n".join(out + ["</body></html>"]) + "\n"
