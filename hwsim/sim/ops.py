"""Integer kernels for the bit-accurate simulator: im2col, exact GEMM on raw mantissas, the
per-product accumulation loop used when an explicit (narrow) accumulator type rounds or saturates,
and the max pool kernel. (Lossless convolutions usually take the float32 path in sim_conv; the
float64 GEMM here is the general path behind it.)

Exactness: the GEMM runs in float64 BLAS, which is exact while every partial sum stays below 2**53;
larger operands are split into 24-bit halves (each half-product GEMM exact), and beyond that an
int64 matmul is used. Rounding and overflow rules come from hwsim.fixed.fast (`round_shift`,
`overflow_scalar`: the scalar forms of FixedType's rules); the loops are tested against
FixedType.cast.
"""
from __future__ import annotations

import numba
import numpy as np

from hwsim.fixed import QUANT_MODES, FixedType
from hwsim.util.threads import parallel_map, split
from hwsim.fixed.fast import OVF_CODES, cast_row, overflow_scalar, round_shift, rules
from hwsim.ir.geometry import out_hw
from hwsim.fixed.rules import add_type, carrier

EXACT = float(2 ** 53)
MIN_PLANES = 8       # (image, channel) planes per max pool share at the least (tests lower it)


def im2col(x: np.ndarray, kernel, stride, padding, pad_value: int = 0) -> tuple[np.ndarray, int, int]:
    """(N, C, H, W) -> (N*OH*OW, C*KH*KW) with columns ordered (c, kh, kw), plus OH, OW."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    oh, ow = out_hw(h, w, kernel, stride, padding)
    if kh == kw == 1 and sh == sw == 1:
        return x.transpose(0, 2, 3, 1).reshape(n * oh * ow, c), oh, ow
    s = x.strides
    win = np.lib.stride_tricks.as_strided(
        x, (n, oh, ow, c, kh, kw), (s[0], s[2] * sh, s[3] * sw, s[1], s[2], s[3]), writeable=False)
    return win.reshape(n * oh * ow, c * kh * kw), oh, ow


def exact_matmul(a: np.ndarray, b: np.ndarray, amax: int | None = None) -> np.ndarray:
    """a @ b for integer matrices, exact; `a` may hold integers as float64 (im2col output).
    `amax` bounds |a| when the caller knows it (saves a pass over a large `a`)."""
    if amax is None:
        amax = int(np.abs(a).max(initial=0))
    bmax = int(np.abs(b).max(initial=0))
    k = a.shape[1]
    if amax * bmax * k < EXACT:
        return (a.astype(np.float64, copy=False) @ b.astype(np.float64)).astype(np.int64)
    a = a.astype(np.int64)
    lo_bits = 24
    if (1 << lo_bits) * bmax * k < EXACT and (amax >> lo_bits) * bmax * k < EXACT:
        hi = a >> lo_bits
        lo = a - (hi << lo_bits)
        bf = b.astype(np.float64)
        return ((hi.astype(np.float64) @ bf).astype(np.int64) << lo_bits) + (lo.astype(np.float64) @ bf).astype(np.int64)
    return a @ b


@numba.njit(cache=True, parallel=True)
def _accumulate(cols, w, acc0, shift, q, o, lo, hi, width, signed):
    """acc[r, j] = acc0[j]; for each term t: acc = ovf(acc + ovf(round(cols[r,t]*w[j,t], shift)))."""
    rows, terms = cols.shape
    outs = w.shape[0]
    acc = np.empty((rows, outs), np.int64)
    counts = np.zeros(rows, np.int64)
    for r in numba.prange(rows):
        cnt = 0
        for j in range(outs):
            a = acc0[j]
            for t in range(terms):
                p = cols[r, t] * w[j, t]
                if shift > 0:
                    p = round_shift(p, shift, q)
                elif shift < 0:
                    p = p << (-shift)
                p, c1 = overflow_scalar(p, o, lo, hi, width, signed)
                a, c2 = overflow_scalar(a + p, o, lo, hi, width, signed)
                cnt += c1 + c2
            acc[r, j] = a
        counts[r] = cnt
    return acc, counts.sum()


@numba.njit(cache=True, parallel=True)
def _sum_rounded(cols, w, acc0, shift, q):
    """acc[r, j] = acc0[j] + sum_t round(cols[r,t]*w[j,t], shift): the exact sum of the rounded
    products, before any wrap (wrap-around is addition mod 2**W, so one wrap at the end equals a
    wrap after every step)."""
    rows, terms = cols.shape
    outs = w.shape[0]
    acc = np.empty((rows, outs), np.int64)
    for r in numba.prange(rows):
        for j in range(outs):
            a = np.int64(0)
            if q == 0:
                for t in range(terms):
                    a += round_shift(np.int64(cols[r, t] * w[j, t]), shift, 0)
            else:
                for t in range(terms):
                    a += round_shift(np.int64(cols[r, t]) * np.int64(w[j, t]), shift, q)
            acc[r, j] = acc0[j] + a
    return acc


def accumulate_products(cols: np.ndarray, w: np.ndarray, acc0: np.ndarray, prod_frac: int,
                        accum: FixedType) -> tuple[np.ndarray, int]:
    """Per-product cast into `accum` (hls4ml semantics). cols (R, T) and w (O, T) raw int64,
    acc0 (O,) raw in accum. Returns (acc (R, O), number of overflow events; for a wrapping
    accumulator, the outputs whose exact sum of rounded products left its range)."""
    shift = prod_frac - accum.frac
    if (accum.overflow == "AP_WRAP" and not accum.sat_bits and not accum.is_int and 0 < shift < 63):
        # products are small: int32 operands (and an int32 product for truncation) when they fit
        bits = _bits(cols) + _bits(w)
        dt = np.int32 if bits <= 31 else np.int64
        total = _sum_rounded(np.ascontiguousarray(cols, dt), np.ascontiguousarray(w, dt),
                             acc0.astype(np.int64), shift, QUANT_MODES.index(accum.quant))
        return accum.cast_counted(total, carrier(accum.frac))
    if accum.overflow in OVF_CODES and not accum.sat_bits and not accum.is_int and abs(shift) < 63:
        return _accumulate(np.ascontiguousarray(cols), np.ascontiguousarray(w), acc0.astype(np.int64),
                           shift, QUANT_MODES.index(accum.quant), OVF_CODES[accum.overflow],
                           accum.raw_min, accum.raw_max, accum.width, accum.signed)
    return _accumulate_generic(cols, w, acc0, prod_frac, accum)


def _bits(a: np.ndarray) -> int:
    """Bits of a two's complement integer holding every value of a."""
    m = int(max(-int(a.min(initial=0)) - 1, int(a.max(initial=0)), 0))
    return m.bit_length() + 1


