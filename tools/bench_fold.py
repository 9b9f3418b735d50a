"""Benchmark: `hwsim fold` against FINN's SetFolding over the same plans and device limits.

    .venv/bin/python tools/bench_fold.py [--nets a,b] [--devices zcu102,zu3eg,u250] [--utilization 90]

The baseline is FINN's SetFolding as it reads in finn/transformation/fpgadataflow/set_folding.py
(`SetFolding(target_cycles_per_frame, mvau_wwidth_max=36, two_pass_relaxation=True)`):
- a matrix-vector layer (hwsim's conv = sliding window + MVAU with one simd, or dense) first
  walks SIMD up the divisors of its input channels while SIMD x weight bits <= mvau_wwidth_max,
  until its cycles meet the target, then PE up the divisors of its outputs;
- pools, global average pools, concats and adds walk PE up the divisors of their channels;
- two-pass relaxation: when some layer cannot meet the target, the target is relaxed to the
  slowest layer's cycles and the walk runs again, so that no layer is folded more than the
  bottleneck needs.
Products stay where hwsim.hw.compute puts them (DSPs for 8 x 16 bits): SetFolding does not move
them to LUTs. Every design is costed by hwsim's own plan (hwsim.hw.pipeline) and checked against the
same limits as `hwsim fold` (hwsim.hw.fold.limits). SetFolding is not resource-aware: as FINN users
do by hand, the baseline bisects target_cycles_per_frame for the smallest target whose design fits.

Prints, per network and device, both designs' fps and DSP / BRAM18 / LUT, and the DSP roofline
(DSPs x clock / MACs per image); marks rows where fold is slower. Last line, for squeezenet1_1 on
ZCU102: RESULT fold_fps=<x> setfolding_fps=<y> roofline_fps=<z>
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hwsim.hw import fold, pipeline  # noqa: E402
from hwsim.ir import zoo  # noqa: E402
from hwsim.spec import config as cfg, devices  # noqa: E402

MVAU_WWIDTH_MAX = 36
DEVICES = ("zcu102", "zu3eg", "u250")


class SetFolding:
    """FINN's SetFolding over hwsim's per-layer candidates (module doc)."""

    def __init__(self, graph, config, device, lim):
        self.g, self.cfg, self.dev, self.lim = graph, config, device, lim
        self.cands = fold._Candidates(graph, config, device)
        self.by = {name: {(c.pe, c.simd): c for c in opts if c.mult_style in (None, "auto")}
                   for name, opts in self.cands.options.items() if opts}

    def _walk(self, name, target):
        layer = self.g.layer(name)
        opts = self.by[name]
        if layer.kind in ("conv", "dense"):
            pes = sorted({pe for pe, _ in opts})
            w = self.cfg[name].weight.width
            simds = [s for s in sorted({s for _, s in opts}) if s * w <= MVAU_WWIDTH_MAX] or [1]
            simd = simds[0]
            for simd in simds:                              # SIMD first
                if opts[(1, simd)].cycles <= target:
                    break
            pe = pes[0]
            for pe in pes:                                  # then PE
                if opts[(pe, simd)].cycles <= target:
                    break
            return opts[(pe, simd)]
        pes = sorted(pe for pe, _ in opts)
        pe = pes[0]
        for pe in pes:
            if opts[(pe, None)].cycles <= target:
                break
        return opts[(pe, None)]

    def design(self, target):
        choices = [self._walk(n, target) for n in self.by]
        slowest = max(c.cycles for c in choices)
        if slowest > target:                                # two-pass relaxation
            choices = [self._walk(n, slowest) for n in self.by]
        f = fold.Folder.__new__(fold.Folder)
        f.g, f.cfg, f.dev, f.lim, f.evaluated = self.g, self.cfg, self.dev, self.lim, 0
        return f._build(target, choices)

    def fastest(self):
        ts = sorted({c.cycles for opts in self.by.values() for c in opts.values()})
        lo, hi = 0, len(ts) - 1
        best = self.design(ts[hi])
        if not best.fits:
            return None
        while lo < hi:
            mid = (lo + hi) // 2
            r = self.design(ts[mid])
            if r.fits:
                best, hi = r, mid
            else:
                lo = mid + 1
        return best


def _fps(r, clock):
    return clock * 1e6 / r.cycles if r is not None and r.fits else 0.0


def _res(r):
    return f"{r.used[0]:,} / {r.used[1]:,} / {r.used[3]:,}" if r is not None and r.fits else "-"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", default=",".join(zoo.names()))
    ap.add_argument("--devices", default=",".join(DEVICES))
    ap.add_argument("--utilization", type=float, default=fold.DEFAULT_UTILIZATION)
    a = ap.parse_args(argv)
    print("| net | device | hwsim fold fps | SetFolding fps | DSP roofline fps | fold DSP / BRAM18 / LUT | "
          "SetFolding DSP / BRAM18 / LUT |")
    print("| --- | --- | ---: | ---: | ---: | --- | --- |")
    result = None
    for net in a.nets.split(","):
        g = zoo.build(net, weights=False)
        c = cfg.load(None, g)
        clock = float(c.hardware.get("clock_mhz", 200.0))
        for dname in a.devices.split(","):
            d = devices.get(dname)
            lim = fold.limits(d, utilization=a.utilization)
            t0 = time.perf_counter()
            ours = fold.fold(g, c, d, lim)
            t_fold = time.perf_counter() - t0
            base = SetFolding(g, c, d, lim).fastest()
            roof = d.dsp * clock * 1e6 / g.macs()
            fo, fb = _fps(ours, clock), _fps(base, clock)
            mark = " **(fold slower)**" if fo < fb else ""
            note = "" if ours.fits else " (fits no folding)"
            print(f"| {net} | {d.name} | {fo:,.1f}{note}{mark} | {fb:,.1f} | {roof:,.1f} | {_res(ours)} | "
                  f"{_res(base)} |", flush=True)
            if net == "squeezenet1_1" and dname == "zcu102":
                times = [t_fold]
                for _ in range(2):
                    t0 = time.perf_counter()
                    fold.fold(g, c, d, lim)
                    times.append(time.perf_counter() - t0)
                result = (fo, fb, roof, min(times))
    if result is not None:
        print(f"\nhwsim fold on squeezenet1_1 / ZCU102: {result[3]:.2f} s (best of 3)")
        print(f"RESULT fold_fps={result[0]:.1f} setfolding_fps={result[1]:.1f} roofline_fps={result[2]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
