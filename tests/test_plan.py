"""The hardware plan (hwsim.hw.pipeline / units) and the generated project that prints it.

- The generated arrays, pragmas, stream declarations and config structs are checked against
  plan.json, field by field.
- The BRAM18 mapping of PE weight memories against a table computed by hand, including the cases
  of FINN's `bram_estimation` (matrixvectoractivation.py: the SDP RAMB18 ladder on the word width,
  and LUTRAM for shallow memories).
- Folding errors name the layer and the valid values.
"""
from __future__ import annotations

import json
import math
import re

import pytest

from hwsim.backends.hls.render import render
from hwsim.hw import pipeline
from hwsim.hw.blocks import map_memory
from hwsim.spec import config as cfg
from hwsim.util.errors import InputError

from codegen_helpers import build

FIRE = dict(in_channels=12, squeeze=6, expand1x1=8, expand3x3=8, size=7)
FOLD = {"parallel": {"layers": {"fire.squeeze1x1": {"pe": 3, "simd": 4}, "fire.expand1x1": {"pe": 4, "simd": 2},
                                "fire.expand3x3": {"pe": 2, "simd": 3}, "fire.concat": {"pe": 4}}}}


@pytest.fixture(scope="module")
def project():
    g = build("fire", **FIRE)
    c = cfg.load(FOLD, g)
    return g, c, pipeline.build(g, c), render(g, c)


def _struct(params: str, name: str) -> dict:
    body = params[params.index(f"struct {name} {{"):]
    body = body[:body.index("};")]
    return {k: v for k, v in re.findall(r"static const (?:unsigned|bool) (\w+) = (\w+);", body)}


def test_config_structs_print_the_unit_fields(project):
    g, c, plan, files = project
    params = files["firmware/parameters.h"]
    for i, u in enumerate(plan.units):
        got = _struct(params, "config_" + re.sub(r"\W", "_", u.name))
        want = {k: ("true" if v else "false") if isinstance(v, bool) else str(v) for k, v in u.fields}
        assert {k: got[k] for k in want} == want, u.name
        assert got["counter"] == str(i)


def test_streams_are_declared_with_the_plan_width_and_depth(project):
    g, c, plan, files = project
    top = files["firmware/top.cpp"]
    decl = re.findall(r"hls::stream<hwsim::beat<\w+, (\d+)> > (\w+)\(", top)
    depth = dict((n, d) for n, d in re.findall(r"HLS STREAM variable = (\w+) depth = (\d+)", top))
    inner = [s for s in plan.streams if s.name not in (plan.input_stream, plan.output_stream)]
    assert len(decl) == len(inner) == len(depth)
    got = sorted((int(w), int(depth[n])) for w, n in decl)
    assert got == sorted((s.width, s.depth) for s in inner)
    joins = [s for s in inner if s.role == "join"]
    assert len(joins) == 2 and all(s.depth >= plan.timing.minimum[s.name] for s in joins)
    assert max(plan.timing.minimum[s.name] for s in joins) > 1     # the fast branch waits for the 3x3 one


def test_weight_arrays_and_pragmas_follow_the_plan_memories(project):
    g, c, plan, files = project
    top = files["firmware/top.cpp"]
    for u in plan.units:
        if u.kind != "mvau":
            continue
        f = dict(u.fields)
        name = "w_" + u.layer.replace(".", "_")
        text = files[f"firmware/weights/{name}.cpp"]
        assert f"{name}[{f['pe']}][{f['nf'] * f['sf']}][{f['simd']}]" in text
        assert f"b_{u.layer.replace('.', '_')}[{f['pe']}][{f['nf']}]" in text
        mem = next(m for m in u.memories if m.role == "weights")
        assert (mem.count, mem.width, mem.depth) == (f["pe"], f["simd"] * c[u.layer].weight.width, f["nf"] * f["sf"])
        if mem.style != "reg":
            assert f"HLS ARRAY_PARTITION variable = {name} complete dim = 1" in top
            assert f"HLS ARRAY_RESHAPE variable = {name} complete dim = 3" in top
            assert f"HLS BIND_STORAGE variable = {name} type=rom_1p impl={mem.style}" in top


def test_plan_json_is_the_plan(project):
    g, c, plan, files = project
    doc = json.loads(files["plan.json"])
    assert doc == json.loads(json.dumps(plan.to_dict()))
    assert doc["calls"] == [u.name for u in plan.units]
    kinds = [u["kind"] for l in doc["layers"] for u in l["units"]]
    assert {"swu", "mvau", "split", "concat", "convert"} <= set(kinds)


def test_converters_sit_where_widths_differ(project):
    g, c, plan, files = project
    produced = {s: u for u in plan.units for s in u.outputs}
    for s in plan.streams:
        if s.consumer and s.producer:
            cons = next(u for u in plan.units if u.name == s.consumer)
            j = cons.inputs.index(s.name)
            assert cons.in_widths[j] == s.width == produced[s.name].out_width, s.name


