"""Bit-exact C simulation of generated projects against hwsim.sim.simulate (0 mismatches), the lint on
every generated project, the build cache, and the csim command's report and exit codes."""
from __future__ import annotations

import numpy as np
import pytest

from hwsim import cli
from hwsim.spec import config as cfg
from hwsim.backends import project
from hwsim.backends.hls.backend import build as build_exe
from hwsim.backends.hls.lint import lint
from hwsim.backends.csim import compare, random_inputs
from hwsim.backends.project import generate_project

from codegen_helpers import build

pytestmark = pytest.mark.csim

FIRE_CASES = {
    "fire_16bit_lossless": (
        dict(in_channels=12, squeeze=6, expand1x1=8, expand3x3=8, size=9),
        {"precision": {"input": "ap_fixed<16,6>",
                       "default": {"weight": "ap_fixed<16,2,AP_RND_CONV,AP_SAT>", "bias": "ap_fixed<16,6>",
                                   "result": "ap_fixed<16,6,AP_TRN,AP_SAT>", "accum": "lossless"}}}),
    "fire_8bit_narrow_sat_accum": (
        dict(in_channels=7, squeeze=5, expand1x1=6, expand3x3=4, size=6),
        {"precision": {"input": "ap_fixed<8,3>",
                       "default": {"weight": "ap_fixed<8,1,AP_RND_CONV,AP_SAT>", "bias": "ap_fixed<8,3>",
                                   "result": "ap_fixed<8,3,AP_RND,AP_SAT>",
                                   "accum": "ap_fixed<12,4,AP_RND,AP_SAT>"}}}),
    "fire_4bit_wrap_accum": (
        dict(in_channels=5, squeeze=3, expand1x1=4, expand3x3=4, size=5),
        {"precision": {"input": "ap_fixed<4,2>",
                       "default": {"weight": "ap_fixed<4,1,AP_RND_CONV,AP_SAT>", "bias": "ap_fixed<4,2>",
                                   "result": "ap_fixed<4,2,AP_TRN,AP_SAT>", "accum": "ap_fixed<8,3>"},
                       "layers": {"fire.squeeze1x1.relu": {"result": "ap_ufixed<4,2>"}}}}),
    "fire_mixed_per_layer": (
        dict(in_channels=8, squeeze=4, expand1x1=5, expand3x3=7, size=7),
        {"precision": {"input": "ap_fixed<12,4,AP_RND,AP_SAT>",
                       "layers": {
                           "fire.squeeze1x1": {"weight": "ap_fixed<4,1,AP_RND_CONV,AP_SAT>"},
                           "fire.squeeze1x1.relu": {"result": "ap_ufixed<8,4,AP_RND,AP_SAT>"},
                           "fire.expand1x1": {"result": "ap_fixed<12,5,AP_RND,AP_SAT>", "accum": "ap_fixed<18,6>"},
                           "fire.expand3x3": {"weight": "ap_fixed<6,1,AP_RND_CONV,AP_SAT>",
                                              "accum": "ap_fixed<14,6,AP_RND_CONV,AP_WRAP>"},
                           "fire.concat": {"result": "ap_fixed<10,4,AP_RND_CONV,AP_SAT>"}}}}),
    # a whole fire module on a non-square map, unsigned branch types and a wide accumulator (the
    # composition the kernel tests once checked on a hand-written fire() against naive C++)
    "fire_non_square_unsigned_branches": (
        dict(input_shape=(6, 5, 7), squeeze=3, expand1x1=4, expand3x3=4),
        {"precision": {"input": "ap_fixed<8,3>",
                       "default": {"weight": "ap_fixed<8,1>", "bias": "ap_fixed<10,3>", "accum": "ap_fixed<24,10>",
                                   "result": "ap_fixed<16,6>"},
                       "layers": {"fire.squeeze1x1.relu": {"result": "ap_ufixed<8,3>"},
                                  "fire.expand1x1.relu": {"result": "ap_ufixed<8,3>"},
                                  "fire.expand3x3.relu": {"result": "ap_ufixed<8,3>"},
                                  "fire.concat": {"result": "ap_ufixed<8,3>"}}}}),
}

