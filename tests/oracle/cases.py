"""Types, values and C++ sources for the ap_types oracle tests (tests/test_fixed_oracle.py).

Everything here is input: the expected answers come only from the compiled C++.
"""
from __future__ import annotations

import math
import struct
from itertools import product
from pathlib import Path

import numpy as np

from hwsim.fixed import FixedType

HERE = Path(__file__).resolve().parent
QUANTS = ("AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_ZERO", "AP_RND_MIN_INF", "AP_RND_INF",
          "AP_RND_CONV")
# (overflow, N): every overflow mode, N = 0, 1, 2 for the two WRAP modes
OVERFLOWS = (("AP_SAT", 0), ("AP_SAT_ZERO", 0), ("AP_SAT_SYM", 0), ("AP_WRAP", 0), ("AP_WRAP", 1),
             ("AP_WRAP", 2), ("AP_WRAP_SM", 0), ("AP_WRAP_SM", 1), ("AP_WRAP_SM", 2))
# (W, I) shapes cycled over the mode grid: W 1..32 plus a few wide ones, I negative, zero, > W
SHAPES = ((8, 3), (1, 1), (2, 1), (3, 0), (4, 6), (5, -2), (6, 3), (7, 7), (9, 1), (10, 4),
          (11, 11), (12, -4), (13, 5), (14, 14), (15, 2), (16, 6), (17, 9), (18, 20), (19, 3),
          (20, 8), (21, -1), (22, 11), (23, 23), (24, 12), (25, 1), (26, 30), (27, 13), (28, 4),
          (29, 15), (30, 10), (31, 16), (32, 16), (32, 1), (40, 20), (48, 24), (53, 10), (60, 30),
          (63, 31), (63, 63))


def quantize_types() -> list[FixedType]:
    """Every quantization x overflow mode, signed and unsigned, over two passes of shapes."""
    out, k = [], 0
    for _pass in range(2):
        for signed, q, (o, n) in product((True, False), QUANTS, OVERFLOWS):
            if o == "AP_WRAP_SM" and not signed:
                continue
            while True:
                w, i = SHAPES[k % len(SHAPES)]
                k += 1
                if n <= w:
                    break
            out.append(FixedType(w, i, signed, q, o, n))
    for k, (signed, i, (o, n)) in enumerate(product((True, False), (1, 0, -3, 4), OVERFLOWS)):
        if n <= 1 and (signed or o != "AP_WRAP_SM"):    # 1-bit types, every mode
            out.append(FixedType(1, i, signed, QUANTS[k % len(QUANTS)], o, n))
    for w in (1, 2, 7, 8, 16, 31, 32, 48, 63):
        out += [FixedType.int_type(w, True), FixedType.int_type(w, False)]
    return out


def cast_pairs() -> list[tuple[FixedType, FixedType]]:
    """(src, dst) pairs: wider -> narrower, more frac -> fewer, signed <-> unsigned, negative I."""
    srcs = [FixedType(16, 6), FixedType(16, 6, False), FixedType(24, 8), FixedType(12, -3),
            FixedType(20, 22, False), FixedType(32, 16), FixedType(8, 8), FixedType(40, 10, False),
            FixedType(62, 31), FixedType(5, 2), FixedType.int_type(16), FixedType.int_type(12, False),
            FixedType(10, 0), FixedType(9, 0, False)]
    shapes = ((8, 3), (6, 6), (10, -1), (4, 1), (12, 10), (20, 4), (9, 9), (3, -2), (30, 12))
    out, k = [], 0
    for src in srcs:
        for signed, q, (o, n) in product((True, False), QUANTS, OVERFLOWS):
            if (o == "AP_WRAP_SM" and not signed) or (k % 4 and (o, n) not in (("AP_SAT", 0), ("AP_WRAP", 0))):
                k += 1
                continue
            w, i = shapes[k % len(shapes)]
            k += 1
            if n <= w:
                out.append((src, FixedType(w, i, signed, q, o, n)))
        out += [(src, FixedType.int_type(8)), (src, FixedType.int_type(10, False))]
    return out


def cpp_aborts(src: FixedType, dst: FixedType) -> bool:
    """ap_fixed_base::operator= reads bit F2 - F - 1 of the source unconditionally when it rounds;
    past the source's MSB the C-simulation asserts ("Attempting to read bit beyond MSB")."""
    rounds = dst.quant != "AP_TRN" and not (dst.quant == "AP_TRN_ZERO" and not src.signed)
    return not dst.is_int and rounds and src.frac - dst.frac > src.width


def cpp_undefined(src: FixedType, dst: FixedType) -> bool:
    """ap_fixed -> ap_int with I2 < 0 reads a never-written 1-bit integer part (to_ap_int_base)."""
    return dst.is_int and src.integer < 0


def arith_pairs() -> list[tuple[FixedType, FixedType | None]]:
    """Operand pairs for a*b and a+b; None stands for a C `int`."""
    ts = [FixedType(8, 3), FixedType(6, 6, False), FixedType(10, -2), FixedType(5, 9, False),
          FixedType(16, 6, True, "AP_RND", "AP_SAT"), FixedType(12, 0, False),
          FixedType.int_type(7), FixedType.int_type(9, False), FixedType(1, 1, False)]
    out = [(a, b) for a in ts for b in ts]
    out += [(a, None) for a in ts if a.width <= 31]
    return out


def cpp_type(t: FixedType | None) -> str:
    if t is None:
        return "int"
    if t.is_int:
        return f"ap_{'' if t.signed else 'u'}int<{t.width}>"
    return (f"ap_{'' if t.signed else 'u'}fixed<{t.width},{t.integer},{t.quant},{t.overflow},"
            f"{t.sat_bits}>")


