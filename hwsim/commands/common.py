"""Helpers shared by subcommands: pick a graph and a config from --model/--config/--weights.

One rule for every command: the network is `--model`, else the config's `model`, else the command's
default; its input shape and class count are `--input-shape` / `--num-classes`, else the config's
`model_args`, else the model's own default (`hwsim.ir.zoo.default_input_shape`), so `budget` checks
the network that `generate` writes. A weight path in a config file is relative to that file.

The network may also be an ONNX file (`--model net.onnx`, or `model: net.onnx` in a config, relative
to the config file like `weights`; hwsim.ir.onnx_graph): it carries its own weights and classes, so
its only model argument is `input_shape` (for a file with free dimensions), and --num-classes,
--alpha and --weights are errors. Its QONNX types (hwsim.ir.qonnx) sit between the built-in
defaults and the user's config: built-in < the config's `default` section and --precision / --weight-type
for what the file leaves untyped < the file's types < the config's `precision.input` and
`precision.layers.<name>`, key by key (a config's `layers.conv1.result` replaces that one type).
"""
from __future__ import annotations

import argparse
import os
from typing import NamedTuple

from hwsim.util.errors import InputError, MissingFile
from hwsim.util.files import check_file, write_all, write_atomic   # noqa: F401  (re-exported for the subcommands)
from hwsim.commands import args as types

DEFAULT_MODEL = "squeezenet1_1"


def add_model_args(p: argparse.ArgumentParser, default_model: str = DEFAULT_MODEL,
                   default_weights: str = "seeded He initialisation") -> None:
    g = p.add_argument_group("network")
    g.add_argument("--model", metavar="NAME|FILE.onnx",
                   help=f"zoo network (default: {default_model}; see `hwsim budget --list-models`), or an "
                        "ONNX file (its graph and weights; see `hwsim import --help` for what is supported)")
    g.add_argument("--config", metavar="FILE", help="YAML/JSON config: precision, parallelism, hardware, optionally model and weights")
    g.add_argument("--input-shape", metavar="CxHxW", type=types.input_shape,
                   help="input shape (default: the model's; 3x227x227 for the ImageNet networks; an ONNX "
                        "file's own, which a file with free dimensions needs)")
    g.add_argument("--num-classes", type=types.positive_int, metavar="N",
                   help="classifier outputs (default: the weight file's, else the model's)")
    g.add_argument("--alpha", type=float, metavar="A",
                   help="mobilenet_v1's width multiplier: 1, 0.75, 0.5 or 0.25 (default 1); its resolution "
                        "is --input-shape 3xRxR (default 3x224x224)")
    g.add_argument("--weights", metavar="FILE",
                   help=f"weights: torchvision-format .pth/.npz or ONNX (default: {default_weights})")
    g.add_argument("--allow-nonfinite-weights", action="store_true",
                   help="accept NaN / infinite weights (they saturate) instead of refusing the file")
    g.add_argument("--precision", metavar="TYPE", help="one type for weights, biases and results, e.g. 'ap_fixed<16,6>'")
    g.add_argument("--weight-type", metavar="TYPE",
                   help="type of every conv / dense weight; 'ap_fixed<8,auto>' takes each layer's integer "
                        "bits from its own weights (default ap_fixed<8,1,AP_RND_CONV,AP_SAT>)")


class ModelSpec(NamedTuple):
    """What the arguments ask for: a zoo network (or an ONNX file), its builder kwargs, its weights
    and the config."""
    name: str                 # a zoo name, or the ONNX file's path (as `onnx`)
    kwargs: dict              # an ONNX model: input_shape at most
    doc: dict                 # the --config document ({} without one)
    weights: str | None       # weight file, None for the builder's seeded He init (and for ONNX)
    allow_nonfinite: bool = False
    onnx: str | None = None   # the ONNX file (a config's path made relative to the config's folder)


class Built(NamedTuple):
    graph: object
    config: object
    model_args: dict          # builder kwargs that rebuild `graph`, input shape included
    imported: object = None   # an ONNX model: its hwsim.ir.onnx_graph.Imported (precision, origin)


def _doc_weights(doc: dict, config_path: str | None) -> str | None:
    w = doc.get("weights")
    if w is None:
        return None
    if not isinstance(w, str) or not w:
        raise InputError(f"config {config_path}: weights must be a file path, got {w!r}")
    return _beside(w, config_path)


