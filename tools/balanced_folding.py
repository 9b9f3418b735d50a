"""Write a `parallel:` config that balances a zoo network's conv / dense layers on a cycle target.

    .venv/bin/python tools/balanced_folding.py squeezenet1_1 --multipliers 2000 -o fold.yaml

For a target T of cycles per image, every conv / dense layer gets the (pe, simd) with the fewest
multipliers (pe x simd) whose units (hwsim.hw.units: matrix-vector unit and sliding window) all
finish within T; the smallest T whose total stays within --multipliers is kept (bisection over T).
The whole plan is then built once (hwsim.hw.pipeline) and its bottleneck printed. This is the
folding used for the README's before / after figures; it is not the device-aware `hwsim fold`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from hwsim.hw import fold as hw_fold, pipeline
from hwsim.ir import zoo
from hwsim.spec import config as cfg


def fold(cands, target: int) -> tuple[dict, int]:
    """For each conv / dense layer the (pe, simd) with fewest multipliers whose units all finish
    within `target`; cycles come from the plan's own unit builders (hwsim.hw.fold candidates)."""
    layers, total = {}, 0
    for name, opts in cands.options.items():
        if not opts or opts[0].simd is None:
            continue
        ok = [c for c in opts if c.cycles <= target and c.mult_style in (None, "auto")]
        if not ok:
            return {}, 10 ** 18
        best = min(ok, key=lambda c: (c.pe * c.simd, c.cycles, c.pe))
        layers[name] = {"pe": best.pe, "simd": best.simd}
        total += best.pe * best.simd
    return layers, total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--multipliers", type=int, required=True)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(argv)
    g = zoo.build(a.model)
    cands = hw_fold._Candidates(g, cfg.load(None, g), None)
    lo, hi = 1, 10 ** 10
    while lo < hi:
        mid = (lo + hi) // 2
        if fold(cands, mid)[1] <= a.multipliers:
            hi = mid
        else:
            lo = mid + 1
    layers, total = fold(cands, lo)
    doc = {"model": a.model, "parallel": {"layers": layers}}
    plan = pipeline.build(g, cfg.load(doc, g))
    b = plan.bottleneck
    Path(a.output).write_text(yaml.safe_dump(doc, sort_keys=False))
    print(f"{a.model}: target {lo:,} cycles, {total:,} multipliers; plan bottleneck {b.name} {b.cycles:,} cycles "
          f"-> {a.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