def _accumulate_generic(cols, w, acc0, prod_frac, accum):
    """Any overflow mode, through FixedType.cast term by term (slow; exotic modes only)."""
    ptype = carrier(prod_frac, 63)
    stype = add_type(accum, accum)
    acc = np.broadcast_to(acc0, (cols.shape[0], w.shape[0])).astype(np.int64)
    events = 0
    for t in range(cols.shape[1]):
        p = cols[:, t:t + 1] * w[None, :, t]
        events += int(accum.overflows(p, ptype).sum())
        p = accum.cast(p, ptype)
        s = acc + (p << (stype.frac - accum.frac))
        events += int(accum.overflows(s, stype).sum())
        acc = accum.cast(s, stype)
    return acc, events


@numba.njit(cache=True)
def _min_max(flat):
    lo = flat[0]
    hi = flat[0]
    for v in flat:
        if v < lo:
            lo = v
        elif v > hi:
            hi = v
    return lo, hi


@numba.njit(cache=True, inline="always")
def row_error(raw, ref, scale):
    """(sum (ref - raw * scale)**2, sum ref**2, max |ref - raw * scale|) in float64 along one row,
    in order. sim_conv's fused epilogue and the max pool's call this very function, so the fused
    statistics equal error_rows' bit for bit."""
    e = 0.0
    s = 0.0
    m = 0.0
    for t in range(raw.shape[0]):
        f = np.float64(ref[t])
        d = f - raw[t] * scale
        e += d * d
        s += f * f
        m = max(m, abs(d))
    return e, s, m


@numba.njit(cache=True, nogil=True)
def _error_rows(raw, ref, scale, err, sig):
    m = 0.0
    for r in range(raw.shape[0]):
        e, s, mr = row_error(raw[r], ref[r], scale)
        err[r] = e
        sig[r] = s
        m = max(m, mr)
    return m


def storage(t: FixedType):
    """The dtype the simulator keeps raw values of type `t` in between layers: int32 when every raw
    value and its negation fit (width <= 31: |v| <= 2**30, so a kernel's abs never overflows),
    which halves the memory the kernels stream, else int64. The fast
    kernels that produce and read it (sim_conv's, the max pool's, error_rows, min_max) are
    generic over the integer type; simulate widens (`wide`) what anything else reads, and its
    results are int64."""
    return np.int32 if t.width <= 31 else np.int64


