"""hwsim.fixed and hwsim.fixed.rules checked bit-exactly against C++ built with the real ap_types headers.

One harness (a few translation units compiled in parallel) is generated from the type lists in
tests/oracle/cases.py, compiled once per test session and fed the same doubles / raw values as the
Python code. Every comparison is on raw integers; the counts compared are printed.
"""
from __future__ import annotations

import fcntl
import hashlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from hwsim.util import toolchain as cpp
from hwsim.fixed import FixedType
from hwsim.fixed.port import _assign_scalar, _from_double_scalar
from hwsim.fixed.rules import C_INT, add_type, mul_type
from oracle import cases

pytestmark = pytest.mark.csim
PARTS = 2


class Harness:
    def __init__(self, exes, divide_exe):
        self.exes = exes
        self.divide_exe = divide_exe

    def divide(self, k: int, d: int, raws) -> list[str]:
        text = f"D {k} {d} {len(raws)} {' '.join(str(int(r)) for r in raws)}\n"
        return cpp.run(self.divide_exe, timeout=60, input=text).split()

    def ask(self, commands: list[tuple[str, int, list[str]]]) -> list[str]:
        """Send each command to the executable that holds its case; answers in input order."""
        per = [[] for _ in self.exes]
        for j, (c, k, args) in enumerate(commands):
            per[k % len(self.exes)].append((j, f"{c} {k} {len(args)} {' '.join(args)}"))

        def run(p):
            text = "\n".join(line for _, line in per[p]) + "\n"
            out = cpp.run(self.exes[p], timeout=300, input=text).splitlines()
            assert len(out) == len(per[p]), f"harness part {p} answered {len(out)} of {len(per[p])}"
            return [(j, line) for (j, _), line in zip(per[p], out)]

        with ThreadPoolExecutor(len(self.exes)) as pool:
            answers = dict(a for part in pool.map(run, range(len(self.exes))) for a in part)
        return [answers[j] for j in range(len(commands))]


QTYPES = cases.quantize_types()
PAIRS = cases.cast_pairs()
ARITH = cases.arith_pairs()


@pytest.fixture(scope="session")
def harness(tmp_path_factory, request):
    srcs = cases.harness_sources(QTYPES, PAIRS, ARITH, PARTS) + [cases.divide_source(cases.DIVIDE_TYPES)]
    header = (cases.HERE / "oracle.h").read_text()
    key = hashlib.sha256((header + "".join(srcs)).encode()).hexdigest()[:16]
    root = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):      # share one build between xdist workers
        root = root.parent
    folder = root / f"fixed_oracle_{key}"
    folder.mkdir(exist_ok=True)
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        exes = [folder / f"part{p}" for p in range(len(srcs))]
        if not all(e.is_file() for e in exes):
            paths = []
            for p, src in enumerate(srcs):
                (folder / f"part{p}.cpp").write_text(src)
                paths.append(folder / f"part{p}.cpp")
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda p: cpp.compile([paths[p]], folder / f"tmp{p}", timeout=900),
                              range(len(srcs))))
            for p in range(len(srcs)):
                (folder / f"tmp{p}").rename(exes[p])
    return Harness(exes[:PARTS], exes[PARTS])


def test_quantize_matches_cpp(harness):
    rng = np.random.default_rng(2)
    values = [cases.quantize_values(t, rng) for t in QTYPES]
    answers = harness.ask([("Q", k, cases.double_hex(v)) for k, v in enumerate(values)])
    n_vals = fast = mism = 0
    report = []
    for t, x, line in zip(QTYPES, values, answers):
        want = np.array([cases.signed_raw(t, int(h, 16)) for h in line.split()], dtype=np.int64)
        got = t.quantize(x)
        ref = np.array([_from_double_scalar(t, float(v)) for v in x], dtype=np.int64)
        n_vals += x.size
        fast += x.size if t._fast else 0
        bad = (got != want) | (ref != want)
        if bad.any():
            mism += int(bad.sum())
            i = int(np.flatnonzero(bad)[0])
            report.append(f"{t}: x={x[i]!r} cpp={want[i]} quantize={got[i]} scalar={ref[i]}")
    print(f"\nquantize: {len(QTYPES)} types, {n_vals} values ({fast} through the fast path), "
          f"each also through the scalar port; {mism} mismatches")
    assert not report, "\n".join(report[:20])


def test_cast_matches_cpp(harness):
    rng = np.random.default_rng(3)
    ks = [k for k, (s, d) in enumerate(PAIRS)
          if not (cases.cpp_aborts(s, d) or cases.cpp_undefined(s, d))]
    values = [cases.cast_values(*PAIRS[k], rng) for k in ks]
    answers = harness.ask([("C", k, [str(int(v)) for v in r]) for k, r in zip(ks, values)])
    n_vals = fast = 0
    report = []
    for k, raw, line in zip(ks, values, answers):
        s, d = PAIRS[k]
        want = np.array([cases.signed_raw(d, int(h, 16)) for h in line.split()], dtype=np.int64)
        got = d.cast(raw, s)
        ref = np.array([_assign_scalar(d, int(v), s.width, s.frac, s.signed) for v in raw], np.int64)
        n_vals += raw.size
        fast += raw.size if d._fast else 0
        bad = (got != want) | (ref != want)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            report.append(f"{s} -> {d}: raw={raw[i]} cpp={want[i]} cast={got[i]} scalar={ref[i]}")
    print(f"\ncast: {len(ks)} src/dst pairs, {n_vals} values ({fast} through the fast path), "
          f"each also through the scalar port; {len(report)} pairs with mismatches")
    assert not report, "\n".join(report[:20])


