"""hwsim.sim.average's numba accumulation of the average pools against layers._sum_in_accum's numpy
loop (FixedType.cast and overflows on every term and every partial sum): values and overflow events
for every overflow mode, several quantization modes, terms that enter accum_t exactly, shifted left
or rounded, the in-place and the stacked layouts, and several thread splits."""
from __future__ import annotations

import numpy as np
import pytest

from hwsim.fixed import FixedType
from hwsim.sim import average as sim_average, layers as sim_layers
from hwsim.util import threads

OVF = ("AP_WRAP", "AP_SAT", "AP_SAT_SYM", "AP_SAT_ZERO")


def _numpy_loop(terms, tin, acc_t, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(sim_average, "sum_in_accum", lambda *a: None)
        return sim_layers._sum_in_accum(terms, tin, acc_t)


def _gap_terms(x):
    h, w = x.shape[2:]
    return [x[:, :, i:i + 1, j:j + 1] for i in range(h) for j in range(w)]


def _pool_terms(x, k, s, p):
    h, w = x.shape[2:]
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    win = sim_layers._windows(x, (k, k), (s, s), (p, p), (oh, ow), 0)
    return [win[..., i, j] for i in range(k) for j in range(k)]


def _check(terms, tin, acc_t, monkeypatch, layout=True):
    if layout:
        assert sim_average._layout(terms) is not None       # read in place, not a stacked copy
    got = sim_average.sum_in_accum(terms, tin, acc_t)
    assert got is not None
    want = _numpy_loop(terms, tin, acc_t, monkeypatch)
    assert got[0].shape == want[0].shape
    assert int((got[0] != want[0]).sum()) == 0 and got[1] == want[1]
    return got[1]


@pytest.mark.parametrize("ovf", OVF)
@pytest.mark.parametrize("quant", ["AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_CONV", "AP_RND_ZERO"])
@pytest.mark.parametrize("tin_frac", [10, 6, 2])     # rounded (input finer), exact, shifted left
def test_kernel_equals_the_numpy_loop(ovf, quant, tin_frac, monkeypatch):
    monkeypatch.setattr(threads, "workers", lambda: 3)
    monkeypatch.setattr(sim_average, "MIN_SHARE", 5)
    monkeypatch.setattr(sim_average, "MAX_SHARE", 40)
    rng = np.random.default_rng(OVF.index(ovf) * 10 + tin_frac)
    tin = FixedType(16, 16 - tin_frac)
    acc_t = FixedType(12, 6, True, quant, ovf)
    x = rng.integers(tin.raw_min, tin.raw_max + 1, (3, 5, 7, 9))
    x[0, 0] = tin.raw_min                                # a plane of extremes
    x[0, 1] = tin.raw_max
    events = 0
    for terms in (_gap_terms(x), _pool_terms(x, 3, 2, 1), _pool_terms(x, 2, 1, 0)):
        events += _check(terms, tin, acc_t, monkeypatch)
    assert events > 0


@pytest.mark.parametrize("ovf", OVF)
def test_unsigned_accumulator_and_in_range_sums(ovf, monkeypatch):
    """An ap_ufixed accum_t (negative terms leave its range), and small terms that never overflow."""
    rng = np.random.default_rng(7)
    tin = FixedType(10, 4)
    acc_t = FixedType(10, 5, False, "AP_RND", ovf)
    x = rng.integers(tin.raw_min, tin.raw_max + 1, (2, 3, 5, 5))
    assert _check(_gap_terms(x), tin, acc_t, monkeypatch) > 0
    small = rng.integers(0, 4, (2, 3, 5, 5))
    assert _check(_gap_terms(small), tin, FixedType(16, 8, True, "AP_TRN", ovf), monkeypatch) == 0


@pytest.mark.parametrize("workers, share", [(1, 256), (2, 1), (3, 7)])
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (1, 3, 5, 7), (2, 7, 13, 13)])
def test_thread_splits_and_odd_sizes(workers, share, shape, monkeypatch):
    monkeypatch.setattr(threads, "workers", lambda: workers)
    monkeypatch.setattr(sim_average, "MIN_SHARE", share)
    monkeypatch.setattr(sim_average, "MAX_SHARE", 3 * share)
    rng = np.random.default_rng(sum(shape))
    tin, acc_t = FixedType(16, 6), FixedType(11, 4, True, "AP_RND_INF", "AP_SAT_SYM")
    x = rng.integers(tin.raw_min, tin.raw_max + 1, shape)
    _check(_gap_terms(x), tin, acc_t, monkeypatch)
    if min(shape[2:]) >= 3:
        _check(_pool_terms(x, 3, 1, 1), tin, acc_t, monkeypatch)


def test_terms_that_share_no_array_are_stacked(monkeypatch):
    rng = np.random.default_rng(3)
    tin, acc_t = FixedType(16, 6), FixedType(10, 5, True, "AP_TRN", "AP_SAT")
    terms = [rng.integers(-2 ** 15, 2 ** 15, (2, 3, 4, 4)) for _ in range(6)]
    assert sim_average._layout(terms) is None
    assert _check(terms, tin, acc_t, monkeypatch, layout=False) > 0
    x = rng.integers(-2 ** 15, 2 ** 15, (2, 3, 4, 4)).astype(np.int32)     # not int64: stacked too
    assert _check(_gap_terms(x), tin, acc_t, monkeypatch, layout=False) > 0


def test_types_the_rules_do_not_cover_take_the_numpy_loop():
    x = np.arange(8).reshape(1, 2, 2, 2)
    assert sim_average.sum_in_accum(_gap_terms(x), FixedType(16, 6), FixedType(12, 6, True, "AP_TRN", "AP_WRAP_SM")) is None
    assert sim_average.sum_in_accum(_gap_terms(x), FixedType(16, 6), FixedType(1, 1)) is None