def wide(raw: np.ndarray) -> np.ndarray:
    """Raw values as int64 (the array itself when it is int64)."""
    return raw if raw.dtype == np.int64 else raw.astype(np.int64)


def error_rows(raw: np.ndarray, ref: np.ndarray, frac: int):
    """The error statistics of raw NCHW mantissas with `frac` fractional bits against a float
    reference of the same shape, per output row: (squared errors (N, C, H), squared reference
    values (N, C, H), max abs error). Values are exact while |raw| < 2**53. Layer totals are
    `total` of each array: sums along each row in order, then over the rows in (n, c, y) order, so
    any split of the work into whole rows gives the same figures."""
    if raw.shape != ref.shape:
        raise ValueError(f"reference has shape {ref.shape}, simulation {raw.shape}")
    rows = raw.shape[:-1]
    err, sig = np.empty(rows), np.empty(rows)
    w = raw.shape[-1] if raw.ndim else 1
    m = _error_rows(np.ascontiguousarray(raw).reshape(-1, w), np.ascontiguousarray(ref).reshape(-1, w),
                    2.0 ** -frac, err.reshape(-1), sig.reshape(-1)) if raw.size else 0.0
    return err, sig, float(m)


@numba.njit(cache=True)
def _total(flat):
    t = 0.0
    for v in flat:
        t += v
    return t


def total(rows: np.ndarray) -> float:
    """The sum of per-row figures in row order (C order of the (N, C, H) array)."""
    return float(_total(np.ascontiguousarray(rows).reshape(-1)))


def min_max(raw: np.ndarray) -> tuple[int, int]:
    """(min, max) of a non-empty integer array in one pass."""
    lo, hi = _min_max(np.ascontiguousarray(raw).ravel())
    return int(lo), int(hi)


