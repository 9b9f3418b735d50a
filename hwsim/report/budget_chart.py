"""The budget chart, one design for the PNG (matplotlib, Agg) and the HTML page (inline SVG).

Two panels, read top to bottom:
- a gauge: the network's on-chip total (weights | activations) as one bar on an axis that reaches
  the budget, the budget drawn as a line with its size, and the verdict in words;
- one horizontal bar per module, in network order, on its own scale (KiB or MiB, chosen from the
  largest module), each labelled with its size: a module is the layers sharing a name prefix
  (`fire2.squeeze1x1`, `fire2.expand3x3`, ... -> `fire2`; `conv1` and `conv1.relu` -> `conv1`).
  A network that is a single module (the `fire` net) is shown per layer. In the layer architecture
  the feature maps are one shared pool, drawn as the last row.
The budget is not drawn on the module panel: with SqueezeNet 1.1's 1.62 MiB against 10 MiB it would
squeeze every bar into the bottom of the axis.
"""
from __future__ import annotations

import html
import io
from dataclasses import dataclass

from hwsim.hw.estimate import BudgetReport
from hwsim.spec.units import format_bits, format_budget

COLORS = {"weights": "#4c72b0", "activations": "#dd8452", "budget": "#c44e52", "fits": "#2a7d2a",
          "exceeds": "#b22222"}


@dataclass(frozen=True)
class Row:
    label: str
    weight_bits: int
    activation_bits: int

    @property
    def bits(self) -> int:
        return self.weight_bits + self.activation_bits


def rows(r: BudgetReport) -> list[Row]:
    """On-chip bits per module (see the module doc), in network order, modules without any omitted."""
    def key(name: str) -> str:
        return name.split(".", 1)[0]
    per_layer = len({key(l.name) for l in r.layers if l.kind != "input"}) <= 1
    groups: dict[str, list[int]] = {}
    for l in r.layers:
        w = l.weight_bits if r.weights == "onchip" else 0
        a = l.activation_bits if r.arch == "stream" else 0
        if w or a:
            g = groups.setdefault(l.name if per_layer else key(l.name), [0, 0])
            g[0] += w
            g[1] += a
    out = [Row(k, w, a) for k, (w, a) in groups.items()]
    if r.arch == "layer":
        out.append(Row("feature maps", 0, r.totals.activation_bits))
    return out


def unit(max_bits: int) -> tuple[str, int]:
    """(name, bits per unit) for a scale whose largest value is `max_bits`."""
    return ("MiB", 8 * 2**20) if max_bits >= 8 * 2**20 else ("KiB", 8 * 2**10)


def _share(r: BudgetReport) -> str:
    return f"{format_bits(r.totals.onchip_bits)} = {100 * r.totals.onchip_bits / r.budget_bits:.1f}%"


def _verdict_words(r: BudgetReport) -> str:
    """The verdict, short enough for a chart title."""
    head = f"{_share(r)} of the {format_budget(r.budget_bits)} budget"
    if not r.fits_budget:
        return f"EXCEEDS the budget: {head}"
    if not r.fits_device:
        over = ", ".join(f"{c.resource} {c.used:,} > {c.available:,}" for c in r.checks if not c.ok)
        return f"EXCEEDS {r.device.name}: {over}"
    return f"FITS: {head}" + (f" and {r.device.name}" if r.device is not None else "")


def png(r: BudgetReport) -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    rs = rows(r)
    uname, ubits = unit(max((x.bits for x in rs), default=0))
    height = 1.5 + 0.27 * len(rs) + 0.6           # inches: title + gauge, rows, x axis
    fig = Figure(figsize=(8.0, height), dpi=110)
    frac = lambda inches: inches / height         # noqa: E731
    gauge = fig.add_axes((0.2, frac(height - 1.05), 0.74, frac(0.3)))
    main = fig.add_axes((0.2, frac(0.5), 0.74, frac(0.27 * len(rs) + 0.1)))
    _gauge(gauge, r)
    ys = list(range(len(rs)))
    main.barh(ys, [x.weight_bits / ubits for x in rs], color=COLORS["weights"], label="weights", height=0.7)
    main.barh(ys, [x.activation_bits / ubits for x in rs], left=[x.weight_bits / ubits for x in rs],
              color=COLORS["activations"], label="activations (buffers, FIFOs)", height=0.7)
    largest = max((x.bits for x in rs), default=1) / ubits or 1
    for y, x in zip(ys, rs):
        main.text(x.bits / ubits + largest * 0.01, y, format_bits(x.bits), va="center", fontsize=8)
    main.set_yticks(ys, [x.label for x in rs], fontsize=9)
    main.invert_yaxis()
    main.set_xlim(0, largest * 1.16)
    main.set_xlabel(f"on-chip memory per module ({uname})", fontsize=9)
    main.tick_params(axis="x", labelsize=8)
    main.grid(axis="x", alpha=0.3)
    main.set_axisbelow(True)
    main.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False,
                borderaxespad=0.2)
    for side in ("top", "right"):
        main.spines[side].set_visible(False)
    fig.suptitle(f"{r.model} {'x'.join(map(str, r.input_shape))}, {r.arch} architecture: on-chip memory",
                 fontsize=10, x=0.02, ha="left")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def _gauge(ax, r: BudgetReport) -> None:
    t = r.totals
    w = t.weight_bits if r.weights == "onchip" else 0
    a = t.onchip_bits - w
    uname, ubits = unit(max(r.budget_bits, t.onchip_bits))
    span = max(r.budget_bits, t.onchip_bits) * 1.04 / ubits
    ax.barh([0], [w / ubits], color=COLORS["weights"], height=0.6)
    ax.barh([0], [a / ubits], left=[w / ubits], color=COLORS["activations"], height=0.6)
    b = r.budget_bits / ubits
    ax.axvline(b, color=COLORS["budget"], lw=2)
    left_half = b < span / 2
    ax.text(b + (0.01 if left_half else -0.01) * span, 0.55, f"budget {format_budget(r.budget_bits)}",
            color=COLORS["budget"], ha="left" if left_half else "right", va="bottom", fontsize=8)
    if r.fits_budget:
        ax.text(t.onchip_bits / ubits + 0.01 * span, 0, _share(r), va="center", fontsize=8)
    ax.set_xlim(0, span)
    ax.set_ylim(-0.5, 1.3)
    ax.set_yticks([0], ["total"], fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:g} {uname}")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(_verdict_words(r), fontsize=10, loc="left", fontweight="bold",
                 color=COLORS["fits"] if r.fits else COLORS["exceeds"])


