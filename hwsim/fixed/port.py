"""Literal port of the Xilinx headers' conversions (ap_fixed_base.h, ap_int_base.h) on Python integers.

This is the reference for every quantization and overflow mode: `_assign_scalar` follows
ap_fixed_base::operator= (one rounding over all dropped bits, then overflow decided after rounding),
`_from_double_scalar` the double constructors (the double read as a 54-bit signed mantissa with its
implicit bit always set, so subnormals, inf and NaN become tiny or huge magnitudes with the double's
sign), `_int_from_double` ap_int_base(double) (magnitude truncated, then negated: a negative double
in (-0.5, 0) gives +1). `t` is a hwsim.fixed.FixedType; it is only read through its attributes.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hwsim.fixed import FixedType


def _bit(v: int, i: int) -> int:
    return (v >> i) & 1


def _set_range(v: int, lo: int, hi: int, ones: bool) -> int:
    m = ((1 << (hi - lo + 1)) - 1) << lo
    return (v | m) if ones else (v & ~m)


def _to_raw(t: FixedType, v: int) -> int:
    """W-bit pattern -> raw integer in the type's range."""
    if t.signed and _bit(v, t.width - 1):
        return v - (1 << t.width)
    return v


def _assign_scalar(t: FixedType, op: int, w2: int, f2: int, s2: bool) -> int:
    """Raw result of assigning a <w2, w2-f2, s2> value with raw `op` to type t."""
    if t.is_int and w2 - f2 <= 0:
        return _int_from_fraction(t, op, w2, s2)
    # otherwise an ap_int target is an ap_fixed<W, W, AP_TRN_ZERO, AP_WRAP> (the modes FixedType
    # enforces): to_ap_int_base() floors to the integer bits and adds 1 to a negative with a fraction
    W, F, S, Q, O, N = t.width, t.frac, t.signed, t.quant, t.overflow, t.sat_bits
    I, I2 = W - F, w2 - f2
    mw, m2 = (1 << W) - 1, (1 << w2) - 1
    bits2 = op & m2
    quan_inc = f2 > F and not (Q == "AP_TRN" or (Q == "AP_TRN_ZERO" and not s2))
    carry = False
    signbit = _bit(bits2, w2 - 1)
    isneg = bool(signbit) and s2
    if f2 == F:
        V = op & mw
    elif f2 > F:
        sh = f2 - F
        V = ((op >> sh) & mw) if sh < w2 else (mw if isneg else 0)
        if Q != "AP_TRN" and not (Q == "AP_TRN_ZERO" and not s2):
            qb = (s2 and bool(signbit)) if sh > w2 else bool(_bit(bits2, sh - 1))
            hi = min(sh - 2, w2 - 1)
            r = (bits2 & ((1 << (hi + 1)) - 1)) != 0 if sh > 1 else False
            c0 = _bit(V, W - 1)
            if Q == "AP_RND_ZERO":
                qb = qb and (isneg or r)
            elif Q == "AP_RND_MIN_INF":
                qb = qb and r
            elif Q == "AP_RND_INF":
                qb = qb and ((not isneg) or r)
            elif Q == "AP_RND_CONV":
                qb = qb and (bool(_bit(V, 0)) or r)
            elif Q == "AP_TRN_ZERO":
                qb = isneg and (qb or r)
            V = (V + int(qb)) & mw
            carry = bool(c0) and not _bit(V, W - 1)
    else:
        sh = F - f2
        V = ((op << sh) & mw) if sh < W else 0
    if (O != "AP_WRAP" or N != 0) and ((not S and s2) or I - S < I2 - s2 + (
            quan_inc or (s2 and O == "AP_SAT_SYM"))):
        deleted_zeros = True if s2 else not carry
        deleted_ones = True
        neg_src = isneg
        newsign = _bit(V, W - 1)
        pos1 = f2 - F + W
        pos2 = pos1 + 1
        lD = _bit(bits2, pos1) if 0 <= pos1 < w2 else 0
        if pos1 < w2:
            r1_ones = r1_zeros = r2_ones = True
            if 0 <= pos2 < w2:
                r2_ones = (bits2 >> pos2) == (m2 >> pos2)
            elif pos2 < 0:
                r2_ones = False
            if pos1 >= 0 and pos2 < w2:
                r1_ones = (bits2 >> pos1) == (m2 >> pos1)
                r1_zeros = (bits2 >> pos1) == 0
            elif pos2 == w2:
                r1_ones, r1_zeros = bool(lD), not lD
            elif pos1 < 0:
                r1_zeros, r1_ones = bits2 == 0, False
            deleted_zeros = deleted_zeros and (r1_ones if carry else r1_zeros)
            deleted_ones = (r2_ones and (pos1 < 0 or not lD)) if carry else r1_ones
            neg_src = isneg and not (carry and r1_ones)
        else:
            neg_src = isneg and bool(newsign)
        neg_trg = S and bool(newsign)
        overflow = (neg_trg or not deleted_zeros) and not isneg
        underflow = (not neg_trg or not deleted_ones) and neg_src
        if O == "AP_SAT_SYM" and s2 and S:
            underflow = underflow or (neg_src and ((V & (mw >> 1)) == 0 if W > 1 else True))
        V = _overflow_adjust(t, V, underflow, overflow, lD, neg_src)
    return _to_raw(t, V)


