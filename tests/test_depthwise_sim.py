"""Depthwise convolution, ReLU6 and the batch-norm fold in the float reference and the simulator."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hwsim.fixed import FixedType
from hwsim.fixed.rules import add_type, carrier, product_frac
from hwsim.ir import zoo
from hwsim.ir.batchnorm import fold
from hwsim.ir.graph import Conv2d, DepthwiseConv2d, Graph, Input, ReLU6
from hwsim.sim import layers as sim_layers, reference, simulate
from hwsim.sim.ops import im2col
from hwsim.spec import config as cfg


def _bn_rng(rng, f):
    return (rng.normal(1, 0.3, f), rng.normal(0, 0.5, f), rng.normal(0, 0.5, f), rng.uniform(0.2, 2.0, f))


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("shape", [(6, 3, 3, 3), (5, 1, 3, 3)])
def test_batchnorm_fold_equals_conv_then_bn(with_bias, shape):
    """fold's (W', b') give gamma (W*x + b - mu) / sqrt(v + eps) + beta (float64, per channel)."""
    rng = np.random.default_rng(1)
    f = shape[0]
    w, b = rng.normal(0, 1, shape), rng.normal(0, 1, f) if with_bias else None
    g, beta, mu, v = _bn_rng(rng, f)
    w2, b2 = fold(w, b, g, beta, mu, v)
    assert w2.dtype == b2.dtype == np.float32 and w2.shape == shape and b2.shape == (f,)
    x = rng.normal(0, 1, (4,) + shape[1:])         # one receptive field per sample
    y = np.einsum("nchw,fchw->nf", x, w) + (0 if b is None else b)
    want = g * (y - mu) / np.sqrt(v + 1e-5) + beta
    got = np.einsum("nchw,fchw->nf", x, w2.astype(np.float64)) + b2
    assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()
    with pytest.raises(ValueError, match="batch norm of 3 channels"):
        fold(w, b, g[:3], beta[:3], mu[:3], v[:3])


def _relu6_graph(shape=(3, 4, 5)):
    return Graph("r6", [Input("in", (), shape=shape), ReLU6("r", ("in",))])


@pytest.mark.parametrize("tin,tout", [
    ("ap_fixed<16,6>", "ap_fixed<16,6>"),       # 6 inside the type: clips at 6 << 10
    ("ap_fixed<12,4>", "ap_fixed<12,4>"),       # max 7.998: clips at 6
    ("ap_fixed<8,3>", "ap_fixed<8,3>"),         # max 3.97: the clip never acts
    ("ap_ufixed<10,5>", "ap_fixed<6,3,AP_RND,AP_SAT>"),   # unsigned in, narrower saturating out
    ("ap_fixed<6,8>", "ap_fixed<10,8>"),        # frac -2 (LSB 4): 4 stays, 8 and more clip to 6
])
def test_relu6_raw_semantics(tin, tout):
    g = _relu6_graph()
    c = cfg.load({"precision": {"input": tin, "layers": {"r": {"result": tout}}}}, g)
    t, r = FixedType.parse(tin), FixedType.parse(tout)
    x = np.random.default_rng(2).uniform(-20, 20, (2,) + g.input_shape)
    x.flat[:6] = [6, 5.99, 6.01, 0, -0.01, 100]
    res = simulate.run(g, x, c, reference=False, keep=True)
    raw_in = res.outputs["in"]
    exact = np.minimum(np.maximum(t.to_float(raw_in), 0.0), 6.0)   # exact in float64
    want = r.quantize(exact)
    assert np.array_equal(res.raw, want)
    if t.frac >= 0:      # the documented raw rule
        assert np.array_equal(res.raw, r.cast(np.minimum(np.maximum(raw_in, 0), 6 << t.frac), t))
    assert res.stat("r").overflows == int(r.quantize_overflows(exact))
    # the float reference: min(max(x, 0), 6)
    xf = np.float32(x)
    assert np.array_equal(reference.run(g, xf), np.minimum(np.maximum(xf, 0), 6))


def _dw_graph(c=5, size=7, k=3, stride=1, pad=1, seed=0, bias=True):
    g = Graph("dw", [Input("in", (), shape=(c, size, size)),
                     DepthwiseConv2d("d", ("in",), kernel=k, stride=stride, padding=pad, bias=bias)])
    rng = np.random.default_rng(seed)
    w = {"weight": rng.normal(0, 0.7, (c, 1, k, k))}
    if bias:
        w["bias"] = rng.normal(0, 0.7, (c,))
    return g.with_weights({"d": w})


