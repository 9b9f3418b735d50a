"""`hwsim fold`: the per-layer folding (PE, SIMD) with the highest frame rate a device allows, or the
cheapest one that meets a target (hwsim.hw.fold)."""
from __future__ import annotations

import argparse
import sys

from hwsim.commands import args as types, common
from hwsim.commands.common import check_file, write_all
from hwsim.util.errors import InputError

DEFAULT_MODEL = "squeezenet1_1"
DEFAULT_UTILIZATION = 90.0
EXIT_FITS, EXIT_BAD_INPUT, EXIT_EXCEEDS = 0, 2, 3

EPILOG = f"""\
Without --target-fps it maximises frames per second with every resource (DSP, BRAM18, URAM, LUT)
within --utilization percent of the device (default {DEFAULT_UTILIZATION:g}); with a target it returns the
cheapest design that meets it. It chooses pe and simd for every conv / dense layer, pe for pools,
joins and global average pools, and implements a layer's products in LUTs (mult_style lut) where
DSPs run out. The algorithm and its argument are in the README ("hwsim fold").

It writes a config (-o, default folded.yaml) that budget, generate, csim, compare and tune accept,
prints the folding of every layer, and ends with one line:
  FOLDED: <fps> fps at <MHz> MHz, bottleneck <layer>; DSP a/b, BRAM18 c/d, LUT e/f
or one line naming the resource that makes the target impossible, and by how much.

exit status: 0 a folding fits; 3 none does (or the target is out of reach); 2 bad input."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "fold", help="fold a network onto a device for the highest frame rate its resources allow",
        description="Choose PE and SIMD per layer for the fastest design that fits a device, or the "
                    "cheapest one that meets --target-fps; write it as a config.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_model_args(p, default_weights="none: folding needs only shapes")
    g = p.add_argument_group("device")
    g.add_argument("--device", metavar="NAME", help="the device (see hwsim budget --list-devices)")
    g.add_argument("--dsp", metavar="N", type=types.non_negative_int, help="DSPs available (overrides the device's)")
    g.add_argument("--bram18", metavar="N", type=types.non_negative_int, help="BRAM18 blocks available")
    g.add_argument("--lut", metavar="N", type=types.non_negative_int, help="LUTs available")
    g.add_argument("--uram", metavar="N", type=types.non_negative_int, help="URAM blocks available (default 0)")
    g.add_argument("--utilization", metavar="PCT", type=types.positive_float, default=DEFAULT_UTILIZATION,
                   help=f"use at most PCT percent of every resource (default {DEFAULT_UTILIZATION:g})")
    f = p.add_argument_group("objective")
    f.add_argument("--target-fps", metavar="F", type=types.positive_float,
                   help="the cheapest design that reaches F frames per second (default: the fastest that fits)")
    f.add_argument("--clock-mhz", metavar="MHZ", type=types.positive_float, help="clock (default: config, 200)")
    o = p.add_argument_group("output")
    o.add_argument("-o", "--output", metavar="FILE", default="folded.yaml",
                   help="the folded config (YAML; default folded.yaml)")
    o.add_argument("--plot", metavar="FILE.png",
                   help="also plot fps against DSPs as the utilization cap sweeps, with the DSP roofline")


def _check(args) -> None:
    from hwsim.spec import devices
    if args.device is None and None in (args.dsp, args.bram18, args.lut):
        raise InputError("give --device NAME, or --dsp N --bram18 N --lut N [--uram N]")
    if args.device is not None:
        devices.get(args.device)
    if not 0 < args.utilization <= 100:
        raise InputError(f"--utilization must be in (0, 100], got {args.utilization:g}")
    check_file(args.output, "-o")
    if args.plot:
        if not args.plot.lower().endswith(".png"):
            raise InputError(f"--plot {args.plot!r}: the chart is a PNG; give a file name ending in .png")
        check_file(args.plot, "--plot")


def _resolve(args):
    spec = common.model_spec(args, DEFAULT_MODEL)
    doc = dict(spec.doc)
    if args.clock_mhz is not None:
        doc["hardware"] = {**(doc.get("hardware") or {}), "clock_mhz": args.clock_mhz}
    built = common.build(spec, args.precision, args.weight_type, shapes_only=True, doc=doc)
    return spec, built


def run(args) -> int:
    from hwsim.hw import fold as hw_fold
    from hwsim.report import fold as fold_report
    from hwsim.spec import devices
    from hwsim.study.tune import to_yaml
    _check(args)
    spec, built = _resolve(args)
    graph, config = built.graph, built.config
    device = devices.get(args.device) if args.device else None
    lim = hw_fold.limits(device, args.dsp, args.bram18, args.lut, args.uram, args.utilization)
    clock = float(config.hardware.get("clock_mhz", 200.0))
    where = device.name if device is not None else "the given limits"
    try:
        result = hw_fold.fold(graph, config, device, lim, args.target_fps)
    except hw_fold.OutOfReach as e:
        print(f"IMPOSSIBLE: {e}")
        return EXIT_EXCEEDS
    head = (f"fold {graph.name} {'x'.join(map(str, graph.input_shape))} onto {where} at {clock:g} MHz, every "
            f"resource within {args.utilization:g}% ({', '.join(f'{n} {c:,}' for n, c in zip(('DSP', 'BRAM18', 'URAM', 'LUT'), lim.as_tuple()))}); "
            f"{result.evaluated} designs evaluated")
    if not result.fits:
        print(head)
        what = (f"{args.target_fps:g} fps" if args.target_fps else f"{graph.name} at its slowest folding")
        line = fold_report.over_line(result, what, where)
        if args.target_fps is None:
            fits = hw_fold.fitting_devices(graph, config, args.utilization)
            line += "; fits: " + (", ".join(fits) if fits else "no device in the catalog")
        print(f"DOES NOT FIT: {line}" if args.target_fps is None else f"IMPOSSIBLE: {line}")
        return EXIT_EXCEEDS
    from hwsim.spec import config as cfg
    doc = {"model": common.model_entry(spec, args.output),
           **({"model_args": built.model_args} if built.model_args else {}),
           **({"weights": spec.weights} if spec.weights else {}), **cfg.to_document(result.config)}
    if device is not None:
        doc["hardware"] = {**doc["hardware"], "device": device.name}
    files = {args.output: to_yaml(doc, [f"hwsim fold: {fold_report.verdict(result, clock)}"])}
    if args.plot:
        from hwsim.report import plots
        sweep = hw_fold.sweep(graph, config, device, lim)
        files[args.plot] = plots.fold_png(sweep, graph, clock, where)
    write_all(files)
    sys.stdout.write(head + "\n\n" + fold_report.table(result) + "\n")
    print(f"wrote {args.output}" + (f" and {args.plot}" if args.plot else ""))
    print(fold_report.verdict(result, clock))
    return EXIT_FITS
