"""The same nets on three paths: hwsim.sim.simulate, hwsim's HLS C-sim, hls4ml's C-sim.

For each net and path, in a fresh child process: build time (simulate: graph + config; hwsim C-sim:
generate + g++ build; hls4ml: conversion + project write + its build_lib.sh), seconds per image
(best of --repeats runs over --images images, build excluded) and peak resident memory of the
process and the compilers it started. Every path's outputs are checked bit-exactly against
hwsim.sim.simulate before its time counts.

Last line: RESULT sim_vs_hls4ml_speedup=<x> build_vs_hls4ml=<y>
  x = hls4ml C-sim seconds per image / hwsim.sim.simulate seconds per image, on squeezenet_mini;
  y = hls4ml build seconds / hwsim C-sim build seconds, on squeezenet_mini.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

NETS = {
    "fire": ("fire", {"in_channels": 16, "squeeze": 8, "expand1x1": 16, "expand3x3": 16, "size": 12}, "stream"),
    "squeezenet_mini": ("squeezenet_mini", {}, "parallel"),
    "squeezenet1_1@32": ("squeezenet1_1", {"input_shape": (3, 32, 32), "num_classes": 10}, "parallel"),
}
PATHS = ("simulate", "hls", "hls4ml")
NARROW = {"precision": {"default": {"accum": "ap_fixed<16,6>"}}}


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def one(net: str, path: str, images: int, repeats: int) -> dict:
    """Measure one (net, path) in this process."""
    from hwsim.spec import config as cfg
    from hwsim.sim import simulate
    from hwsim.ir import zoo
    t0 = time.perf_counter()
    name, kwargs, io = NETS[net]
    graph = zoo.build(name, **kwargs)
    config = cfg.load(NARROW, graph)
    setup = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    x_raw = config.input.quantize(rng.standard_normal((images,) + tuple(graph.input_shape)))
    x = config.input.to_float(x_raw)
    expected = simulate.run(graph, x, config, reference=False).raw
    if path == "simulate":
        build = setup
        run = lambda: simulate.run(graph, x, config, reference=False).raw  # noqa: E731
    else:
        tmp = Path(tempfile.mkdtemp(prefix=f"bench_{path}_"))
        t0 = time.perf_counter()
        if path == "hls":
            from hwsim.backends import registry as backends
            from hwsim.backends.hls import backend as hls_backend
            from hwsim.backends.project import generate_project
            folder = generate_project(graph, config, tmp / "p", kwargs, backend="hls")
            hls_backend.build(folder)
            req = backends.CsimRequest(folder, graph, config, x_raw, progress=False)
            run = lambda: backends.csim_runner("hls")(req)  # noqa: E731
        else:
            from hwsim.backends.hls4ml import bridge as hb
            from hwsim.backends.hls4ml.runner import library, run_images
            folder = hb.generate(graph, config, tmp / "p", model_args=kwargs, io=io)
            library(folder)
            n_out = int(np.prod(graph.output_shape))
            c, h, w = graph.output_shape

            def run():
                y = run_images(folder, hb.to_channels_last(x), n_out)
                raw, inexact = hb.output_raw(y, graph, config)
                assert inexact == 0
                return raw
        build = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        got = run()
        best = min(best, time.perf_counter() - t)
        if not np.array_equal(got, expected):
            raise SystemExit(f"{net}/{path}: {(got != expected).sum()} mismatches against hwsim.sim.simulate")
    return {"net": net, "path": path, "build_s": build, "s_per_image": best / images, "peak_mb": _peak_mb()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nets", default="fire,squeezenet_mini", help=f"comma list from {', '.join(NETS)}")
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--one", nargs=2, metavar=("NET", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], args.images, args.repeats)))
        return
    nets = [n.strip() for n in args.nets.split(",") if n.strip()]
    for n in nets:
        if n not in NETS:
            raise SystemExit(f"unknown net {n!r}; choose from {', '.join(NETS)}")
    rows = []
    print(f"{'net':<18} {'path':<9} {'build s':>9} {'s/image':>10} {'peak MB':>9}")
    for net in nets:
        for path in PATHS:
            done = subprocess.run([sys.executable, __file__, "--one", net, path, "--images", str(args.images),
                                   "--repeats", str(args.repeats)], capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"{net}/{path} failed: {done.stderr.strip()[-400:] or done.stdout[-400:]}")
            r = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(r)
            print(f"{net:<18} {path:<9} {r['build_s']:>9.3f} {r['s_per_image']:>10.5f} {r['peak_mb']:>9.0f}",
                  flush=True)
    key = "squeezenet_mini" if "squeezenet_mini" in nets else nets[0]
    by = {r["path"]: r for r in rows if r["net"] == key}
    speedup = by["hls4ml"]["s_per_image"] / by["simulate"]["s_per_image"]
    build = by["hls4ml"]["build_s"] / by["hls"]["build_s"]
    print(f"RESULT sim_vs_hls4ml_speedup={speedup:.2f} build_vs_hls4ml={build:.2f}")


if __name__ == "__main__":
    main()