def _int_from_fraction(t: FixedType, op: int, w2: int, s2: bool) -> int:
    """ap_int from an ap_fixed with I2 <= 0: to_ap_int_base() builds a 1-bit integer part (0 for
    I2 == 0; never written for I2 < 0, taken as 0 here), then a negative source adds 1 to it, which
    wraps to -1. So every negative source gives -1 (all ones), every other one 0."""
    neg = s2 and _bit(op, w2 - 1)
    return _to_raw(t, (1 << t.width) - 1) if neg else 0


def _overflow_adjust(t: FixedType, V: int, underflow: bool, overflow: bool, lD: int, sign: bool) -> int:
    W, S, O, N = t.width, t.signed, t.overflow, t.sat_bits
    mw = (1 << W) - 1
    if not underflow and not overflow:
        return V
    if O == "AP_WRAP":
        if N == 0:
            return V
        if S:
            V = _set_range(V, W - 1, W - 1, sign)
            if N > 1:
                V = _set_range(V, W - N, W - 2, not sign)
        else:
            V = _set_range(V, W - N, W - 1, True)
    elif O == "AP_SAT_ZERO":
        V = 0
    elif O == "AP_WRAP_SM" and S:
        ro = _bit(V, W - 1)
        if N == 0:
            if lD != ro:
                V = ~V & mw
                V = _set_range(V, W - 1, W - 1, bool(lD))
        else:
            if N == 1 and int(sign) != ro:
                V = ~V & mw
            elif N > 1:
                if _bit(V, W - N) == int(sign):
                    V = ~V & mw
                V = _set_range(V, W - N, W - 2, not sign)
            V = _set_range(V, W - 1, W - 1, sign)
    elif S:
        if overflow:
            V = (1 << (W - 1)) - 1
        elif underflow:
            V = (1 << (W - 1)) | (1 if O == "AP_SAT_SYM" else 0)
    else:
        if overflow:
            V = mw
        elif underflow:
            V = 0
    return V


def _double_parts(d: float) -> tuple[bool, int, int]:
    """(is_zero, signed 54-bit mantissa with the implicit bit always set, exponent) as the header reads them."""
    bits = struct.unpack("<Q", struct.pack("<d", d))[0]
    if bits & 0x7FFFFFFFFFFFFFFF == 0:
        return True, 0, 0
    exp = ((bits >> 52) & 0x7FF) - 1023
    man = (bits & ((1 << 52) - 1)) | (1 << 52)
    return False, (-man if bits >> 63 else man), exp


def _from_double_scalar(t: FixedType, d: float) -> int:
    zero, man, exp = _double_parts(d)
    if zero:
        return 0
    if t.is_int:
        return _int_from_double(t, man, exp)
    return _assign_scalar(t, man, 54, 52 - exp, True)


def _int_from_double(t: FixedType, man: int, exp: int) -> int:
    """Port of ap_int_base(double): magnitude shifted, negated at the end."""
    W = t.width
    mw = (1 << W) - 1
    neg, mag = man < 0, abs(man)
    sh = 52 - exp
    if sh == 0:
        V = mag & mw
    elif sh > 0:
        V = ((mag >> sh) & mw) if sh < 54 else (mw if neg else 0)
    else:
        V = ((mag << -sh) & mw) if -sh < W else 0
    if neg:
        V = (-V) & mw
    return _to_raw(t, V)
