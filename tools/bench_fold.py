"""Benchmark: `hwsim fold` against FINN's SetFolding, over the same plans and the same device limits.

    .venv/bin/python tools/bench_fold.py [--nets a,b] [--devices zcu102,zu3eg,u250] [--utilization 90]

The baseline: FINN's SetFolding, as it reads in Xilinx/finn
src/finn/transformation/fpgadataflow/set_folding.py (`SetFolding(target_cycles_per_frame,
mvau_wwidth_max=36, two_pass_relaxation=True)`), applied to hwsim's layers. Every layer's walk
looks at the cycles of the unit FINN would fold (`get_exp_cycles`), and a value "meets" the target
when its cycles are strictly below it (`cyc < target_cycles_per_frame`), as in FINN:

- matrix-vector unit (hwsim's conv and dense; FINN's MVAU): PE = SIMD = 1; SIMD walks up the
  divisors, stopping at the first value whose MVAU cycles meet the target; a value whose
  SIMD x weight bits exceeds mvau_wwidth_max (36) and does not meet the target is reverted to the
  previous one and the walk stops (FINN tests the target first, so a too-wide SIMD that meets the
  target is kept). Then PE walks up the divisors of the output channels until the target is met,
  or ends fully parallel.
- sliding window of a conv (FINN's ConvolutionInputGenerator, depthwise=0): SIMD walks up the
  divisors of the input channels on the window's own cycles. hwsim's conv is window + MVAU in one
  layer with one simd: the layer takes the larger of the two walks' SIMD (FINN would put a width
  converter between them; here the MVAU reads as wide as the window writes), and when the window's
  is larger, PE is walked again at that SIMD. FINN's RTL window generator can add a parallel_window
  mode once SIMD = channels still misses the target; hwsim's window has no such mode.
- max / average pool (FINN's Pool_hls behind a depthwise window): PE walks up the divisors of the
  channels on the pool unit's cycles; the window takes SIMD = PE (hwsim's pool layer has one pe).
  FINN never checks that window against the target ("depthwise SWGs are handled separately"), and
  a window's cycles include filling its first rows, so it can end above the target and be the
  bottleneck, even after relaxation (the second pass may lower the pool's PE again). With
  pool_window=True (the table's second SetFolding column) the pool's walk reads the slower of its
  two units instead: the fix a FINN user would make by hand, a stronger baseline.
- global average pool (GlobalAccPool) and add (AddStreams): PE over the divisors of the channels;
  concat (StreamingConcat, FINN's newer lists): over the common divisors of its inputs' channels.
- two-pass relaxation: the design is built (hwsim.hw.pipeline) and, when its bottleneck (the
  plan's slowest unit, converters and splits included; FINN's dataflow_performance max_cycles) is
  above the target, the walk runs once more at that bottleneck, without relaxation.

Where it differs from FINN, because hwsim's plans differ: SIMD walks the divisors hwsim allows
(the input channels; FINN's MVAU walks those of MW = KH x KW x C), and a saturating explicit
accumulator on a KxK kernel keeps SIMD = 1 (hwsim refuses other orders of addition). Type casts
and fan-out splits have no folding of their own in hwsim (they keep the width that arrives), and
width converters are placed by the plan, as FINN's InsertDWC does after SetFolding. Products stay
where hwsim puts them by default (mult_style auto): SetFolding does not choose LUT multipliers.

Nothing is costed here: each walk reads the cycles of the units hwsim.hw.pipeline's own builder
makes at that folding, and every design is a config (hwsim.spec.config.load) built as a whole plan
(pipeline.build) and counted by hwsim.hw.fold.plan_usage, against hwsim.hw.fold.limits.

Choosing the target: SetFolding is not resource-aware; it meets a cycle target and nothing tells
it the design is too big. FINN users pick target_cycles_per_frame by hand, lowering it until the
design stops fitting. The baseline does that mechanically: it bisects over integer targets for the
smallest target_cycles_per_frame whose SetFolding design fits the same limits as `hwsim fold`
(--utilization percent of every resource, default 90). The bisection assumes fitting is monotone in
the target; it nearly is (a larger target stops every walk at the same value or earlier, the one
exception being a SIMD past mvau_wwidth_max that meets the larger target, kept with PE = 1).

Prints a markdown table per network and device: the fps of hwsim fold, of SetFolding as read and of
SetFolding with pool_window=True; the DSP roofline (all the device's DSPs x clock / MACs per image,
one MAC per DSP per cycle); each design's DSP / BRAM18 / LUT; SetFolding's chosen target; how long
`hwsim fold` took (best of 3 for squeezenet1_1 on ZCU102). Rows where fold is slower than either
SetFolding are marked. The last line is, for squeezenet1_1 on ZCU102 (SetFolding as read):
RESULT fold_fps=<x> setfolding_fps=<y> roofline_fps=<z>
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hwsim.hw import fold, pipeline  # noqa: E402
from hwsim.hw.plan import NetworkPlan  # noqa: E402
from hwsim.ir import zoo  # noqa: E402
from hwsim.spec import config as cfg, devices  # noqa: E402

MVAU_WWIDTH_MAX = 36
DEVICES = ("zcu102", "zu3eg", "u250")
RESULT_NET, RESULT_DEVICE = "squeezenet1_1", "zcu102"


@dataclass(frozen=True)
class Design:
    """One SetFolding design: the folding chosen for a target, and its whole plan."""
    requested: int                        # target_cycles_per_frame given
    target: int                           # the target of the last pass (the relaxed one if relaxed)
    folding: tuple[tuple[str, int, int | None], ...]   # (layer, pe, simd or None)
    plan: NetworkPlan
    config: cfg.Config
    doc: dict
    used: tuple[int, int, int, int]       # DSP, BRAM18, URAM, LUT of the whole plan
    fits: bool
    relaxed: bool = False
    over: tuple = field(default=())       # (resource, used, limit) for every resource over

    @property
    def cycles(self) -> int:
        return self.plan.bottleneck.cycles


class SetFolding:
    """FINN's SetFolding over hwsim's layers (module doc); `design(target)` is one application of
    the transformation, `fastest()` the smallest target whose design fits `lim`."""

    def __init__(self, graph, config, device, lim: fold.Limits, mvau_wwidth_max: int = MVAU_WWIDTH_MAX,
                 two_pass_relaxation: bool = True, pool_window: bool = False):
        self.g, self.cfg, self.dev, self.lim = graph, config, device, lim
        self.mvau_wwidth_max, self.two_pass_relaxation = mvau_wwidth_max, two_pass_relaxation
        self.pool_window = pool_window
        self.b = pipeline._Builder(graph, config, device, int(config.hardware.get("fifo_depth", 2)), None)
        self.b._structure()
        self.nodes = [(layer, srcs) for layer, srcs in self.b.nodes if not layer.wiring]
        self._units: dict[tuple, dict[str, int]] = {}
        self._designs: dict[tuple, tuple] = {}
        self.plans_built = 0

    # --- the cycles FINN's get_exp_cycles would read: the plan's own unit builders ------------------
    def cycles(self, layer, srcs, pe: int, simd: int) -> dict[str, int]:
        """{unit kind: cycles} of `layer`'s units at (pe, simd), as pipeline.build makes them."""
        key = (layer.name, pe, simd)
        if key not in self._units:
            units = self.b._compute_units(layer, srcs, pe, simd)
            self._units[key] = {u.kind: u.cycles for u in units}
        return self._units[key]

    @staticmethod
    def _first_meeting(values, cyc, target: int) -> int:
        """FINN's optimize_attribute_val: the first value whose cycles are below the target, else the last."""
        v = values[0]
        for v in values:
            if cyc(v) < target:
                break
        return v

    def _mvau(self, layer, srcs, target: int, c_in: int, c_out: int, window: bool) -> tuple[int, int]:
        lc = self.cfg[layer.name]
        sat = pipeline.order_sensitive(lc) and layer.kind == "conv" and tuple(layer.kernel) != (1, 1)
        simds = [1] if sat else pipeline.divisors(c_in)
        pes = pipeline.divisors(c_out)
        wbits = lc.weight.width

        def mvau(pe, s):
            return self.cycles(layer, srcs, pe, s)["mvau"]

        simd = 1                                            # SIMD first, within mvau_wwidth_max
        for s in simds:
            prev, simd = simd, s
            if mvau(1, simd) < target:
                break
            if wbits * simd > self.mvau_wwidth_max:
                simd = prev
                break
        pe = self._first_meeting(pes, lambda p: mvau(p, simd), target)       # then PE
        if window:                                          # the ConvolutionInputGenerator's own walk
            swg = self._first_meeting(simds, lambda s: self.cycles(layer, srcs, 1, s)["swu"], target)
            if swg > simd:
                simd = swg
                pe = self._first_meeting(pes, lambda p: mvau(p, simd), target)
        return pe, simd

    def walk(self, target: int) -> tuple[tuple[str, int, int | None], ...]:
        """One pass of SetFolding at `target`: (layer, pe, simd) for every folded layer."""
        out = []
        for layer, srcs in self.nodes:
            chans = [self.b.sshape[s][0] for s in srcs]
            c_out = self.b.sshape[self.b.owner[layer.name]][0]
            kind = layer.kind
            if kind in ("conv", "dense"):
                window = kind == "conv" and not (tuple(layer.kernel) == (1, 1) and tuple(layer.stride) == (1, 1)
                                                 and tuple(layer.padding) == (0, 0))
                pe, simd = self._mvau(layer, srcs, target, chans[0], c_out, window)
                out.append((layer.name, pe, simd))
                continue
            pes = pipeline.divisors(math.gcd(*chans))
            if kind in ("maxpool", "avgpool") and self.pool_window:
                pe = self._first_meeting(pes, lambda p: max(self.cycles(layer, srcs, p, p).values()), target)
            else:
                unit = {"maxpool": "pool", "avgpool": "pool"}.get(kind, kind)   # gap, add, concat: their own
                pe = self._first_meeting(pes, lambda p: self.cycles(layer, srcs, p, p)[unit], target)
            out.append((layer.name, pe, None))
        return tuple(out)

    # --- designs ----------------------------------------------------------------------------------
    def _config(self, folding):
        doc = dict(cfg._plain_doc(self.cfg.source)) if self.cfg.source else {}
        par = dict(doc.get("parallel") or {})
        layers = {k: dict(v) for k, v in (par.get("layers") or {}).items()}
        default = {k: v for k, v in (par.get("default") or {}).items() if k == "ram_style"}
        for name, pe, simd in folding:
            entry = {k: v for k, v in layers.get(name, {}).items() if k in ("ram_style", "mult_style")}
            entry["pe"] = pe
            if simd is not None:
                entry["simd"] = simd
            layers[name] = entry
        doc["parallel"] = {**({"default": default} if default else {}), "layers": layers}
        return doc, cfg.load(doc, self.g)

    def _build(self, folding):
        if folding not in self._designs:
            doc, config = self._config(folding)
            plan = pipeline.build(self.g, config, self.dev)
            self.plans_built += 1
            self._designs[folding] = (doc, config, plan, fold.plan_usage(plan))
        return self._designs[folding]

    def design(self, target: int) -> Design:
        """SetFolding(target_cycles_per_frame=target) applied once, with two-pass relaxation."""
        folding = self.walk(target)
        doc, config, plan, used = self._build(folding)
        final, relaxed = target, False
        if self.two_pass_relaxation and plan.bottleneck.cycles > target:
            final, relaxed = plan.bottleneck.cycles, True
            folding = self.walk(final)
            doc, config, plan, used = self._build(folding)
        lim = self.lim.as_tuple()
        over = tuple((r, u, l) for r, u, l in zip(fold.RESOURCES, used, lim) if u > l)
        return Design(target, final, folding, plan, config, doc, used, not over, relaxed, over)

    def slowest_target(self) -> int:
        """A target every layer meets at PE = SIMD = 1 (so every walk stops at its first value)."""
        return 1 + max(c for layer, srcs in self.nodes for c in self.cycles(layer, srcs, 1, 1).values())

    def fastest(self) -> Design:
        """The design of the smallest target_cycles_per_frame that fits (bisection over integers);
        the slowest design (not fitting) when none does."""
        hi = self.slowest_target()
        best = self.design(hi)
        if not best.fits:
            return best
        lo = 1
        while lo < hi:
            mid = (lo + hi) // 2
            d = self.design(mid)
            if d.fits:
                best, hi = d, mid
            else:
                lo = mid + 1
        return best


