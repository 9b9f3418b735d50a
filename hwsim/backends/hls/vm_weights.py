"""Weights as raw integer initialisers in the matrix-vector unit's layout, and their storage pragmas.

Raw values come from the layer's weight / bias type (`FixedType.quantize`, the same call the
simulator makes), stored in the narrowest plain integer type holding the type's width; the kernels
read them back with `raw_to<T>()`. Integer initialisers keep g++ fast on large models.

Layout (templates/kernels/hwsim_mvau.h): weights[p][nf * sf + f][s] is the weight of output
nf * PE + p for input term f * SIMD + s, terms in arrival order: a conv's (channel fold, kh, kw,
lane), a dense layer's stream order (h, w, channel fold, lane) of its CxHxW input map. biases[p][nf].
Depthwise (templates/kernels/hwsim_dwu.h): weights[p][f * taps + kh * KW + kw] is the weight of
channel f * PE + p; biases[p][f]; one weight per word at simd 1; at simd KW (one kernel row per
cycle) the same array with dim 2 reshaped cyclically by KW, so that one word holds the KW weights
kw = 0 .. KW-1 of one (f, kh): PE memories of KW x weight bits, CF x KH deep (hwsim.hw.units.dwu).
The storage follows the plan's memories (hwsim.hw.units.mvau): the PE dimension is partitioned, the
SIMD dimension reshaped into one word, and the ROM style is the plan's.
"""
from __future__ import annotations

import numpy as np

from hwsim.fixed import FixedType
from hwsim.backends.hls.idents import comment
from hwsim.backends.hls.vm_types import WeightArray

ROW = 32   # values per initialiser line

# memory style -> storage pragma per tool (Vitis HLS BIND_STORAGE, Vivado HLS RESOURCE)
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
    dims = "".join(f"[{d}]" for d in raw.shape)
    return WeightArray(name, comment(layer), tensor, raw_ctype(t), int(raw.size), dims, str(t), _lines(raw))


def folded(w: np.ndarray, unit, layer, in_shape) -> np.ndarray:
    """(PE, NF * SF, SIMD) weights of a conv (O, C, KH, KW) or dense (O, C * H * W) tensor (module doc)."""
    f = dict(unit.fields)
    if unit.kind == "dwu":           # (C, 1, KH, KW) -> (PE, CF * taps)
        c, _, kh, kw = w.shape
        return w.reshape(f["cf"], f["pe"], kh * kw).transpose(1, 0, 2).reshape(f["pe"], f["cf"] * kh * kw)
    pe, simd, nf = f["pe"], f["simd"], f["nf"]
    if w.ndim == 4:
        o, c, kh, kw = w.shape
        t = w.reshape(nf, pe, c // simd, simd, kh, kw).transpose(1, 0, 2, 4, 5, 3)
    else:
        c, h, wd = in_shape
        t = w.reshape(nf, pe, c // simd, simd, h, wd).transpose(1, 0, 4, 5, 2, 3)
    return t.reshape(pe, f["nf"] * f["sf"], simd)


def layer_arrays(graph, layer, lc, unit, in_shape, w_name: str, b_name: str) -> tuple[WeightArray, WeightArray]:
    """Raw weight and bias arrays of a conv / dense / depthwise layer (zeros when it has no bias)."""
    w = graph.weights[layer.name]
    f = dict(unit.fields)
    raw = lc.weight.quantize(np.asarray(w["weight"]))
    weight = array(w_name, layer.name, "weight", lc.weight, folded(raw, unit, layer, in_shape))
    n_out = raw.shape[0]
    b = lc.bias.quantize(np.asarray(w["bias"])) if lc.bias is not None else np.zeros(n_out, np.int64)
    b = np.asarray(b, dtype=np.int64).reshape(f["cf"] if unit.kind == "dwu" else f["nf"], f["pe"]).T
    bias = array(b_name, layer.name, "bias" if lc.bias is not None else "zero bias", bias_type(lc), b)
    return weight, bias


def bias_type(lc) -> FixedType:
    """Type of the bias array: the configured one, or the weight type for a layer without bias."""
    return lc.bias if lc.bias is not None else lc.weight


def storage_pragmas(tool: str, name: str, mem, words: bool, cyclic: int = 1) -> tuple[str, ...]:
    """Pragmas (without the HWSIM_PRAGMA wrapper) placing a (PE, depth[, SIMD]) array as the plan's
    memory `mem`: PE memories (dim 1 partitioned), SIMD values per word (dim 3 reshaped) when
    `words`, or `cyclic` consecutive entries of dim 2 per word (a depthwise unit at simd KW), in the
    plan's style (bram / uram / lutram ROM, or registers)."""
    if mem.style == "reg":
        return (f"HLS ARRAY_PARTITION variable = {name} complete dim = 0",)
    out = [f"HLS ARRAY_PARTITION variable = {name} complete dim = 1"]
    if words:
        out.append(f"HLS ARRAY_RESHAPE variable = {name} complete dim = 3")
    elif cyclic > 1:
        out.append(f"HLS ARRAY_RESHAPE variable = {name} cyclic factor = {cyclic} dim = 2")
    spec = _STORAGE[tool][mem.style]
    out.append(f"HLS BIND_STORAGE variable = {name} {spec}" if tool == "vitis"
               else f"HLS RESOURCE variable = {name} {spec}")
    return tuple(out)
