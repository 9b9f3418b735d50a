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

from hwsim.hw import pipeline, units
from hwsim.ir import zoo
from hwsim.spec import config as cfg


def _choices(graph, layer):
    c, h, w = graph.in_shapes(layer)[0]
    out = graph.shape(layer.name)
    if layer.kind == "dense":
        n_in, f, px = c * h * w, layer.out_features, 1
        chans = c if h * w == 1 else c
    else:
        (kh, kw) = layer.kernel
        n_in, f, px, chans = c * kh * kw, out[0], out[1] * out[2], c
    for pe in pipeline.divisors(f):
        for simd in pipeline.divisors(chans):
            cyc = px * (f // pe) * (n_in // simd)
            if layer.kind == "conv" and tuple(layer.kernel) != (1, 1):
                (kh, kw), (sh, _), (ph, _) = layer.kernel, layer.stride, layer.padding
                cyc = max(cyc, units.swu_cycles(h, w, c // simd, kh, kw, sh, ph, out[1], out[2]))
            yield pe * simd, cyc, pe, simd


def fold(graph, target: int) -> tuple[dict, int]:
    layers, total = {}, 0
    for layer in graph.layers:
        if layer.kind not in ("conv", "dense"):
            continue
        ok = [c for c in _choices(graph, layer) if c[1] <= target]
        if not ok:
            return {}, 10 ** 18
        mult, _, pe, simd = min(ok)
        layers[layer.name] = {"pe": pe, "simd": simd}
        total += mult
    return layers, total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--multipliers", type=int, required=True)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(argv)
    g = zoo.build(a.model)
    lo, hi = 1, 10 ** 10
    while lo < hi:
        mid = (lo + hi) // 2
        if fold(g, mid)[1] <= a.multipliers:
            hi = mid
        else:
            lo = mid + 1
    layers, total = fold(g, lo)
    doc = {"model": a.model, "parallel": {"layers": layers}}
    plan = pipeline.build(g, cfg.load(doc, g))
    b = plan.bottleneck
    Path(a.output).write_text(yaml.safe_dump(doc, sort_keys=False))
    print(f"{a.model}: target {lo:,} cycles, {total:,} multipliers; plan bottleneck {b.name} {b.cycles:,} cycles "
          f"-> {a.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
