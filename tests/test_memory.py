"""Memory model: weight bits, stream buffers, layer-architecture liveness, compute, device checks.

Expected values are worked out by hand from the layer geometry (shapes written out below).
"""
import math

import pytest

from hwsim.spec import config as cfg
from hwsim.hw import estimate as memory
from hwsim.hw import pipeline
from hwsim.ir import zoo
from hwsim.ir.graph import Conv2d, Graph, Input, MaxPool2d, ReLU
from hwsim.hw.compute import dsp_per_multiplier
from hwsim.spec import devices

P32 = "ap_fixed<32,16>"
TABLE1_PARAMS = {"conv1": 14208, "fire2": 11920, "fire3": 12432, "fire4": 45344, "fire5": 49440,
                 "fire6": 104880, "fire7": 111024, "fire8": 188992, "fire9": 197184, "conv10": 513000}


def _cfg32(graph):
    # at 32 bits the accumulator takes the same type (hls4ml's default accum_t)
    return cfg.load({"precision": {"default": {"accum": P32}}}, graph, precision=P32)


@pytest.fixture(scope="module")
def sq10():
    return zoo.build("squeezenet1_0", input_shape=(3, 227, 227))


def test_squeezenet10_weight_bits_at_32_bits(sq10):
    r = memory.estimate(sq10, _cfg32(sq10))
    assert r.totals.params == 1_248_424
    assert r.totals.weight_bits == 1_248_424 * 32
    per = {}
    for l in r.layers:
        per[l.name.split(".")[0]] = per.get(l.name.split(".")[0], 0) + l.params
    assert {k: v for k, v in per.items() if v} == TABLE1_PARAMS


def test_alexnet_exceeds_10mib_at_32_bits():
    g = zoo.build("alexnet")
    r = memory.estimate(g, _cfg32(g), budget="10MiB")
    assert r.totals.weight_bits == 61_100_840 * 32
    assert not r.fits and r.totals.onchip_bits - r.budget_bits > 61_100_840 * 32 - 10 * 2**23


def test_weight_memory_shape_follows_the_folding(sq10):
    c = cfg.load({"parallel": {"layers": {"fire2.expand3x3": {"pe": 8, "simd": 4}}}}, sq10)
    l = memory.estimate(sq10, c).layer("fire2.expand3x3")
    w = next(m for m in l.memories if m.role == "weights")
    # 64 x 16 x 3 x 3 weights at 8 bits: PE = 8 memories of SIMD x 8 = 32 bits, (64/8)(144/4) = 288 deep
    assert (w.width, w.depth, w.count) == (32, 288, 8)
    assert w.blocks == 8 * 1                                    # 36x512 mode, one block each
    assert (l.pe, l.simd, l.multipliers) == (8, 4, 32)
    assert l.cycles == 55 * 55 * 8 * 36                         # pixels x F/PE x CKK/SIMD
    # reuse_factor converts to the pair of largest pe: RF 288 = (144 / 1) x (64 / 32)
    rf = memory.estimate(sq10, cfg.load({"parallel": {"layers": {"fire2.expand3x3": {"reuse_factor": 288}}}}, sq10))
    assert (rf.layer("fire2.expand3x3").pe, rf.layer("fire2.expand3x3").simd) == (32, 1)
    auto = memory.estimate(sq10).layer("fire2.expand3x3")       # default pe = simd = 1
    w = next(m for m in auto.memories if m.role == "weights")
    assert (w.width, w.depth, w.count) == (8, 9216, 1)
    assert auto.multipliers == 1 and auto.cycles == 55 * 55 * 64 * 144


def test_ram_style_forces_the_primitive(sq10):
    c = cfg.load({"parallel": {"layers": {"conv10": {"ram_style": "lutram"}}}}, sq10)
    l = memory.estimate(sq10, c).layer("conv10")
    w = next(m for m in l.memories if m.role == "weights")
    assert w.style == "lutram" and w.blocks == 0 and w.lutram_bits == 512_000 * 8
    c = cfg.load({"parallel": {"layers": {"conv10": {"ram_style": "uram"}}}}, sq10)
    l = memory.estimate(sq10, c, device="vu9p").layer("conv10")
    mems = {m.role: m for m in l.memories}
    # weights 8 bits x 512,000 deep: ceil(512000 / 4096) = 125 URAMs; biases 16 x 1000: 1
    assert (mems["weights"].uram, mems["biases"].uram) == (125, 1)


