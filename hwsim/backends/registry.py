"""Backend registries: project generators and C-simulation runners, by backend name.

    generator(graph, config, folder: Path, tool: str, **options) -> None
        writes the backend's project files into `folder` (a fresh temporary folder; the caller adds
        hwsim_project.json and weights.npz and moves it into place atomically). `options` are the
        backend's declared options (`register(..., options={name: default})`), defaults filled in.
    csim runner(request: CsimRequest) -> np.ndarray
        builds and runs the project's C simulation on `request.x_raw` and returns the output raw
        mantissas, int64, shape (N, C, H, W); `request.expected` holds the simulator's, for a
        backend that keeps them beside the project.

Backends register themselves with `register` when their module is imported; the modules listed in
BACKENDS are imported on first use: `hls` (hwsim's own kernels) and the hls4ml bridge. The registry
names them and imports none (the backends import the registry, never the other way round).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
from hwsim.util.errors import InputError

BACKENDS = ("hwsim.backends.hls.backend", "hwsim.backends.hls4ml.bridge")

_GENERATORS: dict[str, Callable] = {}
_RUNNERS: dict[str, Callable] = {}
_OPTIONS: dict[str, dict] = {}
_loaded = False


@dataclass(frozen=True, eq=False)
class CsimRequest:
    folder: Path
    graph: object             # hwsim Graph with weights
    config: object            # resolved hwsim Config
    x_raw: np.ndarray         # inputs as int64 raw mantissas of the input type, (N, C, H, W)
    expected: np.ndarray | None = None   # hwsim.sim.simulate's output raw mantissas, (N, C, H, W)
    timeout: float = 3600.0   # seconds for the whole run (build excluded)
    build_timeout: float = 1800.0
    progress: bool = True     # progress lines on stderr
    bounded: bool = False     # every kernel a thread, every stream bounded at its depth (hls backend)


def register(name: str, generate: Callable | None = None, csim: Callable | None = None,
             options: Mapping | None = None) -> None:
    """Register a backend's generator (with its options and their defaults) and / or C-simulation
    runner under `name`."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"backend name must be an identifier, got {name!r}")
    if generate is not None:
        _GENERATORS[name] = generate
        _OPTIONS[name] = dict(options or {})
    if csim is not None:
        _RUNNERS[name] = csim


def _load_plugins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in BACKENDS:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise


def generators() -> dict[str, Callable]:
    _load_plugins()
    return dict(sorted(_GENERATORS.items()))


def options(backend: str, given: Mapping | None = None) -> dict:
    """The generator options of `backend`: its defaults updated with `given`, sorted by name."""
    _load_plugins()
    if backend not in _GENERATORS:
        raise InputError(f"unknown backend {backend!r}; choose one of: {', '.join(sorted(_GENERATORS))}")
    for key in given or {}:
        if key not in _OPTIONS[backend]:
            owners = [n for n, o in sorted(_OPTIONS.items()) if key in o]
            raise InputError(f"--{key} applies to --backend {' / '.join(owners)} only, not {backend!r}"
                             if owners else f"backend {backend!r} has no option {key!r}")
    return dict(sorted({**_OPTIONS[backend], **(given or {})}.items()))


def csim_runner(backend: str) -> Callable:
    _load_plugins()
    if backend not in _RUNNERS:
        raise InputError(f"no C-simulation runner for backend {backend!r}; known: {', '.join(sorted(_RUNNERS))}")
    return _RUNNERS[backend]
