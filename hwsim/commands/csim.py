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
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def random_inputs(graph, config, images: int, seed: int):
    """N(0, 1) inputs and their raw mantissas in the input type (its rounding and overflow modes)."""
    import numpy as np
    from hwsim.util.errors import InputError
    if isinstance(images, bool) or not isinstance(images, int) or images < 1:
        raise InputError(f"--images must be a positive integer, got {images!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((images, *graph.input_shape))
    return x, config.input.quantize(x)


def compare(project, images: int, seed: int, timeout: float = 3600.0, progress: bool = True) -> dict:
    """Run the project's C simulation; {'images', 'values', 'mismatches', 'first'} (first mismatch)."""
    import numpy as np
    from hwsim.sim import simulate
    from hwsim.backends import registry as backends
    from hwsim.util.supervise import stage
    runner = backends.csim_runner(project.backend)
    x, x_raw = random_inputs(project.graph, project.config, images, seed)
    with stage(f"simulating {project.graph.name} bit-accurately ({images} images)"):
        expected = simulate.run(project.graph, x, project.config, reference=False).raw
    req = backends.CsimRequest(project.path, project.graph, project.config, x_raw, expected=expected,
                               timeout=timeout, build_timeout=timeout, progress=progress)
    with stage(f"building and running the {project.backend} C simulation"):
        got = np.asarray(runner(req), dtype=np.int64)
    if got.shape != expected.shape:
        raise RuntimeError(f"C simulation returned shape {got.shape}, expected {expected.shape}")
    bad = np.argwhere(got != expected)
    first = None
    if len(bad):
        idx = tuple(int(i) for i in bad[0])
        first = (idx, int(got[idx]), int(expected[idx]))
    return {"images": images, "values": int(expected.size), "mismatches": int(len(bad)), "first": first}


def run(args) -> int:
    from hwsim.util import toolchain as cpp
    from hwsim.backends import project as prj
    proj = prj.read(args.project)
    try:
        res = compare(proj, args.images, args.seed, timeout=args.timeout, progress=not args.quiet)
    except (cpp.CompileError, cpp.RunError) as e:
        print(f"hwsim csim: error: {e}", file=sys.stderr)
        return EXIT_MISMATCH
    print(f"csim: {res['images']} images, {res['values']} values, {res['mismatches']} mismatches")
    if res["first"] is not None:
        (n, c, h, w), got, exp = res["first"]
        print(f"csim: first mismatch at image {n}, channel {c}, row {h}, col {w}: raw {got}, expected {exp}",
              file=sys.stderr)
        return EXIT_MISMATCH
    return 0
