"""Table rows for the reports' plain-text, Markdown and HTML renderings (hwsim.study.compare,
hwsim.report.budget). Cells are strings; the callers add titles, marks and emphasis."""
from __future__ import annotations

import html

FORMATS = ("table", "json", "md", "html")      # every report renders to these


def column_widths(head, rows) -> list[int]:
    """Each column's width: its longest cell, heading included."""
    return [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(head)]


def text_row(cells, widths: list[int], left: int) -> str:
    """Cells padded to `widths`, two spaces apart; the first `left` columns left-aligned, the rest
    right-aligned."""
    return "  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def md_row(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def md_rule(n: int, left: int | None = None) -> str:
    """The Markdown line under the heading of n columns; columns from `left` on right-aligned."""
    return "|" + "|".join("---" if left is None or i < left else "---:" for i in range(n)) + "|"


def html_row(cells, tag: str = "td", attrs: str = "") -> str:
    """<tr{attrs}> with each cell escaped in a <tag> element."""
    return f"<tr{attrs}>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells) + "</tr>"
