"""A Graph's structure as a plain JSON-able document, and back (weights travel separately).

    {"layers": [{"name": "input", "kind": "input", "inputs": [], "shape": [3, 227, 227]},
                {"name": "conv1", "kind": "conv", "inputs": ["input"], "out_channels": 64,
                 "kernel": [3, 3], "stride": [2, 2], "padding": [0, 0], "bias": true}, ...]}

Every layer is `name`, `kind` (the layer class's `kind`), `inputs` and each field of its dataclass,
tuples as lists (kernel / stride / padding as [rows, columns]). `from_document` is strict: an
unknown kind, a missing or extra field or a value of the wrong type is an InputError whose one line
names the layer and the field. The graph's name is not part of the document (the caller keeps it).
"""
from __future__ import annotations

import dataclasses
import numbers
from typing import Any, Mapping

from hwsim.ir.graph import (Add, AvgPool2d, Concat, Conv2d, Dense, DepthwiseConv2d, Dropout, Flatten,
                            GlobalAvgPool, Graph, Input, Layer, MaxPool2d, ReLU, ReLU6)
from hwsim.util.errors import InputError, first_line

LAYER_CLASSES: tuple[type[Layer], ...] = (Input, Conv2d, DepthwiseConv2d, ReLU, ReLU6, MaxPool2d, AvgPool2d,
                                          GlobalAvgPool, Concat, Add, Dropout, Flatten, Dense)
KINDS: Mapping[str, type[Layer]] = {c.kind: c for c in LAYER_CLASSES}
_BASE = ("name", "inputs")
_NON_NEGATIVE = {"padding"}        # every other integer (shape, channels, kernel, stride) is >= 1


def _fields(cls) -> list[dataclasses.Field]:
    """The kind's own fields (beyond name and inputs); each has a default that gives its type."""
    return [f for f in dataclasses.fields(cls) if f.name not in _BASE]


def _layer_document(layer: Layer) -> dict[str, Any]:
    cls = KINDS.get(layer.kind)
    if cls is not type(layer):
        raise ValueError(f"internal: layer {layer.name!r}: class {type(layer).__name__} has no document form")
    doc: dict[str, Any] = {"name": layer.name, "kind": layer.kind, "inputs": list(layer.inputs)}
    for f in _fields(cls):
        v = getattr(layer, f.name)
        if isinstance(f.default, tuple):
            doc[f.name] = [int(x) for x in v]
        else:
            doc[f.name] = type(f.default)(v)
    return doc


def to_document(graph: Graph) -> dict[str, Any]:
    """The graph's layers as a JSON-able dict (see the module docstring); no weights."""
    return {"layers": [_layer_document(l) for l in graph.layers]}


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _value(where: str, field: dataclasses.Field, v):
    """The field's value from its JSON form, checked against the type of the field's default."""
    default, name = field.default, field.name
    low = 0 if name in _NON_NEGATIVE else 1
    if isinstance(default, tuple):
        n = len(default)
        if not (isinstance(v, list) and len(v) == n and all(_is_int(x) for x in v)):
            raise InputError(f"{where}: field {name!r} must be a list of {n} integers, got {v!r}")
        if any(x < low for x in v):
            raise InputError(f"{where}: field {name!r} must hold integers >= {low}, got {v!r}")
        return tuple(int(x) for x in v)
    if isinstance(default, bool):
        if not isinstance(v, bool):
            raise InputError(f"{where}: field {name!r} must be true or false, got {v!r}")
        return v
    if isinstance(default, int):
        if not _is_int(v) or v < low:
            raise InputError(f"{where}: field {name!r} must be an integer >= {low}, got {v!r}")
        return int(v)
    if isinstance(default, float):
        if not isinstance(v, numbers.Real) or isinstance(v, bool) or not 0.0 <= v <= 1.0:
            raise InputError(f"{where}: field {name!r} must be a number in [0, 1], got {v!r}")
        return float(v)
    raise ValueError(f"internal: {where}: field {name!r} has no document form")  # pragma: no cover


def _layer(i: int, d) -> Layer:
    if not isinstance(d, Mapping):
        raise InputError(f"graph document: layer {i} must be an object, got {type(d).__name__}")
    name = d.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"graph document: layer {i}: field 'name' must be a non-empty string, got {name!r}")
    where = f"graph document: layer {name!r}"
    kind = d.get("kind")
    if kind not in KINDS:
        raise InputError(f"{where}: field 'kind': unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    cls = KINDS[kind]
    own = _fields(cls)
    allowed = {"name", "kind", "inputs"} | {f.name for f in own}
    extra = sorted(k for k in d if k not in allowed)
    if extra:
        raise InputError(f"{where}: unexpected field {extra[0]!r} for a {kind} layer "
                         f"(expected {', '.join(sorted(allowed))})")
    missing = [k for k in ["inputs"] + [f.name for f in own] if k not in d]
    if missing:
        raise InputError(f"{where}: missing field {missing[0]!r}")
    inputs = d["inputs"]
    if not (isinstance(inputs, list) and all(isinstance(s, str) for s in inputs)):
        raise InputError(f"{where}: field 'inputs' must be a list of layer names, got {inputs!r}")
    if (cls is Input) != (not inputs):
        what = "an input layer reads nothing" if cls is Input else "it must read at least one layer"
        raise InputError(f"{where}: field 'inputs': {what}, got {inputs!r}")
    values = {f.name: _value(where, f, d[f.name]) for f in own}
    try:
        return cls(name, tuple(inputs), **values)
    except ValueError as e:          # the layer's own checks (a pool padding over half its kernel)
        raise InputError(f"{where}: {first_line(e)}") from None


def from_document(doc, name: str) -> Graph:
    """The Graph (without weights) named `name` that `doc` (from `to_document`) describes."""
    if not isinstance(doc, Mapping):
        raise InputError(f"graph document must be an object, got {type(doc).__name__}")
    extra = sorted(k for k in doc if k != "layers")
    if extra:
        raise InputError(f"graph document: unexpected key {extra[0]!r} (expected 'layers')")
    layers = doc.get("layers")
    if not isinstance(layers, list) or not layers:
        raise InputError(f"graph document: 'layers' must be a non-empty list, got {layers!r}")
    built = [_layer(i, d) for i, d in enumerate(layers)]
    try:
        return Graph(name, tuple(built))
    except ValueError as e:          # order, duplicate names, shapes that do not fit
        raise InputError(f"graph document: {first_line(e)}") from None
