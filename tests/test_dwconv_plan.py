"""Depthwise convolutions and ReLU6 in the hardware plan (hwsim.hw.units.dwu, hwsim.hw.pipeline),
the fold (hwsim.hw.fold) and the generated project (parameters, weights layout, call)."""
from __future__ import annotations

import numpy as np
import pytest

from hwsim.backends.hls.render import render
from hwsim.hw import fold, io_order, pipeline
from hwsim.ir import zoo
from hwsim.spec import config as cfg
from hwsim.spec import devices
from hwsim.util.errors import InputError


@pytest.fixture(scope="module")
def mini():
    return zoo.build("mobilenet_mini")


def test_dwconv_is_a_window_then_a_depthwise_unit(mini):
    plan = pipeline.build(mini, cfg.load({"parallel": {"layers": {"conv_dw3": {"pe": 4}}}}, mini))
    lp = plan.layer("conv_dw3")
    assert [u.kind for u in lp.units] == ["convert", "swu", "dwu"]     # 1 -> 4 values per beat, then the window
    swu, dwu = lp.unit("swu"), lp.unit("dwu")
    c, oh, ow = mini.shape("conv_dw3")
    assert swu.field("simd") == 4 and dwu.field("pe") == 4
    assert dwu.cycles == oh * ow * (c // 4) * 9
    assert dwu.field("activation") == 2 and plan.layer("conv_dw3.relu").note.startswith("fused into conv_dw3")
    mems = {m.role: m for m in dwu.memories}
    assert (mems["weights"].count, mems["weights"].depth, mems["weights"].width) == (4, c // 4 * 9, 8)
    assert (mems["biases"].count, mems["biases"].depth) == (4, c // 4)
    assert mems["accumulators"].count == 4
    assert dwu.multipliers == 4
    o = io_order.order(dwu)
    assert o.period == 9 and o.pattern[:, 0].all() and o.pattern[:, 1].tolist() == [False] * 8 + [True]


def test_conv_and_dense_take_the_relu6_code(mini):
    plan = pipeline.build(mini, cfg.load(None, mini))
    assert plan.layer("conv1").unit("mvau").field("activation") == 2
    assert plan.layer("fc").unit("mvau").field("activation") == 0


def test_dwconv_simd_other_than_1_or_kw_is_refused_in_one_line(mini):
    with pytest.raises(InputError) as e:          # refused where the config is loaded
        cfg.load({"parallel": {"layers": {"conv_dw2": {"pe": 2, "simd": 9}}}}, mini)
    msg = str(e.value)
    assert msg == ("layer conv_dw2: simd 9 is not a depthwise layer's kernel taps per cycle (1, or the kernel "
                   "width 3: one kernel row); valid simd: 1, 3")
    assert "\n" not in msg
    with pytest.raises(InputError, match="simd 2 is not a depthwise layer's kernel taps per cycle"):
        cfg.load({"parallel": {"layers": {"conv_dw2": {"simd": 2}}}}, mini)
    with pytest.raises(InputError, match="reuse_factor 5 is not achievable .* simd from its kernel taps per cycle"):
        cfg.load({"parallel": {"layers": {"conv_dw2": {"reuse_factor": 5}}}}, mini)
    rf = cfg.load({"parallel": {"layers": {"conv_dw2": {"reuse_factor": 24}}}}, mini)["conv_dw2"]
    assert (rf.pe, rf.simd, rf.reuse_factor) == (2, 3, 24)


def test_dwconv_at_simd_kw_takes_one_kernel_row_per_cycle(mini):
    plan = pipeline.build(mini, cfg.load({"parallel": {"layers": {"conv_dw3": {"pe": 2, "simd": 3}}}}, mini))
    lp = plan.layer("conv_dw3")
    swu, dwu = lp.unit("swu"), lp.unit("dwu")
    c, oh, ow = mini.shape("conv_dw3")
    assert swu.field("taps") == 3 and swu.field("simd") == 2 and swu.out_width == 6 and dwu.field("simd") == 3
    assert dwu.cycles == oh * ow * (c // 2) * 3 and dwu.multipliers == 6
    assert plan.stream("conv_dw3/swu:out").width == 6 and plan.stream("conv_dw3/swu:out").beats == dwu.cycles
    mems = {m.role: m for m in dwu.memories}
    assert (mems["weights"].count, mems["weights"].depth, mems["weights"].width) == (2, c // 2 * 3, 24)
    assert {m.role: m.count for m in swu.memories}["window buffer"] == 3
    o = io_order.order(dwu)
    assert o.period == 3 and o.pattern[:, 0].all() and o.pattern[:, 1].tolist() == [False, False, True]
    one = pipeline.build(mini, cfg.load({"parallel": {"layers": {"conv_dw3": {"pe": 2}}}}, mini))
    assert one.layer("conv_dw3").unit("dwu").cycles == 3 * dwu.cycles
    assert "taps" not in dict(one.layer("conv_dw3").unit("swu").fields)     # simd 1: the fields of before
    assert "simd" not in dict(one.layer("conv_dw3").unit("dwu").fields)


def test_lone_relu6_is_refused():
    from hwsim.ir.graph import ReLU6
    g = zoo.build("mobilenet_mini")
    layers = list(g.layers)
    i = next(k for k, l in enumerate(layers) if l.name == "pool")
    bad = ReLU6("pool.relu6", ("pool",))
    try:
        g2 = type(g)(g.name, layers[:i + 1] + [bad] + [_rewire(l, "pool", "pool.relu6") for l in layers[i + 1:]])
    except TypeError:
        pytest.skip("Graph constructor differs")
    with pytest.raises(ValueError, match="a ReLU6 is supported only right after"):
        pipeline.build(g2, cfg.load(None, g2))


def _rewire(layer, old, new):
    from dataclasses import replace
    return replace(layer, inputs=tuple(new if x == old else x for x in layer.inputs))


def test_fold_chooses_dwconv_pe_first_then_simd_kw(mini):
    r = fold.fold(mini, cfg.load(None, mini), devices.get("zu3eg"))
    assert r.fits
    dws = [c for c in r.choices if c.layer.startswith("conv_dw")]
    assert dws and all(c.simd in (1, 3) for c in dws) and any(c.pe * c.simd > 1 for c in dws)
    opts = fold._Candidates(mini, cfg.load(None, mini), devices.get("zu3eg")).options["conv_dw3"]
    # PE first: a kernel row per cycle (simd 3) only once pe covers all 32 channels
    assert {(c.pe, c.simd) for c in opts} == {(pe, 1) for pe in pipeline.divisors(32)} | {(32, 3)}
    assert r.plan.timing.interval == r.plan.bottleneck.cycles


def test_generated_dwu_parameters_weights_and_call(mini):
    g = mini
    c = cfg.load({"parallel": {"layers": {"conv_dw2": {"pe": 4}}}}, g)
    files = render(g, c)
    params = files["firmware/parameters.h"]
    body = params[params.index("struct config_conv_dw2_dwu {"):]
    body = body[:body.index("};")]
    for line in ("pe = 4;", "cf = 4;", "taps = 9;", "activation = 2;", "typedef int8_t weight_raw_t;"):
        assert line in body
    top = files["firmware/top.cpp"]
    assert "hwsim::dwu<hwsim::beat<t_conv1_relu, 4>, hwsim::beat<t_conv_dw2_relu, 4>, config_conv_dw2_dwu>" in top
    w = next(v for k, v in files.items() if k.endswith("w_conv_dw2.cpp"))
    assert "w_conv_dw2[4][36]" in w and "b_conv_dw2[4][4]" in w
    assert files == render(g, c)                         # deterministic


def test_fold_keeps_the_weight_type_given_on_load():
    """A config loaded with weight_type (the command line's --weight-type) is folded at that type."""
    g = zoo.build("mobilenet_mini")
    c = cfg.load(None, g, weight_type="ap_fixed<4,auto>")
    r = fold.fold(g, c, devices.get("zu3eg"))
    assert all(r.config[n].weight == c[n].weight for n in c.layers if c[n].weight is not None)
    assert r.config["conv_pw2"].weight.width == 4


def test_fold_and_budget_commands_on_mobilenet(tmp_path, capsys):
    from hwsim import cli
    out = tmp_path / "folded.yaml"
    assert cli.main(["fold", "--model", "mobilenet_mini", "--device", "zu3eg", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "FOLDED:" in text and "conv_dw2" in text and out.is_file()
    assert cli.main(["budget", "--model", "mobilenet_mini", "--config", str(out)]) == 0
    text = capsys.readouterr().out
    assert "dwconv" in text and "relu6" in text
