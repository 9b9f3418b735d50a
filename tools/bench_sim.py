"""Simulator throughput against PyTorch fp32, all measured in this one run.

SqueezeNet 1.1 at 3x227x227, batch 8, on the same input: torch fp32; the float reference alone
(hwsim.sim.reference); the simulator with lossless accumulators (exact GEMM path); the same with the
float reference and per-layer statistics (what `compare` runs); and an explicit narrow accum_t
ap_fixed<16,6> (hls4ml semantics: every product cast). All five are timed in turn, repeat after
repeat, so a change in machine load affects each alike; each figure is the best of its repeats and
is reported as a throughput ratio against torch. Last line:
RESULT lossless_vs_torch=<x> stats_vs_torch=<y> narrow_vs_torch=<z> reference_vs_torch=<r>
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def interleaved_best(fns, repeats: int) -> list[float]:
    """Best time of each function, calling them in turn `repeats` times."""
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=227)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    import torch

    from hwsim.spec import config as cfg
    from hwsim.sim import reference, simulate
    from hwsim.ir import zoo
    from hwsim.backends.hls4ml.torch_export import to_torch

    g = zoo.build("squeezenet1_1", input_shape=(3, args.size, args.size))
    x = np.random.default_rng(0).normal(0, 1, (args.batch,) + g.input_shape).astype(np.float32)
    module = to_torch(g).eval()
    xt = torch.from_numpy(x)
    lossless = cfg.load(None, g)
    narrow = cfg.load({"precision": {"default": {"accum": "ap_fixed<16,6>"}}}, g)
    runs = {"torch fp32": lambda: module(xt),
            "hwsim float reference": lambda: reference.run(g, x),
            "hwsim lossless accum": lambda: simulate.run(g, x, lossless, reference=False),
            "hwsim lossless + reference + stats": lambda: simulate.run(g, x, lossless, reference=True),
            "hwsim narrow accum_t ap_fixed<16,6>": lambda: simulate.run(g, x, narrow, reference=False)}
    with torch.no_grad():
        for fn in runs.values():        # compile / load the numba kernels, warm the caches
            fn()
        times = dict(zip(runs, interleaved_best(list(runs.values()), args.repeats)))
    n = args.batch
    t_torch = times["torch fp32"]
    print(f"squeezenet1_1 3x{args.size}x{args.size}, batch {n}, {torch.get_num_threads()} torch threads, "
          f"best of {args.repeats}")
    for name, t in times.items():
        print(f"{name:37s} {t:7.3f} s  {n / t:7.1f} img/s  {t_torch / t:5.2f}x torch")
    ratio = {k: t_torch / v for k, v in times.items()}
    print(f"RESULT lossless_vs_torch={ratio['hwsim lossless accum']:.3f} "
          f"stats_vs_torch={ratio['hwsim lossless + reference + stats']:.3f} "
          f"narrow_vs_torch={ratio['hwsim narrow accum_t ap_fixed<16,6>']:.3f} "
          f"reference_vs_torch={ratio['hwsim float reference']:.3f}")


if __name__ == "__main__":
    main()
