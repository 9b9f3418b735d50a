"""Vectorised and numba rounding kernels of hwsim.fixed: the fast paths behind FixedType.quantize,
cast and cast_counted, the scalar rules the simulator's numba loops inline, and ap_fixed division by
an integer. With the type (hwsim/fixed/__init__.py) and the header port (port.py) this is the only
code in hwsim that rounds or overflows a number; every function here is tested against the port and C++.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np

from hwsim.fixed import _SAT_FAMILY, _TINY
from hwsim.fixed.port import _from_double_scalar

if TYPE_CHECKING:
    from hwsim.fixed import FixedType

_QUANT_CODES = {m: i for i, m in enumerate(("AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_ZERO", "AP_RND_MIN_INF",
                                            "AP_RND_INF", "AP_RND_CONV"))}   # fixed.QUANT_MODES order


# ---------------------------------------------------------------------------------------------
# Vectorised fast paths (see module docstring for when they apply).
# ---------------------------------------------------------------------------------------------
def _round_float(y: np.ndarray, quant: str) -> np.ndarray:
    """Round exact doubles to integers by an ap_fixed quantization mode (exactly: no `y + 0.5`)."""
    if quant == "AP_TRN":
        return np.floor(y)
    if quant == "AP_TRN_ZERO":
        return np.trunc(y)
    if quant == "AP_RND_CONV":
        return np.rint(y)
    fl = np.floor(y)
    half = fl + 0.5          # exact while |fl| < 2**52; beyond that y is an integer (y == fl)
    frac = y != fl           # False for integers, +-inf and NaN
    if quant == "AP_RND":
        inc = (y >= half) & frac
    elif quant == "AP_RND_MIN_INF":
        inc = (y > half) & frac
    elif quant == "AP_RND_INF":
        inc = ((y > half) | ((y == half) & (y > 0))) & frac
    else:                    # AP_RND_ZERO
        inc = ((y > half) | ((y == half) & (y < 0))) & frac
    return fl + inc


def _sat_low(t: FixedType) -> int:
    """Lowest raw value AP_SAT / AP_SAT_SYM produce: AP_SAT_SYM sets bit 0 of the minimum, which
    gives -max for signed W > 1 but leaves a 1-bit signed type at -1."""
    return t.raw_min + 1 if (t.overflow == "AP_SAT_SYM" and t.signed and t.width > 1) else t.raw_min


def _saturate(t: FixedType, r, lo_out, hi_out):
    """Apply a SAT-family overflow mode to rounded values r (int64 or float) given out-of-range masks."""
    if t.overflow == "AP_SAT_ZERO":
        return np.where(lo_out | hi_out, 0, r)
    lo = _sat_low(t)
    return np.clip(r, lo, t.raw_max)


def _wrap(t: FixedType, r: np.ndarray) -> np.ndarray:
    mask = np.int64((1 << t.width) - 1)
    if t.signed:
        off = np.int64(1 << (t.width - 1))
        return ((r + off) & mask) - off
    return r & mask


_MAGIC = 1.5 * 2.0 ** 52                  # doubles in [2**52, 2**53) are spaced exactly 1 apart
_MAGIC_BITS = np.array(_MAGIC).view(np.int64)


MIN_ROWS = 64        # rows per input-quantizer share at the least (tests lower it)


def _quantize_fast(t: FixedType, x: np.ndarray) -> np.ndarray:
    y = np.empty(x.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        # exact (or +-inf, read as huge) for F in [0, 900], and for F in [-60, 0) when |x| >= _TINY
        np.multiply(x, 2.0 ** t.frac, out=y)
    if (t.overflow in ("AP_SAT", "AP_SAT_SYM") and max(-t.raw_min, t.raw_max) <= 2 ** 51
            and not np.isnan(y).any()):
        # Clipping to integer bounds commutes with rounding, and adding 1.5 * 2**52 to a double in
        # [-2**51, 2**51] leaves round(y) in the low mantissa bits (round-half-even: AP_RND_CONV).
        if t.quant != "AP_RND_CONV":
            y = _round_float(y, t.quant)
        np.clip(y, _sat_low(t), t.raw_max, out=y)
        y += _MAGIC
        raw = y.view(np.int64)
        raw -= _MAGIC_BITS
        return raw
    r = _round_float(y, t.quant)
    if t.overflow in _SAT_FAMILY:
        if t.overflow == "AP_SAT_ZERO":
            out = _saturate(t, r, r < t.raw_min, r > t.raw_max)
        else:
            out = _saturate(t, r, None, None)
        nan = np.isnan(y)
        if nan.any():     # the header reads NaN as a huge magnitude with the double's sign
            out = np.where(nan, _nan_value(t, x), out)
        return out.astype(np.int64)
    big = ~(np.abs(r) < 2.0 ** 62)        # also NaN / inf
    if big.any():
        out = np.empty(x.shape, np.int64)
        ok = ~big
        out[ok] = _wrap(t, r[ok].astype(np.int64))
        out[big] = [_from_double_scalar(t, float(v)) for v in x[big]]
        return out
    return _wrap(t, r.astype(np.int64))


def _nan_value(t: FixedType, x: np.ndarray) -> np.ndarray:
    neg = np.signbit(x)
    if t.overflow == "AP_SAT_ZERO":
        return np.zeros(x.shape)
    lo = _sat_low(t)
    return np.where(neg, float(lo), float(t.raw_max))


def _round_raw(raw: np.ndarray, src: FixedType, frac: int, quant: str) -> np.ndarray | None:
    """Round raw values of `src` to `frac` fractional bits, unbounded, in int64 (None if it cannot)."""
    k = src.frac - frac
    if k <= 0:
        return None if src.width - k > 62 else raw << np.int64(-k)
    if k > 62:
        return None
    fl = raw >> np.int64(k)
    if quant == "AP_TRN":
        return fl
    rem = raw & np.int64((1 << k) - 1)
    half = np.int64(1 << (k - 1))
    neg = raw < 0
    if quant == "AP_TRN_ZERO":
        inc = neg & (rem != 0)
    elif quant == "AP_RND":
        inc = rem >= half
    elif quant == "AP_RND_MIN_INF":
        inc = rem > half
    elif quant == "AP_RND_ZERO":
        inc = (rem > half) | ((rem == half) & neg)
    elif quant == "AP_RND_INF":
        inc = (rem > half) | ((rem == half) & ~neg)
    else:   # AP_RND_CONV
        inc = (rem > half) | ((rem == half) & ((fl & 1) == 1))
    return fl + inc


def _round_exact(v: int, src_frac: int, frac: int, quant: str) -> int:
    """Python-int version of _round_raw for any magnitude."""
    k = src_frac - frac
    if k <= 0:
        return v << -k
    fl, rem, half = v >> k, v & ((1 << k) - 1), 1 << (k - 1)
    inc = {"AP_TRN": False, "AP_TRN_ZERO": v < 0 and rem != 0, "AP_RND": rem >= half,
           "AP_RND_MIN_INF": rem > half, "AP_RND_ZERO": rem > half or (rem == half and v < 0),
           "AP_RND_INF": rem > half or (rem == half and v >= 0),
           "AP_RND_CONV": rem > half or (rem == half and fl & 1 == 1)}[quant]
    return fl + int(inc)


def _cast_fast(t: FixedType, raw: np.ndarray, src: FixedType) -> np.ndarray | None:
    r = _round_raw(raw, src, t.frac, t.quant)
    if r is None:
        return None
    if t.overflow in _SAT_FAMILY:
        return _saturate(t, r, r < t.raw_min, r > t.raw_max).astype(np.int64)
    return _wrap(t, r)


# ---------------------------------------------------------------------------------------------
# Scalar rules for numba loops (the simulator's per-product accumulation and fused epilogues).
# Quantization codes are indices in fixed.QUANT_MODES; overflow codes are OVF_CODES. Tested against
# FixedType.cast and cast_counted.
# ---------------------------------------------------------------------------------------------
OVF_CODES = {"AP_WRAP": 0, "AP_SAT": 1, "AP_SAT_ZERO": 2, "AP_SAT_SYM": 3}


@numba.njit(cache=True, inline="always")
def round_shift(p, k, q):
    """Round raw p right by k bits (k > 0) with quantization code q; the scalar _round_raw."""
    fl = p >> k
    if q == 0:
        return fl
    rem = p & ((np.int64(1) << k) - 1)
    half = np.int64(1) << (k - 1)
    if q == 1:     # AP_TRN_ZERO
        inc = p < 0 and rem != 0
    elif q == 2:   # AP_RND
        inc = rem >= half
    elif q == 3:   # AP_RND_ZERO
        inc = rem > half or (rem == half and p < 0)
    elif q == 4:   # AP_RND_MIN_INF
        inc = rem > half
    elif q == 5:   # AP_RND_INF
        inc = rem > half or (rem == half and p >= 0)
    else:          # AP_RND_CONV
        inc = rem > half or (rem == half and (fl & 1) == 1)
    return fl + np.int64(inc)


@numba.njit(cache=True, inline="always")
def round_float(y, q):
    """Round an exact float y to an integer (of y's float type) with quantization code q; the scalar
    _round_float (exact: y + 0.5 is never formed, only floor(y) + 0.5, exact while |y| is below
    2**52 for a double, 2**23 for a float32)."""
    if q == 0:
        return np.floor(y)
    if q == 1:
        return np.trunc(y)
    if q == 6:
        return np.rint(y)
    fl = np.floor(y)
    half = fl + np.float32(0.5)
    if q == 2:     # AP_RND
        inc = y >= half
    elif q == 4:   # AP_RND_MIN_INF
        inc = y > half
    elif q == 5:   # AP_RND_INF
        inc = y > half or (y == half and y > 0)
    else:          # AP_RND_ZERO
        inc = y > half or (y == half and y < 0)
    return fl + np.float32(1.0) if (inc and y != fl) else fl


@numba.njit(cache=True, inline="always")
def overflow_scalar(v, o, lo, hi, width, signed):
    """(value after the overflow mode o, 1 if it acted else 0) for a rounded value v."""
    if v > lo and v <= hi:
        return v, 0
    if v == lo:
        if o == 3 and signed:
            return lo + 1, 1
        return v, 0
    if o == 0:
        mask = (np.int64(1) << width) - 1
        if signed:
            off = np.int64(1) << (width - 1)
            return ((v + off) & mask) - off, 1
        return v & mask, 1
    if o == 2:
        return np.int64(0), 1
    if v > hi:
        return hi, 1
    if o == 3 and signed:
        return lo + 1, 1
    return lo, 1


@numba.njit(cache=True, inline="always")
def cast_scalar(a, k, q, o, lo, hi, width, signed):
    """(raw a cast by the rules `k, q, o, lo, hi, width, signed` (see `rules`), 1 if the rounded
    value left the range else 0): the scalar cast_row."""
    if k > 0:
        r = round_shift(a, k, q)
    else:
        r = a << (-k)
    v, _ = overflow_scalar(r, o, lo, hi, width, signed)
    return v, np.int64(r < lo or r > hi)


@numba.njit(cache=True, inline="always")
def cast_row(src, dst, rules):
    """dst[t] = src[t] cast by `rules` (see `rules`); returns (out-of-range count, min, max)."""
    k, q, o, lo, hi, width, signed = rules
    cnt, mn, mx = np.int64(0), np.int64(hi), np.int64(lo)
    if (k <= 0 or q == 0) and (o == 1 or o == 0):
        # floor shift, then AP_SAT (clamp) or AP_WRAP: branch-free, so the loop vectorizes
        mask = (np.int64(1) << width) - 1
        off = (np.int64(1) << (width - 1)) if signed else np.int64(0)
        for t in range(len(src)):
            r = src[t] >> k if k >= 0 else src[t] << (-k)
            out = r < lo or r > hi
            cnt += out
            if o == 1:
                v = min(max(r, lo), hi)
            else:
                v = (((r + off) & mask) - off) if out else r
            dst[t] = v
            mn = min(mn, v)
            mx = max(mx, v)
        return cnt, mn, mx
    for t in range(len(src)):
        v, out = cast_scalar(src[t], k, q, o, lo, hi, width, signed)
        cnt += out
        dst[t] = v
        mn = min(mn, v)
        mx = max(mx, v)
    return cnt, mn, mx


def rules(src: FixedType, dst: FixedType):
    """The cast src -> dst as the tuple cast_row reads (shift, quantization and overflow codes, raw
    bounds, width, signedness), or None when cast_row does not implement it (use cast_counted)."""
    k = src.frac - dst.frac
    if not (dst._fast and dst.overflow in OVF_CODES and not dst.sat_bits and dst.width >= 2
            and src.width <= 62 and -62 < k < 62 and src.width - min(k, 0) <= 62):
        return None
    return (k, _QUANT_CODES[dst.quant], OVF_CODES[dst.overflow], dst.raw_min, dst.raw_max, dst.width,
            dst.signed)


@numba.njit(cache=True, nogil=True)
def _quantize_rows(x, scale, q, o, lo, hi, width, signed, out, start, stop):
    """out = quantize(x) for the rows [start, stop) while |x * scale| < 4e18 (finite);
    returns (ok, overflows, min, max)."""
    ok, cnt, mn, mx = 1, np.int64(0), np.int64(hi), np.int64(lo)
    for i in range(start, stop):
        for j in range(x.shape[1]):
            y = np.float64(x[i, j]) * scale
            if not abs(y) < 4.0e18:             # also NaN and inf: the caller takes the exact path
                return np.array([0, cnt, mn, mx], np.int64)
            fl = np.floor(y)
            if q == 0:
                rf = fl
            elif q == 1:
                rf = np.trunc(y)
            elif q == 6:
                rf = np.rint(y)
            else:
                half = fl + 0.5
                if y == fl:
                    inc = False
                elif q == 2:
                    inc = y >= half
                elif q == 4:
                    inc = y > half
                elif q == 5:
                    inc = y > half or (y == half and y > 0)
                else:
                    inc = y > half or (y == half and y < 0)
                rf = fl + 1.0 if inc else fl
            r = np.int64(rf)
            cnt += r < lo or r > hi
            v, _ = overflow_scalar(r, o, lo, hi, width, signed)
            out[i, j] = v
            mn = min(mn, v)
            mx = max(mx, v)
    return np.array([ok, cnt, mn, mx], np.int64)


def quantize_counted(t: FixedType, x: np.ndarray):
    """(t.quantize(x), values whose rounded value leaves t's range, min raw, max raw) in one pass,
    or None when x has NaN, inf or huge values or t is a type this kernel does not cover."""
    r = rules(t, t)
    if r is None or not 0 <= t.frac <= 900 or x.size == 0 or x.dtype.kind != "f":
        return None
    from hwsim.util.threads import parallel_map, split
    flat = np.ascontiguousarray(x).reshape(-1, x.shape[-1])
    out = np.empty(flat.shape, np.int64)
    cuts = split(flat.shape[0], MIN_ROWS)
    st = np.array(parallel_map(lambda i: _quantize_rows(flat, 2.0 ** t.frac, *r[1:], out, *cuts[i]),
                               len(cuts)))
    if not st[:, 0].all():
        return None
    return out.reshape(x.shape), int(st[:, 1].sum()), int(st[:, 2].min()), int(st[:, 3].max())


def div_trunc(raw: np.ndarray, n: int) -> np.ndarray:
    """`acc /= n` for an ap_fixed accumulator and a positive int: the quotient at the accumulator's
    LSB, truncated toward zero (checked against the headers)."""
    q = np.abs(raw) // n
    return np.where(raw < 0, -q, q)