# --- the benchmark -----------------------------------------------------------------------------------
BRAM18_BITS, URAM_BITS = 18 * 1024, 288 * 1024


def _label(name: str, d) -> str:
    return d.board if (d.board or "").lower() == name.lower() else d.name


def _fps(r, clock) -> float:
    return clock * 1e6 / r.cycles if r is not None and r.fits else 0.0


def _res(r) -> str:
    return f"{r.used[0]:,} / {r.used[1]:,} / {r.used[3]:,}" if r is not None and r.fits else "-"


def _nowhere(sf: SetFolding, lim: fold.Limits) -> str:
    """Why no folding fits: what the slowest design (PE = SIMD = 1) exceeds, and the weights' bits
    (from its plan) against the on-chip memory the limits allow."""
    d = sf.design(sf.slowest_target())
    weights = sum(m.bits for p in d.plan.layers for u in p.units for m in u.memories if m.role == "weights")
    chip = lim.bram18 * BRAM18_BITS + lim.uram * URAM_BITS
    over = ", ".join(f"{r} {u:,} > {l:,}" for r, u, l in d.over)
    return (f"fits nowhere: at PE = SIMD = 1 {over}; weights {weights / 1e6:,.1f} Mbit vs "
            f"{chip / 1e6:,.1f} Mbit of BRAM{' + URAM' if lim.uram else ''}")


