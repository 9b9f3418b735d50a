"""hls4ml backend: an hls4ml project for a Graph + Config, and its C-sim checked bit-exactly.

Registered with hwsim.backends.registry as backend "hls4ml", so `hwsim generate --backend hls4ml`
and `hwsim csim DIR` reach it:
- `write_project(graph, config, folder, tool, io)` converts through hls4ml's PyTorch frontend
  (hwsim.backends.hls4ml.convert), writes hls4ml's project (firmware/, build_lib.sh, hls4ml_config.yml,
  ...) and beside it `hls4ml_resolved.json` (every hls4ml layer with the types, reuse factor and
  strategy hls4ml resolved; they were checked against the Config and the plan; and under
  "reuse_factor", per graph layer whose folding hls4ml cannot take as is: the requested reuse
  factor (hwsim's, from pe / simd), the one used, n_terms, pe, simd and why: see
  hwsim.backends.hls4ml.convert, "ReuseFactor") and `hls4ml_project.json` (io
  type, tool, channels-last layout, output size and type, graph layer -> hls4ml layer names).
  The caller (hwsim.backends.project.generate_project) adds `hwsim_project.json` (model, kwargs,
  config document, backend, options: io) and `weights.npz`; `generate(...)` does all of it in one call.
- `run_csim(request)` feeds hls4ml the inputs as exact values of the input type, runs hls4ml's
  C-sim in a child process (hwsim.backends.hls4ml.runner: a C++ assert kills the child, not the caller) and
  converts the float64 outputs back to raw mantissas of the output type. Every output must be a
  multiple of that type's LSB inside its range; otherwise the run fails with the count (a silent
  type mismatch would show up there).
"""
from __future__ import annotations

import contextlib
import io as _io
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwsim.spec.config import Config
from hwsim.ir.graph import Graph
from hwsim.backends.hls4ml.convert import convert, resolved_config
from hwsim.backends.options import DEFAULT_IO, IO_TYPES
from hwsim.backends.hls4ml.runner import predict
from hwsim.util.errors import InputError

BACKEND = "hls4ml"
META_FILE = "hls4ml_project.json"
RESOLVED_FILE = "hls4ml_resolved.json"
LOG_FILE = "hls4ml_convert.log"
PROJECT_NAME = "myproject"


class InexactOutput(RuntimeError):
    """hls4ml returned values that are not exact values of the output type."""


def write_project(graph: Graph, config: Config, folder, tool: str = "vitis", io: str = "parallel") -> None:
    """Write the hls4ml project (and hls4ml_project.json, hls4ml_resolved.json) into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    log = _io.StringIO()
    with contextlib.redirect_stdout(log), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # hls4ml's 'resource -> Resource' notices
        model, plan = convert(graph, config, folder.resolve(), tool=tool, io=io, project_name=PROJECT_NAME)
        model.write()
    (folder / LOG_FILE).write_text(log.getvalue())
    (folder / RESOLVED_FILE).write_text(json.dumps(resolved_config(model, graph, plan), indent=2) + "\n")
    meta = {"backend": BACKEND, "io": io, "tool": tool, "project_name": PROJECT_NAME,
            "layout": "channels_last", "input_shape": list(graph.input_shape),
            "output_shape": list(graph.output_shape), "output_size": int(math.prod(graph.output_shape)),
            "output_type": str(config[graph.output.name].result),
            "layers": {k: list(v) for k, v in plan.names.items()},
            "ceil_pads": {k: list(v) for k, v in plan.ceil_pads.items()}}
    (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")


def read_meta(folder) -> dict:
    path = Path(folder) / META_FILE
    if not path.is_file():
        raise InputError(f"{folder}: {META_FILE} is missing; not an hls4ml project written by hwsim")
    return json.loads(path.read_text())


def to_channels_last(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N, H, W, C), hls4ml's layout."""
    return np.ascontiguousarray(np.asarray(x).transpose(0, 2, 3, 1))


def output_raw(y: np.ndarray, graph: Graph, config: Config) -> tuple[np.ndarray, int]:
    """hls4ml outputs (N, n_out), channels last -> (raw mantissas (N, C, H, W), inexact count)."""
    t = config[graph.output.name].result
    c, h, w = graph.output_shape
    y = np.asarray(y, np.float64)
    if y.ndim != 2 or y.shape[1] != c * h * w:
        raise InexactOutput(f"hls4ml returned shape {y.shape}, expected (N, {c * h * w})")
    raw = t.quantize(y)
    ok = t.to_float(raw) == y
    raw = raw.reshape(-1, h, w, c).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(raw), int((~ok).sum())


def hls4ml_raw(folder, graph: Graph, config: Config, x_raw: np.ndarray, timeout: float = 1800.0) -> np.ndarray:
    """hls4ml's C-sim on input mantissas x_raw (N, C, H, W); output mantissas (N, C, H, W)."""
    x = config.input.to_float(np.asarray(x_raw, dtype=np.int64))      # exact doubles
    y = predict(folder, to_channels_last(x), int(math.prod(graph.output_shape)), timeout=timeout)
    raw, inexact = output_raw(y, graph, config)
    if inexact:
        t = config[graph.output.name].result
        raise InexactOutput(f"{inexact} of {raw.size} hls4ml outputs are not exact values of {t} "
                            f"(multiples of {t.lsb:g} in [{t.min_value:g}, {t.max_value:g}])")
    return raw


def run_csim(request) -> np.ndarray:
    """The csim runner registered for backend "hls4ml" (see hwsim.backends.registry.CsimRequest)."""
    from hwsim.util.toolchain import RunError
    read_meta(request.folder)
    try:
        return hls4ml_raw(request.folder, request.graph, request.config, request.x_raw,
                          timeout=request.timeout + request.build_timeout)
    except (RuntimeError, InexactOutput) as e:
        raise RunError(str(e)) from None


def generate(graph: Graph, config: Config, out, *, model_args: dict | None = None, tool: str = "vitis",
             io: str = "parallel", force: bool = False) -> Path:
    """A complete project in `out`: the hls4ml project plus hwsim_project.json (with "io") and
    weights.npz, exactly as `hwsim generate --backend hls4ml` writes it."""
    from hwsim.backends.project import generate_project
    if io not in IO_TYPES:
        raise InputError(f"unknown io type {io!r}; choose one of: {', '.join(IO_TYPES)}")
    return generate_project(graph, config, out, model_args or {}, backend=BACKEND, tool=tool,
                            force=force, options={"io": io})


@dataclass(frozen=True)
class CsimResult:
    images: int
    values: int
    mismatches: int

    def line(self) -> str:
        return f"csim: {self.images} images, {self.values} values, {self.mismatches} mismatches"


def csim(folder, images: int = 4, seed: int = 0, timeout: float = 3600.0) -> CsimResult:
    """`hwsim csim` for an hls4ml project, as a function: compare with hwsim.sim.simulate."""
    from hwsim.backends import project
    from hwsim.backends.csim import compare
    proj = project.read(folder)
    if proj.backend != BACKEND:
        raise InputError(f"{folder}: backend is {proj.backend!r}, not {BACKEND!r}")
    res = compare(proj, images, seed, timeout=timeout, progress=False)
    return CsimResult(res["images"], res["values"], res["mismatches"])


def _register() -> None:
    from hwsim.backends import registry as backends
    backends.register(BACKEND, generate=write_project, csim=run_csim, options={"io": DEFAULT_IO})


_register()
