"""`hwsim csim`: C-simulate a generated project and compare it with hwsim.sim.simulate, value for value."""
from __future__ import annotations

import sys

from hwsim.commands import args as types

EXIT_MISMATCH = 1
SUPERVISED = True     # runs in a child process: a native crash is one line (hwsim.util.supervise)


def add_parser(sub) -> None:
    p = sub.add_parser("csim", help="C-simulate a generated project against the bit-accurate simulator",
                       description="Build the project's testbench with g++ (cached), run it on seeded "
                                   "random inputs and compare every output with hwsim.sim.simulate.")
    p.add_argument("project", metavar="DIR", help="folder written by `hwsim generate`")
    p.add_argument("--images", type=types.positive_int, default=4, metavar="N", help="random input images (default 4)")
    p.add_argument("--seed", type=types.non_negative_int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--timeout", type=types.positive_float, default=3600.0, metavar="SEC",
                   help="limit for the simulation run, and separately for the build (default 3600)")
    p.add_argument("--bounded", action="store_true",
                   help="every kernel of the dataflow region in its own thread, every stream holding at most "
                        "its declared depth (reads and writes block): a design whose FIFOs are too shallow "
                        "deadlocks here, as it would in hardware; reported in one line naming the full and "
                        "the empty streams (exit 1). C-simulation build only: the synthesized code is unchanged")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def run(args) -> int:
    from hwsim.util import toolchain as cpp
    from hwsim.backends import project as prj
    from hwsim.backends.csim import compare
    proj = prj.read(args.project)
    try:
        res = compare(proj, args.images, args.seed, timeout=args.timeout, progress=not args.quiet,
                      bounded=args.bounded)
    except (cpp.CompileError, cpp.RunError) as e:
        print(f"hwsim csim: error: {e}", file=sys.stderr)
        return EXIT_MISMATCH
    kind = "bounded csim" if args.bounded else "csim"
    print(f"{kind}: {res['images']} images, {res['values']} values, {res['mismatches']} mismatches")
    cyc = res.get("cycles")
    if cyc is not None:
        layer, _, n = cyc["bottleneck"]
        print(f"cycles: {cyc['kernels']} kernels, {len(cyc['differ'])} differ from the plan; "
              f"bottleneck {layer} {n} cycles")
        for unit, got, want in cyc["differ"][:5]:
            print(f"cycles: {unit} counted {got:g} per image, the plan says {want}", file=sys.stderr)
    if res["first"] is not None:
        (n, c, h, w), got, exp = res["first"]
        print(f"csim: first mismatch at image {n}, channel {c}, row {h}, col {w}: raw {got}, expected {exp}",
              file=sys.stderr)
        return EXIT_MISMATCH
    if cyc is not None and cyc["differ"]:
        return EXIT_MISMATCH
    return 0
