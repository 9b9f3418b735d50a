"""Benchmark: generate, build and C-simulate full SqueezeNet 1.1 at 227x227 against hwsim.sim.simulate.

    .venv/bin/python tools/bench_csim.py [--model squeezenet1_1] [--size 227] [--images 2] [--jobs 2]
                                         [--config FILE]

--config takes a config document (its `parallel` section folds the design, e.g.
tools/squeezenet1_1_fold2k.yaml); the default is pe = simd = 1. Reports the budget's fps, DSPs and
bottleneck for that folding, the generation time, the g++ build time (in a fresh build cache) and
the compiler's peak RSS (largest child process, resource.getrusage(RUSAGE_CHILDREN)), the
C-simulation wall seconds per image (images spread over the cores), the mismatch count against
hwsim.sim.simulate and the kernels whose counted iterations differ from the plan. Targets: build
<= 60 s and <= 2 GB; 0 mismatches; 0 cycle differences; <= 10 s per image. The last line is
machine-readable:
    RESULT build_s=<x> build_peak_mb=<y> csim_s_per_image=<z> cycles_differ=<k>
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hwsim.spec import config as cfg
from hwsim.sim import simulate
from hwsim.ir import zoo  # noqa: E402
from hwsim.backends import registry as backends, project
from hwsim.backends.hls import backend as hls_backend  # noqa: E402
from hwsim.backends.csim import random_inputs  # noqa: E402
from hwsim.backends.project import generate_project  # noqa: E402
from hwsim.hw import estimate  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="squeezenet1_1")
    ap.add_argument("--size", type=int, default=227)
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR (kept) instead of a temporary folder")
    ap.add_argument("--config", metavar="FILE", help="config document (folding); default pe = simd = 1")
    args = ap.parse_args(argv)
    if args.images < 2:
        ap.error("--images must be at least 2")

    kwargs = {"input_shape": (3, args.size, args.size)}
    graph = zoo.build(args.model, **kwargs)
    config = cfg.load(args.config, graph)
    report = estimate.estimate(graph, config)
    print(f"budget: {report.fps:,.1f} fps at {report.clock_mhz:g} MHz, {report.totals.multipliers:,} multipliers, "
          f"{report.totals.dsp:,} DSP, {report.totals.bram18:,} BRAM18; bottleneck {report.bottleneck} "
          f"{report.totals.cycles:,} cycles")
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_csim_"))
    os.environ["HWSIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench_csim_cache_")    # a real build
    out = root / args.model if not args.keep else root
    try:
        t = time.perf_counter()
        generate_project(graph, config, out, kwargs, force=True)
        gen_s = time.perf_counter() - t
        n_files = sum(1 for p in out.rglob("*") if p.is_file())
        size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
        print(f"generate: {args.model} {args.size}x{args.size}, {graph.params():,} params, {n_files} files, "
              f"{size_mb:.1f} MB, {gen_s:.1f} s")

        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        hls_backend.build(out, jobs=args.jobs, timeout=1800)
        build_s = time.perf_counter() - t
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak_mb = peak_kb / 1024
        print(f"build: g++ -O2, {args.jobs} jobs: {build_s:.1f} s, peak RSS {peak_mb:.0f} MB"
              + (" (an earlier child was larger)" if before > peak_kb else ""))

        proj = project.read(out)
        x, x_raw = random_inputs(proj.graph, proj.config, args.images, args.seed)
        t = time.perf_counter()
        expected = simulate.run(proj.graph, x, proj.config, reference=False).raw
        sim_s = time.perf_counter() - t
        req = backends.CsimRequest(out, proj.graph, proj.config, x_raw, expected, timeout=7200, progress=True)
        t = time.perf_counter()
        got = hls_backend.run_csim(req)
        run_s = time.perf_counter() - t
        mismatches = int(np.count_nonzero(got != expected))
        per_image = run_s / args.images
        cyc = hls_backend.cycle_report(out)
        layer, unit, n = cyc["bottleneck"]
        print(f"cycles: {cyc['kernels']} kernels, {len(cyc['differ'])} differ from the plan; bottleneck {layer} "
              f"{n:,} cycles")
        print(f"simulate: {sim_s:.1f} s for {args.images} images")
        print(f"csim: {args.images} images, {expected.size} values, {mismatches} mismatches, "
              f"{per_image:.1f} s per image")
        targets = f"targets: build <= 60 s {'ok' if build_s <= 60 else 'MISSED'}, <= 2 GB " \
                  f"{'ok' if peak_mb <= 2048 else 'MISSED'}, <= 10 s per image {'ok' if per_image <= 10 else 'MISSED'}"
        print(targets)
        print(f"RESULT build_s={build_s:.1f} build_peak_mb={peak_mb:.0f} csim_s_per_image={per_image:.1f} "
              f"cycles_differ={len(cyc['differ'])}")
        return 0 if mismatches == 0 and not cyc["differ"] else 1
    finally:
        shutil.rmtree(os.environ["HWSIM_CACHE_DIR"], ignore_errors=True)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
