"""Convolutions with an explicit (narrow) accumulator type: hls4ml's `acc += (accum_t)(x * w)`, exactly.

With accum_t = A and k = (input frac + weight frac) - A's frac fractional bits dropped per product:

- k > 0 and A wraps (AP_WRAP, no saturation bits): `_dot_rounded` sums the rounded products. Each
  product x*w, scaled by 2**-k, is an exact double, rounded by the quantization mode
  (hwsim.fixed.fast.round_float); the sum of these integers is exact in any order while below 2**53
  (checked), so the loop may reassociate and vectorize. Wrap-around addition is associative: one wrap
  at the end equals a wrap after every step, and the accumulator overflow count is the number of
  outputs whose exact sum left A's range (as the general path counts it).
- any other case with a rounding mode and an AP_WRAP / AP_SAT / AP_SAT_ZERO / AP_SAT_SYM overflow
  mode: `_per_step` applies the overflow mode to every product and every partial sum in (c, kh, kw)
  order, vectorized across output channels. A zero term (padding, or a zero input) is skipped: it
  adds 0 to a value already in range, which no mode changes.

Both gather each output position's terms straight from the NCHW input (no im2col array) and run on
worker threads in shares of output positions; the epilogue casts to the result type (and a
following ReLU), counts and writes NCHW. `conv` returns None for anything else (sim_ops' general
loops then run). Tested against FixedType.cast on every product (tests/test_simulate.py) and
against sim_ops' scalar loops over every thread split (tests/test_split.py).
"""
from __future__ import annotations

import numba
import numpy as np

from hwsim.fixed import QUANT_MODES, FixedType
from hwsim.fixed.fast import OVF_CODES, cast_row, overflow_scalar, round_float, round_shift, rules
from hwsim.sim import weight_cache
from hwsim.util.threads import parallel_map, split
from hwsim.ir.geometry import out_hw
from hwsim.fixed.rules import carrier

MIN_SHARE = 64       # output positions per worker share at the least (tests lower it)
MAX_SHARE = 2048     # and at most about this many when there is more work (512 measured 15-30% slower)
BLOCK = 4            # output positions that share each weight load in _dot_rounded
LANES = 8            # _dot_rounded's terms are padded with zeros to a multiple of this (whole vectors)
FLOAT32 = True       # _dot_rounded in float32 where that is exact (tests turn it off to cover float64)
_EXACT = 2.0 ** 53


@numba.njit(cache=True, inline="always")
def _gather(x, pos, kh, kw, sh, sw, ph, pw, oh, ow, scale, buf):
    """buf[(c, i, j)] = x[n, c, y*sh - ph + i, x*sw - pw + j] * scale (0 outside) for position pos."""
    c, h, w = x.shape[1], x.shape[2], x.shape[3]
    p = oh * ow
    b = pos // p
    y = (pos % p) // ow
    xx = pos % ow
    t = 0
    for ci in range(c):
        for i in range(kh):
            iy = y * sh - ph + i
            for j in range(kw):
                ix = xx * sw - pw + j
                if iy < 0 or iy >= h or ix < 0 or ix >= w:
                    buf[t] = 0
                else:
                    buf[t] = x[b, ci, iy, ix] * scale
                t += 1


@numba.njit(cache=True, inline="always", fastmath={"reassoc"})
def _dot4(b0, b1, b2, b3, wr, q, zero):
    """sum_t round(b_u[t] * wr[t]) for four term vectors b_u (exact integers: any order)."""
    a0 = a1 = a2 = a3 = zero
    for t in range(wr.shape[0]):
        wv = wr[t]
        a0 += round_float(b0[t] * wv, q)
        a1 += round_float(b1[t] * wv, q)
        a2 += round_float(b2[t] * wv, q)
        a3 += round_float(b3[t] * wv, q)
    return a0, a1, a2, a3


