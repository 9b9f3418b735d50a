"""QONNX `Quant` nodes as ap_fixed types (the one place of the mapping; README, "QONNX").

A Quant node computes y = (clip(round(x / scale + zeropt), lo, hi) - zeropt) * scale over an integer
range of `bitwidth` bits (qonnx's int_quant). It is an ap_fixed type exactly when:

| Quant                         | ap_fixed                                                         |
|-------------------------------|------------------------------------------------------------------|
| bitwidth b, signed=1          | ap_fixed<b, b - f>, f = -log2(scale) fraction bits               |
| bitwidth b, signed=0          | ap_ufixed<b, b - f>                                              |
| scale = 2^-f (one value)      | f fractional bits; f may be negative or exceed b                 |
| zeropt = 0                    | (ap_fixed has no zero point)                                     |
| narrow=0                      | AP_SAT (clip to [-2^(b-1), 2^(b-1)-1], or [0, 2^b-1])            |
| narrow=1, signed              | AP_SAT_SYM (clip to [-(2^(b-1)-1), 2^(b-1)-1])                   |
| rounding ROUND / HALF_EVEN    | AP_RND_CONV (half to even, numpy's round)                        |
| rounding FLOOR                | AP_TRN                                                           |
| rounding DOWN                 | AP_TRN_ZERO (toward zero)                                        |
| rounding HALF_UP              | AP_RND_INF (half away from zero)                                 |
| rounding HALF_DOWN            | AP_RND_ZERO (half toward zero)                                   |

qonnx clips before it rounds and ap_fixed rounds before it saturates; with integer bounds the two
agree. Refused, in one line naming the node and the value: a scale that is not one power of two (per-
channel scales must all be equal), a non-zero zero point, narrow unsigned ranges (2^b - 2 is no
ap_ufixed bound), 1-bit signed (qonnx's bipolar special case), rounding CEIL and UP (no ap_fixed
mode), a bit width that is not a whole number.

Where the types go (`precision_document`): a Quant on the graph input is `precision.input`; on a
Conv / Gemm / MatMul weight or bias constant, that layer's `weight` / `bias`; on a feature map, the
`result` of the layer producing it, and also of the layers before it through layers that pass
their type on (relu, relu6, max pool, dropout, flatten) whose output has no other reader, so the
value is rounded once, where the Quant rounds it (casting to one type before and after a ReLU or a
max is the same as once after). Conv / dense accumulators stay lossless. Refused as well: a Quant
whose input something else reads unquantized (hwsim gives a tensor one type), a quantized constant
that is not a Conv / Gemm / MatMul weight or bias (a bias Add's constant, say), and a batch norm
after a layer with quantized weights (hwsim folds it into the weights, after qonnx quantized them).

An average pool (avgpool, gap) whose result and input types Quants give gets an explicit accumulator
(`precision.layers.<pool>.accum`): hwsim's pools (like the kernels) truncate the mean toward zero at
the accumulator's LSB before the cast to the result, and the lossless pool accumulator has the
input's LSB, so a mean finer than that would be rounded twice (truncated, then rounded), where
qonnx rounds the exact mean once: the accumulator is hwsim.fixed.rules.mean_accum_type, whose
fraction bits keep the truncation off every rounding boundary of the result type.
"""
from __future__ import annotations

import math

import numpy as np

from hwsim.fixed import MAX_WIDTH
from hwsim.util.errors import InputError

ROUNDING = {"ROUND": "AP_RND_CONV", "HALF_EVEN": "AP_RND_CONV", "FLOOR": "AP_TRN", "DOWN": "AP_TRN_ZERO",
            "HALF_UP": "AP_RND_INF", "HALF_DOWN": "AP_RND_ZERO"}
PASS_ON = ("relu", "relu6", "maxpool", "dropout", "flatten")


def _one(path, desc, what, value) -> float:
    a = np.asarray(value, dtype=np.float64).reshape(-1)
    if a.size == 0:
        raise InputError(f"{path}: {desc}: {what} is empty")
    if np.any(a != a[0]):
        distinct = np.unique(a)
        shown = ", ".join(f"{v:g}" for v in distinct[:4]) + (", ..." if distinct.size > 4 else "")
        raise InputError(f"{path}: {desc}: {what} has {distinct.size} different values ({shown}; "
                         "per-channel); ap_fixed has one type per tensor")
    return float(a[0])


