"""Renderings of hwsim.study.models.Comparison (`hwsim models`): table, Markdown, JSON, and the
plot of folded frames per second against parameters on the device."""
from __future__ import annotations

import json

from hwsim.report.tables import column_widths, md_row, md_rule, text_row

FORMATS = ("table", "md", "json")
HEAD = ("network", "input", "params", "MACs", "weights", "fit", "pe=simd=1 design", "folded fps",
        "bottleneck", "DSP", "BRAM18", "LUT")
DIGITS_HEAD = HEAD + ("float top-1", "fixed top-1")


def _mb(bits: int) -> str:
    kib = bits / 8 / 1024
    return f"{kib:,.1f} KiB" if kib < 1024 else f"{kib / 1024:,.2f} MiB"


def _cells(r, device, digits: bool) -> list[str]:
    share = f"{r.dsp:,} ({100 * r.dsp / device.dsp:.0f}%)" if r.fps is not None else "-"
    cells = [r.net, "x".join(map(str, r.input_shape)), f"{r.params / 1e6:.3f} M", f"{r.macs / 1e6:,.1f} M",
             _mb(r.weight_bits), "yes" if r.weights_fit else "NO",
             f"{_mb(r.onchip_bits)} {'fits' if r.design_fits else 'EXCEEDS'}",
             f"{r.fps:,.1f}" if r.fps is not None else "DOES NOT FIT", r.bottleneck, share,
             f"{r.bram18:,}" if r.fps is not None else "-", f"{r.lut:,}" if r.fps is not None else "-"]
    if digits:
        cells += [f"{100 * r.float_top1:.2f}%", f"{100 * r.fixed_top1:.2f}%"]
    return cells


def _title(c) -> str:
    d = c.device
    return (f"networks on {d.name} at {c.clock_mhz:g} MHz (DSP {d.dsp:,}, {d.block_kind} {d.bram18:,}, URAM {d.uram:,}; "
            f"folded within {c.utilization:g}% of every resource); precision: {c.precision}")


def _notes() -> list[str]:
    return ["weights: the weights' bits at the precision; fit: within the device's on-chip block capacity "
            "(BRAM and URAM bits).",
            "pe=simd=1 design: every on-chip memory of the streamed design at the smallest folding (weights, "
            "line buffers, FIFOs) and whether it fits the device; folded fps: the fastest folding that fits "
            "(hwsim fold), with its DSPs and their share of the device's.",
            "digits: the mini networks with their shipped weights on the digits test split (360 images)."]


def render(c, fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps(c.to_dict(), indent=2) + "\n"
    parts = []
    for title, rows, head, dig in (("", c.rows, HEAD, False), ("digits (1x16x16, 10 classes)", c.digits, DIGITS_HEAD, True)):
        if not rows:
            continue
        cells = [_cells(r, c.device, dig) for r in rows]
        if fmt == "md":
            parts.append(("" if not title else f"**{title}**\n\n") + "\n".join(
                [md_row(head), md_rule(len(head), 2)] + [md_row(x) for x in cells]))
        else:
            w = column_widths(head, cells)
            parts.append(("" if not title else f"{title}\n") + "\n".join(
                [text_row(head, w, 2)] + [text_row(x, w, 2) for x in cells]))
    head = _title(c)
    notes = _notes()
    if fmt == "md":
        return f"{head}\n\n" + "\n\n".join(parts) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    return head + "\n\n" + "\n\n".join(parts) + "\n\n" + "\n".join(notes) + "\n"


def _label(net: str) -> str:
    if net.startswith("squeezenet1_"):
        return "SqueezeNet " + net[10:].replace("_", ".", 1).replace("_", " ")
    return net.replace("mobilenet_v1:", "MobileNet ")


def plot_png(c, path=None) -> bytes:
    """Folded fps against parameters (log axes), SqueezeNets and MobileNets apart, the digits nets
    hollow; networks with no fitting folding on the bottom edge."""
    from hwsim.report.plots import _finish, _plt
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.6), dpi=110)
    rows = list(c.rows) + list(c.digits)
    fitting = [r.fps for r in rows if r.fps]
    floor = min(fitting) / 3 if fitting else 1.0
    placed = []
    for r in rows:
        family = "tab:blue" if r.net.startswith("squeezenet") else "tab:orange"
        mini = r in c.digits
        y = r.fps if r.fps else floor
        ax.scatter([r.params], [y], s=30 + r.macs / 2e7, marker="o" if r.fps else "v",
                   facecolors="none" if mini else family, edgecolors=family, zorder=3)
        # labels of points close together go one below the other
        near = sum(1 for p, q in placed if abs(p / r.params - 1) < 0.5 and abs(q / y - 1) < 0.3)
        placed.append((r.params, y))
        ax.annotate(_label(r.net),
                    (r.params, y), textcoords="offset points", xytext=(5, 4 - 10 * near), fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel(f"folded frames/s on {c.device.name} at {c.clock_mhz:g} MHz")
    ax.grid(alpha=0.3, which="both")
    ax.scatter([], [], c="tab:blue", label="SqueezeNet")
    ax.scatter([], [], c="tab:orange", label="MobileNet v1")
    ax.scatter([], [], facecolors="none", edgecolors="gray", label="digits mini nets")
    if len(fitting) < len(rows):
        ax.scatter([], [], marker="v", c="gray", label="no folding fits")
    ax.legend(fontsize=8, loc="best")
    ax.set_title(f"folded frame rate against parameters (marker area ~ MACs)\n{c.precision}", fontsize=8)
    fig.tight_layout()
    return _finish(plt, fig, path)
