"""The project document (`hwsim_project.json`) and reading a generated project back.

`hwsim_project.json` holds what C simulation needs to recompute expected outputs: the network's
structure (`graph`, every layer spelled out by hwsim.ir.serialize, so a project reads back without
the zoo or the file the network came from), its display name (`model`, the graph's name) and the
builder kwargs it was made with (`model_args`, for reference), a config document that reproduces
the resolved config exactly (every layer's types spelled out), the user's original document for
reference, the backend, its tool and its generator options. The weights travel beside it in
`weights.npz` (hwsim.ir.weights.save_npz). Projects written before `graph` existed are rebuilt
from the zoo by `model` and `model_args`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from hwsim.spec import config as cfg
from hwsim.ir import serialize
from hwsim.ir.graph import Graph
from hwsim.util.errors import InputError, MissingFile
from hwsim.backends.options import DEFAULT_TOOL, TOOLS

PROJECT_FILE = "hwsim_project.json"
WEIGHTS_FILE = "weights.npz"
FORMAT = 1


@dataclass(frozen=True, eq=False)
class Project:
    path: Path
    model: str
    model_args: Mapping[str, Any]
    backend: str
    tool: str
    graph: Graph          # with the project's weights
    config: cfg.Config


def document(graph: Graph, config: cfg.Config, model_args: Mapping[str, Any], backend: str,
             tool: str, options: Mapping[str, Any]) -> str:
    """The text of hwsim_project.json; checks that the config document reproduces `config` and the
    graph document the graph's layers.
    `options` are the backend's generator options (hwsim.backends.registry.options)."""
    doc = cfg.to_document(config)
    if cfg.load(doc, graph).to_dict() != config.to_dict():
        raise ValueError("internal: the project's config document does not reproduce the resolved config")
    layers = serialize.to_document(graph)
    if serialize.from_document(layers, graph.name).layers != graph.layers:
        raise ValueError("internal: the project's graph document does not reproduce the graph")
    args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(dict(model_args).items())}
    source = {k: v for k, v in dict(config.source or {}).items() if k != "weights"}
    body = {"format": FORMAT, "model": graph.name, "model_args": args, "backend": backend, "tool": tool,
            "options": dict(options), "config": doc, "config_source": cfg.plain(source),
            "graph": layers}
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


def read(folder: str | Path) -> Project:
    """Rebuild graph (with the stored weights) and config from a generated project."""
    from hwsim.ir.weights import load_weights
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingFile(f"project folder not found: {folder}")
    meta = folder / PROJECT_FILE
    if not meta.is_file():
        raise InputError(f"{folder} is not a generated project: {PROJECT_FILE} is missing")
    try:
        body = json.loads(meta.read_text())
    except json.JSONDecodeError as e:
        raise InputError(f"{meta}: invalid JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(body, dict):
        raise InputError(f"{meta}: expected a JSON object, got {type(body).__name__}")
    required = ("model", "backend", "config") + (() if "graph" in body else ("model_args",))
    for key in required:
        if key not in body:
            raise InputError(f"{meta}: missing key {key!r}")
    kwargs = dict(body.get("model_args") or {})
    if "input_shape" in kwargs:
        kwargs["input_shape"] = tuple(kwargs["input_shape"])
    if "graph" in body:
        try:
            graph = serialize.from_document(body["graph"], str(body["model"]))
        except InputError as e:
            raise InputError(f"{meta}: {e}") from None
    else:                                 # a project written before the graph was stored
        from hwsim.ir import zoo
        graph = zoo.build(body["model"], weights=False, **kwargs)
    weights = folder / WEIGHTS_FILE
    if any(l.has_weights for l in graph.layers):
        if not weights.is_file():
            raise InputError(f"{folder}: {WEIGHTS_FILE} is missing")
        # generate refused NaN / inf weights unless they were allowed: what it wrote is what it meant
        graph = load_weights(graph, weights, allow_nonfinite=True)
    config = cfg.load(body["config"], graph)
    return Project(folder, str(body["model"]), kwargs, str(body["backend"]), str(body.get("tool", "")), graph, config)


def generate_project(graph, config, out: str | Path, model_args: dict, backend: str = "hls",
                     tool: str = DEFAULT_TOOL, force: bool = False, options: dict | None = None,
                     make_parents: bool = False) -> Path:
    """Write the project for (graph, config) into `out` atomically, with hwsim_project.json and
    weights.npz so that `hwsim csim` can recompute the expected outputs. `options` override the
    backend's option defaults (backends.options)."""
    from hwsim.backends import registry as backends, writer
    from hwsim.ir.weights import save_npz
    if tool not in TOOLS:
        raise InputError(f"unknown HLS tool {tool!r}; choose one of: {', '.join(TOOLS)}")
    if config.hardware.get("part") is None:
        raise InputError(f"device {config.hardware.get('device')} has no Xilinx part for Vitis / Vivado HLS; give --part")
    opts = backends.options(backend, options)
    doc = document(graph, config, model_args, backend, tool, opts)
    with writer.atomic_folder(out, force, make_parents) as tmp:
        backends.generators()[backend](graph, config, tmp, tool, **opts)
        writer.write_files(tmp, {PROJECT_FILE: doc})
        if graph.has_weights:
            save_npz(graph, tmp / WEIGHTS_FILE)
    return Path(out)
