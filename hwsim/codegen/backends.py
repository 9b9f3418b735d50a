"""Backend registries: project generators and C-simulation runners, by backend name.

    generator(graph, config, folder: Path, tool: str) -> None
        writes the backend's project files into `folder` (a fresh temporary folder; the caller adds
        hwsim_project.json and weights.npz and moves it into place atomically).
    csim runner(request: CsimRequest) -> np.ndarray
        builds and runs the project's C simulation on `request.x_raw` and returns the output raw
        mantissas, int64, shape (N, C, H, W).

The built-in backend is `hls` (hwsim's own kernels). Other modules register theirs with `register`;
the modules listed in PLUGINS are imported on first use, so a backend living in its own module (the
hls4ml bridge) only has to call `register(...)` at import time.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

PLUGINS = ("hwsim.hls4ml_bridge",)

_GENERATORS: dict[str, Callable] = {}
_RUNNERS: dict[str, Callable] = {}
_loaded = False


@dataclass(frozen=True, eq=False)
class CsimRequest:
    folder: Path
    graph: object             # hwsim Graph with weights
    config: object            # resolved hwsim Config
    x: np.ndarray             # float inputs, (N, C, H, W)
    x_raw: np.ndarray         # the same quantized to the input type: int64 raw mantissas
    timeout: float = 3600.0   # seconds for the whole run (build excluded)
    build_timeout: float = 1800.0
    progress: bool = True     # progress lines on stderr


def register(name: str, generate: Callable | None = None, csim: Callable | None = None) -> None:
    """Register a backend's generator and / or C-simulation runner under `name`."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"backend name must be an identifier, got {name!r}")
    if generate is not None:
        _GENERATORS[name] = generate
    if csim is not None:
        _RUNNERS[name] = csim


def _load_plugins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from . import hls_backend   # noqa: F401  (registers "hls")
    for mod in PLUGINS:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise


def generators() -> dict[str, Callable]:
    _load_plugins()
    return dict(sorted(_GENERATORS.items()))


def csim_runner(backend: str) -> Callable:
    _load_plugins()
    if backend not in _RUNNERS:
        raise ValueError(f"no C-simulation runner for backend {backend!r}; known: {', '.join(sorted(_RUNNERS))}")
    return _RUNNERS[backend]