def _beside(path: str, config_path: str | None) -> str:
    """A path from a config file: relative to that file's folder."""
    if os.path.isabs(path) or not config_path:
        return path
    return os.path.join(os.path.dirname(os.path.abspath(config_path)), path)


def model_entry(spec: ModelSpec, output: str) -> str:
    """The `model` a config written to `output` names: the zoo name, or the ONNX file's path relative
    to the output's folder (absolute when no relative path exists, e.g. another drive)."""
    return spec.name if spec.onnx is None else relative_to(spec.onnx, output)


def relative_to(path: str, output: str) -> str:
    """`path` as a file written to `output` names it: relative to the output's folder, else absolute."""
    path = os.path.abspath(path)
    try:
        return os.path.relpath(path, os.path.dirname(os.path.abspath(output)))
    except ValueError:            # no relative path (another drive)
        return path


def _shipped(name: str) -> str | None:
    """The digits weights shipped for a mini model (hwsim/data), or None."""
    from hwsim.study import data
    return data.shipped_weights(name)


def _is_default(name: str, kwargs: dict) -> bool:
    """True when `kwargs` ask for the model at its default input shape and class count."""
    from hwsim.ir import zoo
    extra = set(kwargs) - {"input_shape", "num_classes"}
    return (not extra and tuple(kwargs.get("input_shape", zoo.default_input_shape(name)))
            == tuple(zoo.default_input_shape(name))
            and kwargs.get("num_classes", zoo.default_num_classes(name)) == zoo.default_num_classes(name))


def model_spec(args, default_model: str = DEFAULT_MODEL, default_weights: str | None = None,
               trained: bool = False) -> ModelSpec:
    """The network named by --model/--config/--input-shape/--num-classes/--weights. `default_weights`
    belong to the default model at its default shape; `trained`: refuse to run without weights (an
    ONNX file holds its own)."""
    from hwsim.spec import config as cfg
    from hwsim.ir import zoo
    from hwsim.ir.onnx_graph import is_onnx_path
    config_path = getattr(args, "config", None)
    doc = cfg.read(config_path) if config_path else {}
    name = getattr(args, "model", None)
    if not name and is_onnx_path(doc.get("model")):
        name = _beside(doc["model"], config_path)
    name = name or doc.get("model") or default_model
    if is_onnx_path(name):
        return _onnx_spec(args, name, doc, config_path)
    if not isinstance(name, str) or name not in zoo.names():
        raise InputError(f"unknown model {name!r}; valid names: {', '.join(zoo.names())}; "
                         "or the path of an .onnx file")
    kwargs = doc.get("model_args") or {}
    if not isinstance(kwargs, dict):
        raise InputError(f"config {config_path}: model_args must be a mapping, got {type(kwargs).__name__}")
    kwargs = dict(kwargs)
    if getattr(args, "input_shape", None) is not None:
        kwargs["input_shape"] = tuple(args.input_shape)
    if getattr(args, "num_classes", None) is not None:
        kwargs["num_classes"] = args.num_classes
    if getattr(args, "alpha", None) is not None:
        if name != "mobilenet_v1":
            raise InputError(f"--alpha is mobilenet_v1's width multiplier; {name} has none")
        kwargs["alpha"] = args.alpha
    if isinstance(kwargs.get("input_shape"), list):
        kwargs["input_shape"] = tuple(kwargs["input_shape"])
    weights = getattr(args, "weights", None) or _doc_weights(doc, config_path)
    if weights is None and default_weights and name == default_model and _is_default(name, kwargs):
        weights = default_weights
    elif weights is None and trained and _is_default(name, kwargs) and _shipped(name):
        weights = _shipped(name)
    elif weights is None and trained:
        shipped = (f"; the shipped weights are for {default_model} at its default input and classes"
                   if default_weights else "")
        raise InputError(f"{name} {_describe(name, kwargs)} has no trained weights: give --weights FILE "
                         f"(accuracy on random weights means nothing){shipped}")
    return ModelSpec(name, kwargs, doc, weights, bool(getattr(args, "allow_nonfinite_weights", False)))


