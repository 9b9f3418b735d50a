"""Start-up time of the command line: `hwsim --help` and `hwsim budget` (the default SqueezeNet 1.1
report, end to end), each in a fresh process, against the same interpreter doing nothing
(`python -c pass`) and importing numpy, timed alternately, best and median of N runs.
`budget` finds its FIFO sizing in hwsim's disk cache (the warm-up runs put it there);
`budget_cold` runs with an empty cache and sizes the FIFOs (hwsim.hw.fifo_depth), as a first run does.

The baselines make the figures comparable across machines and loads: on 2 busy cores a bare
interpreter alone can take 70-90 ms. Also checks which heavy packages each command imports.
Usage: .venv/bin/python tools/bench_startup.py [--runs 10]
Last line: RESULT help_s=<best> budget_s=<best> python_s=<best> ...
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HWSIM = [sys.executable, "-c", "import sys; from hwsim.cli import main; sys.exit(main())"]
CASES = {
    "python": [sys.executable, "-c", "pass"],
    "numpy": [sys.executable, "-c", "import numpy"],
    "help": HWSIM + ["--help"],
    "budget": HWSIM + ["budget"],
    "budget_cold": HWSIM + ["budget"],
}
PROBE = ("import sys, io, contextlib; from hwsim.cli import main\n"
         "with contextlib.redirect_stdout(io.StringIO()):\n"
         "    try: main({argv})\n"
         "    except SystemExit: pass\n"
         "print(' '.join(m for m in ('numpy', 'numba', 'matplotlib', 'jinja2', 'torch') if m in sys.modules))")


def once(cmd, cold: bool = False) -> float:
    """One run; `cold`: with an empty hwsim cache, so that the FIFOs are sized afresh."""
    env = None
    with tempfile.TemporaryDirectory() as d:
        if cold:
            env = {**os.environ, "HWSIM_CACHE_DIR": d}
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    times = {k: [] for k in CASES}
    for _ in range(2):                      # warm the file cache
        for cmd in CASES.values():
            once(cmd)
    for _ in range(args.runs):              # alternate, so load hits every case alike
        for key, cmd in CASES.items():
            times[key].append(once(cmd, cold=key.endswith("_cold")))
    for key in CASES:
        t = times[key]
        print(f"{key:8} best {min(t) * 1000:6.0f} ms   median {statistics.median(t) * 1000:6.0f} ms")
    for argv in (["--help"], ["budget"]):
        out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True)
        print(f"hwsim {' '.join(argv)} imports: {out.stdout.strip() or 'none of numpy, numba, matplotlib, jinja2, torch'}")
    best = {k: min(v) for k, v in times.items()}
    print("RESULT " + " ".join(f"{k}_s={v:.3f}" for k, v in best.items())
          + f" help_over_python_s={best['help'] - best['python']:.3f}"
          + f" budget_over_python_s={best['budget'] - best['python']:.3f}")


if __name__ == "__main__":
    main()
