"""The simulator's results do not depend on how its work is split between threads.

The fast kernels (the one im2col, reference_conv.im2col, sim_conv's epilogue, the max pool kernel, the input quantizer) each cut
their range of work into one share per worker thread. A share of a convolution can start inside an
image row; an index computed from the share's start once went negative there, wrapped around and
wrote past the array. These tests draw geometries and worker counts, force shares small enough that
their boundaries fall mid-row, and compare the fast paths with the general path (sim_ops and
FixedType, no thread split) raw value for raw value and statistic for statistic.

`make test` also runs this file with NUMBA_BOUNDSCHECK=1 and a fresh NUMBA_CACHE_DIR, where an
out-of-bounds index raises IndexError instead of corrupting memory."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hwsim.spec import config as cfg
from hwsim.sim import conv as sim_conv, reference_conv as sim_float, layers as sim_layers, narrow as sim_narrow, ops as sim_ops, simulate
from hwsim.util import threads
from hwsim.ir import zoo
from hwsim.fixed import fast
from hwsim.ir.geometry import pool_out
from hwsim.ir.graph import Conv2d, Graph, Input, MaxPool2d, ReLU

WORKERS = (1, 2, 3, 5)


@pytest.fixture
def split_state(monkeypatch):
    """Let limit_workers go past this machine's cores (threads.cores and NUMBA_NUM_THREADS cap it)
    and restore the thread limit afterwards."""
    saved = list(threads._LIMIT)
    monkeypatch.setattr(threads, "cores", lambda: 8)
    monkeypatch.setattr(threads, "numba_threads", lambda: 8)
    yield monkeypatch
    threads._LIMIT[:] = saved
    if threads._POOL:
        threads._POOL.pop().shutdown(wait=False)


def _general(monkeypatch):
    """Turn off every fast path of simulate: the general, unsplit code runs instead."""
    monkeypatch.setattr(simulate, "_conv_fast", lambda *a, **k: None)
    monkeypatch.setattr(simulate, "maxpool", lambda *a, **k: None)
    monkeypatch.setattr(sim_layers, "maxpool", lambda *a, **k: None)
    monkeypatch.setattr(simulate, "quantize_counted", lambda *a, **k: None)
    monkeypatch.setattr(sim_narrow, "conv", lambda *a, **k: None)


@st.composite
def nets(draw):
    """Input -> conv -> ReLU -> max pool (ceil or floor mode), with odd and prime sizes."""
    cin, cout = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    h, w = draw(st.sampled_from([1, 2, 3, 5, 7, 9, 11, 13, 17, 23])), draw(st.sampled_from([1, 3, 5, 7, 10, 13, 19]))
    k = draw(st.integers(1, 7))
    pad = draw(st.integers(0, 3))
    stride = draw(st.integers(1, 3))
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    if min(oh, ow) < 1:
        k, pad = 1, 0
        oh, ow = (h - 1) // stride + 1, (w - 1) // stride + 1
    pk = draw(st.integers(1, min(7, oh, ow)))
    pp = draw(st.integers(0, pk // 2))
    ps = draw(st.integers(1, 3))
    ceil = draw(st.booleans())
    layers = [Input("in", (), shape=(cin, h, w)),
              Conv2d("c", ("in",), out_channels=cout, kernel=k, stride=stride, padding=pad),
              ReLU("r", ("c",)),
              MaxPool2d("p", ("r",), kernel=pk, stride=ps, padding=pp, ceil_mode=ceil)]
    g = Graph("split", layers)
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    return g.with_weights({"c": {"weight": rng.normal(0, 0.6, (cout, cin, k, k)),
                                 "bias": rng.normal(0, 0.5, (cout,))}}), rng


PRECISIONS = [
    None,                                                        # the defaults: lossless accumulators
    {"input": "ap_fixed<10,3>", "default": {"result": "ap_fixed<9,2,AP_RND,AP_SAT_SYM>"},
     "layers": {"r": {"result": "ap_fixed<7,2,AP_RND_CONV,AP_WRAP>"},
                "p": {"result": "ap_fixed<6,1,AP_RND_ZERO,AP_SAT_ZERO>"}}},
    {"input": "ap_fixed<6,2,AP_RND,AP_WRAP>", "default": {"weight": "ap_fixed<5,1>",
                                                          "result": "ap_fixed<8,3,AP_TRN,AP_WRAP>"}},
    # explicit accumulators: products rounded into a wrapping accum_t (sim_narrow._dot_rounded),
    {"default": {"accum": "ap_fixed<16,6>"}},
    {"input": "ap_fixed<10,3>", "default": {"accum": "ap_fixed<11,4,AP_RND_CONV,AP_WRAP>"}},
    # ... rounded into a saturating one (sim_narrow._per_step),
    {"input": "ap_fixed<10,3>", "default": {"accum": "ap_fixed<10,2,AP_RND,AP_SAT>",
                                            "result": "ap_fixed<8,2,AP_RND,AP_SAT_SYM>"}},
    {"default": {"accum": "ap_fixed<12,3,AP_RND_ZERO,AP_SAT_SYM>"}},
    {"default": {"accum": "ap_ufixed<12,3,AP_TRN_ZERO,AP_SAT_ZERO>"}},
    # ... and entering a saturating one unrounded: the GEMM when no partial sum can saturate, else
    # the per-step kernel
    {"input": "ap_fixed<8,3>", "default": {"weight": "ap_fixed<6,1>", "accum": "ap_fixed<24,10,AP_TRN,AP_SAT>"}},
    {"input": "ap_fixed<8,3>", "default": {"weight": "ap_fixed<6,1>", "accum": "ap_fixed<13,2,AP_TRN,AP_SAT>"}},
]


def _run_all_ways(g, c, x, reference):
    return [simulate.run(g, x, c, reference=reference, keep=keep) for keep in (False, True)]


def _assert_same(a, b):
    assert a.raw.shape == b.raw.shape
    assert int((a.raw != b.raw).sum()) == 0
    assert a.stats == b.stats


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(net=nets(), batch=st.integers(1, 3), workers=st.sampled_from((1, 2, 3, 4, 5)),
       share=st.sampled_from((1, 2, 3, 5, 7, 256)), tile=st.sampled_from((1, 5, 16, 1024)),
       prec=st.sampled_from(range(len(PRECISIONS))), reference=st.booleans(), f32=st.booleans())
def test_fast_paths_equal_the_general_path_for_any_split(split_state, net, batch, workers, share, tile, prec,
                                                        reference, f32):
    g, rng = net
    c = cfg.load({"precision": PRECISIONS[prec]} if PRECISIONS[prec] else None, g)
    x = rng.normal(0, 1.5, (batch,) + g.input_shape)
    threads.limit_workers(workers)
    mp = split_state
    mp.setattr(sim_float, "MIN_SHARE", share)
    mp.setattr(sim_narrow, "MIN_SHARE", share)
    mp.setattr(sim_float, "TILE", tile)
    mp.setattr(sim_narrow, "FLOAT32", f32)
    mp.setattr(sim_ops, "MIN_PLANES", share)
    mp.setattr(fast, "MIN_ROWS", share)
    _, oh, ow = g.shape("c")
    cuts = threads.split(batch * oh * ow, share)
    if any(a % ow for a, _ in cuts[1:]):
        event("a conv share starts mid-row")
    got = _run_all_ways(g, c, x, reference)
    with pytest.MonkeyPatch.context() as m:
        _general(m)
        want = simulate.run(g, x, c, reference=reference, keep=True)
    for r in got:
        _assert_same(r, want)


def test_the_split_rule_puts_boundaries_mid_row(split_state):
    """The drawn cases above do reach mid-row boundaries: a 3-worker split of 1 x 5 x 5 positions
    in shares of at least 2 starts two of its shares inside a row."""
    threads.limit_workers(3)
    cuts = threads.split(25, 2)
    assert [a % 5 for a, _ in cuts[1:]] == [3, 1]


def _raw(g, x, workers):
    threads.limit_workers(workers)
    return simulate.run(g, x, reference=False).raw


REPRODUCTIONS = {
    "squeezenet1_1@48": lambda: zoo.build("squeezenet1_1", input_shape=(3, 48, 48)),
    "fire96@55": lambda: zoo.build("fire", in_channels=96, squeeze=16, expand1x1=64, expand3x3=64, size=55),
    "fire16@23": lambda: zoo.build("fire", in_channels=16, squeeze=16, expand1x1=16, expand3x3=16, size=23),
}


@pytest.mark.parametrize("name", sorted(REPRODUCTIONS))
def test_reproductions_give_the_same_raw_outputs_with_any_worker_count(split_state, name):
    """The cases that aborted with 'malloc(): corrupted top size' (batch 1, mid-row shares)."""
    g = REPRODUCTIONS[name]()
    x = np.random.default_rng(3).standard_normal((1,) + g.input_shape)
    outs = [_raw(g, x, n) for n in WORKERS]
    for o in outs[1:]:
        assert int((o != outs[0]).sum()) == 0
    with pytest.MonkeyPatch.context() as m:
        _general(m)
        want = simulate.run(g, x, reference=False).raw
    assert int((outs[0] != want).sum()) == 0


def test_pool_padding_past_half_the_kernel_is_refused():
    """A window entirely in padding has no value to take the max of (PyTorch refuses it too)."""
    with pytest.raises(ValueError, match="padding"):
        MaxPool2d("p", ("in",), kernel=2, stride=1, padding=2)
    assert pool_out(5, 3, 2, 1, True) == 3


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 9), st.integers(1, 9), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 2), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2),
       st.data())
def test_im2col_of_any_range_equals_the_general_im2col(n, c, h, w, kh, kw, sh, sw, ph, pw, data):
    """reference_conv.im2col (the one im2col of the float and the exact fixed GEMMs) over any range
    of output positions, starting and ending mid-row or mid-image: the general path's columns, and
    with `rowmax` the max |x| each column reads, for integer and float input."""
    from hwsim.ir.geometry import out_hw
    if h + 2 * ph < kh or w + 2 * pw < kw:
        return
    oh, ow = out_hw(h, w, (kh, kw), (sh, sw), (ph, pw))
    total = n * oh * ow
    start = data.draw(st.integers(0, total - 1))
    stop = data.draw(st.integers(start + 1, total))
    rng = np.random.default_rng(start * 31 + stop)
    xi = rng.integers(-2 ** 20, 2 ** 20, (n, c, h, w))
    want, _, _ = sim_ops.im2col(xi, (kh, kw), (sh, sw), (ph, pw))
    want = want[start:stop].T
    k = c * kh * kw
    out = np.full((k, stop - start), np.nan, np.float32)
    rowmax = np.full(k, -1, np.int64)
    sim_float.im2col(xi, kh, kw, sh, sw, ph, pw, oh, ow, start, stop, out, rowmax)
    assert np.array_equal(out, want.astype(np.float32))
    assert rowmax.tolist() == np.abs(want).max(axis=1, initial=0).tolist()
    xf = (xi * 2.0 ** -9).astype(np.float32)
    outf = np.full((k, stop - start), np.nan, np.float32)
    sim_float.im2col(xf, kh, kw, sh, sw, ph, pw, oh, ow, start, stop, outf)
    assert np.array_equal(outf, sim_ops.im2col(xf, (kh, kw), (sh, sw), (ph, pw))[0][start:stop].T)