NET_CASES = {
    "squeezenet1_0": dict(input_shape=(3, 32, 32), num_classes=10),
    "squeezenet1_1": dict(input_shape=(3, 48, 48), num_classes=10),
    "squeezenet1_0_complex_bypass": dict(input_shape=(3, 32, 32), num_classes=10),
    "squeezenet1_0_simple_bypass": dict(input_shape=(3, 32, 32), num_classes=10),
    "squeezenet_mini": dict(),
    "fire": dict(in_channels=12, squeeze=6, expand1x1=8, expand3x3=8, size=7),
    "mobilenet_mini": dict(),
    "mobilenet_v1": dict(alpha=0.25, resolution=32, num_classes=10),
}


def _divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


def folding(graph, kind):
    """A `parallel` section: 'wide' (every conv / dense at pe = F, simd = C; every depthwise conv at
    pe = C), or 'mixed' (pe and simd small divisors that differ from layer to layer, and pools at
    pe 1, so that width converters appear between most stages), or 'taps' (mixed, and every
    depthwise conv at simd = KW, one kernel row per cycle, with pe > 1)."""
    layers = {}
    for i, l in enumerate(graph.layers):
        if l.kind in ("conv", "dense"):
            c = graph.in_shapes(l)[0][0]
            src = l.inputs[0]
            while graph.layer(src).wiring:
                src = graph.layer(src).inputs[0]
            c = graph.shape(src)[0]
            f = graph.shape(l.name)[0]
            if kind == "wide":
                layers[l.name] = {"pe": f, "simd": c}
            else:
                layers[l.name] = {"pe": [d for d in _divisors(f) if d <= 1 + i % 4][-1],
                                  "simd": [d for d in _divisors(c) if d <= 1 + (i + 1) % 3][-1]}
        elif l.kind == "dwconv":            # one kernel tap per cycle (pe only), or one row ('taps')
            c = graph.shape(l.name)[0]
            layers[l.name] = {"pe": c if kind == "wide" else [d for d in _divisors(c) if d <= 2 + i % 3][-1]}
            if kind == "taps":
                layers[l.name]["simd"] = l.kernel[1]
        elif l.kind in ("maxpool", "avgpool") and kind in ("mixed", "taps"):
            layers[l.name] = {"pe": 1}
    return {"layers": layers}


def _check(tmp_path, name, kwargs, doc, images=2, fold=None, bounded=False):
    g = build(name, **kwargs)
    if fold is not None:
        doc = {**(doc or {}), "parallel": folding(g, fold)}
    c = cfg.load(doc, g)
    out = generate_project(g, c, tmp_path / name, kwargs)
    assert lint(out) == []
    proj = project.read(out)
    res = compare(proj, images=images, seed=7, progress=False, bounded=bounded)
    assert res["mismatches"] == 0, res
    # every kernel's counted iterations equal its plan's cycles
    from hwsim.hw import pipeline
    plan = pipeline.build(g, c)
    assert res["cycles"]["kernels"] == len(plan.units) and res["cycles"]["differ"] == [], res["cycles"]
    assert res["cycles"]["bottleneck"][2] == plan.bottleneck.cycles
    # the comparison is meaningful: the expected outputs are not constant
    from hwsim.sim import simulate
    x, _ = random_inputs(proj.graph, proj.config, images, 7)
    raw = simulate.run(proj.graph, x, proj.config, reference=False).raw
    assert len(np.unique(raw)) > 2
    return out, proj


@pytest.mark.parametrize("case", sorted(FIRE_CASES))
def test_fire_bit_exact(tmp_path, case):
    kwargs, doc = FIRE_CASES[case]
    _check(tmp_path, "fire", kwargs, doc)


