"""hls4ml's limits and its departures from plain ap_fixed semantics (docs/hls4ml.md, "Known hls4ml
differences"): each is shown on hls4ml itself, and the bridge either handles it exactly or refuses
it with a one-line ValueError."""
from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

from hwsim.spec import config as cfg
from hwsim.sim import simulate
from hwsim.ir import zoo
from hwsim.ir.graph import AvgPool2d, Conv2d, GlobalAvgPool, Graph, Input, MaxPool2d, ReLU

import torch
import hls4ml
from torch import nn  # noqa: E402

from hwsim.backends.hls4ml import bridge as hb  # noqa: E402
from hwsim.backends.hls4ml import convert as hc  # noqa: E402
from hwsim.backends.hls4ml.runner import predict  # noqa: E402


def _quiet(fn, *a, **k):
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def raw_hls4ml(module, shape, out_dir, io_type="io_parallel", layers=None, default="ap_fixed<16,6>"):
    """Convert a torch module straight through hls4ml (no hwsim checks)."""
    hcfg = _quiet(hls4ml.utils.config_from_pytorch_model, module, shape, granularity="name",
                  default_precision=default, channels_last_conversion="internal")
    for name, prec in (layers or {}).items():
        hcfg["LayerName"][name]["Precision"].update(prec)
    return _quiet(hls4ml.converters.convert_from_pytorch_model, module, output_dir=str(out_dir),
                  backend="Vitis", io_type=io_type, hls_config=hcfg)


def _graph(name, shape, *layers):
    return Graph(name, (Input("input", (), shape=shape),) + tuple(layers))


# --- ceil-mode pools --------------------------------------------------------------------------
def test_hls4ml_ignores_ceil_mode(tmp_path):
    m = nn.Sequential(nn.MaxPool2d(3, 2, ceil_mode=True)).eval()
    assert m(torch.zeros(1, 1, 6, 6)).shape[-1] == 3           # PyTorch: ceil((6-3)/2)+1
    model = raw_hls4ml(m, (1, 6, 6), tmp_path)
    pool = [l for l in model.get_layers() if "Pool" in l.class_name][0]
    assert pool.get_attr("out_width") == 2                      # hls4ml: floor, silently


def test_ceil_pool_rewritten_with_zero_padding(tmp_path):
    g = zoo.build("squeezenet_mini")
    c = cfg.load(None, g)
    model, plan = _quiet(hc.convert, g, c, tmp_path)
    assert dict(plan.ceil_pads) == {"pool1": (1, 1), "pool3": (1, 1)}
    layers = {l.name: l for l in model.get_layers()}
    for name in ("pool1", "pool3"):
        pad, pool = plan.names[name]
        assert layers[pad].class_name == "ZeroPadding2D"
        assert (pool_shape := (layers[pool].get_attr("out_height"), layers[pool].get_attr("out_width")))
        assert pool_shape == g.shape(name)[1:]


def test_ceil_pool_without_relu_is_refused():
    g = _graph("p", (2, 6, 6), MaxPool2d("pool", ("input",), kernel=3, stride=2, ceil_mode=True))
    with pytest.raises(ValueError, match="ignores ceil_mode.*input >= 0"):
        hc.check_supported(g, cfg.load(None, g), "vitis", "parallel")


def test_ceil_pool_that_fits_needs_no_padding():
    g = _graph("p", (2, 7, 7), ReLU("r", ("input",)),
               MaxPool2d("pool", ("r",), kernel=3, stride=2, ceil_mode=True))
    assert hc.ceil_padding(g, g.layer("pool")) == (0, 0)


# --- io_stream pooling ------------------------------------------------------------------------
def test_stream_overlapping_pool_is_refused():
    g = zoo.build("squeezenet_mini")
    with pytest.raises(ValueError, match=r"layer pool1: .*io_stream max pooling needs pool size == stride"):
        hc.check_supported(g, cfg.load(None, g), "vitis", "stream")


@pytest.mark.csim
def test_stream_overlapping_pool_aborts_in_a_child_process(tmp_path):
    m = nn.Sequential(nn.MaxPool2d(3, 2)).eval()
    model = raw_hls4ml(m, (1, 7, 7), tmp_path, io_type="io_stream")
    _quiet(model.write)
    x = np.zeros((1, 7, 7, 1))
    with pytest.raises(RuntimeError, match="SIGABRT.*(Assertion|assert)"):
        predict(tmp_path, x, 9, timeout=600)
    # the caller is still alive and the same project folder can be reused
    assert (tmp_path / "build_lib.sh").is_file()


# --- adaptive average pool --------------------------------------------------------------------
def test_hls4ml_has_no_adaptive_avgpool(tmp_path):
    m = nn.Sequential(nn.AdaptiveAvgPool2d(1)).eval()
    with pytest.raises(Exception, match="AdaptiveAvgPool2d"):
        raw_hls4ml(m, (2, 4, 4), tmp_path)