def test_cpp_asserts_when_rounding_drops_more_than_the_source(harness):
    """Those pairs are left out of the comparison above: the C-simulation itself aborts on them."""
    aborting = [k for k, (s, d) in enumerate(PAIRS) if cases.cpp_aborts(s, d)]
    assert aborting
    for k in aborting[:2]:
        with pytest.raises(cpp.RunError, match="beyond MSB"):
            harness.ask([("C", k, ["1"])])
    print(f"\ncast: {len(aborting)} pairs abort in C++ (rounding across more bits than the source has)")


def test_overflows_matches_cpp(harness):
    """`overflows` flags exactly the values that SAT_ZERO turns into 0 while their rounding is not 0."""
    rng = np.random.default_rng(4)
    sel = [(k, s, d) for k, (s, d) in enumerate(PAIRS)
           if d.overflow == "AP_SAT" and not cases.cpp_aborts(s, d)]
    values = [cases.cast_values(s, d, rng) for _, s, d in sel]
    answers = harness.ask([("C", k, [str(int(v)) for v in r]) for (k, _, _), r in zip(sel, values)])
    checked = 0
    for (_, s, d), raw, line in zip(sel, values, answers):
        sat = np.array([cases.signed_raw(d, int(h, 16)) for h in line.split()], dtype=np.int64)
        wide = FixedType(min(d.width + 30, 63), d.integer + 30, True, d.quant)
        exact = wide.cast(raw, s) if s.width <= 62 else None
        if exact is None or abs(d.integer) > 20:
            continue
        limit = np.clip(exact, d.raw_min, d.raw_max)
        assert np.array_equal(sat, limit), f"{s} -> {d}: AP_SAT differs from clipping the exact rounding"
        assert np.array_equal(d.overflows(raw, s), exact != limit), f"{s} -> {d}"
        checked += raw.size
    print(f"\noverflows: {checked} values checked")
    assert checked > 1000


def _describe(t: FixedType) -> str:
    if t.is_int:
        return f"int {t.width} {int(t.signed)}"
    return f"fixed {t.width} {t.integer} {int(t.signed)} {t.quant} {t.overflow} {t.sat_bits}"


def test_result_types_match_cpp(harness):
    cmds = [(op, k, []) for k in range(len(ARITH)) for op in ("M", "A")]
    answers = harness.ask(cmds)
    bad = []
    for (op, k, _), line in zip(cmds, answers):
        a, b = ARITH[k]
        b = C_INT if b is None else b
        got = _describe((mul_type if op == "M" else add_type)(a, b))
        if got != line.strip():
            bad.append(f"{a} {'*' if op == 'M' else '+'} {b}: C++ {line.strip()!r}, hwsim {got!r}")
    print(f"\nresult types: {len(cmds)} operations ({len(ARITH)} operand pairs)")
    assert not bad, "\n".join(bad)


def test_claim_acc_div_int_truncates_toward_zero(harness):
    """ARCHITECTURE.md: `acc /= n` (ap_fixed accumulator, int n) truncates toward zero at the
    accumulator's LSB whatever its quantization mode; the quotient then goes back through the
    accumulator's overflow mode (only AP_SAT_SYM acts: min / 1 becomes -max). Expected values:
    plain integer arithmetic."""
    rng = np.random.default_rng(5)
    checked = 0
    for k, t in enumerate(cases.DIVIDE_TYPES):
        raws = np.unique(np.concatenate([rng.integers(t.raw_min, t.raw_max, 60, endpoint=True),
                                         [t.raw_min, t.raw_min + 1, t.raw_max, -1, 0, 1, 7, -7]]))
        raws = raws[(raws >= t.raw_min) & (raws <= t.raw_max)]
        for d in cases.DIVISORS:
            got = [cases.signed_raw(t, int(h, 16)) for h in harness.divide(k, d, raws)]
            want = [(abs(int(r)) // d) * (1 if r >= 0 else -1) for r in raws]
            if t.overflow == "AP_SAT_SYM":
                want = [max(w, -t.raw_max) for w in want]
            assert got == want, f"{t} /= {d}"
            checked += len(want)
    print(f"\nacc /= n: {len(cases.DIVIDE_TYPES)} accumulator types x {len(cases.DIVISORS)} divisors, "
          f"{checked} values: truncation toward zero confirmed")


def test_claim_header_quirks(harness):
    """`ap_int<8> v = -0.3;` gives 1; ap_fixed<W,0> -> ap_int gives -1 for any negative value."""
    k8 = QTYPES.index(FixedType.int_type(8))
    line = harness.ask([("Q", k8, cases.double_hex(np.array([-0.3, -0.7, -0.2, 0.3])))])[0]
    assert [cases.signed_raw(QTYPES[k8], int(h, 16)) for h in line.split()] == [1, 0, 1, 0]
    assert list(FixedType.int_type(8).quantize([-0.3, -0.7, -0.2, 0.3])) == [1, 0, 1, 0]
    src = FixedType(10, 0)
    k = PAIRS.index((src, FixedType.int_type(8)))
    raws = [-512, -300, -1, 0, 1, 511]
    line = harness.ask([("C", k, [str(r) for r in raws])])[0]
    assert [cases.signed_raw(FixedType.int_type(8), int(h, 16)) for h in line.split()] == [-1, -1, -1, 0, 0, 0]
    assert list(FixedType.int_type(8).cast(raws, src)) == [-1, -1, -1, 0, 0, 0]
