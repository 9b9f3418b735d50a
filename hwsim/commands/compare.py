"""`hwsim compare`: float vs fixed-point accuracy on labelled data, per-layer errors, bit-width sweep."""
from __future__ import annotations

import argparse
import os
import sys

from hwsim.report.tables import FORMATS
from hwsim.util.errors import InputError
from hwsim.commands import args as types, common
from hwsim.commands.common import check_file, write_all

DEFAULT_MODEL = "squeezenet_mini"
DEMO_WEIGHTS = "the shipped digits weights (squeezenet_mini at 1x16x16, 10 classes)"
SUPERVISED = True     # runs in a child process: a native crash is one line (hwsim.util.supervise)
EXTENSIONS = {".json": "json", ".md": "md", ".html": "html", ".htm": "html", ".txt": "table"}


def add_data_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data and execution")
    g.add_argument("--data", metavar="SPEC", default="digits",
                   help="digits (scikit-learn's bundled 8x8 digits, resized; default), a folder with one "
                        "subfolder per class, or an .npz with x (N,C,H,W) and y (N,)")
    g.add_argument("--seed", type=types.non_negative_int, default=0, help="seed of the stratified data split (default 0)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="run evaluations on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786")
    g.add_argument("--workers", type=types.positive_int, metavar="N", help="local worker processes (default: all cores; 1 = in process)")
    g.add_argument("--chunk", type=types.positive_int, default=64, metavar="N", help="images per evaluation job (default 64)")
    g.add_argument("--quiet", action="store_true", help="no progress bar on stderr")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "compare", help="fixed-point vs float accuracy on labelled data",
        description="Float vs fixed-point top-1/top-5 accuracy, top-1 agreement and per-layer SQNR, max "
                    "abs error, overflow and saturation counts; the worst layers are highlighted. "
                    "Default: squeezenet_mini with the shipped digits weights on the digits test split.")
    common.add_model_args(p, DEFAULT_MODEL, DEMO_WEIGHTS)
    add_data_args(p)
    p.add_argument("--split", choices=("train", "val", "test"), default="test",
                   help="digits split to evaluate (default test)")
    p.add_argument("--sweep", metavar="A..B",
                   help="also evaluate every activation and weight at each width A..B (or a list 4,8,16), "
                        "integer bits from observed ranges")
    p.add_argument("--format", choices=FORMATS,
                   help="report format (default: from the -o extension, else table)")
    p.add_argument("--plot", metavar="FILE.png", help="plot the sweep: accuracy and on-chip memory vs bit width")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report here instead of stdout")
    p.set_defaults(command="compare")


def parse_widths(text: str, option: str = "--sweep") -> list[int]:
    """'4..16' -> [4, ..., 16]; '4,8,16' -> [4, 8, 16]; widths between 2 and 32."""
    try:
        if ".." in text:
            a, b = text.split("..", 1)
            widths = list(range(int(a), int(b) + 1))
        else:
            widths = sorted({int(v) for v in text.split(",")})
    except ValueError:
        raise InputError(f"{option} {text!r}: expected A..B (e.g. 4..16) or a list of widths (4,8,16)") from None
    if not widths or min(widths) < 2 or max(widths) > 32:
        raise InputError(f"{option} {text!r}: widths must be between 2 and 32 bits, lowest first")
    return widths


def resolve_net(args):
    """(graph, config, model spec, model_args, weights path) with compare's defaults: squeezenet_mini
    with its shipped digits weights when it is chosen without weights at its default input and
    classes. Any other zoo network needs --weights: accuracy on random weights means nothing; an
    ONNX file holds its own."""
    from hwsim.study import data
    spec = common.model_spec(args, DEFAULT_MODEL, data.demo_path(), trained=True)
    built = common.build(spec, args.precision, args.weight_type)
    weights = os.path.abspath(spec.weights) if spec.weights else None
    return built.graph, built.config, spec, built.model_args, weights


def num_classes(graph) -> int:
    c, h, w = graph.shape(graph.output.name)
    return c * h * w


def make_executor(args):
    from hwsim.study import executor
    return executor.make(args.scheduler, args.workers, progress=not args.quiet)


def _format(args) -> str:
    if args.format:
        return args.format
    if args.output:
        return EXTENSIONS.get(os.path.splitext(args.output)[1].lower(), "table")
    return "table"


def run(args) -> int:
    from hwsim.report import accuracy as accuracy_report
    from hwsim.study import compare as accuracy, data
    from hwsim.report import plots
    widths = parse_widths(args.sweep) if args.sweep else None
    if args.plot and not widths:
        raise InputError("--plot draws the bit-width sweep; give --sweep A..B as well")
    if args.plot:
        plots.check_png(args.plot)
    if args.output:
        check_file(args.output, "-o")
    graph, config, *_ = resolve_net(args)
    ds = data.load(args.data, graph.input_shape, num_classes(graph), split=args.split, seed=args.seed)
    calib = None
    if widths and (args.data or "digits").startswith("digits"):
        calib = data.digits("val", graph.input_shape, args.seed).x   # ranges from validation images
    with make_executor(args) as ex:
        report = accuracy.compare(graph, config, ds, ex, args.chunk, widths, calib)
    text = accuracy_report.render(report, _format(args))
    files = {args.output: text} if args.output else {}
    if args.plot:
        files[args.plot] = plots.sweep_png(report.sweep, f"{report.model} on {report.data}")
    write_all(files)                 # all or none
    if not args.output:
        sys.stdout.write(text)
    for path in files:
        print(f"wrote {path}", file=sys.stderr)
    return 0
