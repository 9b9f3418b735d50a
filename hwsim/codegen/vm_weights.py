"""Weights as raw integer initialisers, and the storage pragmas of their ROMs.

Raw values come from the layer's weight / bias type (`FixedType.quantize`, the same call the
simulator makes), stored in the narrowest plain integer type holding the type's width; the kernels
read them back with `raw_to<T>()`. Integer initialisers keep g++ fast on large models (no
double -> ap_fixed conversion per element).
"""
from __future__ import annotations

import numpy as np

from ..fixed import FixedType
from .vm_types import WeightArray

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
    return WeightArray(name, layer, tensor, raw_ctype(t), int(raw.size), str(t), _lines(raw))


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


def storage_pragmas(tool: str, ram_style: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """Storage pragmas (without the HWSIM_PRAGMA wrapper) for weight arrays; none for `auto`."""
    if ram_style == "auto":
        return ()
    spec = _STORAGE[tool][ram_style]
    if tool == "vitis":
        return tuple(f"HLS BIND_STORAGE variable = {n} {spec}" for n in names)
    return tuple(f"HLS RESOURCE variable = {n} {spec}" for n in names)
