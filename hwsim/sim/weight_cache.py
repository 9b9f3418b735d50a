"""Weight-derived arrays for the simulator, cached per weight array.

A Graph's weight arrays are read-only copies (Graph.with_weights), so anything computed from one
array alone never changes: its raw mantissas in one type, and the matrices the GEMM path builds
from those mantissas (themselves read-only cache entries). The simulator computes them once and
reuses them on every run (accuracy sweeps and tuning run the same graph many times). Entries go
when their array is freed, and the cache holds at most MAX_BYTES; writeable arrays are never cached.
"""
from __future__ import annotations

import weakref

import numpy as np

from hwsim.fixed import FixedType

MAX_BYTES = 256 << 20
_CACHE: dict[tuple, tuple] = {}


def _nbytes(value: tuple) -> int:
    return sum(v.nbytes for v in value if isinstance(v, np.ndarray))


def derived(arr: np.ndarray, key, fn) -> tuple:
    """fn(arr), a tuple whose arrays are made read-only, cached under (arr, key) while `arr` is a
    live read-only array (computed every time for a writeable one)."""
    if arr.flags.writeable:
        return fn(arr)
    k = (id(arr), key)
    hit = _CACHE.get(k)
    if hit is None:
        hit = fn(arr)
        for v in hit:
            if isinstance(v, np.ndarray):
                v.setflags(write=False)
        size = _nbytes(hit)
        if size <= MAX_BYTES:
            while sum(_nbytes(v) for v in _CACHE.values()) + size > MAX_BYTES:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[k] = hit
            weakref.finalize(arr, _CACHE.pop, k, None)
    return hit


def quantized(arr: np.ndarray, t: FixedType) -> tuple[np.ndarray, int]:
    """(raw mantissas of `arr` in `t` (read-only), number of values outside t's range)."""
    return derived(arr, t, lambda a: (t.quantize(a), t.quantize_overflows(a)))