@numba.njit(cache=True, nogil=True, fastmath={"reassoc"})
def _dot_rounded(x, w, scale, q, kh, kw, sh, sw, ph, pw, oh, ow, start, stop, acc):
    """acc[oc, pos - start] = sum over terms t of round(x_t * w[oc, t] * scale) for the positions in
    [start, stop): w (O, KP) raw weights as floats, zero past the K = C*KH*KW terms (KP a multiple of
    LANES, so the short-K layers run whole vectors: a zero term adds round(0) = 0), scale = 2**-k.
    The products and sums are exact integers (below 2**53 in float64, 2**24 in float32, checked by
    `conv`), so the order of the sum is free (reassoc). Each mode has its own call of _dot4 with a
    constant code, so the rounding inlines into a vector loop."""
    outs, k = w.shape
    buf = np.zeros((BLOCK, k), w.dtype)     # float64, or float32 where that is exact (the caller checks)
    # _gather fills the first C*KH*KW columns; the padding columns stay 0
    zero = buf[0, 0]
    for r0 in range(start, stop, BLOCK):
        nb = min(BLOCK, stop - r0)
        for u in range(BLOCK):
            if u < nb:
                _gather(x, r0 + u, kh, kw, sh, sw, ph, pw, oh, ow, scale, buf[u])
            else:
                buf[u, :] = 0
        b0, b1, b2, b3 = buf[0], buf[1], buf[2], buf[3]
        base = r0 - start
        for oc in range(outs):
            wr = w[oc]
            if q == 0:
                a = _dot4(b0, b1, b2, b3, wr, 0, zero)
            elif q == 1:
                a = _dot4(b0, b1, b2, b3, wr, 1, zero)
            elif q == 2:
                a = _dot4(b0, b1, b2, b3, wr, 2, zero)
            elif q == 3:
                a = _dot4(b0, b1, b2, b3, wr, 3, zero)
            elif q == 4:
                a = _dot4(b0, b1, b2, b3, wr, 4, zero)
            elif q == 5:
                a = _dot4(b0, b1, b2, b3, wr, 5, zero)
            else:
                a = _dot4(b0, b1, b2, b3, wr, 6, zero)
            for u in range(nb):
                acc[oc, base + u] = np.int64(a[u])


@numba.njit(cache=True, nogil=True)
def _per_step(x, wt, acc0, shift, q, o, lo, hi, width, signed, kh, kw, sh, sw, ph, pw, oh, ow,
              start, stop, acc):
    """acc[oc, pos - start] = the accumulator after `a = ovf(a + ovf(round(x_t * w_t)))` over the
    terms t in order, from a = acc0[oc]; wt (K, O) int64. Returns the number of overflow events."""
    k, outs = wt.shape
    buf = np.zeros(k, np.int64)
    a = np.empty(outs, np.int64)
    cnt = np.int64(0)
    for pos in range(start, stop):
        _gather(x, pos, kh, kw, sh, sw, ph, pw, oh, ow, 1, buf)
        a[:] = acc0
        for t in range(k):
            v = buf[t]
            if v == 0:
                continue
            wr = wt[t]
            for oc in range(outs):
                p = v * wr[oc]
                if shift > 0:
                    p = round_shift(p, shift, q)
                elif shift < 0:
                    p = p << (-shift)
                p, c1 = overflow_scalar(p, o, lo, hi, width, signed)
                s, c2 = overflow_scalar(a[oc] + p, o, lo, hi, width, signed)
                a[oc] = s
                cnt += c1 + c2
        for oc in range(outs):
            acc[oc, pos - start] = a[oc]
    return cnt


