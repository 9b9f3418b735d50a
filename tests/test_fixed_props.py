"""Hypothesis properties of FixedType (the bit-exact C++ comparison is in test_fixed_oracle.py)."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hwsim.fixed import OVERFLOW_MODES, QUANT_MODES, FixedType
from hwsim.fixed.port import _assign_scalar, _from_double_scalar

SAT = ("AP_SAT", "AP_SAT_SYM")


@st.composite
def fixed_types(draw, max_width=63, overflows=OVERFLOW_MODES, allow_int=True):
    w = draw(st.integers(1, max_width))
    signed = draw(st.booleans())
    if allow_int and draw(st.integers(0, 9)) == 0:
        return FixedType.int_type(w, signed)
    i = draw(st.integers(-20, w + 20))
    q = draw(st.sampled_from(QUANT_MODES))
    o = draw(st.sampled_from([o for o in overflows if signed or o != "AP_WRAP_SM"]))
    n = draw(st.integers(0, min(2, w))) if o in ("AP_WRAP", "AP_WRAP_SM") else 0
    return FixedType(w, i, signed, q, o, n)


def raws(t: FixedType, n=20):
    return st.lists(st.integers(t.raw_min, t.raw_max), min_size=1, max_size=n)


finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_representable_values_round_trip(data):
    t = data.draw(fixed_types(max_width=53))
    r = np.array(data.draw(raws(t)), dtype=np.int64)
    if t.overflow == "AP_SAT_SYM" and t.signed and t.width > 1:   # the header maps min to -max
        r = np.maximum(r, t.raw_min + 1)
    assert np.array_equal(t.quantize(t.to_float(r)), r)


@settings(max_examples=200, deadline=None)
@given(fixed_types(overflows=SAT, allow_int=False), st.lists(finite, min_size=2, max_size=40))
def test_quantize_is_monotonic_under_saturation(t, xs):
    q = t.quantize(np.sort(np.array(xs)))
    assert np.all(np.diff(q) >= 0)


@settings(max_examples=200, deadline=None)
@given(fixed_types(overflows=("AP_SAT", "AP_SAT_SYM", "AP_SAT_ZERO"), allow_int=False),
       st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=40))
def test_saturating_results_stay_in_range(t, xs):
    q = t.quantize(np.array(xs))
    lo = t.raw_min + 1 if (t.overflow == "AP_SAT_SYM" and t.signed and t.width > 1) else t.raw_min
    assert np.all((q >= lo) & (q <= t.raw_max))
    big = np.abs(np.array(xs)) > 2.0 * max(abs(t.min_value), t.max_value) + 1
    x = np.array(xs)
    if t.overflow == "AP_SAT_ZERO":
        assert np.all(q[big] == 0)
    else:
        assert np.all(q[big & (x > 0)] == t.raw_max) and np.all(q[big & (x < 0)] == lo)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_cast_to_a_wider_type_is_lossless(data):
    src = data.draw(fixed_types(max_width=50))
    signed = src.signed or data.draw(st.booleans())
    extra_f = data.draw(st.integers(0, 6))
    extra_i = data.draw(st.integers(0, 6)) + (signed and not src.signed)
    w = src.width + extra_f + extra_i
    assume(w <= 63)
    dst = FixedType(w, src.integer + extra_i, signed, data.draw(st.sampled_from(QUANT_MODES)),
                    data.draw(st.sampled_from(OVERFLOW_MODES if signed else OVERFLOW_MODES[:4])))
    assume(not (dst.overflow == "AP_SAT_SYM" and src.signed and extra_i == 0))  # min -> -max
    r = np.array(data.draw(raws(src)), dtype=np.int64)
    out = dst.cast(r, src)
    assert np.array_equal(out, r << extra_f)
    assert not dst.overflows(r, src).any()
    assert np.array_equal(dst.to_float(out), src.to_float(r))


@settings(max_examples=300, deadline=None)
@given(fixed_types())
def test_str_parse_round_trip(t):
    assert FixedType.parse(str(t)) == t
    hls4ml_spelling = re.sub(r"\bAP_", "", str(t)[3:])
    assert FixedType.parse(hls4ml_spelling) == t


@settings(max_examples=200, deadline=None)
@given(fixed_types(), st.lists(st.floats(), min_size=1, max_size=30))
def test_fast_paths_equal_the_scalar_port(t, xs):
    x = np.array(xs)
    assert list(t.quantize(x)) == [_from_double_scalar(t, float(v)) for v in x]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fast_cast_equals_the_scalar_port(data):
    src, dst = data.draw(fixed_types()), data.draw(fixed_types())
    r = data.draw(raws(src))
    assert list(dst.cast(np.array(r, dtype=np.int64), src)) == [
        _assign_scalar(dst, v, src.width, src.frac, src.signed) for v in r]


@pytest.mark.parametrize("text", ["ap_fixed<4,10,AP_TRN,AP_SAT>", "ap_fixed<5,30,AP_RND_CONV,AP_SAT_SYM>",
                                  "ap_ufixed<6,40,AP_TRN_ZERO,AP_WRAP>", "ap_fixed<8,60,AP_RND_INF,AP_SAT_ZERO>"])
def test_negative_frac_fast_path_with_tiny_and_huge_inputs(text):
    """F < 0 takes the fast path; inputs so tiny that x * 2**F would underflow take the port."""
    t = FixedType.parse(text)
    assert t.frac < 0 and t._fast
    x = np.array([0.0, -0.0, 5e-324, -5e-324, -2.0 ** -1000, 2.0 ** -950, -3.7e-290, 1.0, -1.0,
                  2.0 ** (t.integer - 2) * 1.5, -2.0 ** (t.integer + 3), 1e300, -np.inf, np.nan, 123456.789])
    assert list(t.quantize(x)) == [_from_double_scalar(t, float(v)) for v in x]