def test_global_avgpool_exported_as_whole_map_avgpool(tmp_path):
    g = _graph("g", (3, 4, 5), GlobalAvgPool("gap", ("input",)))
    model, plan = _quiet(hc.convert, g, cfg.load(None, g), tmp_path, io="stream")
    layer = {l.name: l for l in model.get_layers()}[plan.names["gap"][-1]]
    assert layer.class_name.endswith("Pooling2D") and layer.get_attr("pool_op") == "Average"
    assert (layer.get_attr("pool_height"), layer.get_attr("pool_width")) == (4, 5)


# --- reuse factor -----------------------------------------------------------------------------
def test_reuse_factor_choice_follows_hls4ml():
    backend = hls4ml.backends.get_backend("Vitis")
    for n_in in range(1, 41):
        for n_out in (1, 2, 3, 4, 6, 7, 8):
            rule = [rf for rf in range(1, n_in * n_out + 1) if hc.hls4ml_accepts(n_in, n_out, rf)]
            assert rule == backend.get_valid_reuse_factors(n_in, n_out)
            capped = [rf for rf in rule if rf <= n_in]
            assert hc.accepted_reuse_factors(n_in, n_out) == capped
            assert capped == [d for d in range(1, n_in + 1) if n_in % d == 0]
            for requested in range(1, n_in * n_out + 1):
                used, why = hc.reuse_factor_choice(requested, n_in, n_out)
                # hls4ml's own nearest choice (ties: the smaller) over the capped list
                assert used == backend.get_closest_reuse_factor(capped, requested)
                assert (why is None) == (used == requested)
                assert why is None or ("capped" in why) == (requested > n_in)


def test_reuse_factor_choice_nearest_and_ties():
    assert hc.reuse_factor_choice(27, 54, 8) == (27, None)
    assert hc.reuse_factor_choice(36, 54, 8)[0] == 27          # 27 and 54 around it: 27 nearer
    assert hc.reuse_factor_choice(45, 54, 8)[0] == 54
    assert hc.reuse_factor_choice(6, 8, 3)[0] == 4             # 4 and 8 tie: the smaller
    assert hc.reuse_factor_choice(2, 3, 5)[0] == 1             # 1 and 3 tie: 1 (Latency)
    used, why = hc.reuse_factor_choice(432, 54, 8)             # pe = simd = 1: n_terms x F
    assert used == 54 and why.startswith("capped at n_terms = 54")
    used, why = hc.reuse_factor_choice(36, 54, 8)
    assert why.startswith("hls4ml accepts 27 and 54 around it")


def test_default_folding_is_capped_at_n_terms_and_recorded(tmp_path):
    import json
    g = zoo.build("fire", in_channels=4, squeeze=2, expand1x1=4, expand3x3=6, size=4)
    doc = {"parallel": {"layers": {"fire.expand1x1": {"pe": 4, "simd": 2}}}}
    c = cfg.load(doc, g)
    # the default folding pe = simd = 1 asks for n_terms x F cycles: more than hls4ml can compute
    assert c["fire.expand3x3"].reuse_factor == 18 * 6 and c["fire.squeeze1x1"].reuse_factor == 4 * 2
    assert c["fire.expand1x1"].reuse_factor == 1
    _quiet(hb.write_project, g, c, tmp_path, "vitis", "parallel")
    res = json.loads((tmp_path / hb.RESOLVED_FILE).read_text())
    reuse = res.pop("reuse_factor")
    assert set(reuse) == {"fire.squeeze1x1", "fire.expand3x3"}
    assert {k: (v["requested"], v["used"], v["n_terms"]) for k, v in reuse.items()} == {
        "fire.squeeze1x1": (8, 4, 4), "fire.expand3x3": (108, 18, 18)}
    assert all(v["reason"].startswith("capped at n_terms") for v in reuse.values())
    by_layer = {v["from"]: v for v in res.values()}
    assert (by_layer["fire.expand3x3"]["reuse_factor"], by_layer["fire.expand3x3"]["strategy"]) == (18, "resource")
    assert (by_layer["fire.squeeze1x1"]["reuse_factor"], by_layer["fire.squeeze1x1"]["strategy"]) == (4, "resource")
    assert (by_layer["fire.expand1x1"]["reuse_factor"], by_layer["fire.expand1x1"]["strategy"]) == (1, "latency")
    # hls4ml printed no reuse-factor warning: it took every value as handed to it
    assert "Invalid ReuseFactor" not in (tmp_path / hb.LOG_FILE).read_text()