def fixed_type(path: str, desc: str, attrs: dict, scale, zeropt, bitwidth) -> str:
    """The ap_fixed type (text) of a Quant node with these attributes and constant inputs."""
    for key in ("signed", "narrow"):
        if key not in attrs:
            raise InputError(f"{path}: {desc}: attribute {key!r} is missing")
    signed, narrow = int(attrs["signed"]), int(attrs["narrow"])
    mode = attrs.get("rounding_mode", b"ROUND")
    mode = (mode.decode() if isinstance(mode, bytes) else str(mode)).upper()
    s = _one(path, desc, "scale", scale)
    z = _one(path, desc, "zero point", zeropt)
    b = _one(path, desc, "bit width", bitwidth)
    if z != 0:
        raise InputError(f"{path}: {desc}: zero point {z:g} is not representable as ap_fixed (needs 0)")
    if not np.isfinite(s) or s <= 0:
        raise InputError(f"{path}: {desc}: scale {s:g} is not a positive power of two")
    m, e = np.frexp(s)
    if m != 0.5:
        raise InputError(f"{path}: {desc}: scale {s!r} is not a power of two; ap_fixed needs scale = 2^-f")
    if b != int(b) or not 1 <= b <= MAX_WIDTH:
        raise InputError(f"{path}: {desc}: bit width {b:g} is not a whole number from 1 to {MAX_WIDTH}")
    bits, frac = int(b), 1 - int(e)
    if mode not in ROUNDING:
        raise InputError(f"{path}: {desc}: rounding_mode {mode} has no ap_fixed mode; supported: "
                         f"{', '.join(ROUNDING)}")
    if signed and bits == 1:
        raise InputError(f"{path}: {desc}: a 1-bit signed Quant is bipolar (+-1) in qonnx; ap_fixed<1> is not")
    if narrow and not signed:
        raise InputError(f"{path}: {desc}: narrow=1 unsigned (0 .. 2^{bits}-2) is not representable as ap_ufixed")
    overflow = "AP_SAT_SYM" if narrow else "AP_SAT"
    kind = "ap_fixed" if signed else "ap_ufixed"
    return f"{kind}<{bits},{bits - frac},{ROUNDING[mode]},{overflow}>"


WEIGHT_INPUTS = {"Conv": (1, 2), "Gemm": (1, 2), "MatMul": (1,)}


def _check_constants(path: str, reader) -> None:
    """A quantized constant is a Conv / Gemm / MatMul weight or bias whose layer no batch norm
    follows: elsewhere (a bias Add, a batch norm's parameters) hwsim would not use its type, and a
    batch norm folded into quantized weights changes them after qonnx quantized them."""
    for node in reader.model.graph.node:
        for i, t in enumerate(node.input):
            if t in reader.weight_quant and i not in WEIGHT_INPUTS.get(node.op_type, ()):
                raise InputError(f"{path}: {reader.describe(node)}: its input {t!r} is a quantized constant; only "
                                 "Conv / Gemm / MatMul weights and biases take a Quant's type")
        if node.op_type == "BatchNormalization" and node.input and reader.src.get(node.input[0]) in reader.layer_quant:
            raise InputError(f"{path}: {reader.describe(node)}: it follows layer {reader.src[node.input[0]]!r}, whose "
                             "weights or bias a Quant gives; hwsim would fold it into them, qonnx applies it "
                             "after them: merge it into the layer before quantizing")


def precision_document(path: str, graph, reader) -> dict:
    """The config `precision` document of an imported graph's Quant nodes ({} for none)."""
    _check_constants(path, reader)
    names = set(graph.names())
    layers: dict[str, dict[str, str]] = {}
    doc: dict = {}
    for lname, types in reader.layer_quant.items():
        if lname in names:
            layers.setdefault(lname, {}).update(types)
    direct = {}
    for tensor, text in reader.quants.items():
        lname = reader.src[tensor]
        if lname == "input":
            doc["input"] = text
        elif lname in names:
            direct[lname] = text
    for lname, text in direct.items():
        layers.setdefault(lname, {})["result"] = text
    for lname, text in direct.items():
        layer = graph.layer(lname)
        while layer.kind in PASS_ON:
            (src,) = layer.inputs
            if src == "input" or len(graph.consumers(src)) != 1 or src in direct:
                break
            layer = graph.layer(src)
            layers.setdefault(layer.name, {})["result"] = text
    if layers:
        doc["layers"] = {k: layers[k] for k in graph.names() if k in layers}
        _average_accums(path, graph, reader, doc)
    return doc


def _average_accums(path: str, graph, reader, doc: dict) -> None:
    """The accumulators of average pools whose result a Quant gives (module docstring)."""
    from hwsim.fixed import FixedType
    from hwsim.fixed.rules import mean_accum_type
    layers = doc["layers"]
    for name, types in layers.items():
        layer = graph.layer(name)
        if layer.kind not in ("avgpool", "gap") or "result" not in types:
            continue
        tin = _input_type(graph, doc, layer.inputs[0])
        if tin is None:      # the input's type is the config's, not a Quant's: the accumulator stays lossless
            continue
        tin, tout = FixedType.parse(tin), FixedType.parse(types["result"])
        n = math.prod(graph.in_shapes(layer)[0][1:]) if layer.kind == "gap" else math.prod(layer.kernel)
        try:
            acc = mean_accum_type(tin, tout, n)
        except ValueError as e:
            raise InputError(f"{path}: {reader.node_of.get(name, name)}: its accumulator, to round the mean "
                             f"once into {tout}: {e}") from None
        types["accum"] = str(acc)


def _input_type(graph, doc: dict, name: str):
    """The type (text) Quants give layer `name`'s output, directly or through layers that pass
    their input type on (a concat of inputs of one type too); None when it is the config's."""
    if name == "input":
        return doc.get("input")
    own = doc.get("layers", {}).get(name, {})
    if "result" in own:
        return own["result"]
    layer = graph.layer(name)
    if layer.passes_type:
        return _input_type(graph, doc, layer.inputs[0])
    if layer.kind == "concat":
        types = {_input_type(graph, doc, s) for s in layer.inputs}
        return types.pop() if len(types) == 1 else None
    return None
