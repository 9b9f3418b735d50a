"""The simulator against independent implementations: an int64 convolution written from scratch and a
per-product loop that calls FixedType.cast on every product (hls4ml's narrow-accumulator semantics)."""
import itertools

import numpy as np
import pytest

from hwsim.spec import config as cfg
from hwsim.sim import simulate
from hwsim.ir import zoo
from hwsim.ir.graph import Conv2d, Graph, Input
from hwsim.fixed.rules import add_type, mul_type


def conv_graph(cin=5, cout=4, k=3, stride=1, pad=1, size=7, seed=0):
    g = Graph("conv", [Input("in", (), shape=(cin, size, size)),
                       Conv2d("c", ("in",), out_channels=cout, kernel=k, stride=stride, padding=pad)])
    rng = np.random.default_rng(seed)
    return g.with_weights({"c": {"weight": rng.normal(0, 0.5, (cout, cin, k, k)),
                                 "bias": rng.normal(0, 0.5, (cout,))}})


def int64_conv(x, w, stride, pad):
    """Plain loops: sum over (c, kh, kw) of x*w, zero padding, int64."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), np.int64)
    xp[:, :, pad:pad + h, pad:pad + wd] = x
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n, o, oh, ow), np.int64)
    for i, j in itertools.product(range(oh), range(ow)):
        patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
        out[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w)
    return out


@pytest.mark.parametrize("stride,pad,k", [(1, 1, 3), (2, 0, 3), (1, 0, 1), (2, 1, 3)])
@pytest.mark.parametrize("prec", ["ap_fixed<16,6>", "ap_fixed<8,3>", "ap_fixed<4,2>"])
def test_conv_lossless_equals_int64_conv(stride, pad, k, prec):
    g = conv_graph(k=k, stride=stride, pad=pad)
    c = cfg.load({"precision": {"input": prec, "default": {"weight": prec, "bias": prec,
                                                           "result": "ap_fixed<40,20>"}}}, g)
    x = np.random.default_rng(1).normal(0, 2, (2,) + g.input_shape)
    res = simulate.run(g, x, c, reference=False)
    lc = c["c"]
    xr = lc.inputs[0].quantize(x)
    wr = lc.weight.quantize(g.weights["c"]["weight"])
    br = lc.bias.quantize(g.weights["c"]["bias"])
    pf = lc.inputs[0].frac + lc.weight.frac
    acc = int64_conv(xr, wr, stride, pad) << (lc.accum.frac - pf)
    acc = acc + (br << (lc.accum.frac - lc.bias.frac))[None, :, None, None]
    expect = lc.result.cast(acc, lc.accum)
    assert res.raw.shape == expect.shape
    assert int((res.raw != expect).sum()) == 0
    assert lc.accum_lossless and lc.accum.width <= 63


def per_product_reference(x, w, b, tin, tw, tb, acc_t, res_t, stride, pad):
    """acc = (accum_t)bias; acc += (accum_t)(x*w) term by term in (c, kh, kw) order; scalar casts."""
    pt = mul_type(tin, tw)
    st = add_type(acc_t, acc_t)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n, o, oh, ow), np.int64)
    for ni, oi, i, j in itertools.product(range(n), range(o), range(oh), range(ow)):
        acc = int(acc_t.cast(np.array([b[oi]]), tb)[0])
        for ci, a, bb in itertools.product(range(c), range(kh), range(kw)):
            y, xx = i * stride + a - pad, j * stride + bb - pad
            xv = int(x[ni, ci, y, xx]) if 0 <= y < h and 0 <= xx < wd else 0
            p = int(acc_t.cast(np.array([xv * int(w[oi, ci, a, bb])]), pt)[0])
            acc = int(acc_t.cast(np.array([(acc + p) << (st.frac - acc_t.frac)]), st)[0])
        out[ni, oi, i, j] = res_t.cast(np.array([acc]), acc_t)[0]
    return out


@pytest.mark.parametrize("accum", ["ap_fixed<16,6>", "ap_fixed<12,3,AP_RND,AP_SAT>",
                                   "ap_fixed<14,4,AP_RND_CONV,AP_SAT_SYM>", "ap_fixed<10,2,AP_TRN_ZERO,AP_SAT_ZERO>",
                                   "ap_fixed<20,8,AP_RND_INF>", "ap_fixed<9,3,AP_TRN,AP_WRAP,1>"])
def test_conv_narrow_accum_equals_per_product_loop(accum):
    g = conv_graph(cin=3, cout=3, size=5, stride=2, pad=1)
    c = cfg.load({"precision": {"input": "ap_fixed<10,4>",
                                "default": {"weight": "ap_fixed<8,1>", "bias": "ap_fixed<8,3>",
                                            "accum": accum, "result": "ap_fixed<8,4,AP_RND,AP_SAT>"}}}, g)
    x = np.random.default_rng(2).normal(0, 3, (2,) + g.input_shape)
    res = simulate.run(g, x, c, reference=False)
    lc = c["c"]
    xr = lc.inputs[0].quantize(x)
    wr = lc.weight.quantize(g.weights["c"]["weight"])
    br = lc.bias.quantize(g.weights["c"]["bias"])
    expect = per_product_reference(xr, wr, br, lc.inputs[0], lc.weight, lc.bias, lc.accum, lc.result, 2, 1)
    assert not lc.accum_lossless
    assert int((res.raw != expect).sum()) == 0


def test_narrow_accum_really_differs_from_lossless():
    g = conv_graph()
    x = np.random.default_rng(3).normal(0, 2, (1,) + g.input_shape)
    lossless = simulate.run(g, x, cfg.load(None, g), reference=False).raw
    narrow = simulate.run(g, x, cfg.load({"precision": {"default": {"accum": "ap_fixed<16,6>"}}}, g),
                          reference=False).raw
    assert (lossless != narrow).any()


def test_fire_stats_and_sqnr():
    g = zoo.build("fire", in_channels=96, squeeze=16, expand1x1=32, expand3x3=32, size=9)
    x = np.random.default_rng(4).normal(0, 1, (2,) + g.input_shape)
    c = cfg.load({"precision": {"default": {"weight": "ap_fixed<8,2,AP_RND_CONV,AP_SAT>"}}}, g)
    r = simulate.run(g, x, c)
    assert all(s.weight_overflows == 0 for s in r.stats)
    names = [s.name for s in r.stats]
    assert names == g.names()
    cat = r.stat(g.output.name)
    assert cat.sqnr_db is not None and 20 < cat.sqnr_db < 60
    # two more weight bits buy roughly 12 dB
    c10 = cfg.load({"precision": {"default": {"weight": "ap_fixed<10,2,AP_RND_CONV,AP_SAT>"}}}, g)
    assert simulate.run(g, x, c10).stat(g.output.name).sqnr_db > cat.sqnr_db + 8
    assert np.array_equal(r.values, c[g.output.name].result.to_float(r.raw))


def test_overflow_and_saturation_counted():
    g = conv_graph()
    x = np.random.default_rng(5).normal(0, 4, (1,) + g.input_shape)
    sat = cfg.load({"precision": {"default": {"result": "ap_fixed<6,2,AP_TRN,AP_SAT>"}}}, g)
    wrap = cfg.load({"precision": {"default": {"result": "ap_fixed<6,2>"}}}, g)
    s1, s2 = simulate.run(g, x, sat).stat("c"), simulate.run(g, x, wrap).stat("c")
    assert s1.overflows == s2.overflows > 0
    assert s1.saturations == s1.overflows and s2.saturations == 0
    vals = simulate.run(g, x, sat).values
    assert vals.max() <= 2 - 2 ** -4 and vals.min() >= -2


def test_nan_input_follows_ap_fixed_and_is_counted():
    g = conv_graph()
    x = np.zeros((1,) + g.input_shape)
    x[0, 0, 0, 0] = np.nan
    x[0, 1, 0, 0] = np.inf
    c = cfg.load({"precision": {"input": "ap_fixed<8,3,AP_TRN,AP_SAT>"}}, g)
    r = simulate.run(g, x, c, keep=True, reference=False)
    s = r.stat("in")
    assert s.nans == 1 and s.overflows == 2
    assert r.outputs["in"][0, 0, 0, 0] == 127 and r.outputs["in"][0, 1, 0, 0] == 127


def test_wrong_input_shape_names_both():
    g = conv_graph()
    with pytest.raises(ValueError, match=r"\(1, 5, 8, 8\).*expected \(N, 5, 7, 7\)"):
        simulate.run(g, np.zeros((1, 5, 8, 8)))


@pytest.mark.parametrize("size", [7, 8, 13])
def test_ceil_mode_pool_ignores_overhang(size):
    """On negative inputs a zero-filled overhang would give 0 at the ragged edge."""
    from hwsim.ir.graph import MaxPool2d
    from hwsim.sim import reference
    g = Graph("p", [Input("in", (), shape=(3, size, size)),
                    MaxPool2d("pool", ("in",), kernel=3, stride=2, ceil_mode=True)])
    x = -np.abs(np.random.default_rng(6).normal(0, 1, (2,) + g.input_shape)) - 0.01
    c = cfg.load({"precision": {"input": "ap_fixed<12,4,AP_RND_CONV,AP_SAT>"}}, g)
    r = simulate.run(g, x, c, reference=False)
    expect = c["in"].result.quantize(reference.run(g, x.astype(np.float64)))
    assert r.raw.shape == expect.shape
    assert (r.raw < 0).all() and int((r.raw != expect).sum()) == 0


def test_weight_overflow_counted():
    g = zoo.build("fire", in_channels=8, squeeze=4, expand1x1=8, expand3x3=8, size=5)
    x = np.random.default_rng(7).normal(0, 1, (1,) + g.input_shape)
    r = simulate.run(g, x, cfg.load(None, g), reference=False)
    w = g.weights["fire.expand1x1"]["weight"]
    # ap_fixed<8,1,AP_RND_CONV> holds [-1, 1 - 2**-7]; values from 1 - 2**-8 up round to 1
    expect = int(((w >= 1 - 2 ** -8) | (w < -1 - 2 ** -8)).sum())
    assert expect > 0 and r.stat("fire.expand1x1").weight_overflows == expect