def test_fire_module_stream_buffers_by_hand():
    g = zoo.build("fire")                                       # 96x55x55 -> s16 / e64 / e64
    r = memory.estimate(g)                                      # 16-bit activations, fifo depth 2, pe = simd = 1
    e3 = {m.role: m for m in r.layer("fire.expand3x3").memories}
    # the sliding window keeps KH + SH = 4 rows of 55 pixels x 16 channels, one value per word
    assert (e3["window buffer"].width, e3["window buffer"].depth) == (16, 4 * 55 * 16)
    plan = pipeline.build(g, cfg.load(None, g))
    assert e3["fifo fire.squeeze1x1.relu:copy2"].depth == plan.stream("fire.squeeze1x1.relu:copy2").depth >= 2
    sq = {m.role: m for m in r.layer("fire.squeeze1x1").memories}
    # the input arrives 96 values per beat; a converter hands squeeze1x1 one value per beat
    assert sq["fifo input"].width == 96 * 16 and sq["converter register"].reg_bits == 96 * 16
    cat = {m.role: m for m in r.layer("fire.concat").memories}
    # expand1x1's output waits for the 3x3 branch. The window (pad 1) needs input rows 0 and 1 before
    # its first output and reads row 2 one word per emitted beat while it emits output row 0, so the
    # concat gets the 3x3 branch's first pixels only after 2 rows and before 3 rows of the squeeze
    # output went by: the fast input's deadlock-free minimum lies between 2 and 3 rows of 64 beats
    # (its exact value: tests/test_fifo_depth.py, one place less deadlocks)
    m = plan.timing.minimum["fire.expand1x1.relu"]
    assert 2 * 55 * 64 < m < 3 * 55 * 64
    assert cat["join fifo fire.expand1x1.relu"].depth == plan.stream("fire.expand1x1.relu").depth >= m
    assert plan.timing.minimum["fire.expand3x3.relu"] == 1


def test_pool_stream_buffers_by_hand(sq10):
    r = memory.estimate(sq10)
    mems = {m.role: m for m in r.layer("pool1").memories}       # 3x3/2 on 96 x 111 x 111, pe 1
    wb = mems["window buffer"]
    assert (wb.width, wb.depth) == (16, (3 + 2) * 111 * 96)
    assert wb.blocks == math.ceil(53_280 / 1024)                # 18x1024 mode
    assert r.layer("pool1").cycles == max(u["cycles"] for u in r.layer("pool1").units)


def test_bypass_skew_and_gap_accumulators():
    g = zoo.build("squeezenet1_0_simple_bypass", input_shape=(3, 227, 227))
    r = memory.estimate(g)
    add = {m.role: m for m in r.layer("fire3.bypass").memories}
    # the identity path (fire2's output, 128 x 55 x 55 in 128-beat pixels) runs ahead of fire3 by
    # fire3's 3x3 window lag: between 2 and 3 rows (test_fire_module_stream_buffers_by_hand)
    plan = pipeline.build(g, cfg.load(None, g))
    m = plan.timing.minimum["fire2.concat:copy2"]
    assert 2 * 55 * 128 < m < 3 * 55 * 128
    assert add["join fifo fire2.concat:copy2"].depth >= m
    assert plan.timing.minimum["fire3.concat"] == 1
    gap = r.layer("pool10")
    acc = next(m for m in gap.memories if m.role == "accumulators")
    assert acc.bits == 1000 * cfg.load(None, g)["pool10"].accum.width


def test_layer_architecture_liveness_of_a_fire_module():
    g = zoo.build("fire")
    r = memory.estimate(g, arch="layer")
    hw = 55 * 55
    # while expand3x3 runs: squeeze output (16 ch) + the whole concat buffer (128 ch), 16 bits
    assert r.layer("fire.expand3x3").activation_bits == (16 + 128) * hw * 16
    assert r.layer("fire.squeeze1x1").activation_bits == (96 + 16) * hw * 16
    assert r.totals.activation_bits == (16 + 128) * hw * 16
    pool = r.extra_memories[0]
    assert pool.bits >= r.totals.activation_bits and pool.width == 72
    # on a URAM device the pool, (16 + 128) x 3025 x 16 / 72 = 96,800 words deep, goes to URAM
    on_vu9p = memory.estimate(g, arch="layer", device="vu9p").extra_memories[0]
    assert (on_vu9p.style, on_vu9p.depth, on_vu9p.uram) == ("uram", 96_800, math.ceil(96_800 / 4096))


