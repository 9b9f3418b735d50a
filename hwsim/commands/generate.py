"""`hwsim generate`: write an HLS project (or another registered backend's) for a network."""
from __future__ import annotations

import time
from pathlib import Path

from . import common

TOOLS = ("vitis", "vivado")


def add_parser(sub) -> None:
    from ..codegen import backends
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


def model_args(args) -> tuple[str, dict]:
    """(zoo name, builder kwargs) exactly as common.resolve builds the graph."""
    from .. import config as cfg
    doc = cfg.read(args.config) if getattr(args, "config", None) else {}
    name = args.model or doc.get("model") or "squeezenet1_1"
    kwargs = dict(doc.get("model_args") or {})
    if getattr(args, "input_shape", None):
        kwargs["input_shape"] = common.parse_shape(args.input_shape)
    if getattr(args, "num_classes", None):
        kwargs["num_classes"] = args.num_classes
    if "input_shape" in kwargs:
        kwargs["input_shape"] = tuple(kwargs["input_shape"])
    return name, kwargs


def generate_project(graph, config, out: str | Path, model_args: dict, backend: str = "hls",
                     tool: str = "vitis", force: bool = False, io: str | None = None) -> Path:
    """Write the project for (graph, config) into `out` atomically, with hwsim_project.json and
    weights.npz so that `hwsim csim` can recompute the expected outputs."""
    from ..codegen import backends, project, writer
    from ..weights import save_npz
    gens = backends.generators()
    if backend not in gens:
        raise ValueError(f"unknown backend {backend!r}; choose one of: {', '.join(gens)}")
    if tool not in TOOLS:
        raise ValueError(f"unknown HLS tool {tool!r}; choose one of: {', '.join(TOOLS)}")
    doc = project.document(graph, config, model_args, backend, tool)
    extra = {}
    if io is not None:     # backends with an io type (hls4ml) record it in hwsim_project.json
        import json
        body = json.loads(doc)
        body["io"] = io
        doc = json.dumps(body, indent=2, sort_keys=True) + "\n"
        extra["io"] = io
    with writer.atomic_folder(out, force) as tmp:
        gens[backend](graph, config, tmp, tool, **extra)
        writer.write_files(tmp, {project.PROJECT_FILE: doc})
        if graph.has_weights:
            save_npz(graph, tmp / project.WEIGHTS_FILE)
            _fix_zip_times(tmp / project.WEIGHTS_FILE)
    return Path(out)


def _fix_zip_times(path: Path) -> None:
    """Rewrite an .npz with fixed entry timestamps, so equal weights give equal bytes."""
    import zipfile
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as dst:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, data)


def run(args) -> int:
    from .. import zoo
    from ..codegen.viewmodel import resolve_hardware
    t0 = time.perf_counter()
    name, kwargs = model_args(args)
    graph, config = common.resolve(args)
    if str(zoo.build(name, **kwargs)) != str(graph):
        raise ValueError(f"internal: cannot rebuild {name} from its arguments {kwargs}")
    config = resolve_hardware(config, part=args.part, clock_ns=args.clock)
    out = Path(args.output) if args.output else Path("generated") / graph.name
    io = getattr(args, "io", None)
    if io is not None and args.backend != "hls4ml":
        raise ValueError(f"--io applies to --backend hls4ml only, not {args.backend!r}")
    if args.backend == "hls4ml":
        io = io or "parallel"
    generate_project(graph, config, out, kwargs, backend=args.backend, tool=args.tool, force=args.force,
                     io=io)
    n = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"generate: {graph.name} -> {out} ({n} files, backend {args.backend}, tool {args.tool}, "
          f"{time.perf_counter() - t0:.1f} s)")
    return 0
