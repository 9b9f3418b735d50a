"""Time the full budget report for each zoo network: one estimate plus every output format
(table, json, md, html) and the PNG chart, best of 3 runs; the other variants (layer architecture,
Deep Compression, a device) are timed apart without the chart.

Prints one line per network (build time apart: the graph without weights, as `hwsim budget` builds
it; `first` is the first report, which sizes the FIFOs (hwsim.hw.fifo_depth) unless hwsim's disk
cache already holds that sizing: set HWSIM_CACHE_DIR to an empty folder to time it) and a last line
`RESULT budget_max_s=<x>`: the slowest full report with the sizing done.
Usage: .venv/bin/python tools/bench_budget.py
"""
from __future__ import annotations

import time

from hwsim.report import budget as budget_report
from hwsim.hw import estimate as memory
from hwsim.ir import zoo
from hwsim.spec import config as cfg

VARIANTS = ({"arch": "layer"}, {"codebook_bits": 6, "prune": 0.33}, {"device": "u250"})


def full_report(graph, config) -> float:
    t0 = time.perf_counter()
    r = memory.estimate(graph, config)
    for fmt in budget_report.FORMATS:
        budget_report.render(r, fmt)
    budget_report.plot_png(r)
    return time.perf_counter() - t0


def variants(graph, config) -> float:
    t0 = time.perf_counter()
    for kwargs in VARIANTS:
        r = memory.estimate(graph, config, **kwargs)
        for fmt in budget_report.FORMATS:
            budget_report.render(r, fmt)
    return (time.perf_counter() - t0) / len(VARIANTS)


def main() -> None:
    worst = 0.0
    for name in zoo.names():
        t0 = time.perf_counter()
        shape = (3, 227, 227) if name.startswith("squeezenet1_") or name == "alexnet" else None
        graph = zoo.build(name, input_shape=shape, weights=False)
        build = time.perf_counter() - t0
        config = cfg.load(None, graph)
        first = full_report(graph, config)           # sizes the FIFOs unless the disk cache has them
        best = min(full_report(graph, config) for _ in range(3))
        other = min(variants(graph, config) for _ in range(3))
        worst = max(worst, best)
        print(f"{name:<30} layers={len(graph.layers):>3} build={build:6.3f}s "
              f"first={first:6.3f}s full report (+png)={best:6.3f}s  other variants (no png)={other:6.3f}s each")
    print(f"RESULT budget_max_s={worst:.4f}")


if __name__ == "__main__":
    main()