def svg(r: BudgetReport, width: int = 760) -> str:
    """The same chart as inline SVG (no external assets)."""
    rs = rows(r)
    left, right, row_h, gauge_top = 130, 70, 22, 30
    plot_w = width - left - right
    top = gauge_top + 62
    height = top + row_h * len(rs) + 50
    esc = html.escape
    t = r.totals
    w_on = t.weight_bits if r.weights == "onchip" else 0
    span = max(r.budget_bits, t.onchip_bits) * 1.04
    gx = lambda bits: left + plot_w * bits / span      # noqa: E731
    color = COLORS["fits"] if r.fits else COLORS["exceeds"]
    p = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
         f'<text x="10" y="18" font-weight="bold" fill="{color}">{esc(_verdict_words(r))}</text>',
         f'<text x="{left - 6}" y="{gauge_top + 22}" text-anchor="end">total</text>',
         f'<rect x="{left}" y="{gauge_top + 8}" width="{gx(w_on) - left:.1f}" height="20" fill="{COLORS["weights"]}"/>',
         f'<rect x="{gx(w_on):.1f}" y="{gauge_top + 8}" width="{gx(t.onchip_bits) - gx(w_on):.1f}" height="20" '
         f'fill="{COLORS["activations"]}"/>',
         f'<line x1="{gx(r.budget_bits):.1f}" y1="{gauge_top}" x2="{gx(r.budget_bits):.1f}" y2="{gauge_top + 36}" '
         f'stroke="{COLORS["budget"]}" stroke-width="2"/>',
         f'<text x="{gx(r.budget_bits) - 4:.1f}" y="{gauge_top + 48}" text-anchor="end" fill="{COLORS["budget"]}">'
         f'budget {esc(format_budget(r.budget_bits))}</text>',
         f'<line x1="{left}" y1="{gauge_top + 30}" x2="{left + plot_w}" y2="{gauge_top + 30}" stroke="#333"/>',
         f'<text x="{left}" y="{gauge_top + 42}" text-anchor="middle">0</text>']
    if r.fits_budget:
        p.append(f'<text x="{gx(t.onchip_bits) + 4:.1f}" y="{gauge_top + 22}">{esc(_share(r))}</text>')
    uname, ubits = unit(max((x.bits for x in rs), default=0))
    largest = max((x.bits for x in rs), default=1) or 1
    mx = lambda bits: left + plot_w * bits / (largest * 1.16)  # noqa: E731
    for i, x in enumerate(rs):
        y = top + i * row_h
        p.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{esc(x.label)}</text>')
        for lo, hi, k in ((0, x.weight_bits, "weights"), (x.weight_bits, x.bits, "activations")):
            if hi > lo:
                p.append(f'<rect x="{mx(lo):.1f}" y="{y + 3}" width="{max(mx(hi) - mx(lo), 0.5):.1f}" height="16" '
                         f'fill="{COLORS[k]}"><title>{esc(x.label)}: {k} {esc(format_bits(hi - lo))}</title></rect>')
        p.append(f'<text x="{mx(x.bits) + 4:.1f}" y="{y + 15}">{esc(format_bits(x.bits))}</text>')
    base = top + row_h * len(rs) + 8
    p.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#333"/>')
    p.append(f'<text x="{left + plot_w / 2:.0f}" y="{base + 18}" text-anchor="middle">on-chip memory per module '
             f'({uname}; bars on their own scale, the budget is the line above)</text>')
    for i, k in enumerate(("weights", "activations")):
        p.append(f'<rect x="{left + i * 110}" y="{base + 28}" width="10" height="10" fill="{COLORS[k]}"/>'
                 f'<text x="{left + 14 + i * 110}" y="{base + 37}">{k}</text>')
    p.append("</svg>")
    return "\n".join(p)