def run_one(g, c, d, lim, repeats: int = 1):
    """(fold result, best fold seconds, SetFolding as read, SetFolding with pool_window) on one device."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ours = fold.fold(g, c, d, lim)
        times.append(time.perf_counter() - t0)
    sf = SetFolding(g, c, d, lim)
    base = sf.fastest()
    strong = SetFolding(g, c, d, lim, pool_window=True).fastest()
    note = _nowhere(sf, lim) if not (ours.fits or base.fits or strong.fits) else ""
    return ours, min(times), base, strong, note


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", default=",".join(zoo.names()), help="comma-separated zoo names (default: all)")
    ap.add_argument("--devices", default=",".join(DEVICES), help="comma-separated catalog devices")
    ap.add_argument("--utilization", type=float, default=fold.DEFAULT_UTILIZATION,
                    help="percent of every resource either design may use (default 90)")
    a = ap.parse_args(argv)
    nets = [n.strip() for n in a.nets.split(",") if n.strip()]
    devs = [n.strip() for n in a.devices.split(",") if n.strip()]
    unknown = [n for n in nets if n not in zoo.names()]
    if unknown:
        ap.error(f"unknown net(s) {', '.join(unknown)}; known: {', '.join(zoo.names())}")
    for dn in devs:                     # an unknown device fails before any work
        try:
            devices.get(dn)
        except Exception as e:          # hwsim's InputError lists the valid names
            ap.error(str(e))
    print(f"hwsim fold vs FINN's SetFolding (mvau_wwidth_max={MVAU_WWIDTH_MAX}, two-pass relaxation, the smallest "
          f"fitting target by bisection); default precision and input, 200 MHz unless the config says otherwise, "
          f"{a.utilization:g}% of every resource\n")
    print("| net | device | hwsim fold fps | SetFolding fps | SetFolding, pool walks its window fps | "
          "DSP roofline fps | fold DSP / BRAM18 / LUT | SetFolding DSP / BRAM18 / LUT | SetFolding target (cycles) | "
          "fold time (s) | note |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | --- |")
    result = None
    slower = []
    t_all = time.perf_counter()
    for net in nets:
        g = zoo.build(net, weights=False)
        c = cfg.load(None, g)
        clock = float(c.hardware.get("clock_mhz", 200.0))
        for dname in devs:
            d = devices.get(dname)
            lim = fold.limits(d, utilization=a.utilization)
            key = (net, dname.lower()) == (RESULT_NET, RESULT_DEVICE)
            ours, t_fold, base, strong, note = run_one(g, c, d, lim, repeats=3 if key else 1)
            roof = d.dsp * clock * 1e6 / g.macs()
            fo, fb, fs = _fps(ours, clock), _fps(base, clock), _fps(strong, clock)
            notes = [note] if note else []
            if not note and not ours.fits:
                notes.append("fold finds no fit")
            if not note and not base.fits:
                notes.append("SetFolding fits at no target")
            if fo < max(fb, fs):
                notes.append("**fold slower**")
                slower.append(f"{net} / {_label(dname, d)}")
            elif base.fits and base.relaxed:
                notes.append(f"relaxed; bottleneck {base.plan.bottleneck.name}")
            tgt = f"{base.target:,}" if base.fits else "-"
            t_txt = f"{t_fold:.2f}" + (" (best of 3)" if key else "")
            print(f"| {net} | {_label(dname, d)} | {fo:,.1f} | {fb:,.1f} | {fs:,.1f} | {roof:,.1f} | {_res(ours)} | "
                  f"{_res(base)} | {tgt} | {t_txt} | {'; '.join(notes)} |", flush=True)
            if key:
                result = (fo, fb, roof, t_fold)
    print(f"\n{len(nets) * len(devs)} row(s) in {time.perf_counter() - t_all:.1f} s; fold slower than SetFolding on "
          + (", ".join(slower) if slower else "no row"))
    if result is None:                  # the RESULT line is always squeezenet1_1 on ZCU102
        g = zoo.build(RESULT_NET, weights=False)
        c = cfg.load(None, g)
        clock = float(c.hardware.get("clock_mhz", 200.0))
        d = devices.get(RESULT_DEVICE)
        ours, t_fold, base, _, _ = run_one(g, c, d, fold.limits(d, utilization=a.utilization), repeats=3)
        result = (_fps(ours, clock), _fps(base, clock), d.dsp * clock * 1e6 / g.macs(), t_fold)
    print(f"hwsim fold on {RESULT_NET} / ZCU102: {result[3]:.2f} s (best of 3)")
    print(f"RESULT fold_fps={result[0]:.1f} setfolding_fps={result[1]:.1f} roofline_fps={result[2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
