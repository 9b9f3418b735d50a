"""The config's `parallel` section: FINN-style folding (pe, simd) per layer, reuse_factor converted."""
import re

import pytest

from hwsim.ir import zoo
from hwsim.ir.graph import Add, Conv2d, Dense, Dropout, Flatten, Graph, Input, MaxPool2d, ReLU
from hwsim.spec import config as cfg


@pytest.fixture(scope="module")
def fire():
    # input 12x9x9 -> squeeze1x1 (6) -> expand1x1 (8), expand3x3 (8) -> concat (16)
    return zoo.build("fire", in_channels=12, squeeze=6, expand1x1=8, expand3x3=8, size=9)


@pytest.fixture(scope="module")
def mini():
    return zoo.build("squeezenet_mini", weights=False)


@pytest.fixture(scope="module")
def head():
    """conv (6 -> 8 channels, 3x3 map) -> pool -> dropout -> flatten -> dense (10), plus an add."""
    return Graph("head", (
        Input("input", (), shape=(4, 6, 6)),
        Conv2d("conv", ("input",), out_channels=8, kernel=1),
        ReLU("conv.relu", ("conv",)),
        Conv2d("side", ("input",), out_channels=8, kernel=1),
        Add("add", ("conv.relu", "side")),
        MaxPool2d("pool", ("add",), kernel=2, stride=2),
        Dropout("drop", ("pool",)),
        Flatten("flatten", ("drop",)),
        Dense("fc", ("flatten",), out_features=10),
    ))


def par(layers=None, default=None):
    d = {}
    if default is not None:
        d["default"] = default
    if layers is not None:
        d["layers"] = layers
    return {"parallel": d}


def error(doc, graph) -> str:
    with pytest.raises(cfg.ConfigError) as e:
        cfg.load(doc, graph)
    msg = str(e.value)
    assert "\n" not in msg
    return msg


# --- defaults and per-layer values ---------------------------------------------------------------

def test_builtin_default_is_pe_1_simd_1(fire):
    c = cfg.load(None, fire)
    e3 = c["fire.expand3x3"]
    assert (e3.pe, e3.simd, e3.ram_style) == (1, 1, "auto")
    assert e3.reuse_factor == 6 * 3 * 3 * 8          # C*K*K*F
    sq = c["fire.squeeze1x1"]
    assert (sq.pe, sq.simd, sq.reuse_factor) == (1, 1, 12 * 6)
    # stages without weights: the planner chooses; fused / wiring layers have no folding
    for name in ("input", "fire.concat", "fire.squeeze1x1.relu"):
        assert c[name].pe is None and c[name].simd is None
    assert cfg.BUILTIN_PARALLEL == {"pe": 1, "simd": 1, "ram_style": "auto", "mult_style": "auto"}


