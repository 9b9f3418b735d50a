"""Types from observed ranges: the rule the sweep, tune and `ap_fixed<W,auto>` weights share.

A value set whose largest magnitude is m (activations over the calibration images, weights and
biases over their tensors) gets I = floor(log2 m) + 2 integer bits (sign included, so m < 2^(I-1);
hwsim.fixed.rules.integer_bits); a width W gives ap_fixed<W, I> with W - I fractional bits, so
shaving a bit always removes a fractional bit. The rounding policy is hwsim.spec.config.POLICY:
values quantized offline or at the boundary (the input, weights, biases) round to nearest and
saturate; layer results truncate and saturate (no rounding adder per output). Accumulators are
lossless; a bias takes its layer's result width. The layers with their own result type are those
whose kind does not pass its input type through (hwsim.ir.graph.Layer.passes_type).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwsim.fixed import FixedType
from hwsim.fixed.rules import integer_bits
from hwsim.ir.graph import Graph
from hwsim.spec.config import QUANTIZED_MODES, RESULT_MODES

@dataclass(frozen=True)
class Ranges:
    """Largest magnitudes seen: activations of typed layers, and each weighted layer's weights/bias."""
    act: dict = field(default_factory=dict)
    weight: dict = field(default_factory=dict)
    bias: dict = field(default_factory=dict)


def typed_layers(graph: Graph) -> list[str]:
    return [l.name for l in graph.layers if not l.passes_type]


def calibrate(graph: Graph, x) -> Ranges:
    """Observed ranges of the float network on `x` (N, C, H, W) and of its weights."""
    from hwsim.sim.reference import run_all
    outs = run_all(graph, x)
    act = {n: float(np.max(np.abs(outs[n]))) if outs[n].size else 0.0 for n in typed_layers(graph)}
    weight, bias = {}, {}
    for l in graph.layers:
        if l.has_weights:
            w = graph.weights[l.name]
            weight[l.name] = float(np.max(np.abs(w["weight"])))
            bias[l.name] = float(np.max(np.abs(w["bias"]))) if "bias" in w else 0.0
    return Ranges(act, weight, bias)


def _fixed(width: int, max_abs: float, modes: tuple[str, str]) -> str:
    return str(FixedType(int(width), integer_bits(max_abs), True, *modes))


def precision_doc(graph: Graph, ranges: Ranges, act_bits, weight_bits) -> dict:
    """The `precision` section of a config: result widths per typed layer (`act_bits`: an int or
    {layer: width}), weight widths per weighted layer (`weight_bits`), integer bits from `ranges`."""
    def width(spec, name):
        return spec if isinstance(spec, int) else spec[name]
    layers = {}
    inp = graph.input.name
    for name in typed_layers(graph):
        if name == inp:
            continue
        a = width(act_bits, name)
        d = {"result": _fixed(a, ranges.act[name], RESULT_MODES)}
        if graph.layer(name).has_weights:
            d["weight"] = _fixed(width(weight_bits, name), ranges.weight[name], QUANTIZED_MODES)
            d["bias"] = _fixed(a, ranges.bias[name], QUANTIZED_MODES)
        layers[name] = d
    return {"input": _fixed(width(act_bits, inp), ranges.act[inp], QUANTIZED_MODES),
            "default": {"accum": "lossless"}, "layers": layers}
