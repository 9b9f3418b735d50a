"""`hwsim report`: the HLS tool's synthesis report of a generated project against hwsim's estimate
(hwsim.report.synth: where the reports are, how modules map to plan units, the 25% mark)."""
from __future__ import annotations

import sys

from hwsim.commands.common import check_file, write_all

FORMATS = ("table", "md", "markdown", "json")      # hwsim.report.synth.render; md = markdown


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="compare the HLS synthesis report with hwsim's estimate, per layer",
                       description="Read DIR/<top>_prj/solution1/syn/report/*.xml, written by "
                                   "`vitis_hls -f build_prj.tcl -tclargs synth=1` (or vivado_hls) in a "
                                   "project from `hwsim generate`, and print per layer and in total the "
                                   "interval, latency, BRAM18, DSP, LUT and FF that the tool reports beside "
                                   "the estimate in plan.json / memory.json; figures more than 25% away "
                                   "from their estimate are marked with '!'.")
    p.add_argument("project", metavar="DIR", help="folder written by `hwsim generate` (backend hls)")
    p.add_argument("--format", choices=FORMATS, default="table", help="report format (default: table)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically) instead of stdout")


def run(args) -> int:
    from hwsim.report import synth
    if args.output:
        check_file(args.output, "-o")
    rep = synth.load(args.project)
    text = synth.render(rep, args.format)
    if args.output:
        write_all({args.output: text})
        marked = sum(sum(r.marks) for r in (*rep.layers, rep.fifos, rep.total))
        print(f"report: {len(rep.layers)} layers, {marked} figures more than {synth.TOLERANCE:.0%} "
              f"from the estimate, {len(rep.unmatched)} units without a report -> {args.output}")
    else:
        sys.stdout.write(text)
    return 0