def test_layer_architecture_chain_is_ping_pong():
    layers = (Input("input", (), shape=(4, 10, 10)),
              Conv2d("c1", ("input",), out_channels=8, kernel=3, padding=1),
              ReLU("r1", ("c1",)),
              MaxPool2d("p1", ("r1",), kernel=2, stride=2),
              Conv2d("c2", ("p1",), out_channels=2, kernel=1))
    r = memory.estimate(Graph("chain", layers), arch="layer")
    in_out = {"c1": 4 * 100 + 8 * 100, "p1": 8 * 100 + 8 * 25, "c2": 8 * 25 + 2 * 25}
    for name, words in in_out.items():
        assert r.layer(name).activation_bits == words * 16
    assert r.totals.activation_bits == max(in_out.values()) * 16
    assert r.totals.cycles == sum(l.cycles for l in r.layers)
    assert r.totals.dsp == max(l.dsp for l in r.layers)


def test_weights_offchip(sq10):
    on, off = memory.estimate(sq10), memory.estimate(sq10, weights="offchip")
    assert off.totals.weight_bits == on.totals.weight_bits
    assert off.totals.onchip_bits == on.totals.activation_bits
    assert off.totals.bram18 < on.totals.bram18
    assert all(m.role != "weights" for l in off.layers for m in l.memories)


@pytest.mark.parametrize("a,b,dev,n", [(16, 8, None, 1), (4, 8, None, 0), (8, 4, None, 0), (5, 8, None, 1),
                                       (4, 9, None, 1), (27, 18, None, 1), (18, 27, None, 1),
                                       (28, 18, None, 2), (32, 32, None, 4), (26, 18, "7020", 2),
                                       (25, 18, "7020", 1), (27, 27, "gx2800", 1), (32, 16, None, 2)])
def test_dsp_per_multiplier(a, b, dev, n):
    assert dsp_per_multiplier(a, b, devices.get(dev) if dev else None) == n


def test_stream_compute_estimate(sq10):
    r = memory.estimate(sq10)
    conv1 = r.layer("conv1")                                    # 96 x 3 x 7 x 7 on 111 x 111 outputs
    assert conv1.multipliers == 1 and conv1.cycles == 111 * 111 * 96 * 147
    assert r.bottleneck == "conv1" and r.totals.cycles == conv1.cycles
    assert r.fps == pytest.approx(200e6 / (111 * 111 * 96 * 147))
    assert r.totals.dsp == sum(l.dsp for l in r.layers)


def test_device_checks_blocks_and_uram_separately(sq10):
    r = memory.estimate(sq10, _cfg32(sq10), device="zu3eg")
    checks = {c.resource: c for c in r.checks}
    assert r.fits_budget and not r.fits_device and not r.fits
    assert not checks["BRAM18"].ok and checks["BRAM18"].available == 432
    intel = memory.estimate(sq10, device="arria10")
    assert intel.block_kind == "M20K" and {c.resource for c in intel.checks} == {"M20K", "URAM", "DSP"}


def test_budget_argument(sq10):
    assert memory.estimate(sq10, budget="80Mb").budget_bits == 80_000_000
    assert memory.estimate(sq10, budget=12345).budget_bits == 12345
    assert not memory.estimate(sq10, budget="1KiB").fits


@pytest.mark.parametrize("kwargs,msg", [({"arch": "tiled"}, "arch 'tiled'"), ({"weights": "dram"}, "weights 'dram'"),
                                        ({"budget": "lots"}, "not a size"), ({"budget": 0}, "positive"),
                                        ({"device": "zcu999"}, "unknown device"), ({"codebook_bits": 0}, "codebook")])
def test_bad_arguments(sq10, kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        memory.estimate(sq10, **kwargs)


def test_not_a_graph():
    with pytest.raises(TypeError, match="needs a Graph"):
        memory.estimate("squeezenet1_0")


def test_report_is_frozen(sq10):
    r = memory.estimate(sq10)
    with pytest.raises(AttributeError):
        r.arch = "layer"
    d = r.to_dict()
    assert d["totals"]["onchip_bits"] == r.totals.onchip_bits and len(d["layers"]) == len(sq10.layers)
