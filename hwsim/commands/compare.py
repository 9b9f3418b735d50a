"""`hwsim compare`: float vs fixed-point accuracy on labelled data, per-layer errors, bit-width sweep."""
from __future__ import annotations

import argparse
import os
import sys

from . import common
from .common import write_atomic

DEFAULT_MODEL = "squeezenet_mini"
EXTENSIONS = {".json": "json", ".md": "md", ".html": "html", ".htm": "html", ".txt": "table"}


def add_data_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data and execution")
    g.add_argument("--data", metavar="SPEC", default="digits",
                   help="digits (scikit-learn's bundled 8x8 digits, resized; default), a folder with one "
                        "subfolder per class, or an .npz with x (N,C,H,W) and y (N,)")
    g.add_argument("--seed", type=int, default=0, help="seed of the stratified data split (default 0)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="run evaluations on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786")
    g.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: all cores; 1 = in process)")
    g.add_argument("--chunk", type=int, default=64, metavar="N", help="images per evaluation job (default 64)")
    g.add_argument("--quiet", action="store_true", help="no progress bar on stderr")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "compare", help="fixed-point vs float accuracy on labelled data",
        description="Float vs fixed-point top-1/top-5 accuracy, top-1 agreement and per-layer SQNR, max "
                    "abs error, overflow and saturation counts; the worst layers are highlighted. "
                    "Default: squeezenet_mini with the shipped digits weights on the digits test split.")
    common.add_model_args(p)
    add_data_args(p)
    p.add_argument("--split", choices=("train", "val", "test"), default="test",
                   help="digits split to evaluate (default test)")
    p.add_argument("--sweep", metavar="A..B",
                   help="also evaluate every activation and weight at each width A..B (or a list 4,8,16), "
                        "integer bits from observed ranges")
    p.add_argument("--format", choices=("table", "json", "md", "html"),
                   help="report format (default: from the -o extension, else table)")
    p.add_argument("--plot", metavar="FILE.png", help="plot the sweep: accuracy and on-chip memory vs bit width")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report here instead of stdout")
    p.set_defaults(command="compare")


def parse_widths(text: str) -> list[int]:
    """'4..16' -> [4, ..., 16]; '4,8,16' -> [4, 8, 16]; widths between 2 and 32."""
    try:
        if ".." in text:
            a, b = text.split("..", 1)
            widths = list(range(int(a), int(b) + 1))
        else:
            widths = sorted({int(v) for v in text.split(",")})
    except ValueError:
        raise ValueError(f"--sweep {text!r}: expected A..B (e.g. 4..16) or a list of widths (4,8,16)") from None
    if not widths or min(widths) < 2 or max(widths) > 32:
        raise ValueError(f"--sweep {text!r}: widths must be between 2 and 32 bits, lowest first")
    return widths


def resolve_net(args):
    """(graph, config, model name, model_args, weights path) with compare's defaults: squeezenet_mini,
    with its shipped digits weights when it is chosen without weights and model arguments. The
    model_args pin the input shape (`hwsim budget` defaults ImageNet nets to another one)."""
    from .. import data
    spec = common.model_spec(args, DEFAULT_MODEL, data.demo_path())
    graph, config = common.build(spec, args.precision)
    model_args = {**spec.kwargs, "input_shape": tuple(graph.input_shape)}
    return graph, config, spec.name, model_args, (os.path.abspath(spec.weights) if spec.weights else None)


def num_classes(graph) -> int:
    c, h, w = graph.shape(graph.output.name)
    return c * h * w


def make_executor(args):
    from .. import executor
    return executor.make(args.scheduler, args.workers, progress=not args.quiet)


def _format(args) -> str:
    if args.format:
        return args.format
    if args.output:
        return EXTENSIONS.get(os.path.splitext(args.output)[1].lower(), "table")
    return "table"


def run(args) -> int:
    from .. import accuracy, data, plots
    widths = parse_widths(args.sweep) if args.sweep else None
    if args.plot and not widths:
        raise ValueError("--plot draws the bit-width sweep; give --sweep A..B as well")
    if args.plot:
        plots._check_path(args.plot)
    if args.output and not os.path.isdir(os.path.dirname(os.path.abspath(args.output))):
        raise FileNotFoundError(f"output folder not found: {os.path.dirname(os.path.abspath(args.output))}")
    graph, config, *_ = resolve_net(args)
    if not graph.has_weights:
        raise ValueError(f"{graph.name} has no weights")
    ds = data.load(args.data, graph.input_shape, num_classes(graph), split=args.split, seed=args.seed)
    calib = None
    if widths and (args.data or "digits").startswith("digits"):
        calib = data.digits("val", graph.input_shape, args.seed).x   # ranges from validation images
    with make_executor(args) as ex:
        report = accuracy.compare(graph, config, ds, ex, args.chunk, widths, calib)
    text = accuracy.render(report, _format(args))
    if args.output:
        write_atomic(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if args.plot:
        plots.sweep_plot(report.sweep, args.plot, f"{report.model} on {report.data}")
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0