@numba.njit(cache=True, inline="always")
def _pool_row(src, y, kh, kw, sh, sw, ph, pw, lowest, colmax, row):
    """row[xx] = the max of src over output row y's window xx, positions inside src only (padding
    and ceil overhang ignored); a NaN wins. Integer and float planes alike."""
    h, w = src.shape
    y0, y1 = max(y * sh - ph, 0), min(y * sh - ph + kh, h)
    colmax[:] = lowest                   # a window with no position inside src keeps it
    for i in range(y0, y1):              # rows first: a vector max over whole rows
        r = src[i]
        for j in range(w):               # a select, not a branch, so the loop vectorizes
            v = r[j]
            c = colmax[j]
            colmax[j] = v if (v > c) | (v != v) else c
    ow = row.shape[0]
    # outputs [xa, xb) have their whole window inside src: taps in order, each a pass over them
    # (sliced from 0, so the loops vectorize); the others, at the edges, one at a time
    xa = min(-(-pw // sw), ow)
    xb = max(min((w - kw + pw) // sw + 1, ow), xa)
    if xb > xa:                          # then xa * sw - pw >= 0
        rw = row[xa:xb]
        rw[:] = lowest
        for dj in range(kw):
            cm = colmax[xa * sw - pw + dj:]
            for t in range(xb - xa):
                v = cm[t * sw]
                m = rw[t]
                rw[t] = v if (v > m) | (v != v) else m
    for xx in range(ow):
        if xa <= xx < xb:
            continue
        m = lowest
        for j in range(max(xx * sw - pw, 0), min(xx * sw - pw + kw, w)):
            v = colmax[j]
            m = v if (v > m) | (v != v) else m
        row[xx] = m


@numba.njit(cache=True, nogil=True)
def _maxpool(x, kh, kw, sh, sw, ph, pw, rules, out, start, stop):
    """out[plane] for the (n, c) planes in [start, stop): the window max, cast by `rules`. Returns
    [out-of-range count, min, max]."""
    c, w = x.shape[1], x.shape[3]
    oh, ow = out.shape[2:]
    colmax = np.empty(w, np.int64)
    row = np.empty(ow, np.int64)
    cnt, mn, mx = np.int64(0), np.int64(rules[4]), np.int64(rules[3])
    for plane in range(start, stop):
        b, ci = plane // c, plane % c
        for y in range(oh):
            _pool_row(x[b, ci], y, kh, kw, sh, sw, ph, pw, np.iinfo(np.int64).min, colmax, row)
            k, lo, hi = cast_row(row, out[b, ci, y], rules)
            cnt += k
            mn = min(mn, lo)
            mx = max(mx, hi)
    return np.array([cnt, mn, mx], np.int64)


@numba.njit(cache=True, nogil=True)
def _maxpool_float(x, kh, kw, sh, sw, ph, pw, out, start, stop):
    """The float reference's max pool of the planes [start, stop) (float32)."""
    c = x.shape[1]
    colmax = np.empty(x.shape[3], np.float32)
    for plane in range(start, stop):
        b, ci = plane // c, plane % c
        for y in range(out.shape[2]):
            _pool_row(x[b, ci], y, kh, kw, sh, sw, ph, pw, np.float32(-np.inf), colmax, out[b, ci, y])


@numba.njit(cache=True, nogil=True)
def _maxpool_stats(x, xf, kh, kw, sh, sw, ph, pw, rules, out, outf, scale, err, sig, start, stop):
    """_maxpool and _maxpool_float of the planes [start, stop) together, with the error statistics
    of each output row (error_rows' figures) in err and sig. Returns [count, min, max], max error."""
    c, w = x.shape[1], x.shape[3]
    oh, ow = out.shape[2:]
    colmax = np.empty(w, np.int64)
    colf = np.empty(w, np.float32)
    row = np.empty(ow, np.int64)
    cnt, mn, mx = np.int64(0), np.int64(rules[4]), np.int64(rules[3])
    m = 0.0
    for plane in range(start, stop):
        b, ci = plane // c, plane % c
        for y in range(oh):
            _pool_row(x[b, ci], y, kh, kw, sh, sw, ph, pw, np.iinfo(np.int64).min, colmax, row)
            k, lo, hi = cast_row(row, out[b, ci, y], rules)
            cnt += k
            mn = min(mn, lo)
            mx = max(mx, hi)
            _pool_row(xf[b, ci], y, kh, kw, sh, sw, ph, pw, np.float32(-np.inf), colf, outf[b, ci, y])
            e, s, mr = row_error(out[b, ci, y], outf[b, ci, y], scale)
            err[b, ci, y] = e
            sig[b, ci, y] = s
            m = max(m, mr)
    return np.array([cnt, mn, mx], np.int64), m


def maxpool(x: np.ndarray, kernel, stride, padding, out_hw, src: FixedType, dst: FixedType, ref=None):
    """Max pool of raw NCHW x then the cast src -> dst: (out, [overflows, min, max]), or None when
    the cast is one cast_row does not implement. With `ref` (the float reference's input, float32)
    also (its max pool, error_rows' (err, sig, max error)) as a third item."""
    r = rules(src, dst)
    if r is None or x.size == 0:
        return None
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    x = np.ascontiguousarray(x)
    out = np.empty(x.shape[:2] + tuple(out_hw), storage(dst))
    cuts = split(x.shape[0] * x.shape[1], MIN_PLANES)
    if ref is None:
        st = np.array(parallel_map(lambda i: _maxpool(x, kh, kw, sh, sw, ph, pw, r, out, *cuts[i]), len(cuts)))
        return out, [int(st[:, 0].sum()), int(st[:, 1].min()), int(st[:, 2].max())]
    xf = np.ascontiguousarray(ref, np.float32)
    outf = np.empty(out.shape, np.float32)
    err, sig = np.empty(out.shape[:3]), np.empty(out.shape[:3])
    res = parallel_map(lambda i: _maxpool_stats(x, xf, kh, kw, sh, sw, ph, pw, r, out, outf, 2.0 ** -dst.frac,
                                                err, sig, *cuts[i]), len(cuts))
    st = np.array([p[0] for p in res])
    return (out, [int(st[:, 0].sum()), int(st[:, 1].min()), int(st[:, 2].max())],
            (outf, (err, sig, float(max(p[1] for p in res)))))


def float_maxpool(x: np.ndarray, kernel, stride, padding, out_hw) -> np.ndarray:
    """The float reference's max pool of float32 NCHW x (positions outside x ignored), threaded."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    x = np.ascontiguousarray(x, np.float32)
    out = np.empty(x.shape[:2] + tuple(out_hw), np.float32)
    if x.size == 0:
        return out
    cuts = split(x.shape[0] * x.shape[1], MIN_PLANES)
    parallel_map(lambda i: _maxpool_float(x, kh, kw, sh, sw, ph, pw, out, *cuts[i]), len(cuts))
    return out
