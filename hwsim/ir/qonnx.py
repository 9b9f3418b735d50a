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
max is the same as once after). Accumulators stay lossless.
"""
from __future__ import annotations

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
        raise InputError(f"{path}: {desc}: {what} has {a.size} different values (per-channel); "
                         "ap_fixed has one type per tensor")
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


def precision_document(path: str, graph, reader) -> dict:
    """The config `precision` document of an imported graph's Quant nodes ({} for none)."""
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
    return doc