# --- BRAM18 mapping of PE memories ------------------------------------------------------------
# (width, depth, blocks): FINN's ladder picks the mode from the width alone (1, 2, <=4, <=9, <=18,
# else 36 bits, and 18 bits for depths over 512); hwsim takes the mode with the fewest blocks, which
# agrees with FINN on all of these and is never worse.
BRAM_TABLE = [
    (1, 16384, 1), (1, 16385, 2), (2, 8192, 1), (4, 4096, 1), (8, 2048, 1), (9, 2048, 1),
    (16, 1024, 1), (18, 1024, 1), (18, 1025, 2), (36, 512, 1), (32, 288, 1), (64, 512, 2),
    (72, 512, 2), (72, 1024, 4), (144, 144, 4), (8, 9216, 5), (576, 2048, 64), (24, 3000, 6),
]


def _finn_bram(width: int, depth: int) -> int:
    """FINN bram_estimation for one memory (its SDP ladder), as read in matrixvectoractivation.py."""
    if width == 1:
        return math.ceil(depth / 16384)
    if width == 2:
        return math.ceil(depth / 8192)
    if width <= 4:
        return math.ceil(width / 4) * math.ceil(depth / 4096)
    if width <= 9:
        return math.ceil(width / 9) * math.ceil(depth / 2048)
    if width <= 18 or depth > 512:
        return math.ceil(width / 18) * math.ceil(depth / 1024)
    return math.ceil(width / 36) * math.ceil(depth / 512)


@pytest.mark.parametrize("width,depth,blocks", BRAM_TABLE)
def test_bram18_of_a_pe_memory(width, depth, blocks):
    m = map_memory("weights", width, depth, "bram", count=4)
    assert m.blocks == 4 * blocks
    assert blocks <= _finn_bram(width, depth)


def test_shallow_and_small_memories_go_to_lutram():
    assert map_memory("weights", 64, 64, "auto").style == "lutram"          # 64 deep
    assert map_memory("weights", 8, 128, "auto").style == "lutram"          # 1,024 bits
    assert map_memory("weights", 8, 129, "auto").style == "bram"


def test_folding_that_does_not_divide_names_the_valid_values():
    g = build("fire", **FIRE)
    with pytest.raises(cfg.ConfigError, match=r"fire.expand3x3: pe 3 does not divide its 8 output channels; "
                                              r"valid pe: 1, 2, 4, 8"):
        cfg.load({"parallel": {"layers": {"fire.expand3x3": {"pe": 3}}}}, g)
    with pytest.raises((cfg.ConfigError, InputError), match=r"fire.concat: pe 16"):
        cfg.load({"parallel": {"layers": {"fire.concat": {"pe": 16}}}}, g)


# --- LUT estimate (hwsim.hw.luts) ---------------------------------------------------------------
def test_mvau_luts_follow_finn_for_lut_products_and_drop_the_tree_for_dsp_products():
    from hwsim.hw import luts
    # FINN: 300 + 1.1 x P x (S (2 ceil((A+W)/6) - 1)(A+W) + (A+W)(2S - 1) + acc), A=4, W=4, P=2, S=3, acc=12
    assert luts.mvau_luts(2, 3, 4, 4, 12, True) == int(300 + 1.1 * 2 * (3 * (2 * 2 - 1) * 8 + 8 * 5 + 12))
    # products in DSPs: the additions run in the DSPs' post-adders; the accumulator stays
    assert luts.mvau_luts(2, 3, 16, 8, 30, False) == int(300 + 1.1 * 2 * 30)


def test_lutram_and_srl_memories_cost_luts():
    from hwsim.hw import luts
    assert luts.memory_luts(map_memory("weights", 24, 64, "lutram", count=3)) == 24 * 1 * 3
    assert luts.memory_luts(map_memory("weights", 24, 65, "lutram")) == 24 * 2
    assert luts.memory_luts(map_memory("fifo x", 16, 2, "auto")) == 16             # an SRL32
    assert luts.memory_luts(map_memory("weights", 8, 9216, "bram")) == 0


def test_mult_style_lut_moves_products_from_dsps_to_luts():
    g = build("fire", **FIRE)
    fold = {"fire.expand3x3": {"pe": 2, "simd": 3}}
    dsp = pipeline.build(g, cfg.load({"parallel": {"layers": fold}}, g)).layer("fire.expand3x3")
    fold["fire.expand3x3"]["mult_style"] = "lut"
    c = cfg.load({"parallel": {"layers": fold}}, g)
    lut = pipeline.build(g, c).layer("fire.expand3x3")
    assert (dsp.dsp, lut.dsp) == (6, 0) and lut.luts > dsp.luts
    assert lut.unit("mvau").field("mult") == 2
    params = render(g, c)["firmware/parameters.h"]
    assert "static const unsigned mult = 2;" in _struct_text(params, "config_fire_expand3x3_mvau")


def _struct_text(params: str, name: str) -> str:
    body = params[params.index(f"struct {name} {{"):]
    return body[:body.index("};")]
