"""Quantized weights for the simulator, cached per (weight array, type).

A Graph's weight arrays are read-only copies (Graph.with_weights), so the raw mantissas of one
array in one type never change: the simulator computes them once and reuses them on every run
(accuracy sweeps and tuning run the same graph many times). Entries go when their array is freed,
and the cache holds at most MAX_BYTES; writeable arrays are never cached.
"""
from __future__ import annotations

import weakref

import numpy as np

from hwsim.fixed import FixedType

MAX_BYTES = 256 << 20
_CACHE: dict[tuple[int, FixedType], tuple[np.ndarray, int]] = {}


def quantized(arr: np.ndarray, t: FixedType) -> tuple[np.ndarray, int]:
    """(raw mantissas of `arr` in `t` (read-only), number of values outside t's range)."""
    if arr.flags.writeable:
        return t.quantize(arr), t.quantize_overflows(arr)
    key = (id(arr), t)
    hit = _CACHE.get(key)
    if hit is None:
        raw = t.quantize(arr)
        raw.setflags(write=False)
        hit = (raw, t.quantize_overflows(arr))
        if raw.nbytes <= MAX_BYTES:
            while sum(v[0].nbytes for v in _CACHE.values()) + raw.nbytes > MAX_BYTES:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = hit
            weakref.finalize(arr, _CACHE.pop, key, None)
    return hit
