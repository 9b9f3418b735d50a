"""Accuracy plots as PNG files (matplotlib, Agg backend: no display needed).

- `sweep_plot`: top-1 accuracy and agreement (left axis) and on-chip memory (right axis) against
  the bit width of a `hwsim compare --sweep`.
- `pareto_plot`: every config `hwsim tune` evaluated (on-chip memory vs validation top-1), the
  Pareto front, the chosen config, the accuracy target and the budget. The accuracy axis spans
  the band that matters (from a little below the target to 100%); configs far below it are drawn
  as markers on the bottom edge and counted in the legend.
"""
from __future__ import annotations

import io
import math
import os

from hwsim.util.errors import InputError
from hwsim.util.files import check_file, write_atomic


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def check_png(path, option: str = "--plot") -> str:
    """`path` as a string when it ends in .png and can be written (hwsim.util.files.check_file)."""
    path = os.fspath(path)
    if not path.lower().endswith(".png"):
        raise InputError(f"{option} {path!r}: the plot is a PNG; give a file name ending in .png")
    check_file(path, option)
    return path




def _finish(plt, fig, path) -> bytes:
    """The figure as PNG bytes, also written atomically to `path` unless it is None."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    if path is not None:
        write_atomic(path, buf.getvalue())
    return buf.getvalue()


def sweep_plot(points, path, title: str = "") -> str:
    """Plot hwsim.study.compare.SweepPoint rows to `path` (.png); returns the path."""
    path = check_png(path)
    sweep_png(points, title, path)
    return path


def sweep_png(points, title: str = "", path=None) -> bytes:
    """The sweep plot as PNG bytes (written to `path` too when given)."""
    if not points:
        raise ValueError("no sweep points to plot")   # a caller's bug: compare always has some
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    bits = [p.width for p in points]
    ax.plot(bits, [100 * p.fixed_top1 for p in points], "o-", color="tab:blue", label="fixed top-1")
    ax.plot(bits, [100 * p.agreement for p in points], "s--", color="tab:cyan", label="agreement with float")
    ax.set_xlabel("bit width (activations and weights)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 101)
    ax.set_xticks(bits)
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(bits, [p.onchip_bits / 8192 for p in points], "^-", color="tab:red", label="on-chip memory")
    ax2.set_ylabel("on-chip memory (KiB)", color="tab:red")
    ax2.set_ylim(bottom=0)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [l.get_label() for l in lines], loc="center right", fontsize=8)
    ax.set_title(title or "accuracy and on-chip memory vs bit width", fontsize=10)
    fig.tight_layout()
    return _finish(plt, fig, path)


def pareto_plot(points, front, chosen, path, float_top1: float | None = None, max_drop: float | None = None,
                budget_bits: int | None = None, title: str = "") -> str:
    """Plot hwsim.study.tune.Point rows (all, the front, the chosen one) to `path` (.png)."""
    path = check_png(path)
    pareto_png(points, front, chosen, float_top1, max_drop, budget_bits, title, path)
    return path


def pareto_png(points, front, chosen, float_top1: float | None = None, max_drop: float | None = None,
               budget_bits: int | None = None, title: str = "", path=None) -> bytes:
    """The Pareto plot as PNG bytes (written to `path` too when given)."""
    if not points:
        raise ValueError("no points to plot")
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.6, 4.2), dpi=110)
    kib = lambda b: b / 8192
    ax.scatter([kib(p.onchip_bits) for p in points], [100 * p.top1 for p in points], s=12,
               color="0.6", label="evaluated configs")
    ax.plot([kib(p.onchip_bits) for p in front], [100 * p.top1 for p in front], "o-", color="tab:blue",
            markersize=4, label="Pareto front")
    ax.plot([kib(chosen.onchip_bits)], [100 * chosen.top1], "*", color="tab:red", markersize=14,
            label="chosen")
    if float_top1 is not None:
        ax.axhline(100 * float_top1, color="tab:green", lw=1, label="float")
        if max_drop is not None:
            ax.axhline(100 * float_top1 - max_drop, color="tab:green", lw=1, ls="--",
                       label=f"float - {max_drop:g} pts")
    if budget_bits is not None and budget_bits <= 4 * max(p.onchip_bits for p in points):
        ax.axvline(kib(budget_bits), color="tab:red", lw=1, ls=":", label="budget")
    ax.set_xlabel("on-chip memory (KiB)")
    ax.set_ylabel("validation top-1 (%)")
    lo, hi = accuracy_band([100 * p.top1 for p in points], 100 * chosen.top1,
                           None if float_top1 is None else 100 * float_top1, max_drop)
    below = [p for p in points if 100 * p.top1 < lo]
    if below:
        ax.scatter([kib(p.onchip_bits) for p in below], [lo] * len(below), marker="v", s=18,
                   color="0.45", clip_on=False, zorder=3, label=f"{len(below)} configs below {lo:g}%")
    ax.set_ylim(lo, hi)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)   # beside, not over, the points
    ax.set_title(title or "precision search: memory vs accuracy", fontsize=10)
    fig.tight_layout()
    return _finish(plt, fig, path)


def accuracy_band(top1s, chosen: float, float_top1: float | None, max_drop: float | None) -> tuple[float, float]:
    """(low, high) of the accuracy axis in %: from a margin below the lowest of the target, the
    chosen config and float, to just above the best value; whole percent at the low end."""
    anchors = [chosen] + ([float_top1] if float_top1 is not None else [])
    if float_top1 is not None and max_drop is not None:
        anchors.append(float_top1 - max_drop)
    span = max(100 - min(anchors), 1.0)
    lo = max(0.0, math.floor(min(anchors) - max(1.0, 0.6 * span)))
    top = max([v for v in top1s if v >= lo] + anchors)
    return lo, min(100.0, top) + max(0.25, 0.04 * (min(100.0, top) - lo))


def fold_png(points, graph, clock_mhz: float, device_name: str, path=None) -> bytes:
    """`hwsim fold --plot`: fps against DSPs used as the utilization cap sweeps (hwsim.hw.fold.sweep
    rows (cap, DSP, LUT, fps)), with the DSP roofline DSP x clock / MACs per image."""
    if not points:
        raise ValueError("no folding fits at any utilization cap")
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    macs = graph.macs()
    dsp = [p[1] for p in points]
    fps = [p[3] for p in points]
    top = max(dsp) * 1.1
    ax.plot([0, top], [0, top * clock_mhz * 1e6 / macs], "--", color="gray", label="DSP roofline")
    ax.plot(dsp, fps, "o-", color="#4c72b0", label="hwsim fold")
    for cap, d, _, f in points:
        ax.annotate(f"{cap:g}%", (d, f), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlabel("DSPs used")
    ax.set_ylabel(f"frames/s at {clock_mhz:g} MHz")
    ax.set_title(f"{graph.name} on {device_name}: fastest folding per utilization cap", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return _finish(plt, fig, path)


def fps_pareto_png(folded, front, chosen, float_top1: float, max_drop: float, title: str = "", path=None) -> bytes:
    """`hwsim tune --objective fps`: folded fps against validation top-1 for every evaluated
    precision, the Pareto front, the chosen config and the accuracy limit."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ok = [f for f in folded if f.result is not None]
    ax.scatter([100 * f.point.top1 for f in ok], [f.fps for f in ok], s=14, color="#999999",
               label="evaluated precisions (folded)")
    bad = [f for f in folded if f.result is None]
    if bad:                              # no folding fits the device: drawn at 0 fps
        ax.scatter([100 * f.point.top1 for f in bad], [0.0] * len(bad), s=18, marker="x", color="#dd8452",
                   label="does not fold onto the device")
    fr = sorted(front, key=lambda f: f.point.top1)
    ax.plot([100 * f.point.top1 for f in fr], [f.fps for f in fr], "o-", color="#4c72b0", label="Pareto front")
    if chosen is not None:
        ax.scatter([100 * chosen.point.top1], [chosen.fps], s=80, marker="*", color="#c44e52", zorder=5,
                   label="chosen")
    ax.axvline(100 * float_top1 - max_drop, ls="--", color="gray", label=f"float - {max_drop:g} points")
    ax.set_xlabel("validation top-1 (%)")
    ax.set_ylabel("frames/s (fastest folding)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return _finish(plt, fig, path)
