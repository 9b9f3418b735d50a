"""C simulation of a generated project against the bit-accurate simulator: seeded inputs, the
expected outputs from hwsim.sim.simulate, the backend's csim runner, and the raw comparison."""
from __future__ import annotations


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


def compare(project, images: int, seed: int, timeout: float = 3600.0, progress: bool = True,
            bounded: bool = False) -> dict:
    """Run the project's C simulation; {'images', 'values', 'mismatches', 'first'} (first mismatch).
    `bounded`: every kernel in a thread, every stream bounded at its declared depth (hls backend)."""
    import numpy as np
    from hwsim.sim import simulate
    from hwsim.backends import registry as backends
    from hwsim.util.supervise import stage
    from hwsim.util.errors import InputError
    if bounded and project.backend != "hls":
        raise InputError(f"--bounded needs a project of the hls backend; {project.path} is {project.backend}")
    runner = backends.csim_runner(project.backend)
    x, x_raw = random_inputs(project.graph, project.config, images, seed)
    with stage(f"simulating {project.graph.name} bit-accurately ({images} images)"):
        expected = simulate.run(project.graph, x, project.config, reference=False).raw
    req = backends.CsimRequest(project.path, project.graph, project.config, x_raw, expected=expected,
                               timeout=timeout, build_timeout=timeout, progress=progress, bounded=bounded)
    with stage(f"building and running the {'bounded ' if bounded else ''}{project.backend} C simulation"):
        got = np.asarray(runner(req), dtype=np.int64)
    if got.shape != expected.shape:
        raise RuntimeError(f"C simulation returned shape {got.shape}, expected {expected.shape}")
    bad = np.argwhere(got != expected)
    first = None
    if len(bad):
        idx = tuple(int(i) for i in bad[0])
        first = (idx, int(got[idx]), int(expected[idx]))
    out = {"images": images, "values": int(expected.size), "mismatches": int(len(bad)), "first": first}
    if project.backend == "hls":
        from hwsim.backends.hls.backend import cycle_report
        out["cycles"] = cycle_report(project.path)
    return out
