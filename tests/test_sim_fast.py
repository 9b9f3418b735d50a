"""The simulator's fast kernels against the general paths they shortcut: the row cast and the fused
input quantizer against FixedType, the float32-GEMM convolution against an int64 convolution (many
chunks, thread splits inside an image, the fallback), the fused conv + ReLU against the unfused
layers (values and every statistic), the max pool kernel, the weight cache, and fork safety."""
from __future__ import annotations

import gc
import multiprocessing
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hwsim.spec import config as cfg
from hwsim.sim import conv as sim_conv, reference_conv as sim_float, ops as sim_ops, simulate, weight_cache as sim_weights
from hwsim.util import threads
from hwsim.ir import zoo
from hwsim.fixed import QUANT_MODES, FixedType
from hwsim.fixed.fast import cast_row, quantize_counted, rules
from hwsim.sim.ops import maxpool
from test_simulate import conv_graph, int64_conv

OVF = ("AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM")


@st.composite
def types(draw, max_width=40, overflows=OVF):
    w = draw(st.integers(2, max_width))
    return FixedType(w, draw(st.integers(-8, w + 8)), draw(st.booleans()),
                     draw(st.sampled_from(QUANT_MODES)), draw(st.sampled_from(overflows)))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_cast_row_equals_cast_counted(data):
    src, dst = data.draw(types(max_width=48)), data.draw(types())
    r = rules(src, dst)
    assume(r is not None)
    raw = np.array(data.draw(st.lists(st.integers(src.raw_min, src.raw_max), min_size=1, max_size=40))
                   + [src.raw_min, src.raw_max, 0], np.int64)
    out = np.empty_like(raw)
    count, lo, hi = cast_row(raw, out, r)
    expect, n = dst.cast_counted(raw, src)
    assert out.tolist() == expect.tolist()
    assert (count, lo, hi) == (n, expect.min(), expect.max())


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_quantize_counted_equals_quantize(data):
    t = data.draw(types())
    assume(0 <= t.frac <= 60)
    lsb = 2.0 ** -t.frac
    ties = [k * lsb / 2 for k in data.draw(st.lists(st.integers(-2 ** 40, 2 ** 40), max_size=20))]
    rand = data.draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=20))
    edges = [t.max_value, t.max_value + lsb / 2, t.min_value, t.min_value - lsb / 2, 0.0, -0.0]
    x = np.array(ties + rand + edges)
    assume(np.all(np.abs(x) * 2.0 ** t.frac < 4e18))
    got = quantize_counted(t, x[None, :])
    assert got is not None
    raw, n, lo, hi = got
    expect = t.quantize(x[None, :])
    assert raw.tolist() == expect.tolist()
    assert (n, lo, hi) == (t.quantize_overflows(x), expect.min(), expect.max())


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e300])
def test_quantize_counted_leaves_nan_inf_and_huge_to_the_exact_path(bad):
    assert quantize_counted(FixedType(16, 6), np.array([[0.5, bad]])) is None


def _conv_expect(x, w, acc0, s1, stride, pad, acc_t, out_t):
    acc = (int64_conv(x, w, stride, pad) << s1) + acc0[None, :, None, None]
    return out_t.cast_counted(acc, acc_t)


@pytest.mark.parametrize("stride,pad,k", [(1, 1, 3), (2, 0, 3), (1, 0, 1), (2, 1, 3)])
@pytest.mark.parametrize("out_t", ["ap_fixed<12,4,AP_RND_CONV,AP_SAT_SYM>", "ap_fixed<10,3,AP_TRN,AP_WRAP>",
                                   "ap_fixed<14,6,AP_RND_ZERO,AP_SAT_ZERO>", "ap_fixed<40,20>"])
