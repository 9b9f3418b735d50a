"""Three-way bit-exact checks: hwsim.sim.simulate == hwsim's HLS C-sim == hls4ml's C-sim.

Each case generates both projects for the same graph and config, runs both C simulations on the
same inputs (exact values of the input type) and requires every output mantissa to agree with the
simulator. Two precision settings: hls4ml's usual one (ap_fixed<16,6> for weights, biases,
accumulators and results: every product truncated to 10 fractional bits) and hwsim's default
(lossless accumulators, explicit types from the config).
"""
from __future__ import annotations


import numpy as np
import pytest

from hwsim.spec import config as cfg
from hwsim.sim import simulate
from hwsim.ir import zoo

from hwsim.backends import registry as backends
from hwsim.backends.hls4ml import bridge as hb  # noqa: E402
from hwsim.backends.project import generate_project  # noqa: E402

NARROW = {"precision": {"default": {"weight": "ap_fixed<16,6>", "bias": "ap_fixed<16,6>",
                                    "accum": "ap_fixed<16,6>", "result": "ap_fixed<16,6>"}}}
LOSSLESS: dict = {}
FIRE = {"in_channels": 8, "squeeze": 6, "expand1x1": 8, "expand3x3": 8, "size": 6}


def exact_inputs(graph, config, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n,) + tuple(graph.input_shape)) * 1.5
    return config.input.quantize(x)


def three_way(tmp, name, kwargs, doc, io, tool, images=3, seed=1):
    graph = zoo.build(name, **kwargs)
    config = cfg.load(doc, graph)
    x_raw = exact_inputs(graph, config, images, seed)
    x = config.input.to_float(x_raw)
    sim = simulate.run(graph, x, config, reference=False).raw

    hls_dir = generate_project(graph, config, tmp / "hls", kwargs, backend="hls", tool=tool)
    req = backends.CsimRequest(hls_dir, graph, config, x_raw, progress=False)
    hls = backends.csim_runner("hls")(req)

    h4_dir = hb.generate(graph, config, tmp / "hls4ml", model_args=kwargs, tool=tool, io=io)
    req = backends.CsimRequest(h4_dir, graph, config, x_raw, progress=False)
    h4 = backends.csim_runner("hls4ml")(req)
    return graph, config, x, sim, hls, h4


def _check(sim, hls, h4):
    assert hls.shape == sim.shape == h4.shape
    assert int((hls != sim).sum()) == 0
    assert int((h4 != sim).sum()) == 0
    # not a vacuous comparison: most outputs are non-zero and they differ between images
    assert (sim != 0).mean() > 0.3
    assert not np.array_equal(sim[0], sim[1])


@pytest.mark.csim
@pytest.mark.parametrize("doc,io,tool", [(NARROW, "stream", "vitis"), (LOSSLESS, "parallel", "vivado")],
                         ids=["narrow-stream-vitis", "lossless-parallel-vivado"])
def test_fire_three_way(tmp_path, doc, io, tool):
    graph, config, x, sim, hls, h4 = three_way(tmp_path, "fire", FIRE, doc, io, tool)
    _check(sim, hls, h4)
    if doc is NARROW:
        # the per-product truncation is visible: lossless accumulators give other outputs
        other = simulate.run(graph, x, cfg.load({"precision": {"default": {
            k: v for k, v in NARROW["precision"]["default"].items() if k != "accum"}}}, graph),
            reference=False).raw
        assert (other != sim).sum() > 0


# Non-default foldings. FIRE: squeeze1x1 C 8, F 6, n_terms 8; expand1x1 C 6, F 8, n_terms 6;
# expand3x3 C 6, F 8, n_terms 54. Requested reuse factor (n_terms // simd) * (F // pe) -> used:
FOLDED = {  # squeeze 12 -> 8 (capped), expand1x1 1 (Latency), expand3x3 36 -> 27 (nearest divisor)
    "parallel": {"default": {"pe": 2, "simd": 2},
                 "layers": {"fire.expand1x1": {"pe": 8, "simd": 6}, "fire.expand3x3": {"pe": 4, "simd": 3}}}}
