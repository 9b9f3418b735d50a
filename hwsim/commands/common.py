"""Argument helpers shared by subcommands: pick a graph and a config from --model/--config/--weights."""
from __future__ import annotations

import argparse

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


def resolve(args, default_model: str = "squeezenet1_1"):
    """(graph, config) from the parsed arguments."""
    from .. import zoo
    doc = cfg.read(args.config) if getattr(args, "config", None) else {}
    name = args.model or doc.get("model") or default_model
    kwargs = dict(doc.get("model_args") or {})
    if getattr(args, "input_shape", None):
        kwargs["input_shape"] = parse_shape(args.input_shape)
    if getattr(args, "num_classes", None):
        kwargs["num_classes"] = args.num_classes
    if "input_shape" in kwargs:
        kwargs["input_shape"] = tuple(kwargs["input_shape"])
    graph = zoo.build(name, **kwargs)
    weights = getattr(args, "weights", None) or doc.get("weights")
    if weights:
        graph = zoo.load_weights(graph, weights)
    config = cfg.load(doc, graph, precision=getattr(args, "precision", None))
    return graph, config
