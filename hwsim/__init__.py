"""hwsim: on-chip memory budgets, bit-exact HLS generation and fixed-point accuracy for compact CNNs.

The public API, one name per job (each loads its package on first use, so `import hwsim` is cheap):

    import hwsim
    graph = hwsim.build("fire", size=13)                 # a zoo network (hwsim.ir.zoo.build)
    graph = hwsim.load_weights(graph, "weights.pth")     # .pth / .npz / ONNX weights
    graph = hwsim.from_torch(module, x).graph            # a torch.nn.Module, via ONNX (eval mode)
    config = hwsim.load_config("precision.yaml", graph)  # typed config, complete when returned
    report = hwsim.estimate(graph, config)               # on-chip memory, DSPs, cycles (hwsim.hw)
    result = hwsim.simulate(graph, x, config)            # bit-accurate run: result.raw, result.stats
    files = hwsim.render(graph, config)                  # the HLS project as {path: text}
    hwsim.generate(graph, config, "out/fire", {"size": 13})   # write it atomically, csim-ready

The packages, lowest first (an import-linter contract in pyproject.toml keeps the order):
util, fixed, ir, spec, sim | hw, backends, study, report, commands, cli.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> (module, attribute)
_API = {
    "build": ("hwsim.ir.zoo", "build"),
    "load_weights": ("hwsim.ir.weights", "load_weights"),
    "from_torch": ("hwsim.ir.torch_import", "from_torch"),
    "Graph": ("hwsim.ir.graph", "Graph"),
    "FixedType": ("hwsim.fixed", "FixedType"),
    "load_config": ("hwsim.spec.config", "load"),
    "Config": ("hwsim.spec.config", "Config"),
    "estimate": ("hwsim.hw.estimate", "estimate"),
    "simulate": ("hwsim.sim.simulate", "run"),
    "reference": ("hwsim.sim.reference", "run"),
    "render": ("hwsim.backends.hls.render", "render"),
    "generate": ("hwsim.backends.project", "generate_project"),
}
__all__ = sorted(_API) + ["__version__"]


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'hwsim' has no attribute {name!r}")
    module, attr = _API[name]
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__():
    return __all__