def test_fast_conv_many_chunks_equals_int64_conv(stride, pad, k, out_t, monkeypatch):
    """Operands big enough for many float32 chunks; three threads so a split falls inside an image."""
    monkeypatch.setattr(threads, "workers", lambda: 3)
    rng = np.random.default_rng(stride * 10 + pad + k)
    x = rng.integers(-2 ** 14, 2 ** 14, (3, 24, 16, 15))
    w = rng.integers(-2 ** 8, 2 ** 8, (5, 24, k, k))
    acc_t, out_t = FixedType(48, 26), FixedType.parse(out_t)
    acc0 = rng.integers(-2 ** 20, 2 ** 20, 5)
    bounds = sim_conv.column_chunks(np.ascontiguousarray(np.abs(w.reshape(5, -1)).T), np.full(w[0].size, 2 ** 14))
    assert bounds is not None and len(bounds) - 1 >= (4 if k == 3 else 2)
    got = sim_conv.conv(x, w, acc0, 2, (k, k), (stride, stride), (pad, pad), acc_t, out_t)
    assert got is not None
    out, stats = got
    expect, n = _conv_expect(x, w, acc0, 2, stride, pad, acc_t, out_t)
    assert out.shape == expect.shape and int((out != expect).sum()) == 0
    assert stats[:3] == [n, expect.min(), expect.max()]


def test_fast_conv_fused_relu_with_its_own_cast():
    rng = np.random.default_rng(11)
    x = rng.integers(-3000, 3000, (2, 6, 9, 9))
    w = rng.integers(-100, 100, (4, 6, 3, 3))
    acc_t, out_t = FixedType(40, 28), FixedType(12, 3, True, "AP_RND", "AP_SAT")
    relu_t = FixedType(6, 1, False, "AP_RND_INF", "AP_WRAP")
    out, stats = sim_conv.conv(x, w, np.zeros(4, np.int64), 0, (3, 3), (1, 1), (1, 1), acc_t, out_t, relu_t)
    conv, n1 = _conv_expect(x, w, np.zeros(4, np.int64), 0, 1, 1, acc_t, out_t)
    relu, n2 = relu_t.cast_counted(np.maximum(conv, 0), out_t)
    assert int((out != relu).sum()) == 0 and n1 > 0 and n2 > 0
    assert stats == [n1, conv.min(), conv.max(), n2, relu.min(), relu.max(), 0]    # lossless: no accumulator events


def test_fast_conv_declines_terms_past_float32_and_the_simulator_stays_exact():
    rng = np.random.default_rng(12)
    x = rng.integers(-2 ** 20, 2 ** 20, (1, 3, 5, 5))
    w = rng.integers(-2 ** 8, 2 ** 8, (2, 3, 3, 3))
    acc_t, out_t = FixedType(60, 30), FixedType(40, 20)
    assert sim_conv.conv(x, w, np.zeros(2, np.int64), 0, (3, 3), (1, 1), (1, 1), acc_t, out_t) is None
    g = conv_graph(cin=3, cout=2, size=5)
    prec = "ap_fixed<24,4>"
    c = cfg.load({"precision": {"input": prec, "default": {"weight": "ap_fixed<12,2>", "bias": prec,
                                                           "result": "ap_fixed<48,24>"}}}, g)
    xf = np.random.default_rng(13).normal(0, 4, (1,) + g.input_shape)
    lc = c["c"]
    xr = lc.inputs[0].quantize(xf)
    wr = lc.weight.quantize(g.weights["c"]["weight"])
    assert np.abs(xr).max() * np.abs(wr).max() > 2 ** 24      # the float64 path runs
    acc = int64_conv(xr, wr, 1, 1) << (lc.accum.frac - lc.inputs[0].frac - lc.weight.frac)
    acc = acc + (lc.bias.quantize(g.weights["c"]["bias"]) << (lc.accum.frac - lc.bias.frac))[None, :, None, None]
    got = simulate.run(g, xf, c, reference=False).raw
    assert int((got != lc.result.cast(acc, lc.accum)).sum()) == 0


def _narrow_config(g):
    relus = {l.name: {"result": "ap_fixed<7,2,AP_RND_CONV,AP_WRAP>"} for l in g.layers if l.kind == "relu"}
    return cfg.load({"precision": {"input": "ap_fixed<10,3>",
                                   "default": {"result": "ap_fixed<9,2,AP_RND,AP_SAT_SYM>"},
                                   "layers": relus}}, g)