def test_per_layer_pe_simd_and_default(fire):
    c = cfg.load(par({"fire.expand3x3": {"pe": 4, "simd": 3, "ram_style": "bram"}},
                     default={"pe": 2, "simd": 2, "ram_style": "lutram"}), fire)
    e3 = c["fire.expand3x3"]
    assert (e3.pe, e3.simd, e3.reuse_factor, e3.ram_style) == (4, 3, (54 // 3) * (8 // 4), "bram")
    e1 = c["fire.expand1x1"]
    assert (e1.pe, e1.simd, e1.reuse_factor, e1.ram_style) == (2, 2, 3 * 4, "lutram")


def test_a_layer_entry_replaces_the_default_folding_entirely(fire):
    # pe only in the layer: simd is the built-in 1, not the default's 2
    c = cfg.load(par({"fire.expand3x3": {"pe": 8}}, default={"pe": 2, "simd": 2}), fire)
    assert (c["fire.expand3x3"].pe, c["fire.expand3x3"].simd) == (8, 1)
    c = cfg.load(par({"fire.expand3x3": {"pe": 8}}, default={"reuse_factor": "auto"}), fire)
    assert (c["fire.expand3x3"].pe, c["fire.expand3x3"].simd) == (8, 1)
    # ram_style alone does not replace the folding
    c = cfg.load(par({"fire.expand3x3": {"ram_style": "uram"}}, default={"pe": 2, "simd": 2}), fire)
    assert (c["fire.expand3x3"].pe, c["fire.expand3x3"].simd, c["fire.expand3x3"].ram_style) == (2, 2, "uram")


def test_dense_simd_divides_the_streamed_channels(head):
    c = cfg.load(par({"fc": {"pe": 5, "simd": 8}}), head)
    fc = c["fc"]
    n_in = 8 * 3 * 3
    assert (fc.pe, fc.simd, fc.reuse_factor) == (5, 8, (n_in // 8) * (10 // 5))
    msg = error(par({"fc": {"simd": 3}}), head)
    assert msg == ("layer fc: simd 3 does not divide the 8 channels of its input stream (pool's output "
                   "through drop, flatten); valid simd: 1, 2, 4, 8")
    msg = error(par({"fc": {"pe": 4}}), head)
    assert msg == "layer fc: pe 4 does not divide its 10 output features; valid pe: 1, 2, 5, 10"


# --- reuse_factor as input -------------------------------------------------------------------------

def test_reuse_factor_converts_to_the_pair_of_largest_pe(fire):
    # expand3x3: n_terms = 6*3*3 = 54, F = 8, C = 6; RF 18: (simd 3, pe 8) and (simd 6, pe 4)
    c = cfg.load(par({"fire.expand3x3": {"reuse_factor": 18}}), fire)
    e3 = c["fire.expand3x3"]
    assert (e3.pe, e3.simd, e3.reuse_factor) == (8, 3, 18)
    # auto: RF = n_terms, the old meaning: pe = F, simd = 1
    c = cfg.load(par(default={"reuse_factor": "auto"}), fire)
    for name, n_terms, f in (("fire.squeeze1x1", 12, 6), ("fire.expand1x1", 6, 8), ("fire.expand3x3", 54, 8)):
        lc = c[name]
        assert (lc.pe, lc.simd, lc.reuse_factor) == (f, 1, n_terms)
    # the largest RF: pe 1, simd 1
    c = cfg.load(par({"fire.expand3x3": {"reuse_factor": 54 * 8}}), fire)
    assert (c["fire.expand3x3"].pe, c["fire.expand3x3"].simd) == (1, 1)


def test_impossible_reuse_factor_lists_the_nearest(fire):
    msg = error(par({"fire.expand3x3": {"reuse_factor": 19}}), fire)
    assert msg == ("layer fire.expand3x3: reuse_factor 19 is not achievable with pe dividing its 8 output "
                   "channels and simd dividing its 6 input channels; nearest achievable reuse factors: "
                   "9, 18, 27, 36, 54")
    msg = error(par(default={"reuse_factor": 100}), fire)
    assert msg.startswith("layer fire.squeeze1x1: reuse_factor 100 (from parallel.default) is not achievable")
    assert msg.endswith("nearest achievable reuse factors: 24, 36, 72")    # nothing above 72
    msg = error(par({"fire.expand3x3": {"reuse_factor": 40}}), fire)
    assert msg.endswith("nearest achievable reuse factors: 18, 27, 36, 54, 72, 108")


@pytest.mark.parametrize("section", ["layers", "default"])
def test_reuse_factor_with_pe_or_simd_is_an_error(fire, section):
    entry = {"reuse_factor": 18, "pe": 2}
    doc = par({"fire.expand3x3": entry}) if section == "layers" else par(default=entry)
    msg = error(doc, fire)
    where = "layer fire.expand3x3" if section == "layers" else "parallel.default"
    assert msg.startswith(f"{where}: reuse_factor and pe both given")


# --- the errors: one line, naming the layer, listing the valid values ------------------------------

@pytest.mark.parametrize("layers,default,expected", [
    ({"fire.expand3x3": {"pe": 5}}, None,
     "layer fire.expand3x3: pe 5 does not divide its 8 output channels; valid pe: 1, 2, 4, 8"),
    ({"fire.expand3x3": {"simd": 4}}, None,
     "layer fire.expand3x3: simd 4 does not divide its 6 input channels; valid simd: 1, 2, 3, 6"),
    (None, {"pe": 4},
     "layer fire.squeeze1x1: pe 4 (from parallel.default) does not divide its 6 output channels; "
     "valid pe: 1, 2, 3, 6"),
    ({"fire.concat": {"pe": 3}}, None,
     "layer fire.concat: pe 3 does not divide its 16 output channels (a concat's pe must divide each "
     "input's channels too); valid pe: 1, 2, 4, 8"),
    ({"input": {"pe": 5}}, None,
     "layer input: pe 5 does not divide its 12 output channels; valid pe: 1, 2, 3, 4, 6, 12"),
    ({"fire.concat": {"simd": 2}}, None, "layer fire.concat is a concat: it takes pe only, not simd"),
    ({"input": {"reuse_factor": 2}}, None, "layer input is an input: it takes pe only, not reuse_factor"),
    ({"fire.squeeze1x1.relu": {"pe": 2}}, None,
     "layer fire.squeeze1x1.relu is a relu, fused into the stage before it: it takes no parallel entry"),
    ({"fire.squeeze1x1.relu": {}}, None,
     "layer fire.squeeze1x1.relu is a relu, fused into the stage before it: it takes no parallel entry"),
    ({"fire.expand1x1": {"pe": 0}}, None, "layer fire.expand1x1: pe must be a positive integer, got 0"),
    ({"fire.expand1x1": {"simd": True}}, None, "layer fire.expand1x1: simd must be a positive integer, got True"),
    (None, {"pe": 1.5}, "parallel.default: pe must be a positive integer, got 1.5"),
    ({"fire.expand1x1": {"reuse_factor": 0}}, None,
     "layer fire.expand1x1: reuse_factor must be a positive integer or 'auto', got 0"),
])
def test_errors(fire, layers, default, expected):
    assert error(par(layers, default), fire) == expected


def test_concat_pe_must_divide_each_input():
    g = zoo.build("fire", in_channels=12, squeeze=6, expand1x1=8, expand3x3=4, size=9)
    assert error(par({"fire.concat": {"pe": 3}}), g) == (
        "layer fire.concat: pe 3 does not divide its input fire.expand1x1.relu's 8 channels (a concat's pe "
        "must divide each input's channels too); valid pe: 1, 2, 4")
    assert cfg.load(par({"fire.concat": {"pe": 4}}), g)["fire.concat"].pe == 4


def test_wiring_layers_take_no_entry(head, mini):
    for name in ("drop", "flatten"):
        assert error(par({name: {"pe": 1}}), head) == (
            f"layer {name} is a {'dropout' if name == 'drop' else 'flatten'}, wiring (it moves no data): "
            "it takes no parallel entry")
    assert "takes no parallel entry" in error(par({"dropout": {}}), mini)


# --- stages without weights: pe only ---------------------------------------------------------------

def test_stages_take_pe(mini, head):
    c = cfg.load(par({"pool1": {"pe": 8}, "fire2.concat": {"pe": 16}, "pool10": {"pe": 5},
                      "input": {"pe": 1}}, default={"pe": 2, "simd": 1}), mini)
    assert c["pool1"].pe == 8 and c["fire2.concat"].pe == 16 and c["pool10"].pe == 5 and c["input"].pe == 1
    assert c["pool3"].pe is None and c["fire3.concat"].pe is None      # parallel.default: conv / dense only
    assert c["conv1"].pe == 2 and c["conv1"].simd == 1
    assert c["pool1"].to_dict()["pe"] == 8 and "pe" not in c["pool3"].to_dict()
    assert "simd" not in c["pool1"].to_dict()
    assert error(par({"pool1": {"simd": 2}}), mini) == "layer pool1 is a maxpool: it takes pe only, not simd"
    assert error(par({"pool1": {"ram_style": "bram"}}), mini) == (
        "layer pool1 is a maxpool: it takes pe only, not ram_style")
    assert error(par({"pool10": {"pe": 4}}), mini) == (
        "layer pool10: pe 4 does not divide its 10 output channels; valid pe: 1, 2, 5, 10")
    c = cfg.load(par({"add": {"pe": 4}, "pool": {"pe": 8}}), head)
    assert c["add"].pe == 4 and c["pool"].pe == 8
    assert error(par({"add": {"pe": 3}}), head) == (
        "layer add: pe 3 does not divide its 8 output channels; valid pe: 1, 2, 4, 8")
    assert error(par({"add": {"spe": 3}}), head).startswith("unknown key 'spe' in parallel.layers.add")


# --- written back, hashed --------------------------------------------------------------------------

def test_round_trip_through_the_document(mini):
    c = cfg.load(par({"conv1": {"pe": 16}, "fire2.expand3x3": {"reuse_factor": 36, "ram_style": "bram"},
                      "pool1": {"pe": 8}, "input": {"pe": 1}},
                     default={"pe": 2, "simd": 2}), mini)
    doc = cfg.to_document(c)
    written = doc["parallel"]["layers"]
    assert written["conv1"] == {"pe": 16, "simd": 1, "ram_style": "auto", "mult_style": "auto"}
    assert written["fire2.expand3x3"] == {"pe": 32, "simd": 2, "ram_style": "bram", "mult_style": "auto"}   # 36 = (72/2)*(32/32)
    assert written["pool1"] == {"pe": 8} and written["input"] == {"pe": 1}
    assert "pool3" not in written and "conv1.relu" not in written
    assert not any("reuse_factor" in e for e in written.values())
    again = cfg.load(doc, mini)
    assert again.to_dict() == c.to_dict() and again.key() == c.key()
    assert again["fire2.expand3x3"].reuse_factor == 36


def test_key_covers_the_folding(fire):
    base = cfg.load(None, fire).key()
    keys = {base,
            cfg.load(par({"fire.expand3x3": {"pe": 2}}), fire).key(),
            cfg.load(par({"fire.expand3x3": {"simd": 2}}), fire).key(),
            cfg.load(par({"fire.concat": {"pe": 2}}), fire).key(),
            cfg.load(par({"input": {"pe": 4}}), fire).key()}
    assert len(keys) == 5
    # the same folding however it is written
    assert (cfg.load(par({"fire.expand3x3": {"reuse_factor": 18}}), fire).key()
            == cfg.load(par({"fire.expand3x3": {"pe": 8, "simd": 3}}), fire).key())
    assert cfg.load(par(default={"pe": 1, "simd": 1}), fire).key() == base


def test_the_docstring_example_loads():
    doc = cfg.__doc__
    text = doc[doc.index("    parallel:"):doc.index("    hardware:")]
    import yaml
    section = yaml.safe_load(text)
    g = zoo.build("squeezenet1_1", weights=False)
    c = cfg.load(section, g)
    assert (c["conv1"].pe, c["conv1"].simd) == (16, 3)
    assert c["fire2.expand3x3"].reuse_factor == 36 and c["pool1"].pe == 8
    assert re.search(r"Built-in default:\s+pe 1, simd 1, ram_style auto, mult_style auto", doc)


def test_mult_style_per_layer_and_default():
    g = zoo.build("fire", in_channels=12, squeeze=6, expand1x1=8, expand3x3=8, size=9)
    c = cfg.load({"parallel": {"default": {"mult_style": "lut"}, "layers": {"fire.expand3x3": {"mult_style": "dsp"}}}}, g)
    assert (c["fire.squeeze1x1"].mult_style, c["fire.expand3x3"].mult_style) == ("lut", "dsp")
    assert cfg.load(None, g)["fire.expand1x1"].mult_style == "auto"
    with pytest.raises(cfg.ConfigError, match=r"mult_style 'fabric' is not one of auto, dsp, lut"):
        cfg.load({"parallel": {"layers": {"fire.expand3x3": {"mult_style": "fabric"}}}}, g)
    with pytest.raises(cfg.ConfigError, match=r"pool|takes pe only"):
        cfg.load({"parallel": {"layers": {"fire.concat": {"mult_style": "lut"}}}}, g)