@numba.njit(cache=True, nogil=True)
def _finish(acc, acc0, wrap, wrap_rules, cast1, relu, cast2, start, stop, out):
    """Per output channel: (with `wrap`) acc0 added and the exact sum wrapped into accum_t (counting
    the outputs that left its range), cast1 to the result type, with `relu` cast2(max(v, 0)); written
    to out[n, oc, pos]. Returns [accum overflows, then overflows, min, max of the conv and the ReLU]."""
    outs, length = acc.shape
    p = out.shape[2]
    tmp = np.empty(length, np.int64)
    val = np.empty(length, np.int64)
    st = np.array([0, 0, cast1[4], cast1[3], 0, cast2[4], cast2[3]], np.int64)
    for oc in range(outs):
        if wrap:
            for t in range(length):
                tmp[t] = acc[oc, t] + acc0[oc]
            c, _, _ = cast_row(tmp, acc[oc], wrap_rules)
            st[0] += c
        c, mn, mx = cast_row(acc[oc], val, cast1)
        st[1] += c
        st[2] = min(st[2], mn)
        st[3] = max(st[3], mx)
        if relu:
            for t in range(length):
                tmp[t] = max(val[t], 0)
            c, mn, mx = cast_row(tmp, val, cast2)
            st[4] += c
            st[5] = min(st[5], mn)
            st[6] = max(st[6], mx)
        for b in range(start // p, (stop - 1) // p + 1):
            p0 = max(start, b * p) - b * p
            p1 = min(stop, (b + 1) * p) - b * p
            base = b * p - start
            out[b, oc, p0:p1] = val[base + p0:base + p1]     # a slice copy (no per-index wraparound)
    return st


def _bits(a: np.ndarray) -> int:
    return int(np.abs(a).max(initial=0)).bit_length()


def _weights(wr: np.ndarray):
    """What the kernels read of raw weights (O, ...): the (O, K) int64 matrix, the bits of max |w|,
    sum |w| per output (float64), the matrix transposed (K, O), and the matrix as float32 and as
    float64 with K padded with zeros to a multiple of LANES. Cached per weight array."""
    wm = np.ascontiguousarray(wr, np.int64).reshape(wr.shape[0], -1)
    padded = (wm.shape[0], -(-wm.shape[1] // LANES) * LANES)
    wf32, wf64 = np.zeros(padded, np.float32), np.zeros(padded)
    wf32[:, :wm.shape[1]] = wm
    wf64[:, :wm.shape[1]] = wm
    return wm, _bits(wm), np.abs(wm).sum(axis=1).astype(np.float64), np.ascontiguousarray(wm.T), wf32, wf64


def conv(x: np.ndarray, wr: np.ndarray, acc0: np.ndarray, prod_frac: int, acc_t: FixedType, kernel, stride,
         padding, out_t: FixedType, relu_t: FixedType | None = None):
    """Conv of raw NCHW x with raw weights wr (O, C, KH, KW) through accum_t with every product cast
    (acc0: raw initial values in acc_t), then cast to out_t (and a ReLU to relu_t): (out NCHW,
    [overflows, min, max of the conv, the same of the ReLU], accumulator overflow events), or None
    when neither kernel covers the types."""
    k = prod_frac - acc_t.frac
    wraps = acc_t.overflow == "AP_WRAP" and not acc_t.sat_bits and not acc_t.is_int
    cast1 = rules(acc_t, out_t)
    cast2 = rules(out_t, relu_t) if relu_t is not None else cast1
    wide = carrier(acc_t.frac)
    if (cast1 is None or cast2 is None or acc_t.overflow not in OVF_CODES or acc_t.sat_bits or acc_t.is_int
            or acc_t.width > 62 or x.size == 0 or not -63 < k < 63):
        return None
    x = np.ascontiguousarray(x, np.int64)
    wm, wbits, wsum, wt, wf32, wf64 = weight_cache.derived(wr, "narrow", _weights)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = out_hw(h, w, kernel, stride, padding)
    q = QUANT_MODES.index(acc_t.quant)
    pbits = _bits(x) + wbits
    rounded = wraps and k > 0 and pbits <= 52 and wm.shape[1] * (2.0 ** max(pbits - k, 0) + 1) < _EXACT
    # float32 (twice the lanes) when the products are exact in it and no partial sum reaches 2**24:
    # each |round(x*w*2**-k)| <= max|x| * |w| * 2**-k + 1
    xmax = float(np.abs(x).max(initial=0))
    f32 = FLOAT32 and rounded and pbits <= 24 and float((xmax * wsum * 2.0 ** -k).max(initial=0)
                                            + wm.shape[1]) < 2.0 ** 24
    if not rounded and (pbits > 62 or (k < 0 and pbits - k > 62)):
        return None
    acc0 = acc0.astype(np.int64)
    out = np.empty((n, wm.shape[0], oh * ow), np.int64)
    cuts = split(n * oh * ow, MIN_SHARE, MAX_SHARE)
    wf = wf32 if f32 else wf64
    o, lo, hi = OVF_CODES[acc_t.overflow], acc_t.raw_min, acc_t.raw_max

    def part(i):
        start, stop = cuts[i]
        acc = np.empty((wm.shape[0], stop - start), np.int64)
        if rounded:
            _dot_rounded(x, wf, 2.0 ** -k, q, kh, kw, sh, sw, ph, pw, oh, ow, start, stop, acc)
            events = 0
        else:
            events = _per_step(x, wt, acc0, k, q, o, lo, hi, acc_t.width, acc_t.signed, kh, kw, sh, sw, ph, pw,
                               oh, ow, start, stop, acc)
        st = _finish(acc, acc0, rounded, rules(wide, acc_t), cast1, relu_t is not None, cast2, start, stop, out)
        st[0] += events
        return st

    st = np.array(parallel_map(part, len(cuts)))
    stats = [int(st[:, 1].sum()), int(st[:, 2].min()), int(st[:, 3].max()),
             int(st[:, 4].sum()), int(st[:, 5].min()), int(st[:, 6].max())]
    return out.reshape(n, -1, oh, ow), stats, int(st[:, 0].sum())
