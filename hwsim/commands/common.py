"""Helpers shared by subcommands: pick a graph and a config from --model/--config/--weights, and
write output files atomically."""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import NamedTuple

from .. import config as cfg


def add_model_args(p: argparse.ArgumentParser, weights: bool = True) -> None:
    g = p.add_argument_group("network")
    g.add_argument("--model", metavar="NAME", help="zoo network (default: squeezenet1_1; see `hwsim budget --list-models`)")
    g.add_argument("--config", metavar="FILE", help="YAML/JSON config: precision, parallelism, hardware, optionally model and weights")
    g.add_argument("--input-shape", metavar="CxHxW", help="input shape, e.g. 3x227x227 (default: the model's)")
    g.add_argument("--num-classes", type=int, metavar="N", help="classifier outputs (default: the model's)")
    if weights:
        g.add_argument("--weights", metavar="FILE", help="weights: torchvision-format .pth/.npz or ONNX (default: seeded He init)")
    g.add_argument("--precision", metavar="TYPE", help="one type for weights, biases and results, e.g. 'ap_fixed<16,6>'")


def parse_shape(text: str) -> tuple[int, int, int]:
    try:
        dims = tuple(int(v) for v in text.lower().replace(",", "x").split("x"))
    except ValueError:
        raise ValueError(f"--input-shape {text!r}: expected CxHxW, e.g. 3x227x227") from None
    if len(dims) != 3 or min(dims) < 1:
        raise ValueError(f"--input-shape {text!r}: expected three positive sizes CxHxW")
    return dims


class ModelSpec(NamedTuple):
    """What the arguments ask for: a zoo network, its builder kwargs, its weights and the config."""
    name: str
    kwargs: dict
    doc: dict                 # the --config document ({} without one)
    weights: str | None       # weight file, None for the builder's seeded He init


def model_spec(args, default_model: str = "squeezenet1_1", default_weights: str | None = None) -> ModelSpec:
    """The network named by --model/--config/--input-shape/--num-classes/--weights. `default_weights`
    belongs to the default model at its default arguments: used when it is chosen without weights."""
    doc = cfg.read(args.config) if getattr(args, "config", None) else {}
    name = args.model or doc.get("model") or default_model
    kwargs = dict(doc.get("model_args") or {})
    if getattr(args, "input_shape", None):
        kwargs["input_shape"] = parse_shape(args.input_shape)
    if getattr(args, "num_classes", None):
        kwargs["num_classes"] = args.num_classes
    if "input_shape" in kwargs:
        kwargs["input_shape"] = tuple(kwargs["input_shape"])
    weights = getattr(args, "weights", None) or doc.get("weights")
    if not weights and name == default_model and not kwargs:
        weights = default_weights
    return ModelSpec(name, kwargs, doc, weights)


def build(spec: ModelSpec, precision: str | None = None):
    """(graph, config) of a model spec; `precision` is --precision."""
    from .. import zoo
    graph = zoo.build(spec.name, **spec.kwargs)
    if spec.weights:
        graph = zoo.load_weights(graph, spec.weights)
    return graph, cfg.load(spec.doc, graph, precision=precision)


def resolve(args, default_model: str = "squeezenet1_1"):
    """(graph, config) from the parsed arguments."""
    return build(model_spec(args, default_model), getattr(args, "precision", None))


def write_atomic(path: str, data: str | bytes) -> None:
    """Write through a temporary file in the same folder, then rename over `path`."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"output folder does not exist: {folder}")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