# --- weights as text --------------------------------------------------------------------------
def test_weight_text_rounds_unquantized_weights():
    from hls4ml.model.types import FixedPrecisionType, WeightVariable
    t = cfg.FixedType.parse("ap_fixed<8,1>")                    # AP_TRN: floor to 1/128
    w = np.array([np.nextafter(np.float32(2 ** -7), np.float32(0))], dtype=np.float32)
    var = WeightVariable("w", "w_t", FixedPrecisionType(8, 1), w)
    text = list(var)[0]
    assert text == "0.0078125"                                  # '{:.7f}': rounded up to 1 LSB
    assert t.quantize([float(text)])[0] == 1 and t.quantize(w)[0] == 0


def test_bridge_hands_hls4ml_exact_weights():
    from hls4ml.model.types import FixedPrecisionType, WeightVariable
    g = zoo.build("fire", in_channels=4, squeeze=2, expand1x1=4, expand3x3=4, size=4)
    c = cfg.load(None, g)
    q = hc.quantized_weights(g, c)
    for name, arrs in q.weights.items():
        t = c[name].weight
        var = WeightVariable("w", "w_t", FixedPrecisionType(t.width, t.integer), arrs["weight"].ravel())
        back = np.array([float(s) for s in var])
        assert np.array_equal(back, arrs["weight"].ravel().astype(np.float64))
        assert np.array_equal(t.quantize(back), t.quantize(g.weights[name]["weight"]).ravel())


# --- types hls4ml would pick by itself --------------------------------------------------------
def test_relu_auto_type_is_the_default_precision_not_its_input(tmp_path):
    m = nn.Sequential(nn.Conv2d(2, 2, 1), nn.ReLU()).eval()
    model = raw_hls4ml(m, (2, 3, 3), tmp_path, layers={"_0": {"result": "ap_fixed<20,8>"}})
    types = {l.class_name: l.get_attr("result_t").precision.definition_cpp() for l in model.get_layers()}
    assert types["Activation"].replace(" ", "") .startswith("ap_fixed<16,6")


def test_bridge_sets_every_type_explicitly(tmp_path):
    g = zoo.build("squeezenet_mini")
    c = cfg.load({"precision": {"layers": {"conv1": {"result": "ap_fixed<20,8>"}}}}, g)
    model, plan = _quiet(hc.convert, g, c, tmp_path)
    res = hc.resolved_config(model, g, plan)
    assert cfg.FixedType.parse(res[plan.names["conv1.relu"][-1]]["result"]) == cfg.FixedType.parse("ap_fixed<20,8>")
    # io_parallel max pooling casts the window maximum to accum_t: the bridge makes it the input type
    pool = res[plan.names["pool1"][-1]]
    assert cfg.FixedType.parse(pool["accum"]) == c["pool1"].inputs[0]


@pytest.mark.csim
def test_maxpool_goes_through_accum_t(tmp_path):
    m = nn.Sequential(nn.MaxPool2d(2)).eval()
    model = raw_hls4ml(m, (1, 4, 4), tmp_path, layers={"_0": {"accum": "ap_fixed<8,3>"}})
    _quiet(model.write)
    x = np.arange(16, dtype=np.float64).reshape(1, 4, 4, 1) / 64 + 1 / 1024   # 10 fractional bits
    y = predict(tmp_path, x, 4, timeout=600)
    expect = x.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(4, 4).max(axis=1)
    assert np.array_equal(y[0], np.floor(expect * 32) / 32)      # on ap_fixed<8,3>'s grid, not <16,6>'s
    assert not np.array_equal(y[0], expect)


# --- arithmetic refused because hls4ml's order or rounding point differs ----------------------
def test_saturating_accumulator_is_refused():
    g = zoo.build("fire", in_channels=4, squeeze=2, expand1x1=4, expand3x3=4, size=4)
    c = cfg.load({"precision": {"default": {"accum": "ap_fixed<16,6,AP_TRN,AP_SAT>"}}}, g)
    with pytest.raises(ValueError, match="layer fire.squeeze1x1: accumulator .* saturates"):
        hc.check_supported(g, c, "vitis", "parallel")


def test_pool_accumulator_rounding_mode_is_refused():
    g = _graph("g", (2, 4, 4), GlobalAvgPool("gap", ("input",)))
    c = cfg.load({"precision": {"layers": {"gap": {"accum": "ap_fixed<16,6,AP_RND_CONV>"}}}}, g)
    with pytest.raises(ValueError, match="layer gap: accumulator .*rounds `acc \\+ x`"):
        hc.check_supported(g, c, "vitis", "parallel")


def test_unsigned_padded_maxpool_is_refused():
    g = _graph("g", (2, 4, 4), MaxPool2d("pool", ("input",), kernel=3, stride=1, padding=1))
    c = cfg.load({"precision": {"input": "ap_ufixed<8,4>"}}, g)
    with pytest.raises(ValueError, match="top bit is set.*unsigned"):
        hc.check_supported(g, c, "vitis", "parallel")


