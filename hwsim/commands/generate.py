"""`hwsim generate`: write an HLS project (or another registered backend's) for a network."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from hwsim.backends.options import DEFAULT_IO, DEFAULT_TOOL, IO_TYPES, TOOLS
from hwsim.commands import args as types, common

OPTION_ARGS = ("io",)        # command-line options handed to the backend (see backends.options)
DEFAULT_FOLDER = "generated"


def _backend(name: str) -> str:
    """--backend: a registered backend (the registry loads only when the option is given)."""
    from hwsim.backends import registry as backends
    known = list(backends.generators())
    if name not in known:
        raise argparse.ArgumentTypeError(f"unknown backend {name!r}; choose one of: {', '.join(known)}")
    return name


def add_parser(sub) -> None:
    p = sub.add_parser("generate", help="write an HLS project whose C simulation matches hwsim bit for bit",
                       description="Write a self-contained HLS project (kernels, weights, top function, "
                                   "testbench, build_prj.tcl, Makefile) for a zoo network and precision config.")
    common.add_model_args(p)
    p.add_argument("--backend", default="hls", type=_backend,
                   help="project flavour: hls (hwsim's own streamed kernels, the default) or hls4ml")
    p.add_argument("--tool", default=DEFAULT_TOOL, choices=tuple(TOOLS),
                   help=f"HLS tool for build_prj.tcl (default: {DEFAULT_TOOL})")
    p.add_argument("--part", metavar="P", help="FPGA part (default: config hardware.part or the device's)")
    p.add_argument("--clock", type=types.positive_float, metavar="NS", help="clock period in ns (default: from the config)")
    p.add_argument("-o", "--output", metavar="DIR",
                   help=f"output folder; its parent must exist (default: {DEFAULT_FOLDER}/<model>)")
    p.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    p.add_argument("--io", choices=IO_TYPES,
                   help=f"hls4ml io type (--backend hls4ml only; default: {DEFAULT_IO})")


def run(args) -> int:
    from hwsim.backends import registry as backends, writer
    from hwsim.backends.project import generate_project
    t0 = time.perf_counter()
    options = {k: getattr(args, k) for k in OPTION_ARGS if getattr(args, k) is not None}
    backends.options(args.backend, options)             # a wrong option fails before any work
    if args.output:
        writer.check_target(args.output, args.force)
    built = common.build(common.model_spec(args), args.precision, args.weight_type, part=args.part,
                         clock_ns=args.clock)
    config = built.config
    out = Path(args.output) if args.output else Path(DEFAULT_FOLDER) / built.graph.name
    generate_project(built.graph, config, out, built.model_args, backend=args.backend, tool=args.tool,
                     force=args.force, options=options, make_parents=not args.output)
    n = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"generate: {built.graph.name} -> {out} ({n} files, backend {args.backend}, tool {args.tool}, "
          f"{time.perf_counter() - t0:.1f} s)")
    return 0
