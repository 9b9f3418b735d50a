"""`hwsim generate`: write an HLS project (or another registered backend's) for a network."""
from __future__ import annotations

import time
from pathlib import Path

from ..codegen import backends, viewmodel
from . import common

TOOLS = tuple(viewmodel.TOOLS)
OPTION_ARGS = ("io",)        # command-line options handed to the backend (see backends.options)


def add_parser(sub) -> None:
    p = sub.add_parser("generate", help="write an HLS project whose C simulation matches hwsim bit for bit",
                       description="Write a self-contained HLS project (kernels, weights, top function, "
                                   "testbench, build_prj.tcl, Makefile) for a zoo network and precision config.")
    common.add_model_args(p)
    p.add_argument("--backend", default="hls", choices=list(backends.generators()),
                   help="project flavour (default: hls, hwsim's own streamed kernels)")
    p.add_argument("--tool", default="vitis", choices=TOOLS, help="HLS tool for build_prj.tcl (default: vitis)")
    p.add_argument("--part", metavar="P", help="FPGA part (default: config hardware.part or the device's)")
    p.add_argument("--clock", type=float, metavar="NS", help="clock period in ns (default: from the config)")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default: generated/<model>)")
    p.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    p.add_argument("--io", choices=("stream", "parallel"),
                   help="hls4ml io type (--backend hls4ml only; default: parallel)")


def generate_project(graph, config, out: str | Path, model_args: dict, backend: str = "hls",
                     tool: str = "vitis", force: bool = False, options: dict | None = None) -> Path:
    """Write the project for (graph, config) into `out` atomically, with hwsim_project.json and
    weights.npz so that `hwsim csim` can recompute the expected outputs. `options` override the
    backend's option defaults (backends.options)."""
    from ..codegen import project, writer
    from ..weights import save_npz
    if tool not in TOOLS:
        raise ValueError(f"unknown HLS tool {tool!r}; choose one of: {', '.join(TOOLS)}")
    opts = backends.options(backend, options)
    doc = project.document(graph, config, model_args, backend, tool, opts)
    with writer.atomic_folder(out, force) as tmp:
        backends.generators()[backend](graph, config, tmp, tool, **opts)
        writer.write_files(tmp, {project.PROJECT_FILE: doc})
        if graph.has_weights:
            save_npz(graph, tmp / project.WEIGHTS_FILE)
    return Path(out)


def run(args) -> int:
    t0 = time.perf_counter()
    spec = common.model_spec(args)
    graph, config = common.build(spec, args.precision)
    config = viewmodel.resolve_hardware(config, part=args.part, clock_ns=args.clock)
    out = Path(args.output) if args.output else Path("generated") / graph.name
    options = {k: getattr(args, k) for k in OPTION_ARGS if getattr(args, k) is not None}
    generate_project(graph, config, out, spec.kwargs, backend=args.backend, tool=args.tool, force=args.force,
                     options=options)
    n = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"generate: {graph.name} -> {out} ({n} files, backend {args.backend}, tool {args.tool}, "
          f"{time.perf_counter() - t0:.1f} s)")
    return 0