ACCUMS = {
    "lossless": None,
    # products (frac 10 + 7 = 17) enter exactly, narrow: wraps
    "wrap": "ap_fixed<20,3,AP_TRN,AP_WRAP>",
    # products enter exactly, wide enough that no partial sum can saturate
    "sat_bounded": "ap_fixed<40,20,AP_TRN,AP_SAT>",
    # products enter exactly, a narrow saturating accumulator that overflows: the general path
    "sat_narrow": "ap_fixed<19,2,AP_TRN,AP_SAT>",
    # products rounded on entry (hls4ml semantics), wrapping and saturating
    "round_wrap": "ap_fixed<10,3,AP_RND,AP_WRAP>",
    "round_sat": "ap_fixed<10,2,AP_TRN,AP_SAT>",
}


def _dw_config(g, accum):
    prec = {"input": "ap_fixed<14,4>", "default": {"weight": "ap_fixed<10,3>", "bias": "ap_fixed<12,4>",
                                                   "result": "ap_fixed<16,6>"}}
    if accum is not None:
        prec["layers"] = {"d": {"accum": accum}}
    return cfg.load({"precision": prec}, g)


def _loop_dwconv(x, w, acc0, s, stride, pad):
    """Plain loops: acc0[c] + sum over (kh, kw) of x*w << s, zero padding, int64 (exact)."""
    n, c, h, wd = x.shape
    k = w.shape[-1]
    xp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), np.int64)
    xp[:, :, pad:pad + h, pad:pad + wd] = x
    oh, ow = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    out = np.zeros((n, c, oh, ow), np.int64)
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            out[:, :, i, j] = (win * w[None, :, 0]).sum(axis=(2, 3))
    return (out << s) + acc0[None, :, None, None]


def _per_step(x, wr, acc0, lc, layer):
    """`acc += (accum_t)(x*w)` term by term through FixedType.cast (independent of the kernels)."""
    acc_t = lc.accum
    pt = carrier(product_frac(lc.inputs[0], lc.weight), 63)
    st = add_type(acc_t, acc_t)
    outs, events = [], 0
    for c in range(wr.shape[0]):
        cols, oh, ow = im2col(x[:, c:c + 1], layer.kernel, layer.stride, layer.padding)
        acc = np.full(cols.shape[0], acc0[c], np.int64)
        for t in range(cols.shape[1]):
            p = cols[:, t] * wr[c].reshape(-1)[t]
            events += int(acc_t.overflows(p, pt).sum())
            s = acc + (acc_t.cast(p, pt) << (st.frac - acc_t.frac))
            events += int(acc_t.overflows(s, st).sum())
            acc = acc_t.cast(s, st)
        outs.append(acc.reshape(x.shape[0], 1, oh, ow))
    return np.concatenate(outs, axis=1), events


@pytest.mark.parametrize("accum", list(ACCUMS))
@pytest.mark.parametrize("stride,pad,size,batch", [(1, 1, 7, 1), (2, 1, 7, 3), (1, 0, 8, 3), (2, 0, 9, 1)])
def test_dwconv_fast_equals_general(accum, stride, pad, size, batch):
    g = _dw_graph(size=size, stride=stride, pad=pad, seed=size + stride)
    c = _dw_config(g, ACCUMS[accum])
    lc, layer = c["d"], g.layer("d")
    x = np.random.default_rng(batch).uniform(-8, 8, (batch,) + g.input_shape)
    xr = lc.inputs[0].quantize(x)
    fast = sim_layers.dwconv_fast(g, layer, lc, xr)
    gen_raw, gen_ev = sim_layers.LAYERS["dwconv"](g, layer, lc, [xr])
    # the fast path applies exactly where the accumulator is exact (lossless, wrapping, bounded)
    assert (fast is not None) == (accum in ("lossless", "wrap", "sat_bounded"))
    fast_raw, fast_ev = fast if fast is not None else (gen_raw, gen_ev)
    assert np.array_equal(fast_raw, gen_raw) and fast_ev == gen_ev
    wr, br, _ = sim_layers._weights(g, layer, lc)
    acc0 = sim_layers._acc0(lc, br, wr.shape[0])
    if accum in ("lossless", "wrap", "sat_bounded"):
        s = lc.accum.frac - product_frac(lc.inputs[0], lc.weight)
        exact = _loop_dwconv(xr, wr, acc0, s, stride, pad)
        acc = exact if accum != "wrap" else lc.accum.cast(exact, carrier(lc.accum.frac))
        assert np.array_equal(fast_raw, lc.result.cast(acc, lc.accum))
        if accum == "wrap":
            assert fast_ev["accum_overflows"] == int(lc.accum.overflows(exact, carrier(lc.accum.frac)).sum()) > 0
        else:
            assert fast_ev["accum_overflows"] == 0
    else:
        # the per-product general path against term-by-term FixedType casts (values; saturating
        # events count every cast that overflows)
        acc, events = _per_step(xr, wr, acc0, lc, layer)
        assert np.array_equal(gen_raw, lc.result.cast(acc, lc.accum))
        if accum == "sat_narrow":
            assert gen_ev["accum_overflows"] == events > 0