def _onnx_spec(args, path: str, doc: dict, config_path: str | None) -> ModelSpec:
    """An ONNX model: its weights and classes are the file's; only the input shape may be given."""
    carries = f"an ONNX model carries its own weights and classes ({path})"
    for option, attr in (("--num-classes", "num_classes"), ("--alpha", "alpha"), ("--weights", "weights")):
        if getattr(args, attr, None) is not None:
            raise InputError(f"{option} does not apply: {carries}")
    if doc.get("weights") is not None:
        raise InputError(f"config {config_path}: weights does not apply: {carries}")
    kwargs = doc.get("model_args") or {}
    if not isinstance(kwargs, dict):
        raise InputError(f"config {config_path}: model_args must be a mapping, got {type(kwargs).__name__}")
    other = sorted(set(kwargs) - {"input_shape"})
    if other:
        raise InputError(f"config {config_path}: model_args {', '.join(map(str, other))} does not apply: "
                         f"{carries}; only input_shape does")
    kwargs = dict(kwargs)
    if getattr(args, "input_shape", None) is not None:
        kwargs["input_shape"] = tuple(args.input_shape)
    if "input_shape" in kwargs:
        shape = kwargs["input_shape"]
        if (not isinstance(shape, (list, tuple)) or len(shape) != 3
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in shape)):
            raise InputError(f"config {config_path}: model_args.input_shape must be [C, H, W], got {shape!r}")
        kwargs["input_shape"] = tuple(shape)
    if not os.path.isfile(path):
        raise MissingFile(f"model file not found: {path}")
    return ModelSpec(path, kwargs, doc, None, bool(getattr(args, "allow_nonfinite_weights", False)), onnx=path)


def _describe(name: str, kwargs: dict) -> str:
    from hwsim.ir import zoo
    shape = kwargs.get("input_shape") or zoo.default_input_shape(name)
    classes = kwargs.get("num_classes", zoo.default_num_classes(name))
    return f"at {'x'.join(map(str, shape))}" + (f", {classes} classes" if classes else "")


def build(spec: ModelSpec, precision: str | None = None, weight_type: str | None = None,
          shapes_only: bool = False, doc: dict | None = None, part: str | None = None,
          clock_ns: float | None = None) -> Built:
    """Graph, config and builder kwargs of a model spec. The class count follows the weight file
    when no --num-classes or model_args says otherwise. `shapes_only`: no weights unless a file is
    given or the weight type needs them (`auto` integer bits)."""
    from hwsim.spec import config as cfg
    from hwsim.ir import zoo
    doc = spec.doc if doc is None else doc
    if spec.onnx is not None:
        return _build_onnx(spec, doc, precision, weight_type, part, clock_ns)
    kwargs, tensors = dict(spec.kwargs), None
    if spec.weights:
        from hwsim.ir import weights as wts
        path = wts.check_path(spec.weights)
        if not path.lower().endswith(".onnx"):
            tensors = wts.read_state_dict(path)
            if "num_classes" not in kwargs and zoo.default_num_classes(spec.name) is not None:
                n = wts.classifier_width(zoo.build(spec.name, weights=False, **kwargs), tensors)
                if n is not None and n != zoo.default_num_classes(spec.name):
                    kwargs["num_classes"] = n
    needs = not shapes_only or "auto" in repr((doc.get("precision"), weight_type))
    graph = zoo.build(spec.name, weights=needs and not spec.weights, **kwargs)
    if spec.weights:
        graph = zoo.load_weights(graph, spec.weights, allow_nonfinite=spec.allow_nonfinite, tensors=tensors)
    config = cfg.load(doc, graph, precision=precision, weight_type=weight_type, part=part, clock_ns=clock_ns)
    return Built(graph, config, {**kwargs, "input_shape": tuple(graph.input_shape)})


def _build_onnx(spec: ModelSpec, doc: dict, precision, weight_type, part, clock_ns) -> Built:
    """An ONNX model with its weights (importing is fast), its QONNX types under the user's."""
    from hwsim.spec import config as cfg
    from hwsim.ir.onnx_graph import import_onnx
    from hwsim.spec.imported import with_file_precision
    imported = import_onnx(spec.onnx, spec.kwargs.get("input_shape"), allow_nonfinite=spec.allow_nonfinite)
    config = cfg.load(with_file_precision(doc, imported.precision), imported.graph, precision=precision,
                      weight_type=weight_type, part=part, clock_ns=clock_ns)
    return Built(imported.graph, config, {"input_shape": tuple(imported.graph.input_shape)}, imported)


def resolve(args, default_model: str = DEFAULT_MODEL):
    """(graph, config) from the parsed arguments."""
    b = build(model_spec(args, default_model), getattr(args, "precision", None),
              getattr(args, "weight_type", None))
    return b.graph, b.config
