"""`hwsim budget`: on-chip memory (and compute) estimate of a network against a budget and a device."""
from __future__ import annotations

import argparse
import sys

from hwsim.hw.estimate import ARCHS
from hwsim.report.tables import FORMATS
from hwsim.spec.units import DEFAULT_BUDGET
from hwsim.commands import args as types, common
from hwsim.util.errors import InputError
from hwsim.commands.common import check_file, write_all

DEFAULT_MODEL = "squeezenet1_1"
EXIT_FITS, EXIT_BAD_INPUT, EXIT_EXCEEDS = 0, 2, 3

EPILOG = f"""\
The default network is {DEFAULT_MODEL}; every network is estimated at its zoo input (3x227x227
for the SqueezeNets and AlexNet, the SqueezeNet paper's input), the same one `hwsim generate`
writes, unless --input-shape or the config says otherwise.
--budget accepts 10MiB, 10MB (decimal), 80Mb (megabits), 4.5MiB, 512KiB or plain bytes
(default {DEFAULT_BUDGET}); the report states the exact number of bits used.

exit status: 0 the network fits the budget (and the device, with --device); 3 it does not;
2 bad input (unknown model, device, size, option value)."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "budget", help="on-chip memory budget (BRAM/URAM/LUTRAM) and compute estimate",
        description="Estimate the on-chip memory of a network (weights, line buffers, FIFOs, feature "
                    "maps), map it onto BRAM18/URAM/LUTRAM, estimate DSPs and throughput, and check it "
                    "against a budget and optionally a device.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_model_args(p, default_weights="none: the estimate needs only shapes")
    g = p.add_argument_group("estimate")
    g.add_argument("--arch", choices=ARCHS, default="stream",
                   help="stream: one dataflow stage per layer; layer: one engine, feature maps on chip (default: stream)")
    g.add_argument("--device", metavar="NAME", help="check against a device (see --list-devices); aliases such as zcu102 work")
    g.add_argument("--budget", metavar="SIZE", default=DEFAULT_BUDGET, help=f"on-chip budget (default {DEFAULT_BUDGET})")
    g.add_argument("--weights-offchip", action="store_true", help="weights live off chip: count on-chip buffers only")
    g.add_argument("--prune", metavar="DENSITY|table1",
                   help="Deep Compression pruning: kept fraction (0.33 or 33%%) or table1 (SqueezeNet paper densities)")
    g.add_argument("--codebook", metavar="BITS", type=types.bits, help="shared-weight codebook index width (Deep Compression)")
    g.add_argument("--index-bits", metavar="BITS", type=types.bits, default=4, help="sparse relative index width (default 4)")
    g.add_argument("--clock-mhz", metavar="MHZ", type=types.positive_float, help="clock for the throughput estimate (default: config, 200)")
    g.add_argument("--fifo-depth", metavar="N", type=types.positive_int, help="stream FIFO depth in pixels (default: config, 2)")
    o = p.add_argument_group("output")
    o.add_argument("--format", choices=FORMATS, default="table", help="report format (default: table)")
    o.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically) instead of stdout")
    o.add_argument("--plot", metavar="FILE.png", help="also write a chart: on-chip memory per module against the budget (PNG)")
    o.add_argument("--list-devices", action="store_true", help="list the device catalog and exit")
    o.add_argument("--list-models", action="store_true", help="list the zoo networks and exit")


def _resolve(args):
    """(graph, config): like common.resolve, with this command's overrides; weights only when a
    file is given or the weight type takes its integer bits from them."""
    spec = common.model_spec(args, DEFAULT_MODEL)
    doc = dict(spec.doc)
    hw = dict(doc.get("hardware") or {})
    if args.clock_mhz is not None:
        hw["clock_mhz"] = args.clock_mhz
    if args.fifo_depth is not None:
        hw["fifo_depth"] = args.fifo_depth
    if hw:
        doc["hardware"] = hw
    built = common.build(spec, args.precision, args.weight_type, shapes_only=True, doc=doc)
    return built.graph, built.config


def _list_devices() -> str:
    from hwsim.spec import devices
    lines = [f"{'name':<18} {'blocks':>12} {'URAM':>5} {'DSP':>6} {'LUT':>10}  {'part':<22} source"]
    for d in devices.DEVICES:
        lines.append(f"{d.name:<18} {d.bram18:>6} {d.block_kind:<5} {d.uram:>5} {d.dsp:>6} "
                     f"{(f'{d.lut:,}' if d.lut else '-'):>10}  {d.part or '-':<22} {d.source}")
    return "\n".join(lines) + "\n"


def _check_options(args) -> None:
    """Values the estimate would reject, and the output paths: before any work is done."""
    from hwsim.spec import devices
    from hwsim.hw import compression as memory_dc
    from hwsim.spec.units import parse_size
    parse_size(args.budget)
    if args.device is not None:
        devices.get(args.device)
    if args.prune is not None and args.prune.strip().lower() != "table1":
        memory_dc.parse_density(args.prune)
    if args.output:
        check_file(args.output, "-o")
    if args.plot:
        if not args.plot.lower().endswith(".png"):
            raise InputError(f"--plot {args.plot!r}: the chart is a PNG; give a file name ending in .png")
        check_file(args.plot, "--plot")


def run(args) -> int:
    from hwsim.report import budget as budget_report
    from hwsim.hw import estimate as memory
    from hwsim.ir import zoo
    if args.list_devices:
        sys.stdout.write(_list_devices())
        return EXIT_FITS
    if args.list_models:
        sys.stdout.write("\n".join(zoo.names()) + "\n")
        return EXIT_FITS
    _check_options(args)
    graph, config = _resolve(args)
    report = memory.estimate(graph, config, arch=args.arch, device=args.device, budget=args.budget,
                             weights="offchip" if args.weights_offchip else "onchip",
                             prune=args.prune, codebook_bits=args.codebook, index_bits=args.index_bits)
    text = budget_report.render(report, args.format)
    files = {}         # files first, all or none: a failed write leaves no file and no report
    if args.plot:
        files[args.plot] = budget_report.plot_png(report)
    if args.output:
        files[args.output] = text
    write_all(files)
    if args.output:
        print(budget_report.verdict(report))
    else:
        sys.stdout.write(text)
    return EXIT_FITS if report.fits else EXIT_EXCEEDS
