"""Word-length rules, in one place, used by both the simulator and the code generator.

These are ap_fixed's own result types (ap_fixed_base.h, `RType`):
- a * b  ->  W = W1 + W2, I = I1 + I2, signed if either is;
- a + b  ->  I = max(I1 + (S2 && !S1), I2 + (S1 && !S2)) + 1, F = max(F1, F2), signed if either is.
Results carry the default modes (AP_TRN, AP_WRAP): the operators themselves never round.
A C `int` operand behaves as ap_int<32> (ap_fixed<32,32> beside an ap_fixed); ap_int op ap_int
stays an ap_int, ap_int op ap_fixed is an ap_fixed.
"""
from __future__ import annotations

import math

from hwsim.fixed import MAX_WIDTH, FixedType

C_INT = FixedType.int_type(32)     # a C `int` operand: ap_int<32> in the header's operators
MIN_INTEGER = -8                   # fewest integer bits `integer_bits` gives (tiny ranges)


def _result(width: int, integer: int, signed: bool, is_int: bool) -> FixedType:
    if width > MAX_WIDTH:
        raise ValueError(f"result needs {width} bits, more than the {MAX_WIDTH} hwsim supports")
    if is_int:
        return FixedType.int_type(width, signed)
    return FixedType(width, integer, signed)


def mul_type(a: FixedType, b: FixedType) -> FixedType:
    """Type of the exact product a * b."""
    return _result(a.width + b.width, a.integer + b.integer, a.signed or b.signed,
                   a.is_int and b.is_int)


def product_frac(a: FixedType, b: FixedType) -> int:
    """Fractional bits of the exact product a * b (mul_type's, without its width limit)."""
    return a.frac + b.frac


def carrier(frac: int, width: int = 62) -> FixedType:
    """A wide signed type with `frac` fractional bits, held in int64: the source type of a cast from
    an exact int64 sum (62 bits by default, so that two of them still add without overflow)."""
    return FixedType(width, width - frac, True)


def add_type(a: FixedType, b: FixedType) -> FixedType:
    """Type of the exact sum a + b."""
    i = max(a.integer + (b.signed and not a.signed), b.integer + (a.signed and not b.signed)) + 1
    f = max(a.frac, b.frac)
    return _result(i + f, i, a.signed or b.signed, a.is_int and b.is_int)


def lossless_accum_type(data_t: FixedType, weight_t: FixedType, n_terms: int,
                        bias_t: FixedType | None = None) -> FixedType:
    """A type in which sum(n_terms products) + bias can neither overflow nor lose a bit.

    Fractional bits: the product's (and the bias's if finer). Integer bits: enough for the
    largest magnitude n_terms products (each at most |min|*|min| of the operands) plus the bias
    can reach, computed exactly rather than by the loose ceil(log2(n)) rule.
    """
    if n_terms < 1:
        raise ValueError(f"n_terms must be >= 1, got {n_terms}")
    p = mul_type(data_t, weight_t)
    frac = max(p.frac, bias_t.frac if bias_t is not None else p.frac)
    # extreme products in units of 2**-p.frac
    corners = [a * b for a in (data_t.raw_min, data_t.raw_max) for b in (weight_t.raw_min, weight_t.raw_max)]
    scale = 1 << (frac - p.frac)
    hi = n_terms * max(corners) * scale
    lo = n_terms * min(corners) * scale
    if bias_t is not None:
        bscale = 1 << (frac - bias_t.frac)
        hi += max(bias_t.raw_max * bscale, 0)
        lo += min(bias_t.raw_min * bscale, 0)
    signed = lo < 0
    width = _bits_for(lo, hi, signed)
    return _result(width, width - frac, signed, False)


def sum_accum_type(data_t: FixedType, n_terms: int) -> FixedType:
    """A type that holds the exact sum of n_terms values of data_t (pooling accumulators)."""
    hi, lo = n_terms * data_t.raw_max, n_terms * data_t.raw_min
    signed = lo < 0
    width = _bits_for(lo, hi, signed)
    return _result(width, width - data_t.frac, signed, False)


def _bits_for(lo: int, hi: int, signed: bool) -> int:
    """Fewest bits whose two's complement (or unsigned) range holds [lo, hi]."""
    if signed:
        return max(1 + max((-lo - 1).bit_length() if lo < 0 else 0, hi.bit_length()), 2)
    return max(hi.bit_length(), 1)


def integer_bits(max_abs: float) -> int:
    """Integer bits (sign included) so that every |v| <= max_abs is below 2^(I-1):
    floor(log2 max_abs) + 2, at least MIN_INTEGER; 1 for an empty, zero or non-finite range."""
    if not max_abs > 0 or not math.isfinite(max_abs):
        return 1
    return max(MIN_INTEGER, math.floor(math.log2(max_abs)) + 2)


def ceil_log2(n: int) -> int:
    return max(0, math.ceil(math.log2(n))) if n > 1 else 0


def mean_accum_type(data_t: FixedType, result_t: FixedType, n_terms: int) -> FixedType:
    """An average pool's accumulator that rounds the exact mean of n_terms values of data_t into
    result_t once, although the pool truncates the mean at the accumulator's LSB before the cast.

    With F fraction bits, F = f_in + log2(n) for n = 2^k (the division is exact), else
    F = max(f_in, f_out + 1) + ceil(log2 n): the result type's rounding boundaries lie on the
    2^-(f_out+1) grid, and a mean S/n not on one is at least 2^-max(f_in, f_out+1) / n > 2^-F away
    from it, so the truncation never crosses one. The integer bits are those of the exact sum
    (sum_accum_type). ValueError when that needs more than MAX_WIDTH bits."""
    n = n_terms
    if n & (n - 1) == 0:
        frac = data_t.frac + ceil_log2(n)
    else:
        frac = max(data_t.frac, result_t.frac + 1) + ceil_log2(n)
    exact = sum_accum_type(data_t, n)
    return _result(exact.width + frac - data_t.frac, exact.integer, exact.signed, False)