def harness_sources(qtypes, pairs, arith, parts: int) -> list[str]:
    """C++ translation units (each a whole program) splitting the work `parts` ways."""
    srcs = []
    for p in range(parts):
        lines = [f'#include "{HERE / "oracle.h"}"', "int main() {", "  char cmd; int k, n;",
                 '  while (std::scanf(" %c %d %d", &cmd, &k, &n) == 3) {', "    switch (cmd) {",
                 "    case 'Q': switch (k) {"]
        lines += [f"      case {k}: run_quantize<{cpp_type(t)} >(n); break;"
                  for k, t in enumerate(qtypes) if k % parts == p]
        lines += ["      } break;", "    case 'C': switch (k) {"]
        lines += [f"      case {k}: run_cast<{cpp_type(s)}, {cpp_type(d)} >(n); break;"
                  for k, (s, d) in enumerate(pairs) if k % parts == p]
        lines += ["      } break;", "    default: switch (k) {"]
        lines += [f"      case {k}: run_types<{cpp_type(a)}, {cpp_type(b)} >(cmd); break;"
                  for k, (a, b) in enumerate(arith) if k % parts == p]
        lines += ["      } break;", "    }", "    std::fflush(stdout);", "  }", "  return 0;", "}"]
        srcs.append("\n".join(lines) + "\n")
    return srcs


DIVIDE_TYPES = (FixedType(16, 6), FixedType(20, 8, True, "AP_RND", "AP_SAT"), FixedType(12, 4, False),
                FixedType(24, 12, True, "AP_RND_CONV", "AP_SAT_SYM"), FixedType(18, -2, True, "AP_RND_INF"),
                FixedType(10, 14, True, "AP_RND"))
DIVISORS = (1, 2, 3, 4, 5, 7, 9, 16, 49, 169)


def divide_source(types) -> str:
    lines = [f'#include "{HERE / "oracle.h"}"', "int main() {", "  int k, d, n;",
             '  while (std::scanf(" D %d %d %d", &k, &d, &n) == 3) {', "    switch (k) {"]
    lines += [f"    case {k}: run_divide<{cpp_type(t)} >(d, n); break;" for k, t in enumerate(types)]
    lines += ["    }", "    std::fflush(stdout);", "  }", "  return 0;", "}"]
    return "\n".join(lines) + "\n"


def _f(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


SPECIALS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 0.3, -0.3, 0.7, -0.7, 1e-300, -1e-300,
            _f(1), -_f(1), _f(0x000FFFFFFFFFFFFF), -_f(0x0008000000000000), 2.2250738585072014e-308,
            1e300, -1e300, math.inf, -math.inf, math.nan, -math.nan, _f(0x7FF0000000000001),
            2.0 ** 62, -2.0 ** 62, 2.0 ** 63, -2.0 ** 63, 2.0 ** 64, 1.7976931348623157e308,
            123456.789, -98765.4321, 2.0 ** -60, -2.0 ** -60]


def quantize_values(t: FixedType, rng: np.random.Generator) -> np.ndarray:
    """Ties, bounds, one LSB past each bound, huge/tiny/special values and random draws for t."""
    lsb, lo, hi = math.ldexp(1.0, -t.frac), t.min_value, t.max_value
    vals = list(SPECIALS)
    for base in (lo, hi, 0.0, lsb, -lsb, 3 * lsb, -3 * lsb, hi / 2, lo / 2):
        for off in (-1.5, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5):
            vals.append(base + off * lsb)
    for v in (hi, lo, 0.5 * lsb, -0.5 * lsb, 1.5 * lsb, -1.5 * lsb):
        vals += [math.nextafter(v, math.inf), math.nextafter(v, -math.inf)]
    vals += [2 * hi + lsb, 2 * lo - lsb, 4 * hi, 4 * lo - 0.5 * lsb, (hi - lo) * 2 + 0.5 * lsb]
    span = max(hi - lo, lsb)
    vals += list(rng.uniform(lo - span, hi + span, 40))
    vals += list(np.round(rng.uniform(lo - span, hi + span, 20) / lsb * 2) / 2 * lsb)  # ties
    vals += list(rng.standard_normal(10) * 10.0 ** rng.integers(-20, 20, 10))
    return np.array(vals, dtype=np.float64)


def cast_values(src: FixedType, dst: FixedType, rng: np.random.Generator) -> np.ndarray:
    """Raw mantissas of src: bounds, ties at dst's LSB, neighbours of dst's bounds, random."""
    lo, hi = src.raw_min, src.raw_max
    vals = {lo, lo + 1, hi, hi - 1, 0, 1, -1, 2, -2}
    k = src.frac - dst.frac
    if k > 0:
        for m in (-3, -2, -1, 0, 1, 2, 3, 5):
            for d in (-1, 0, 1):
                vals.add((m << k) + (1 << (k - 1)) + d)
                vals.add((m << k) + d)
    for b in (dst.raw_min, dst.raw_max):
        scaled = b << k if k >= 0 else b >> -k
        for d in (-2, -1, 0, 1, 2):
            vals.add(scaled + d)
            vals.add(scaled + (d << max(k, 0)))
    vals |= {int(v) for v in rng.integers(lo, hi, 40, endpoint=True)}
    return np.array(sorted(v for v in vals if lo <= v <= hi), dtype=np.int64)


def double_hex(x: np.ndarray) -> list[str]:
    return [f"{int(u):016x}" for u in x.view(np.uint64)]


def signed_raw(t: FixedType, bits: int) -> int:
    return bits - (1 << t.width) if t.signed and bits >> (t.width - 1) & 1 else bits