def test_ap_int2_weights_are_refused():
    g = zoo.build("fire", in_channels=4, squeeze=2, expand1x1=4, expand3x3=4, size=4)
    c = cfg.load({"precision": {"default": {"weight": "ap_int<2>"}}}, g)
    with pytest.raises(ValueError, match="fire.squeeze1x1: .*ternary"):
        hc.check_supported(g, c, "vitis", "parallel")
    hc.check_supported(g, cfg.load({"precision": {"default": {"weight": "ap_fixed<2,1>"}}}, g),
                       "vitis", "parallel")


@pytest.mark.csim
def test_ap_int2_weight_minus_two_multiplies_as_plus_one(tmp_path):
    m = nn.Sequential(nn.Conv2d(1, 1, 1, bias=False)).eval()
    with torch.no_grad():
        m[0].weight.fill_(-2.0)
    model = raw_hls4ml(m, (1, 2, 2), tmp_path, layers={"_0": {"weight": "ap_int<2>"}})
    _quiet(model.write)
    x = np.array([[[[1.0], [2.0]], [[-1.0], [0.5]]]])
    y = predict(tmp_path, x, 4, timeout=600)
    assert np.array_equal(y[0], x.ravel())          # ap_int<2> -2 times x should be -2x


@pytest.mark.csim
def test_unsigned_max_pool_padding_is_a_large_value(tmp_path):
    m = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1)).eval()
    model = raw_hls4ml(m, (1, 3, 3), tmp_path, default="ap_ufixed<8,4>")
    _quiet(model.write)
    y = predict(tmp_path, np.full((1, 3, 3, 1), 0.5), 9, timeout=600)
    # every window that touches the padding returns the pad value 2**3 (MSB set), not 0.5
    assert np.array_equal(y[0], [8, 8, 8, 8, 0.5, 8, 8, 8, 8])



# --- average pooling divides toward zero ------------------------------------------------------
@pytest.mark.csim
def test_average_pools_truncate_toward_zero(tmp_path):
    g = zoo.he_init(_graph("avg", (3, 6, 6), Conv2d("conv", ("input",), out_channels=4, kernel=1),
                           AvgPool2d("avg", ("conv",), kernel=3, stride=3),
                           GlobalAvgPool("gap", ("avg",))), seed=3)
    doc = {"precision": {"default": {"accum": "ap_fixed<20,10>"}}}   # frac bits == result's
    c = cfg.load(doc, g)
    hb.write_project(g, c, tmp_path, "vitis", "parallel")
    rng = np.random.default_rng(5)
    x_raw = c.input.quantize(rng.standard_normal((4, 3, 6, 6)) * 2)
    got = hb.hls4ml_raw(tmp_path, g, c, x_raw, timeout=600)
    sim = simulate.run(g, c.input.to_float(x_raw), c, reference=False, keep=True)
    assert np.array_equal(got, sim.raw)
    # a floor division would give other values on negative averages: the check can tell them apart
    avg = sim.outputs["avg"]
    total = avg.sum(axis=(2, 3), keepdims=True) << (c["gap"].accum.frac - c["avg"].result.frac)
    floor = c["gap"].result.cast(total // 4, c["gap"].accum)
    assert (floor != sim.raw).any() and (sim.raw < 0).any()


# --- depthwise convolution and ReLU6 (MobileNet) -------------------------------------------------
@pytest.mark.parametrize("module,msg", [
    (nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, groups=4)), "Non-default options for groups not implemented"),
    (nn.Sequential(nn.Conv2d(4, 4, 1), nn.ReLU6()), "Unsupported layer ReLU6"),
])
def test_hls4ml_has_no_depthwise_conv_or_relu6(tmp_path, module, msg):
    with pytest.raises(Exception, match=msg):
        raw_hls4ml(module.eval(), (4, 6, 6), tmp_path)


def test_mobilenet_is_refused_in_one_line(tmp_path):
    g = zoo.build("mobilenet_mini")
    with pytest.raises(ValueError) as e:
        hc.check_supported(g, cfg.load(None, g), "vitis", "parallel")
    text = str(e.value)
    assert text.startswith("layer conv1.relu: hls4ml 1.3.0's PyTorch frontend has no ReLU6") and "\n" not in text
    from hwsim.ir.graph import DepthwiseConv2d
    d = zoo.he_init(_graph("dw", (4, 6, 6), DepthwiseConv2d("dw", ("input",), kernel=3, padding=1)))
    with pytest.raises(ValueError, match="layer dw: hls4ml 1.3.0's PyTorch frontend has no depthwise"):
        hc.check_supported(d, cfg.load(None, d), "vitis", "parallel")
