"""What running a long command in a supervised child (hwsim.util.supervise.call) costs.

Times the same work in this process and through supervise.call, alternately, best of N: the fork
and the result's trip back through a pipe, with the parent holding what a command holds by then
(numpy, numba and the simulator's kernels loaded). The work is one bit-accurate run of squeezenet_mini
on a batch of 64 digits-sized images (what one compare job does) and an empty function (the fixed cost).
Then the whole `hwsim compare --workers 1` command, each run a fresh interpreter, with its
supervised child and without it (the command module's SUPERVISED switched off).

Prints per case the in-process and supervised best times and a last line
`RESULT supervise_overhead_ms=<x> supervise_ratio=<y> compare_ratio=<z>` (y: supervised / in process
for the simulation; z: the same for the compare command end to end).
Usage: .venv/bin/python tools/bench_supervise.py [--repeats N]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

from hwsim.sim import simulate
from hwsim.util import supervise
from hwsim.ir import zoo


def best(fn, repeats: int) -> float:
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    g = zoo.build("squeezenet_mini")
    x = np.random.default_rng(0).standard_normal((64,) + g.input_shape)
    sim = lambda: simulate.run(g, x, reference=True).raw   # noqa: E731
    sim()                                                    # compile and warm up
    cases = {"empty": lambda: None, "simulate 64 images": sim}
    res = {}
    for name, fn in cases.items():
        inproc, child = [], []
        for _ in range(args.repeats):                        # alternate the two
            inproc.append(best(fn, 1))
            child.append(best(lambda: supervise.call(fn), 1))
        res[name] = (min(inproc), min(child))
        print(f"{name:>20}: in process {min(inproc) * 1e3:8.2f} ms, supervised {min(child) * 1e3:8.2f} ms")
    overhead = res["empty"][1] - res["empty"][0]
    ratio = res["simulate 64 images"][1] / res["simulate 64 images"][0]
    plain, sup = [], []
    for _ in range(max(2, args.repeats // 2)):
        plain.append(best(lambda: _command(False), 1))
        sup.append(best(lambda: _command(True), 1))
    print(f"{'hwsim compare':>20}: in process {min(plain):8.2f} s,  supervised {min(sup):8.2f} s")
    print(f"RESULT supervise_overhead_ms={overhead * 1e3:.2f} supervise_ratio={ratio:.3f} "
          f"compare_ratio={min(sup) / min(plain):.3f}")


def _command(supervised: bool) -> None:
    code = ("import sys; from hwsim import cli; from hwsim.commands import compare; "
            f"compare.SUPERVISED = {supervised}; "
            "sys.exit(cli.main(['compare', '--workers', '1', '--quiet', '--format', 'json']))")
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
