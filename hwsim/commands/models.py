"""`hwsim models`: SqueezeNet against MobileNet on one device, in hardware terms (hwsim.study.models)."""
from __future__ import annotations

import argparse
import os
import sys

from hwsim.commands import args as types
from hwsim.commands.common import check_file, write_all
from hwsim.util.errors import InputError

DEFAULT_DEVICE = "zcu102"
FORMATS = ("table", "md", "json")          # hwsim.report.models.FORMATS
EXTENSIONS = {".md": "md", ".json": "json", ".txt": "table"}
DEFAULT_NETS = ("squeezenet1_0,squeezenet1_1,mobilenet_v1:1.0-224,mobilenet_v1:0.75-224,mobilenet_v1:0.5-224,"
                "mobilenet_v1:0.5-160,mobilenet_v1:0.25-224,mobilenet_v1:0.25-128")   # hwsim.study.models.DEFAULT_NETS

EPILOG = """\
For every network: parameters, MACs, the weights' bits at the precision and whether they fit the
device's on-chip memory, the on-chip bits of the streamed design at pe = simd = 1 and whether it
fits, and the fastest folding `hwsim fold` finds (frames per second, bottleneck, DSPs and their
share, BRAM18, LUTs). The digits section adds squeezenet_mini and mobilenet_mini with their shipped
weights: float and fixed-point top-1 on the digits test split. Folding every network takes a while
(minutes for the default list); progress goes to stderr.

A network is a zoo name, or mobilenet_v1:ALPHA-RESOLUTION (alpha 1.0, 0.75, 0.5 or 0.25), e.g.
  hwsim models --device zu7ev --nets squeezenet1_1,mobilenet_v1:0.5-160 --plot fps.png

exit status: 0 done; 2 bad input."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "models", help="compare SqueezeNet and MobileNet on a device: parameters, on-chip bits, folded fps, DSPs",
        description="Compare networks on one device in hardware terms: parameters, MACs, on-chip bits, "
                    "whether the weights fit, the folded frame rate and its DSP share, and the digits "
                    "accuracy of the mini networks.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", metavar="NAME", default=DEFAULT_DEVICE,
                   help=f"the device (default {DEFAULT_DEVICE}; see hwsim budget --list-devices)")
    p.add_argument("--nets", metavar="LIST", default=DEFAULT_NETS,
                   help="comma-separated networks: zoo names, mobilenet_v1:ALPHA-RES, or ONNX files "
                        "(net.onnx, or net.onnx:CxHxW when it leaves dimensions free); default: both "
                        "SqueezeNets and six MobileNets")
    p.add_argument("--no-digits", action="store_true", help="leave out the digits section (the mini networks)")
    p.add_argument("--config", metavar="FILE", help="YAML/JSON config: its precision and hardware sections apply to every network")
    p.add_argument("--precision", metavar="TYPE", help="one type for weights, biases and results, e.g. 'ap_fixed<16,6>'")
    p.add_argument("--weight-type", metavar="TYPE", help="type of every weight (default ap_fixed<8,1,AP_RND_CONV,AP_SAT>)")
    p.add_argument("--utilization", metavar="PCT", type=types.positive_float, default=90.0,
                   help="fold within PCT percent of every resource (default 90)")
    p.add_argument("--clock-mhz", metavar="MHZ", type=types.positive_float, help="clock (default: config, 200)")
    p.add_argument("--format", choices=FORMATS, help="table (default), md or json; default from -o's extension")
    p.add_argument("-o", "--output", metavar="FILE", help="write the comparison here instead of stdout")
    p.add_argument("--plot", metavar="FILE.png", help="also plot folded fps against parameters")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def _doc(args) -> dict:
    from hwsim.spec import config as cfg
    doc = cfg.read(args.config) if args.config else {}
    doc = {k: v for k, v in doc.items() if k in ("precision", "hardware")}
    if args.clock_mhz is not None:
        doc["hardware"] = {**(doc.get("hardware") or {}), "clock_mhz": args.clock_mhz}
    return doc


def run(args) -> int:
    from hwsim.report import models as report
    from hwsim.report.plots import check_png
    from hwsim.spec import devices
    from hwsim.study import models
    device = devices.get(args.device)
    if not 0 < args.utilization <= 100:
        raise InputError(f"--utilization must be in (0, 100], got {args.utilization:g}")
    nets = [models.parse(s) for s in args.nets.split(",") if s.strip()]
    if not nets:
        raise InputError("--nets: give at least one network")
    if args.output:
        check_file(args.output, "-o")
    if args.plot:
        check_png(args.plot)
    fmt = args.format or (EXTENSIONS.get(os.path.splitext(args.output)[1].lower(), "table") if args.output else "table")
    say = None if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    c = models.compare(nets, device, _doc(args), args.utilization, not args.no_digits, say,
                       args.precision, args.weight_type)
    text = report.render(c, fmt)
    files = {args.output: text} if args.output else {}
    if args.plot:
        files[args.plot] = report.plot_png(c)
    write_all(files)
    if not args.output:
        sys.stdout.write(text)
    for path in files:
        print(f"wrote {path}", file=sys.stderr)
    return 0
