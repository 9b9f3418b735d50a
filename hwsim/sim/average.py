"""The average pools' accumulation through an explicit (non-lossless) accum_t, exactly as
layers._sum_in_accum's numpy loop does it, in one threaded numba pass.

For each output, from acc = 0, for each term x in the window's row-major order (the order of the
`terms` list): the cast `(accum_t)x` from the input type (one event when the rounded value leaves
accum_t's range, FixedType.overflows), then the exact sum acc + v (add_type(accum_t, accum_t),
same fractional bits) assigned back to accum_t (one event when the sum leaves the range). The
overflow mode's own action (AP_SAT_SYM turning raw_min into -max, say) is not an event: only a value
outside [raw_min, raw_max] is, as FixedType.overflows counts it.

The terms are equally shaped views (layers._gap's slices, layers._avgpool's window taps): the
kernel reads them in place from the array they view, through one element offset per term and
their common strides, or from a stacked copy when they do not share one C-contiguous int64 array.
`sum_in_accum` returns None when hwsim.fixed.fast.rules does not cover the cast (the numpy loop
then runs). Tested against that loop in tests/test_average.py.
"""
from __future__ import annotations

import numba
import numpy as np

from hwsim.fixed import FixedType
from hwsim.fixed.fast import cast_scalar, rules
from hwsim.util.threads import parallel_map, split

MIN_SHARE = 256      # outputs per worker share at the least (tests lower it)
MAX_SHARE = 8192     # and at most about this many when there is more work


@numba.njit(cache=True, nogil=True)
def _sum_rows(flat, offs, strides, shape, k, q, o, lo, hi, width, signed, start, stop, out):
    """out[m] = the accumulator after every term of output m (C order over `shape`, 4-D) for m in
    [start, stop); term t of output m is flat[offs[t] + sum_d idx_d * strides[d]]. Returns the events."""
    n1, n2, n3 = shape[1], shape[2], shape[3]
    s0, s1, s2, s3 = strides[0], strides[1], strides[2], strides[3]
    cnt = np.int64(0)
    for m in range(start, stop):
        i3 = m % n3
        r = m // n3
        i2 = r % n2
        r = r // n2
        i1 = r % n1
        i0 = r // n1
        base = i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3
        acc = np.int64(0)
        for t in range(offs.shape[0]):
            v, c1 = cast_scalar(flat[offs[t] + base], k, q, o, lo, hi, width, signed)
            acc, c2 = cast_scalar(acc + v, 0, q, o, lo, hi, width, signed)   # the exact sum, same frac
            cnt += c1 + c2
        out[m] = acc
    return cnt


def _root(a):
    """The array whose memory the view `a` reads (following .base through as_strided's wrapper)."""
    while getattr(a, "base", None) is not None:
        a = a.base
    return a


def _layout(terms):
    """(flat int64 array, element offset of each term, the terms' element strides) to read the terms
    in place, or None when they are not views with equal strides into one C-contiguous int64 array."""
    first = terms[0]
    root = _root(first)
    if (not isinstance(root, np.ndarray) or root.dtype != np.int64 or not root.flags.c_contiguous
            or any(t.dtype != np.int64 or t.strides != first.strides or _root(t) is not root for t in terms)
            or any(s % 8 for s in first.strides)):
        return None
    start = root.__array_interface__["data"][0]
    offs = np.array([(t.__array_interface__["data"][0] - start) // 8 for t in terms], np.int64)
    strides = np.array(first.strides, np.int64) // 8
    flat = root.reshape(-1)
    # every element a term reads lies inside the root array
    reach = int(np.maximum(strides, 0) @ (np.array(first.shape) - 1))
    low = int(np.minimum(strides, 0) @ (np.array(first.shape) - 1))
    if offs.min() + low < 0 or offs.max() + reach >= flat.size:
        return None
    return flat, offs, strides


def sum_in_accum(terms, tin: FixedType, acc_t: FixedType):
    """`accum_t acc = 0; acc += (accum_t)x` over `terms` (equally shaped raw arrays of type tin):
    (acc, overflow events), or None when the kernel does not cover the types."""
    r = rules(tin, acc_t)
    if r is None or not terms or terms[0].ndim > 4:
        return None
    terms = [np.asarray(t) for t in terms]
    shape = terms[0].shape
    if any(t.shape != shape for t in terms):
        return None
    size = int(np.prod(shape))
    out = np.empty(size, np.int64)
    if size == 0:
        return out.reshape(shape), 0
    lay = _layout(terms) if all(t.dtype == np.int64 for t in terms) else None
    if lay is None:
        flat = np.stack([t.astype(np.int64, copy=False) for t in terms]).reshape(-1)
        offs = np.arange(len(terms), dtype=np.int64) * size
        strides = np.array([s // 8 for s in np.empty(shape, np.int64).strides], np.int64)
    else:
        flat, offs, strides = lay
    pad = 4 - len(shape)
    shape4 = np.array((1,) * pad + shape, np.int64)
    strides4 = np.concatenate([np.zeros(pad, np.int64), strides])
    cuts = split(size, MIN_SHARE, MAX_SHARE)
    events = parallel_map(lambda i: _sum_rows(flat, offs, strides4, shape4, *r, *cuts[i], out), len(cuts))
    return out.reshape(shape), int(sum(events))
