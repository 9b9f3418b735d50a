"""Text of `hwsim fold`: the per-layer folding table and the one-line verdict."""
from __future__ import annotations

from hwsim.report import tables
from hwsim.spec.config import FOLDED_KINDS

COLS = ("layer", "kind", "PE", "SIMD", "mult", "cycles", "DSP", "BRAM18", "LUT")


def rows(result) -> list[tuple[str, ...]]:
    out = []
    for p in result.plan.layers:
        if not p.units:
            continue
        lc = result.config[p.name]
        mac = p.kind in FOLDED_KINDS
        blocks = sum(m.blocks for m in p.memories)
        out.append((p.name, p.kind, str(p.pe), str(p.simd) if mac else "-",
                    (lc.mult_style if lc.mult_style != "auto" else ("lut" if mac and p.dsp == 0 else "dsp"))
                    if mac else "-", f"{p.cycles:,}", str(p.dsp), str(blocks), f"{p.luts:,}"))
    return out


def table(result) -> str:
    r = rows(result)
    widths = tables.column_widths(COLS, r)
    lines = [tables.text_row(cells, widths, 2) for cells in [COLS, tuple("-" * w for w in widths), *r]]
    return "\n".join(lines) + "\n"


def _use(result) -> str:
    av = result.limits.available
    return ", ".join(f"{name} {u:,}/{a:,}" for name, u, a in zip(("DSP", "BRAM18", "URAM", "LUT"), result.used, av)
                     if name != "URAM" or a)


def verdict(result, clock_mhz: float) -> str:
    p = result.plan.bottleneck
    fps = clock_mhz * 1e6 / p.cycles
    return f"FOLDED: {fps:,.1f} fps at {clock_mhz:g} MHz, bottleneck {p.layer}; {_use(result)}"


def over_line(result, what: str, device_name: str) -> str:
    """One line: the resource that makes `what` impossible and by how much."""
    lim = result.limits
    worst = max(result.over(), key=lambda o: o[1] / max(1, o[2]))
    name, used, cap = worst
    i = ("DSP", "BRAM18", "URAM", "LUT").index(name)
    return (f"{what} needs {name} {used:,} > {cap:,} ({lim.utilization:g}% of {device_name}'s "
            f"{lim.available[i]:,}), over by {used - cap:,}")