def test_dwconv_through_simulate_and_reference_without_bias():
    g = _dw_graph(c=4, size=6, stride=2, pad=1, bias=False)
    c = _dw_config(g, None)
    x = np.random.default_rng(5).uniform(-2, 2, (2,) + g.input_shape).astype(np.float32)
    res = simulate.run(g, x, c)
    assert res.stat("d").sqnr_db > 30
    # the float reference against float64 loops
    w = g.weights["d"]["weight"].astype(np.float64)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    want = np.zeros((2, 4, 3, 3))
    for i in range(3):
        for j in range(3):
            want[:, :, i, j] = (xp[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3] * w[None, :, 0]).sum(axis=(2, 3))
    got = reference.run(g, x)
    assert got.dtype == np.float32 and np.abs(got - want).max() <= 1e-6 * np.abs(want).max()


def _quantized_weights(g, c):
    """g with every weight and bias replaced by its value in the layer's weight/bias type."""
    out = {}
    for name, arrs in g.weights.items():
        lc = c[name]
        q = {"weight": lc.weight.to_float(lc.weight.quantize(arrs["weight"])).astype(np.float32)}
        if "bias" in arrs:
            q["bias"] = lc.bias.to_float(lc.bias.quantize(arrs["bias"])).astype(np.float32)
        out[name] = q
    return g.with_weights(out)


def test_simulate_mobilenet_mini_lossless_truncates_the_exact_layer_value():
    """Default config (lossless accumulators, AP_TRN results). With weights already in their types,
    each conv, dwconv, relu6 and fc output is the float reference of the layer applied to the
    simulator's own inputs, truncated to the result type's LSB: 0 <= ref - out < LSB, up to the
    float32 rounding of the reference (1e-5 of the layer's largest value)."""
    g = zoo.build("mobilenet_mini")
    rng = np.random.default_rng(7)
    g = g.with_weights({n: {k: (v + rng.normal(0, 0.05, v.shape)).astype(np.float32) for k, v in a.items()}
                        for n, a in g.weights.items()})
    c = cfg.load(None, g)
    g = _quantized_weights(g, c)
    x = rng.uniform(0, 1, (3,) + g.input_shape).astype(np.float32)
    fast = simulate.run(g, x, c, reference=False)
    full = simulate.run(g, x, c, reference=True, keep=True)
    assert np.array_equal(fast.raw, full.raw)
    assert all(s.overflows == 0 for s in full.stats)
    checked = set()
    for layer in g.layers[1:]:
        lc = c[layer.name]
        if layer.kind not in ("conv", "dwconv", "relu6", "dense"):
            continue
        ins = [c[s].result.to_float(full.outputs[s]).astype(np.float32) for s in layer.inputs]
        ref = reference.apply(g, layer, ins).astype(np.float64)
        out = lc.result.to_float(full.outputs[layer.name])
        d, tol = ref - out, 1e-5 * max(np.abs(ref).max(), 1.0)
        assert d.min() >= -tol and d.max() < lc.result.lsb + tol, layer.name
        checked.add(layer.kind)
    assert checked == {"conv", "dwconv", "relu6", "dense"}
    st = {s.name: s for s in full.stats}
    assert st["fc"].sqnr_db > 20 and st["conv_dw2"].sqnr_db > 40