@pytest.mark.parametrize("name", sorted(NET_CASES))
@pytest.mark.parametrize("fold", [None, "mixed", "wide"])
def test_network_bit_exact(tmp_path, name, fold):
    """Every zoo network C-simulated in CI at pe = simd = 1, and at a mixed folding and the widest
    one in the bounded C simulation (every kernel a thread, every stream at its generated depth:
    it finishes, so the depths do not deadlock; AlexNet's 4096 x 4096 dense layers are too large a
    C++ file for CI)."""
    _check(tmp_path, name, NET_CASES[name], None, fold=fold, bounded=fold is not None)


@pytest.mark.parametrize("case", ["fire_8bit_narrow_sat_accum", "fire_4bit_wrap_accum", "fire_mixed_per_layer"])
@pytest.mark.parametrize("fold", ["mixed", "wide"])
def test_fire_folded_bit_exact(tmp_path, case, fold):
    """Narrow saturating, wrapping and mixed accumulators at SIMD > 1. A saturating accumulator adds
    in the kernel's order, which equals the simulator's on 1x1 kernels only: its 3x3 layer keeps
    simd 1 (the combination is refused otherwise, see test_saturating_simd_on_3x3_is_refused)."""
    kwargs, doc = FIRE_CASES[case]
    g = build("fire", **kwargs)
    par = folding(g, fold)
    c0 = cfg.load(doc, g)
    from hwsim.hw.pipeline import order_sensitive
    for name, p in par["layers"].items():
        if g.layer(name).kind == "conv" and g.layer(name).kernel != (1, 1) and order_sensitive(c0[name]):
            p["simd"] = 1
    doc = {**doc, "parallel": par}
    _check(tmp_path, "fire", kwargs, doc)


def test_saturating_simd_on_3x3_is_refused(tmp_path):
    from hwsim.util.errors import InputError
    kwargs, doc = FIRE_CASES["fire_8bit_narrow_sat_accum"]
    g = build("fire", **kwargs)
    c = cfg.load({**doc, "parallel": {"layers": {"fire.expand3x3": {"simd": 5}}}}, g)
    with pytest.raises(InputError, match=r"fire.expand3x3: a saturating accumulator .* simd 5 on a 3x3 kernel"):
        generate_project(g, c, tmp_path / "p", kwargs)
    assert not (tmp_path / "p").exists()


