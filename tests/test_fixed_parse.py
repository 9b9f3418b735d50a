"""FixedType text forms, canonical str, and the errors bad input gets."""
from __future__ import annotations

import numpy as np
import pytest

from hwsim.fixed import MAX_WIDTH, FixedType


@pytest.mark.parametrize("text, expected", [
    ("ap_fixed<8,3>", FixedType(8, 3)),
    ("ap_fixed<8,3,AP_RND>", FixedType(8, 3, True, "AP_RND")),
    ("ap_fixed<16,6,AP_RND_CONV,AP_SAT>", FixedType(16, 6, True, "AP_RND_CONV", "AP_SAT")),
    ("ap_fixed<12,4,AP_TRN,AP_WRAP,2>", FixedType(12, 4, True, "AP_TRN", "AP_WRAP", 2)),
    ("ap_fixed<10,2,AP_RND_ZERO,AP_WRAP_SM,1>", FixedType(10, 2, True, "AP_RND_ZERO", "AP_WRAP_SM", 1)),
    ("ap_ufixed<8,3>", FixedType(8, 3, False)),
    ("ap_ufixed<8,-2,AP_RND_INF,AP_SAT_ZERO>", FixedType(8, -2, False, "AP_RND_INF", "AP_SAT_ZERO")),
    ("ap_ufixed<4,9,AP_RND_MIN_INF,AP_SAT_SYM,0>", FixedType(4, 9, False, "AP_RND_MIN_INF", "AP_SAT_SYM")),
    ("ap_int<8>", FixedType(8, 8, True, "AP_TRN_ZERO", "AP_WRAP", 0, is_int=True)),
    ("ap_uint<1>", FixedType(1, 1, False, "AP_TRN_ZERO", "AP_WRAP", 0, is_int=True)),
    ("fixed<16,6>", FixedType(16, 6)),
    ("fixed<16,6,RND_CONV,SAT>", FixedType(16, 6, True, "AP_RND_CONV", "AP_SAT")),
    ("ufixed<8,0,RND,SAT_SYM>", FixedType(8, 0, False, "AP_RND", "AP_SAT_SYM")),
    ("fixed<9,3,TRN_ZERO,WRAP,1>", FixedType(9, 3, True, "AP_TRN_ZERO", "AP_WRAP", 1)),
    ("int<32>", FixedType(32, 32, True, "AP_TRN_ZERO", "AP_WRAP", 0, is_int=True)),
    ("uint<5>", FixedType(5, 5, False, "AP_TRN_ZERO", "AP_WRAP", 0, is_int=True)),
    ("  ap_fixed < 8 , 3 , AP_RND , AP_SAT >  ", FixedType(8, 3, True, "AP_RND", "AP_SAT")),
    ("fixed< 18, 8, rnd_conv, sat >", FixedType(18, 8, True, "AP_RND_CONV", "AP_SAT")),
    ("ap_fixed<63,63>", FixedType(63, 63)),
    ("ap_fixed<1,1>", FixedType(1, 1)),
    ("ap_fixed<20,-7>", FixedType(20, -7)),
    ("ap_fixed<6,40>", FixedType(6, 40)),
])
def test_parse_spellings(text, expected):
    t = FixedType.parse(text)
    assert t == expected
    assert FixedType.parse(str(t)) == t


@pytest.mark.parametrize("t, text", [
    (FixedType(8, 3), "ap_fixed<8,3>"),
    (FixedType(8, 3, True, "AP_RND"), "ap_fixed<8,3,AP_RND>"),
    (FixedType(8, 3, False, "AP_TRN", "AP_SAT"), "ap_ufixed<8,3,AP_TRN,AP_SAT>"),
    (FixedType(8, 3, True, "AP_TRN", "AP_WRAP", 1), "ap_fixed<8,3,AP_TRN,AP_WRAP,1>"),
    (FixedType.int_type(12, False), "ap_uint<12>"),
])
def test_str_is_canonical(t, text):
    assert str(t) == text


def test_properties_of_a_type():
    t = FixedType.parse("ap_fixed<8,3>")
    assert (t.width, t.integer, t.frac, t.signed) == (8, 3, 5, True)
    assert (t.raw_min, t.raw_max, t.lsb) == (-128, 127, 1 / 32)
    assert (t.min_value, t.max_value) == (-4.0, 127 / 32)
    u = FixedType.parse("ap_ufixed<4,-2>")
    assert (u.frac, u.raw_min, u.raw_max, u.max_value) == (6, 0, 15, 15 / 64)
    assert FixedType.parse("fixed<8,3>").with_modes("AP_RND", "AP_SAT") == FixedType.parse(
        "ap_fixed<8,3,AP_RND,AP_SAT>")


@pytest.mark.parametrize("text, words", [
    ("ap_fixed<0,3>", ["ap_fixed<0,3>", "width 0", f"1 to {MAX_WIDTH}"]),
    ("ap_fixed<64,3>", ["ap_fixed<64,3>", "width 64", f"1 to {MAX_WIDTH}"]),
    ("ap_int<100>", ["ap_int<100>", f"1 to {MAX_WIDTH}"]),
    ("ap_fixd<8,3>", ["ap_fixd<8,3>", "accepted", "ap_fixed<W,I[,Q[,O[,N]]]>", "ap_int<W>"]),
    ("ap_fixed<8,3,AP_FOO>", ["ap_fixed<8,3,AP_FOO>", "AP_FOO", "AP_RND_CONV", "AP_TRN_ZERO"]),
    ("ap_fixed<8,3,AP_RND,AP_BAR>", ["AP_BAR", "AP_SAT_SYM", "AP_WRAP_SM"]),
    ("ap_fixed<8>", ["ap_fixed<8>", "2 to 5 parameters"]),
    ("ap_fixed<8,3,AP_RND,AP_SAT,0,1>", ["2 to 5 parameters"]),
    ("ap_int<8,3>", ["ap_int<8,3>", "one parameter"]),
    ("ap_fixed<8,x>", ["'x' is not an integer"]),
    ("ap_fixed<8,3,AP_TRN,AP_WRAP,9>", ["N=9", "width 8"]),
    ("ap_ufixed<8,3,AP_TRN,AP_WRAP_SM>", ["AP_WRAP_SM", "signed"]),
    ("ap_fixed<8,3", ["accepted"]),
    ("", ["accepted"]),
])
def test_parse_rejects_bad_text(text, words):
    with pytest.raises(ValueError) as err:
        FixedType.parse(text)
    msg = str(err.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


def test_parse_needs_text():
    with pytest.raises(TypeError, match="text"):
        FixedType.parse(8)


def test_constructor_checks():
    with pytest.raises(TypeError, match="width"):
        FixedType(8.0, 3)
    with pytest.raises(TypeError, match="integer"):
        FixedType(8, True)
    with pytest.raises(ValueError, match="AP_ROUND"):
        FixedType(8, 3, True, "AP_ROUND")
    with pytest.raises(ValueError, match="ap_int"):
        FixedType(8, 8, True, "AP_TRN", is_int=True)


@pytest.mark.parametrize("bad", [["a", "b"], "1.5", [1.0, None], np.array([1 + 2j]), {"x": 1}])
def test_quantize_rejects_non_numeric(bad):
    with pytest.raises(TypeError, match="numeric"):
        FixedType.parse("ap_fixed<8,3>").quantize(bad)


def test_cast_rejects_float_raw():
    t = FixedType.parse("ap_fixed<8,3>")
    with pytest.raises(TypeError, match="integer raw"):
        t.cast(np.array([1.5]), FixedType.parse("ap_fixed<10,3>"))