FOLDED_EXACT = {  # squeeze 4 (pe 3, simd 4: 2 x 2), expand1x1 4 -> 3 (nearest), expand3x3 27 (as is)
    "parallel": {"layers": {"fire.squeeze1x1": {"pe": 3, "simd": 4}, "fire.expand1x1": {"pe": 4, "simd": 3},
                            "fire.expand3x3": {"pe": 8, "simd": 2}}}}


@pytest.mark.csim
@pytest.mark.parametrize("doc,io,rf,changed", [
    (FOLDED, "parallel", {"fire.squeeze1x1": 8, "fire.expand1x1": 1, "fire.expand3x3": 27},
     {"fire.squeeze1x1": (12, 8), "fire.expand3x3": (36, 27)}),
    (FOLDED_EXACT, "stream", {"fire.squeeze1x1": 4, "fire.expand1x1": 3, "fire.expand3x3": 27},
     {"fire.expand1x1": (4, 3)})], ids=["folded-parallel", "folded-exact-stream"])
def test_fire_folded_three_way(tmp_path, doc, io, rf, changed):
    import json
    graph, config, x, sim, hls, h4 = three_way(tmp_path, "fire", FIRE, doc, io, "vitis")
    _check(sim, hls, h4)
    res = json.loads((tmp_path / "hls4ml" / hb.RESOLVED_FILE).read_text())
    reuse = res.pop("reuse_factor")
    assert {k: (v["requested"], v["used"]) for k, v in reuse.items()} == changed
    assert all(config[k].reuse_factor == v["requested"] for k, v in reuse.items())
    used = {v["from"]: (v["reuse_factor"], v["strategy"]) for v in res.values() if "strategy" in v}
    assert used == {k: (r, "latency" if r == 1 else "resource") for k, r in rf.items()}


@pytest.mark.csim
@pytest.mark.parametrize("doc", [NARROW, LOSSLESS], ids=["narrow", "lossless"])
def test_mini_three_way(tmp_path, doc):
    # overlapping 3x3/2 ceil-mode pools: io_parallel, with the zero-padding rewrite
    graph, config, x, sim, hls, h4 = three_way(tmp_path, "squeezenet_mini", {}, doc, "parallel", "vitis")
    _check(sim, hls, h4)
    meta = hb.read_meta(tmp_path / "hls4ml")
    assert set(meta["ceil_pads"]) == {"pool1", "pool3"}


@pytest.mark.csim
@pytest.mark.parametrize("doc", [NARROW, LOSSLESS], ids=["narrow", "lossless"])
def test_squeezenet1_1_three_way(tmp_path, doc):
    kwargs = {"input_shape": (3, 32, 32), "num_classes": 10}
    graph, config, x, sim, hls, h4 = three_way(tmp_path, "squeezenet1_1", kwargs, doc, "parallel",
                                               "vitis", images=2)
    assert int((hls != sim).sum()) == 0
    assert int((h4 != sim).sum()) == 0
    assert (sim != 0).any()


@pytest.mark.csim
def test_cli_generate_and_csim(tmp_path, capsys):
    from hwsim.cli import main
    out = tmp_path / "p"
    assert main(["generate", "--model", "fire", "--input-shape", "4x5x5", "--backend", "hls4ml",
                 "--precision", "ap_fixed<12,4>", "-o", str(out)]) == 0
    body = (out / "hwsim_project.json").read_text()
    assert '"backend": "hls4ml"' in body and '"io": "parallel"' in body
    assert (out / "weights.npz").is_file() and (out / "hls4ml_resolved.json").is_file()
    assert (out / "firmware" / "myproject.cpp").is_file()
    capsys.readouterr()
    assert main(["csim", str(out), "--images", "2", "--quiet"]) == 0
    assert "csim: 2 images, 6400 values, 0 mismatches" in capsys.readouterr().out


def test_cli_io_errors(tmp_path, capsys):
    from hwsim.cli import main
    assert main(["generate", "--model", "fire", "--input-shape", "4x5x5", "--io", "stream",
                 "-o", str(tmp_path / "a")]) == 2
    assert "--io applies to --backend hls4ml only" in capsys.readouterr().err
    assert main(["generate", "--model", "squeezenet_mini", "--backend", "hls4ml", "--io", "stream",
                 "-o", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "layer pool1: hls4ml's io_stream max pooling needs pool size == stride" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "b").exists()
