"""Speed of FixedType.quantize against a bare numpy rounding of the same data.

Quantizes 1e6 doubles to ap_fixed<16,6,AP_RND_CONV,AP_SAT> (best of several repeats) and compares
with `np.clip(np.rint(x * 2**10), lo, hi)` measured in the same run. Target ratio: <= 3.
Last line: `RESULT quantize_ratio=<x>`.

    .venv/bin/python tools/bench_fixed.py [--n 1000000] [--repeats 7]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from hwsim.fixed import FixedType


def best_of(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    t = FixedType.parse("ap_fixed<16,6,AP_RND_CONV,AP_SAT>")
    x = np.random.default_rng(0).normal(0.0, 20.0, args.n)      # about 1/8 saturates
    lo, hi = float(t.raw_min), float(t.raw_max)
    bare = np.clip(np.rint(x * 2.0 ** t.frac), lo, hi).astype(np.int64)
    if not np.array_equal(t.quantize(x), bare):
        raise SystemExit("quantize disagrees with the bare rounding on finite data")
    t_q = best_of(lambda: t.quantize(x), args.repeats)
    t_b = best_of(lambda: np.clip(np.rint(x * 2.0 ** t.frac), lo, hi), args.repeats)
    ratio = t_q / t_b
    print(f"{args.n} doubles -> {t}, best of {args.repeats}")
    print(f"  FixedType.quantize           {t_q * 1e3:8.2f} ms")
    print(f"  np.clip(np.rint(x * 2**10))  {t_b * 1e3:8.2f} ms")
    print(f"RESULT quantize_ratio={ratio:.2f}")
    return ratio


if __name__ == "__main__":
    main()