def test_csim_command_cache_and_mismatch_detection(tmp_path, capsys):
    kwargs, doc = FIRE_CASES["fire_8bit_narrow_sat_accum"]
    out, proj = _check(tmp_path, "fire", kwargs, doc, images=1)
    exe = build_exe(out)
    stamp = exe.stat().st_mtime_ns
    assert cli.main(["csim", str(out), "--images", "3", "--seed", "1", "--quiet"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == f"csim: 3 images, {3 * 10 * 6 * 6} values, 0 mismatches"
    assert lines[1] == "cycles: 7 kernels, 0 differ from the plan; bottleneck fire.expand3x3 6480 cycles"
    assert build_exe(out) == exe and exe.stat().st_mtime_ns == stamp      # built once, reused
    assert (out / "tb_data" / "expected.bin").stat().st_size == 3 * 10 * 6 * 6 * 8
    # change the weights the expected outputs are computed from: the firmware no longer matches
    from hwsim.ir.weights import save_npz
    w = {n: dict(t) for n, t in proj.graph.weights.items()}
    w["fire.expand3x3"]["weight"] = w["fire.expand3x3"]["weight"] * np.float32(1.5)
    save_npz(proj.graph.with_weights(w), out / "weights.npz")
    assert cli.main(["csim", str(out), "--images", "2", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "mismatches" in captured.out and " 0 mismatches" not in captured.out
    assert "first mismatch" in captured.err


def test_compile_error_is_short(tmp_path, capsys):
    kwargs, doc = FIRE_CASES["fire_4bit_wrap_accum"]
    g = build("fire", **kwargs)
    out = generate_project(g, cfg.load(doc, g), tmp_path / "p", kwargs)
    top = out / "firmware" / "top.cpp"
    top.write_text(top.read_text().replace("hwsim::concat<", "hwsim::concatenate<"))
    assert cli.main(["csim", str(out), "--images", "1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "error" in err and "concatenate" in err and len(err.splitlines()) <= 16


def test_other_layer_kinds_bit_exact(tmp_path):
    """Layers the zoo's SqueezeNets do not use: conv without bias and with stride, average pool,
    dropout with a type cast, flatten of a 2x2 map into dense; run through the hls runner directly."""
    from hwsim.sim import simulate
    from hwsim.ir import zoo
    from hwsim.backends import registry as backends, writer
    from hwsim.backends.hls import render
    from hwsim.backends.hls.backend import run_csim
    from hwsim.ir.graph import AvgPool2d, Conv2d, Dense, Dropout, Flatten, Graph, Input, MaxPool2d, ReLU
    layers = (Input("input", (), shape=(3, 9, 9)),
              Conv2d("c1", ("input",), out_channels=5, kernel=3, stride=2, padding=1, bias=False),
              ReLU("r1", ("c1",)), AvgPool2d("ap", ("r1",), kernel=2, stride=1),
              MaxPool2d("mp", ("ap",), kernel=2, stride=2, padding=1),
              Dropout("d", ("mp",)), Flatten("f", ("d",)), Dense("fc", ("f",), out_features=6),
              ReLU("r2", ("fc",)), Dense("out", ("r2",), out_features=4))
    g = zoo.he_init(Graph("odd", layers), seed=2)
    c = cfg.load({"precision": {"default": {"accum": "ap_fixed<20,7,AP_RND,AP_SAT>"},
                                "layers": {"ap": {"accum": "lossless"}, "d": {"result": "ap_fixed<9,3,AP_RND,AP_SAT>"},
                                           "out": {"bias": "ap_fixed<8,2>"}}}}, g)
    out = writer.write_project(tmp_path / "odd", render(g, c))
    assert lint(out) == []
    x, x_raw = random_inputs(g, c, 3, 5)
    expected = simulate.run(g, x, c, reference=False).raw
    got = run_csim(backends.CsimRequest(out, g, c, x_raw, progress=False))
    assert np.array_equal(got, expected)
    assert len(np.unique(expected)) > 2


def test_default_fire_project_csim_with_1_and_3_images(tmp_path, capsys, monkeypatch):
    """The reproduction of a heap corruption: `hwsim generate --model fire` then `hwsim csim` with 1
    and 3 images, where a thread's share of the 55x55 convolutions starts mid-row (3 worker threads,
    whatever this machine's core count)."""
    from hwsim.util import threads
    saved = list(threads._LIMIT)
    monkeypatch.setattr(threads, "cores", lambda: 3)
    monkeypatch.setattr(threads, "numba_threads", lambda: 3)
    threads.limit_workers(3)
    try:
        out = tmp_path / "fire"
        assert cli.main(["generate", "--model", "fire", "-o", str(out)]) == 0
        capsys.readouterr()                  # the generate line
        for images in (1, 3):
            assert cli.main(["csim", str(out), "--images", str(images), "--quiet"]) == 0
            lines = capsys.readouterr().out.strip().splitlines()
            assert lines[0] == f"csim: {images} images, {images * 128 * 55 * 55} values, 0 mismatches"
            assert lines[1].startswith("cycles: 7 kernels, 0 differ from the plan; bottleneck fire.expand3x3 ")
    finally:
        threads._LIMIT[:] = saved


def test_cycle_counts_that_differ_from_the_plan_fail(tmp_path, capsys):
    """A plan whose cycles disagree with the kernel's loop: csim names the unit and exits 1."""
    import json
    kwargs, doc = FIRE_CASES["fire_4bit_wrap_accum"]
    g = build("fire", **kwargs)
    out = generate_project(g, cfg.load(doc, g), tmp_path / "p", kwargs)
    plan = json.loads((out / "plan.json").read_text())
    unit = next(u for l in plan["layers"] for u in l["units"] if u["kind"] == "swu")
    unit["cycles"] += 1
    (out / "plan.json").write_text(json.dumps(plan))
    assert cli.main(["csim", str(out), "--images", "1", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "cycles: 7 kernels, 1 differ from the plan" in captured.out
    assert f"cycles: {unit['name']} counted {unit['cycles'] - 1} per image, the plan says {unit['cycles']}" in captured.err


def test_fire_with_lut_multipliers_bit_exact(tmp_path):
    """Products bound to LUTs (mult_style lut) compute the same values and cycles."""
    kwargs, doc = FIRE_CASES["fire_mixed_per_layer"]
    g = build("fire", **kwargs)
    par = folding(g, "mixed")
    for p in par["layers"].values():
        if "simd" in p:
            p["mult_style"] = "lut"
    _check(tmp_path, "fire", kwargs, {**doc, "parallel": par})


@pytest.mark.parametrize("name,kwargs,device", [
    ("squeezenet_mini", {}, "zu3eg"),
    ("mobilenet_mini", {}, "zu3eg"),
    ("squeezenet1_1", {"input_shape": (3, 64, 64), "num_classes": 10}, "zcu102"),
])
def test_folded_by_hwsim_fold_bit_exact(tmp_path, name, kwargs, device):
    """The configs `hwsim fold` writes generate and C-simulate bit-exactly, cycles as planned."""
    from hwsim.hw import fold
    from hwsim.spec import devices
    g = build(name, **kwargs)
    r = fold.fold(g, cfg.load(None, g), devices.get(device))
    assert r.fits
    _check(tmp_path, name, kwargs, {"parallel": r.doc["parallel"]})


@pytest.mark.parametrize("name", ["mobilenet_mini", "mobilenet_v1"])
def test_mobilenet_depthwise_one_kernel_row_per_cycle_bit_exact(tmp_path, name):
    """Depthwise layers at simd = KW (a kernel row of pe channels per beat) and pe > 1."""
    g = build(name, **NET_CASES[name])
    par = folding(g, "taps")
    dws = [n for n, p in par["layers"].items() if g.layer(n).kind == "dwconv"]
    assert dws and all(par["layers"][n]["simd"] == 3 and par["layers"][n]["pe"] > 1 for n in dws)
    _check(tmp_path, name, NET_CASES[name], None, fold="taps")


@pytest.mark.parametrize("fold", [None, "mixed", "taps"])
def test_mobilenet_narrow_relu6_and_accumulators_bit_exact(tmp_path, fold):
    """ReLU6 into narrow result types (a wrapping 4-bit one, where 6 wraps; a saturating 8-bit one
    that holds 6), ReLU6 after a wide result (the clip acts), narrow saturating / wrapping
    accumulators on depthwise and pointwise layers, at pe = 1 and at a mixed folding."""
    doc = {"precision": {"layers": {
        "conv1.relu": {"result": "ap_ufixed<8,3,AP_RND,AP_SAT>"},
        "conv_dw2": {"accum": "ap_fixed<14,5,AP_RND,AP_SAT>"},
        "conv_dw2.relu": {"result": "ap_ufixed<4,2>"},
        "conv_pw2": {"accum": "ap_fixed<12,4,AP_RND_CONV,AP_WRAP>", "result": "ap_fixed<12,5,AP_RND,AP_SAT>"},
        "conv_dw3": {"weight": "ap_fixed<4,1,AP_RND_CONV,AP_SAT>", "accum": "ap_fixed<16,6,AP_RND,AP_SAT>"},
        "conv_dw3.relu": {"result": "ap_ufixed<6,4,AP_RND,AP_SAT>"}}}}
    _check(tmp_path, "mobilenet_mini", {}, doc, fold=fold)