@pytest.mark.parametrize("narrow", [False, True])
def test_fused_conv_relu_equals_layer_by_layer(narrow):
    """reference=False fuses each conv with its ReLU; keep=True runs every layer on its own."""
    g = zoo.build("squeezenet_mini")
    c = _narrow_config(g) if narrow else cfg.load(None, g)
    x = np.random.default_rng(14).normal(0, 2, (5,) + g.input_shape)
    fused = simulate.run(g, x, c, reference=False)
    plain = simulate.run(g, x, c, reference=False, keep=True)
    assert int((fused.raw != plain.raw).sum()) == 0
    assert fused.stats == plain.stats
    if narrow:
        assert any(s.overflows for s in plain.stats if s.kind == "relu")
        assert any(s.saturations for s in plain.stats if s.kind == "conv")


def _maxpool_reference(x, k, s, p, oh, ow):
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow), np.int64)
    for i in range(oh):
        for j in range(ow):
            y0, x0 = i * s - p, j * s - p
            win = x[:, :, max(y0, 0):min(y0 + k, h), max(x0, 0):min(x0 + k, w)]
            out[:, :, i, j] = win.max(axis=(2, 3))
    return out


@pytest.mark.parametrize("size,k,s,p", [(7, 3, 2, 0), (8, 3, 2, 0), (9, 2, 2, 1), (13, 3, 1, 1)])
def test_maxpool_kernel_equals_window_max_then_cast(size, k, s, p, monkeypatch):
    monkeypatch.setattr(threads, "workers", lambda: 3)
    x = np.random.default_rng(size).integers(-500, 500, (2, 5, size, size))
    oh = -(-(size + 2 * p - k) // s) + 1
    if (oh - 1) * s >= size + p:
        oh -= 1
    src, dst = FixedType(12, 6), FixedType(8, 3, True, "AP_RND", "AP_SAT")
    out, st = maxpool(x, (k, k), (s, s), (p, p), (oh, oh), src, dst)
    expect, n = dst.cast_counted(_maxpool_reference(x, k, s, p, oh, oh), src)
    assert int((out != expect).sum()) == 0 and n > 0
    assert st == [n, expect.min(), expect.max()]


@pytest.mark.parametrize("size,k,s,p", [(7, 3, 2, 0), (9, 2, 2, 1), (13, 3, 1, 1)])
def test_float_maxpool_lets_a_nan_win_and_keeps_infinities(size, k, s, p, monkeypatch):
    """The float reference's max pool (the select-based window max) against numpy's window max,
    which propagates NaN: NaNs at a window's first, middle and last position, and -inf / +inf."""
    from hwsim.sim.ops import float_maxpool
    monkeypatch.setattr(threads, "workers", lambda: 3)
    rng = np.random.default_rng(size + 100)
    x = rng.normal(0, 3, (2, 4, size, size)).astype(np.float32)
    x[0, 0, 0, 0] = x[0, 1, size // 2, size // 2] = x[1, 2, size - 1, size - 1] = np.nan
    x[1, 0, 1, 1], x[1, 1, 2, 0] = -np.inf, np.inf
    oh = (size + 2 * p - k) // s + 1
    got = float_maxpool(x, (k, k), (s, s), (p, p), (oh, oh))
    want = np.empty_like(got)
    for i in range(oh):
        for j in range(oh):
            y0, x0 = i * s - p, j * s - p
            want[:, :, i, j] = x[:, :, max(y0, 0):min(y0 + k, size), max(x0, 0):min(x0 + k, size)].max(axis=(2, 3))
    assert np.isnan(got).sum() > 0 and np.array_equal(got, want, equal_nan=True)


def test_weight_cache_reuses_read_only_arrays_and_forgets_freed_ones():
    t = FixedType(8, 1)
    a = np.random.default_rng(15).normal(0, 1, 100).astype(np.float32)
    fresh = sim_weights.quantized(a, t)
    assert sim_weights.quantized(a, t) is not fresh          # writeable: computed every time
    a.setflags(write=False)
    first = sim_weights.quantized(a, t)
    assert sim_weights.quantized(a, t) is first
    assert first[0].tolist() == t.quantize(a).tolist() and not first[0].flags.writeable
    key = (id(a), t)
    assert key in sim_weights._CACHE
    del a, first
    gc.collect()
    assert key not in sim_weights._CACHE


def test_gemm_and_narrow_weight_matrices_are_cached_per_weight_array():
    """The matrices sim_conv and sim_narrow build from raw weights are computed once per read-only
    array (the same objects on the next run, read-only) and equal what they are built from."""
    wr = np.random.default_rng(16).integers(-90, 90, (6, 3, 3, 3))
    wr.setflags(write=False)
    first = sim_weights.derived(wr, "gemm", sim_conv._gemm_weights)
    assert all(a is b for a, b in zip(sim_weights.derived(wr, "gemm", sim_conv._gemm_weights), first))
    w32, wabs_t, wmax = first
    assert not w32.flags.writeable and not wabs_t.flags.writeable
    assert w32.tolist() == wr.reshape(6, -1).astype(np.float32).tolist()
    assert wabs_t.tolist() == np.abs(wr.reshape(6, -1)).T.tolist() and wmax == int(np.abs(wr).max())
    from hwsim.sim import narrow as sim_narrow
    wm, wbits, wsum, wt, wf32, wf64 = sim_weights.derived(wr, "narrow", sim_narrow._weights)
    assert wt.tolist() == wm.T.tolist() and wsum.tolist() == np.abs(wm).sum(axis=1).tolist()
    assert wbits == int(np.abs(wr).max()).bit_length() and wf64.shape[1] % sim_narrow.LANES == 0
    assert wf64[:, :27].tolist() == wm.tolist() and not wf64[:, 27:].any() and wf32.tolist() == wf64.tolist()
    w2 = wr.copy()                                   # writeable: built afresh every call
    assert sim_weights.derived(w2, "gemm", sim_conv._gemm_weights)[0] is not sim_weights.derived(
        w2, "gemm", sim_conv._gemm_weights)[0]


def _child(q):
    g = conv_graph(size=9)
    q.put(simulate.run(g, np.ones((2,) + g.input_shape), reference=False).raw)


def test_a_forked_child_runs_the_threaded_kernels():
    g = conv_graph(size=9)
    threads.parallel_map(lambda i: i, 2)      # the pool is running (whatever ran before this test)
    parent = simulate.run(g, np.ones((2,) + g.input_shape), reference=False).raw
    assert threads._POOL or threads.workers() == 1
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(q,))
    p.start()
    child = q.get(timeout=120)
    p.join(30)
    assert p.exitcode == 0 and child.tolist() == parent.tolist()


SMALL = {"squeezenet1_0": (3, 48, 48), "squeezenet1_1": (3, 48, 48), "squeezenet1_0_simple_bypass": (3, 48, 48),
         "squeezenet1_0_complex_bypass": (3, 48, 48), "alexnet": (3, 63, 63)}


def _counting(monkeypatch, module, name, calls):
    f = getattr(module, name)

    def counted(*a):
        calls[name] = calls.get(name, 0) + 1
        return f(*a)
    monkeypatch.setattr(module, name, counted)


@pytest.mark.parametrize("name", zoo.names())
@pytest.mark.parametrize("narrow", [False, True])
def test_fused_statistics_equal_the_two_pass_path_on_every_zoo_net(name, narrow, monkeypatch):
    """reference=True: the epilogues' figures (sqnr, squared sums, max error, counts, min/max) equal
    a float reference run layer by layer plus a pass of error_rows, value for value and bit for bit;
    so do the outputs."""
    g = zoo.build(name, input_shape=SMALL.get(name), seed=5)
    c = _narrow_config(g) if narrow else cfg.load(None, g)
    x = np.random.default_rng(21).normal(0, 2, (3,) + g.input_shape)
    calls = {}
    _counting(monkeypatch, sim_conv, "_epilogue_ref", calls)
    _counting(monkeypatch, sim_ops, "_maxpool_stats", calls)
    _counting(monkeypatch, simulate, "_concat_into", calls)
    fused = simulate.run(g, x, c, reference=True)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(simulate, "FUSED", False)
        two_pass = simulate.run(g, x, c, reference=True)
        assert simulate.run(g, x, c, reference=True, keep=True).stats == two_pass.stats
    assert calls.get("_epilogue_ref", 0) > 0          # the fused kernels did run
    if any(l.kind == "maxpool" for l in g.layers):
        assert calls.get("_maxpool_stats", 0) > 0
    if any(l.kind == "concat" for l in g.layers) and not narrow:    # narrow: the concat casts its inputs
        assert calls.get("_concat_into", 0) > 0          # convs wrote into the concat's buffer
    assert int((fused.raw != two_pass.raw).sum()) == 0
    assert fused.stats == two_pass.stats
    assert all(s.sqnr_db is not None and s.sq_signal > 0 for s in fused.stats)
    from hwsim.sim import reference       # the float output that came along is reference.run's, bit for bit
    want = reference.run(g, x)
    assert fused.reference.dtype == np.float32 and np.array_equal(fused.reference, want)
    assert np.array_equal(two_pass.reference, want)
    if narrow:
        assert any(s.overflows for s in fused.stats)


def test_statistics_do_not_depend_on_the_thread_split_nor_the_batch():
    """Per-row sums over tiles fixed by the layer's shape: the same figures with any number of worker
    threads and shares; the float reference gives every image the values it gets alone."""
    from hwsim.sim import reference
    g = zoo.build("squeezenet_mini")
    x = np.random.default_rng(22).normal(0, 2, (4,) + g.input_shape)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(sim_float, "TILE", 32)      # several tiles per image
        base = simulate.run(g, x, reference=True)
    for workers, share in [(1, 256), (3, 1), (2, 7)]:
        with pytest.MonkeyPatch.context() as m:
            m.setattr(threads, "workers", lambda: workers)
            m.setattr(sim_float, "MIN_SHARE", share)
            m.setattr(sim_float, "TILE", 32)
            again = simulate.run(g, x, reference=True)
        assert again.stats == base.stats and int((again.raw != base.raw).sum()) == 0
    ref = reference.run(g, x)
    assert np.array_equal(ref, np.concatenate([reference.run(g, x[i:i + 1]) for i in range(4)]))


@pytest.mark.parametrize("quant", QUANT_MODES)
@pytest.mark.parametrize("ovf", ["AP_WRAP", "AP_SAT", "AP_SAT_SYM", "AP_SAT_ZERO"])
@pytest.mark.parametrize("f32", [True, False])
def test_narrow_kernels_equal_the_scalar_loops(quant, ovf, f32, monkeypatch):
    """sim_narrow (vectorized rounded sums, per-step kernel) against sim_ops' scalar per-product loops,
    accumulator values and overflow events, with a mid-row split over three workers."""
    from hwsim.sim import narrow as sim_narrow
    from hwsim.sim.ops import accumulate_products, im2col
    monkeypatch.setattr(threads, "workers", lambda: 3)
    monkeypatch.setattr(sim_narrow, "MIN_SHARE", 5)
    monkeypatch.setattr(sim_narrow, "FLOAT32", f32)
    rng = np.random.default_rng(QUANT_MODES.index(quant))
    x = rng.integers(-2 ** 11, 2 ** 11, (2, 6, 7, 9))
    w = rng.integers(-2 ** 7, 2 ** 7, (5, 6, 3, 3))
    acc_t = FixedType(14, 5, True, quant, ovf)
    acc0 = rng.integers(acc_t.raw_min // 4, acc_t.raw_max // 4, 5)
    got = sim_narrow.conv(x, w, acc0, 12, acc_t, (3, 3), (2, 1), (1, 1), acc_t)
    assert got is not None
    cols, oh, ow = im2col(x, (3, 3), (2, 1), (1, 1))
    acc, events = accumulate_products(cols, w.reshape(5, -1), acc0, 12, acc_t)
    want = acc.reshape(2, oh, ow, 5).transpose(0, 3, 1, 2)
    assert int((got[0] != want).sum()) == 0 and got[2] == events and events > 0


@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize("batch", [1, 3])
def test_a_concat_written_partly_in_place_equals_the_plain_concat(reference, batch, monkeypatch):
    """hwsim.sim.dest: in each fire module one branch's output is written into the concat's buffer and
    the other, of another type, is cast into it by the concat (its error rows computed afresh); the
    output and every statistic equal a run without in-place writes (FUSED off), with 3 workers and
    shares that split rows."""
    g = zoo.build("squeezenet_mini")
    other = {l.name: {"result": "ap_fixed<12,4,AP_RND,AP_SAT>"} for l in g.layers
             if l.kind == "relu" and "expand3x3" in l.name}
    assert other
    c = cfg.load({"precision": {"layers": other}}, g)
    x = np.random.default_rng(23).normal(0, 2, (batch,) + g.input_shape)
    monkeypatch.setattr(threads, "workers", lambda: 3)
    monkeypatch.setattr(sim_float, "MIN_SHARE", 7)
    seen = []
    f = simulate._concat_into

    def spy(buf, layer, *a):
        seen.append((set(buf.done), set(layer.inputs)))
        return f(buf, layer, *a)
    monkeypatch.setattr(simulate, "_concat_into", spy)
    fused = simulate.run(g, x, c, reference=reference)
    assert seen and all(done and done < inputs for done, inputs in seen)    # some in place, some cast
    with pytest.MonkeyPatch.context() as m:
        m.setattr(simulate, "FUSED", False)
        plain = simulate.run(g, x, c, reference=reference)
    assert int((fused.raw != plain.raw).sum()) == 0
    assert fused.stats == plain.stats


def _chunks_by_cumsum(mag, limit=2 ** 24, most=sim_conv.MAX_CHUNKS):
    """The chunking rule written out with cumulative sums: each chunk ends at the last column whose
    running sum stays within the limit for every row."""
    if mag.max(initial=0) > limit:
        return None
    cum = np.concatenate([np.zeros((mag.shape[0], 1), np.int64), np.cumsum(mag, axis=1)], axis=1)
    bounds = [0]
    while bounds[-1] < mag.shape[1]:
        t0 = bounds[-1]
        reach = (cum[:, t0 + 1:] - cum[:, t0:t0 + 1]).max(axis=0)
        bounds.append(t0 + int(np.searchsorted(reach, limit, side="right")))
        if len(bounds) > most + 1:
            return None
    return bounds


@pytest.mark.parametrize("seed", range(12))
def test_column_chunks_equal_the_cumulative_sum_rule(seed):
    """sim_conv.column_chunks (one greedy pass) against the rule written with cumulative sums: the same
    boundaries, the same refusals (a column over 2**24 alone, more than MAX_CHUNKS chunks)."""
    rng = np.random.default_rng(seed)
    o, k = int(rng.integers(1, 40)), int(rng.integers(0, 300))
    wabs = np.abs(rng.integers(-2 ** 8, 2 ** 8, (o, k)))
    rowmax = rng.integers(0, 2 ** int(rng.integers(10, 17)), k)
    if seed == 0 and k:
        rowmax[k // 2] = 2 ** 23          # one column alone near the limit
    if seed == 1 and k:
        wabs[0, 0], rowmax[0] = 2 ** 8, 2 ** 17     # a column alone over it
    if seed == 2:
        wabs[0], rowmax[:] = 2 ** 8 - 1, 2 ** 16    # every column nearly 2**24: one chunk each, too many
    mag = wabs * rowmax
    want = _chunks_by_cumsum(mag)
    assert sim_conv.column_chunks(np.ascontiguousarray(wabs.T), rowmax) == want
    if (seed == 1 and k) or (seed == 2 and k > sim_conv.MAX_CHUNKS):
        assert want is None
    assert seed != 2 or k > sim_conv.MAX_CHUNKS


@pytest.mark.parametrize("accum, fast", [("ap_fixed<22,5,AP_TRN,AP_WRAP>", True),     # wraps, events counted
                                         ("ap_fixed<26,9,AP_RND,AP_SAT>", True),      # saturating, never reached
                                         ("ap_fixed<21,4,AP_TRN,AP_SAT_SYM>", False)])  # saturating, might be
@pytest.mark.parametrize("reference", [False, True])
def test_explicit_accumulators_with_unrounded_products_take_the_float32_path(accum, fast, reference, monkeypatch):
    """An accum_t with at least the products' fraction bits (17 here): the float32 exact GEMM path
    with the wrap in its epilogue, or a saturating one where the columns' bound proves it never acts,
    equals the general path (sim_conv switched off) value for value and statistic for statistic;
    where the bound fails the general path decides. With the reference, the fused statistics equal
    the two-pass ones."""
    g = zoo.build("squeezenet_mini")
    c = cfg.load({"precision": {"default": {"accum": accum}}}, g)
    x = np.random.default_rng(24).normal(0, 2, (3,) + g.input_shape)
    monkeypatch.setattr(threads, "workers", lambda: 3)
    calls = {}
    _counting(monkeypatch, sim_conv, "_epilogue_ref" if reference else "_epilogue", calls)
    got = simulate.run(g, x, c, reference=reference)
    assert (sum(calls.values()) > 0) == fast
    with pytest.MonkeyPatch.context() as m:
        m.setattr(sim_conv, "conv", lambda *a, **k: None)
        general = simulate.run(g, x, c, reference=reference)
        if reference:
            m.setattr(simulate, "FUSED", False)
            assert simulate.run(g, x, c, reference=True).stats == general.stats
    assert int((got.raw != general.raw).sum()) == 0
    assert got.stats == general.stats
    if "WRAP" in accum:
        assert sum(s.accum_overflows for s in got.stats) > 0


@pytest.mark.parametrize("result", ["ap_fixed<31,2,AP_RND,AP_SAT>", "ap_fixed<32,2,AP_RND,AP_SAT>",
                                    "ap_ufixed<31,1,AP_RND,AP_SAT>", "ap_ufixed<32,1,AP_RND,AP_SAT>"])
@pytest.mark.parametrize("reference", [False, True])
def test_int32_storage_between_layers_at_its_width_limit(result, reference, monkeypatch):
    """Raw values of types up to 31 bits travel between layers as int32 (sim_ops.storage); wider
    ones as int64. At the limit, with values near the type's edges, the run equals the general
    path (no sim_conv, no in-place concats), value for value and statistic for statistic, and what
    comes out (the output, `keep`'s layers) is int64."""
    g = zoo.build("squeezenet_mini", seed=3)
    # more fraction bits than the products: the conv's exact sums shift up to the result type's edges
    c = cfg.load({"precision": {"input": "ap_fixed<12,2>", "default": {"result": result}}}, g)
    t = c[g.layers[1].name].result
    assert sim_ops.storage(t) == (np.int32 if t.width <= 31 else np.int64)
    x = np.random.default_rng(31).normal(0, 3, (3,) + g.input_shape)
    seen = []
    orig = sim_conv.conv

    def conv(*a, **k):
        got = orig(*a, **k)
        if got is not None:
            seen.append(got[0].dtype)
        return got
    monkeypatch.setattr(sim_conv, "conv", conv)
    fast = simulate.run(g, x, c, reference=reference, keep=True)
    assert seen and set(seen) == {np.dtype(sim_ops.storage(t))}
    assert fast.raw.dtype == np.int64 and all(v.dtype == np.int64 for v in fast.outputs.values())
    assert any(s.saturations for s in fast.stats)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(sim_conv, "conv", lambda *a, **k: None)
        m.setattr(simulate, "FUSED", False)
        general = simulate.run(g, x, c, reference=reference)
    assert int((fast.raw != general.raw).sum()) == 0 and fast.stats == general.stats
