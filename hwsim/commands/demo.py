"""`hwsim demo`: The main job end to end on the built-in defaults (what `make demo` runs).

1. budget   SqueezeNet 1.1 at 3x227x227 against 10 MiB (table, HTML page, PNG chart);
2. compare  the shipped digits demo net (squeezenet_mini), fixed point vs float on the test split;
3. generate its Vitis HLS project;
4. csim     C-simulate that project with g++ against the bit-accurate simulator.

Every step is the same subcommand a user runs; the demo only chains them and says where the
reports are.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hwsim.commands import args as types

EXIT_FAILED = 1
DEFAULT_OUT = "generated/demo"


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="run budget, compare, generate and csim on the built-in defaults",
                       description=__doc__.replace("`hwsim demo`: ", "", 1),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", metavar="DIR",
                   help=f"folder for reports and the generated project; its parent must exist "
                        f"(default {DEFAULT_OUT})")
    p.add_argument("--images", type=types.positive_int, default=8, metavar="N", help="C-simulated images (default 8)")


def _step(title: str, argv: list[str]) -> int:
    from hwsim.commands.dispatch import main
    print(f"\n=== {title}\n$ hwsim {' '.join(argv)}", flush=True)
    t = time.perf_counter()
    code = main(argv)
    print(f"--- {time.perf_counter() - t:.1f} s, exit {code}", flush=True)
    return code


def run(args) -> int:
    from hwsim.study.data import demo_path
    from hwsim.util.errors import InputError, oserror_text
    from hwsim.util.files import probe_folder
    out = Path(args.output or DEFAULT_OUT)
    if args.output and not out.parent.is_dir():
        raise InputError(f"--output {out}: folder {out.parent} does not exist")
    if out.exists() and not out.is_dir():
        raise InputError(f"--output {out} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create {out}: {oserror_text(e)}") from None
    probe_folder(out, f"--output {out}")
    weights = demo_path()
    project = out / "squeezenet_mini_hls"
    start = time.perf_counter()
    steps = [
        ("Budget: SqueezeNet 1.1, 3x227x227, default precision, against 10 MiB",
         ["budget", "--model", "squeezenet1_1", "--plot", str(out / "budget.png")], (0, 3)),
        ("Budget report as a page", ["budget", "--model", "squeezenet1_1", "--format", "html",
                                     "-o", str(out / "budget.html")], (0, 3)),
        ("Accuracy: digits demo net, fixed point vs float (test split)",
         ["compare", "--model", "squeezenet_mini", "--weights", weights, "--sweep", "4..16",
          "--plot", str(out / "compare.png")], (0,)),
        ("Accuracy report as a page", ["compare", "--model", "squeezenet_mini", "--weights", weights,
                                       "--format", "html", "-o", str(out / "compare.html")], (0,)),
        ("Generate the demo net's HLS project",
         ["generate", "--model", "squeezenet_mini", "--weights", weights, "-o", str(project), "--force"], (0,)),
        ("C-simulate it against the bit-accurate simulator",
         ["csim", str(project), "--images", str(args.images)], (0,)),
    ]
    for title, argv, ok in steps:
        code = _step(title, argv)
        if code not in ok:
            print(f"hwsim demo: step failed: hwsim {' '.join(argv)} (exit {code})", file=sys.stderr)
            return EXIT_FAILED
    print(f"\nDemo finished in {time.perf_counter() - start:.0f} s. Reports:")
    for name in ("budget.html", "budget.png", "compare.html", "compare.png"):
        print(f"  {out / name}")
    print(f"  {project}/  (Vitis HLS project: vitis_hls -f build_prj.tcl)")
    return 0
