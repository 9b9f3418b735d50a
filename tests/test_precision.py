"""Word-length rules (the C++ result types themselves are checked in test_fixed_oracle.py)."""
from __future__ import annotations

from fractions import Fraction
from itertools import product

import pytest

from hwsim.fixed import MAX_WIDTH, FixedType
from hwsim.fixed.rules import C_INT, add_type, ceil_log2, lossless_accum_type, mul_type, sum_accum_type

P = FixedType.parse


@pytest.mark.parametrize("a, b, prod, total", [
    ("ap_fixed<8,3>", "ap_fixed<6,2>", "ap_fixed<14,5>", "ap_fixed<9,4>"),
    ("ap_fixed<8,3>", "ap_ufixed<6,2>", "ap_fixed<14,5>", "ap_fixed<9,4>"),
    ("ap_ufixed<8,3>", "ap_ufixed<6,6>", "ap_ufixed<14,9>", "ap_ufixed<12,7>"),
    ("ap_ufixed<8,3>", "ap_fixed<6,6>", "ap_fixed<14,9>", "ap_fixed<12,7>"),
    ("ap_fixed<10,-2>", "ap_fixed<8,3>", "ap_fixed<18,1>", "ap_fixed<16,4>"),
    ("ap_fixed<16,6,AP_RND,AP_SAT>", "ap_fixed<16,6,AP_RND_CONV,AP_SAT_SYM>", "ap_fixed<32,12>",
     "ap_fixed<17,7>"),
    ("ap_int<7>", "ap_uint<9>", "ap_int<16>", "ap_int<11>"),
    ("ap_int<7>", "ap_fixed<8,3>", "ap_fixed<15,10>", "ap_fixed<13,8>"),
])
def test_result_types(a, b, prod, total):
    assert mul_type(P(a), P(b)) == P(prod)
    assert mul_type(P(b), P(a)) == P(prod)
    assert add_type(P(a), P(b)) == P(total)
    assert add_type(P(b), P(a)) == P(total)


def test_c_int_operand():
    assert mul_type(P("ap_fixed<8,3>"), C_INT) == P("ap_fixed<40,35>")
    assert add_type(P("ap_fixed<8,3>"), C_INT) == P("ap_fixed<38,33>")
    assert mul_type(P("ap_int<7>"), C_INT) == P("ap_int<39>")


def test_too_wide_results_are_refused():
    with pytest.raises(ValueError, match=f"{MAX_WIDTH}"):
        mul_type(P("ap_fixed<40,20>"), P("ap_fixed<30,10>"))
    with pytest.raises(ValueError, match="64 bits"):
        add_type(P("ap_fixed<63,63>"), P("ap_fixed<63,63>"))


def _extremes(data_t, weight_t, n, bias_t):
    """Brute force: every product of every pair of values, as exact fractions."""
    prods = [Fraction(a) * b for a, b in product(_values(data_t), _values(weight_t))]
    lo, hi = n * min(prods), n * max(prods)
    if bias_t is not None:
        bias = _values(bias_t)
        lo, hi = lo + min(min(bias), 0), hi + max(max(bias), 0)
    grid = prods + (_values(bias_t) if bias_t is not None else [])
    return lo, hi, grid


def _values(t):
    return [Fraction(r) * Fraction(2) ** -t.frac for r in range(t.raw_min, t.raw_max + 1)]


def _holds(t, v):
    scaled = v * Fraction(2) ** t.frac
    return scaled.denominator == 1 and t.raw_min <= scaled <= t.raw_max


SMALL = ["ap_fixed<3,1>", "ap_ufixed<3,2>", "ap_fixed<4,-1>", "ap_ufixed<2,4>", "ap_int<3>",
         "ap_uint<2>", "ap_fixed<1,1>"]


@pytest.mark.parametrize("d, w", list(product(SMALL, SMALL[:5])))
@pytest.mark.parametrize("n", [1, 2, 9, 27])
@pytest.mark.parametrize("bias", [None, "ap_fixed<5,3>", "ap_ufixed<6,1>"])
def test_lossless_accum_type_holds_every_sum_and_is_tight(d, w, n, bias):
    data_t, weight_t, bias_t = P(d), P(w), (P(bias) if bias else None)
    acc = lossless_accum_type(data_t, weight_t, n, bias_t)
    lo, hi, grid = _extremes(data_t, weight_t, n, bias_t)
    assert _holds(acc, lo) and _holds(acc, hi), f"{acc} cannot hold [{lo}, {hi}]"
    assert all(_holds(acc, g) or not (lo <= g <= hi) for g in grid)     # every term's LSB kept
    assert acc.signed == (lo < 0)
    if acc.width > 2:     # one integer bit fewer would not do
        smaller = FixedType(acc.width - 1, acc.integer - 1, acc.signed)
        assert not (_holds(smaller, lo) and _holds(smaller, hi))


@pytest.mark.parametrize("t", SMALL + ["ap_fixed<16,6>", "ap_ufixed<12,4>"])
@pytest.mark.parametrize("n", [1, 3, 4, 49, 169])
def test_sum_accum_type_holds_the_exact_sum(t, n):
    data_t = P(t)
    acc = sum_accum_type(data_t, n)
    lsb = Fraction(2) ** -data_t.frac
    lo, hi = n * data_t.raw_min * lsb, n * data_t.raw_max * lsb
    assert _holds(acc, lo) and _holds(acc, hi) and acc.frac == data_t.frac
    if acc.width > 2:
        smaller = FixedType(acc.width - 1, acc.integer - 1, acc.signed)
        assert not (_holds(smaller, lo) and _holds(smaller, hi))


def test_accum_rejects_no_terms():
    with pytest.raises(ValueError, match="n_terms"):
        lossless_accum_type(P("ap_fixed<8,3>"), P("ap_fixed<8,3>"), 0)


@pytest.mark.parametrize("n, k", [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (1024, 10), (1025, 11)])
def test_ceil_log2(n, k):
    assert ceil_log2(n) == k
