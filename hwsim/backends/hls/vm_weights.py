"""Weights as raw integer initialisers, and the storage pragmas of their ROMs.

Raw values come from the layer's weight / bias type (`FixedType.quantize`, the same call the
simulator makes), stored in the narrowest plain integer type holding the type's width; the kernels
read them back with `raw_to<T>()`. Integer initialisers keep g++ fast on large models (no
double -> ap_fixed conversion per element).
"""
from __future__ import annotations

import numpy as np

from hwsim.fixed import FixedType
from hwsim.backends.hls.idents import comment
from hwsim.backends.hls.vm_types import WeightArray

ROW = 32   # values per initialiser line

# ram_style -> storage pragma per tool (Vitis HLS BIND_STORAGE, Vivado HLS RESOURCE)
_STORAGE = {
    "vitis": {"bram": "type=rom_1p impl=bram", "lutram": "type=rom_1p impl=lutram",
              "uram": "type=rom_1p impl=uram"},
    "vivado": {"bram": "core=ROM_1P_BRAM", "lutram": "core=ROM_1P_LUTRAM", "uram": "core=XPM_MEMORY uram"},
}


def raw_ctype(t: FixedType) -> str:
    """Narrowest <cstdint> type holding t's raw mantissas."""
    for bits in (8, 16, 32, 64):
        if t.width <= bits:
            return f"{'' if t.signed else 'u'}int{bits}_t"
    raise ValueError(f"type {t} is wider than 64 bits")


def _lines(raw: np.ndarray) -> tuple[str, ...]:
    flat = [str(v) for v in np.asarray(raw, dtype=np.int64).ravel().tolist()]
    return tuple(", ".join(flat[i:i + ROW]) for i in range(0, len(flat), ROW))


def array(name: str, layer: str, tensor: str, t: FixedType, raw: np.ndarray) -> WeightArray:
    raw = np.asarray(raw, dtype=np.int64)
    return WeightArray(name, comment(layer), tensor, raw_ctype(t), int(raw.size), str(t), _lines(raw))


def layer_arrays(graph, layer, lc, w_name: str, b_name: str) -> tuple[WeightArray, WeightArray]:
    """Raw weight and bias arrays of a conv / dense layer (zeros when it has no bias)."""
    w = graph.weights[layer.name]
    weight = array(w_name, layer.name, "weight", lc.weight, lc.weight.quantize(np.asarray(w["weight"])))
    n_out = int(np.asarray(w["weight"]).shape[0])
    if lc.bias is not None:
        bias = array(b_name, layer.name, "bias", lc.bias, lc.bias.quantize(np.asarray(w["bias"])))
    else:
        bias = array(b_name, layer.name, "zero bias", bias_type(lc), np.zeros(n_out, np.int64))
    return weight, bias


def bias_type(lc) -> FixedType:
    """Type of the bias array: the configured one, or the weight type for a layer without bias."""
    return lc.bias if lc.bias is not None else lc.weight


def weight_memories(graph, config) -> tuple[dict, object]:
    """{layer: {"weights": MemoryMap, "biases": MemoryMap}} from the memory estimator (the one source
    of truth for storage), and the estimator's report."""
    from hwsim.hw import estimate as memory
    report = memory.estimate(graph, config, arch="stream")
    out = {}
    for row in report.layers:
        mems = {m.role: m for m in row.memories if m.role in ("weights", "biases")}
        if mems:
            out[row.name] = mems
    return out, report


def storage_pragmas(tool: str, name: str, mem, n_values: int) -> tuple[str, ...]:
    """Pragmas (without the HWSIM_PRAGMA wrapper) placing array `name` as the estimator mapped it:
    its style (bram / uram / lutram ROM, or registers) and, for a memory wider than one value, the
    reshape that packs `width / value bits` values per word."""
    if mem is None:
        return ()
    if mem.style == "reg":
        return (f"HLS ARRAY_PARTITION variable = {name} complete",)
    spec = _STORAGE[tool][mem.style]
    if tool == "vitis":
        out = [f"HLS BIND_STORAGE variable = {name} {spec}"]
    else:
        out = [f"HLS RESOURCE variable = {name} {spec}"]
    per_word = -(-n_values // mem.depth) if mem.depth else 1
    if per_word > 1:
        out.append(f"HLS ARRAY_RESHAPE variable = {name} block factor = {per_word}")
    return tuple(out)