@pytest.mark.parametrize("reference_stats", [True, False])
def test_simulate_mobilenet_v1_quarter_32(reference_stats):
    g = zoo.build("mobilenet_v1", alpha=0.25, resolution=32, num_classes=10)
    x = np.random.default_rng(3).uniform(0, 1, (2,) + g.input_shape)
    res = simulate.run(g, x, reference=reference_stats)
    assert res.raw.shape == (2, 10, 1, 1)
    kinds = {s.kind for s in res.stats}
    assert {"dwconv", "relu6"} <= kinds
    if reference_stats:
        assert all(s.sqnr_db is not None for s in res.stats if s.kind != "input")


# --- a depthwise layer equals the conv with block-diagonal weights (values and statistics) ----


def _bd_graph(c=4, h=7, w=7, k=3, stride=1, pad=1, bias=True, seed=0):
    g = Graph("dw", [Input("in", (), shape=(c, h, w)),
                     DepthwiseConv2d("d", ("in",), kernel=k, stride=stride, padding=pad, bias=bias)])
    rng = np.random.default_rng(seed)
    kh, kw = (k, k) if isinstance(k, int) else k
    wts = {"weight": rng.normal(0, 0.7, (c, 1, kh, kw))}
    if bias:
        wts["bias"] = rng.normal(0, 0.7, (c,))
    return g.with_weights({"d": wts})


def _as_conv(g):
    """The depthwise layer `d` as a Conv2d with block-diagonal weights: a zero weight adds a product
    of 0, which neither changes an in-range accumulator nor counts an event."""
    d = g.layer("d")
    c = g.input_shape[0]
    conv = Conv2d("d", ("in",), out_channels=c, kernel=d.kernel, stride=d.stride, padding=d.padding, bias=d.bias)
    w = g.weights["d"]["weight"]
    full = np.zeros((c, c) + tuple(d.kernel), np.float32)
    for i in range(c):
        full[i, i] = w[i, 0]
    wts = {"weight": full}
    if d.bias:
        wts["bias"] = g.weights["d"]["bias"]
    return Graph("dwconv_as_conv", [g.input, conv]).with_weights({"d": wts})


def _bd_config(g, accum="lossless", tin="ap_fixed<10,4>", tw="ap_fixed<8,1>", tb="ap_fixed<8,3>",
           result="ap_fixed<12,5,AP_RND,AP_SAT>"):
    return cfg.load({"precision": {"input": tin, "default": {"weight": tw, "bias": tb, "accum": accum,
                                                             "result": result}}}, g)


BD_ACCUMS = ["lossless", "ap_fixed<18,3>", "ap_fixed<14,2>", "ap_fixed<9,3>", "ap_fixed<24,8,AP_TRN,AP_SAT>",
          "ap_fixed<10,2,AP_RND,AP_SAT>", "ap_fixed<12,3,AP_RND_CONV,AP_SAT_SYM>",
          "ap_fixed<8,1,AP_TRN_ZERO,AP_SAT_ZERO>", "ap_fixed<9,3,AP_TRN,AP_WRAP,1>"]
BD_GEOMS = [  # c, h, w, k, stride, pad, batch, bias
    (4, 7, 7, 3, 1, 1, 1, True), (3, 9, 5, 3, 2, 1, 3, True), (5, 6, 8, 3, 2, 0, 1, False),
    (2, 5, 5, 3, 1, 0, 3, True), (6, 11, 3, 3, 2, 1, 1, True), (3, 4, 4, (1, 3), 1, 0, 2, True),
    (1, 3, 3, 3, 1, 1, 1, True), (7, 13, 13, 5, 2, 1, 2, True)]


@pytest.mark.parametrize("accum", BD_ACCUMS)
@pytest.mark.parametrize("geom", BD_GEOMS, ids=lambda g: "c%d_%dx%d_k%s_s%d_p%d_n%d" % g[:7])
def test_dwconv_equals_block_diagonal_conv(accum, geom):
    c, h, w, k, stride, pad, n, bias = geom
    g = _bd_graph(c, h, w, k, stride, pad, bias, seed=c + h)
    gc = _as_conv(g)
    x = np.random.default_rng(h * w).normal(0, 3, (n,) + g.input_shape)
    got = simulate.run(g, x, _bd_config(g, accum), reference=False)
    want = simulate.run(gc, x, _bd_config(gc, accum), reference=False)
    assert np.array_equal(got.raw, want.raw)
    for sa, sb in zip(got.stats, want.stats):
        assert dataclasses.replace(sa, kind="") == dataclasses.replace(sb, kind=""), (sa, sb)
