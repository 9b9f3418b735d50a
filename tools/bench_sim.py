"""Simulator throughput against PyTorch fp32, all measured in this one run.

SqueezeNet 1.1 at 3x227x227, batch 8. Lossless accumulators (exact GEMM path) and an explicit narrow
accum_t (hls4ml semantics: every product cast) against torch fp32 on the same input. Torch and the
lossless simulator are timed alternately, repeat after repeat, so a change in machine load affects
both; each figure is the best of its repeats. Last line:
RESULT lossless_vs_torch=<x> narrow_vs_torch=<y>
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


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=227)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    import torch

    from hwsim import config as cfg, simulate, zoo
    from hwsim.torch_export import to_torch

    g = zoo.build("squeezenet1_1", input_shape=(3, args.size, args.size))
    x = np.random.default_rng(0).normal(0, 1, (args.batch,) + g.input_shape).astype(np.float32)
    module = to_torch(g).eval()
    xt = torch.from_numpy(x)
    lossless = cfg.load(None, g)
    narrow = cfg.load({"precision": {"default": {"accum": "ap_fixed<16,6>"}}}, g)
    simulate.run(g, x[:1], narrow, reference=False)      # compile the numba kernels once
    simulate.run(g, x, lossless, reference=False)
    with torch.no_grad():
        module(xt)
        t_torch, t_lossless = interleaved_best(
            [lambda: module(xt), lambda: simulate.run(g, x, lossless, reference=False)], args.repeats)
    t_stats = best_of(lambda: simulate.run(g, x, lossless, reference=True), 1)
    t_narrow = best_of(lambda: simulate.run(g, x, narrow, reference=False), max(1, args.repeats - 1))
    n = args.batch
    print(f"squeezenet1_1 3x{args.size}x{args.size}, batch {n}, {torch.get_num_threads()} torch threads")
    print(f"torch fp32                 {t_torch:8.3f} s  {n / t_torch:8.1f} img/s")
    print(f"hwsim lossless accum       {t_lossless:8.3f} s  {n / t_lossless:8.1f} img/s")
    print(f"hwsim lossless + SQNR ref  {t_stats:8.3f} s  {n / t_stats:8.1f} img/s")
    print(f"hwsim narrow accum_t       {t_narrow:8.3f} s  {n / t_narrow:8.1f} img/s")
    print(f"RESULT lossless_vs_torch={t_torch / t_lossless:.3f} narrow_vs_torch={t_torch / t_narrow:.3f}")


if __name__ == "__main__":
    main()
