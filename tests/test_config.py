import json

import pytest

from hwsim.spec import config as cfg
from hwsim.ir import zoo
from hwsim.fixed import FixedType
from hwsim.fixed.rules import lossless_accum_type


@pytest.fixture(scope="module")
def fire():
    return zoo.build("fire", in_channels=16, squeeze=4, expand1x1=8, expand3x3=8, size=6)


def test_defaults_and_precedence(fire, tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("precision:\n  input: ap_fixed<12,4>\n  default: {result: ap_fixed<14,5>}\n"
                 "  layers:\n    fire.squeeze1x1: {result: 'ap_fixed<12,5,AP_RND,AP_SAT>', weight: ap_fixed<6,1>}\n")
    c = cfg.load(p, fire)
    sq = c["fire.squeeze1x1"]
    assert str(sq.result) == "ap_fixed<12,5,AP_RND,AP_SAT>" and str(sq.weight) == "ap_fixed<6,1>"
    assert str(c["fire.expand1x1"].result) == "ap_fixed<14,5>"
    assert str(c["fire.expand1x1"].weight) == cfg.BUILTIN["default"]["weight"]
    assert c.input == FixedType.parse("ap_fixed<12,4>")
    # pass-through for relu, typed inputs follow producers
    assert c["fire.squeeze1x1.relu"].result == sq.result
    assert c["fire.expand1x1"].inputs == (sq.result,)


def test_lossless_accum_is_resolved(fire):
    c = cfg.load(None, fire)
    e3 = c["fire.expand3x3"]
    assert e3.accum_lossless
    assert e3.accum == lossless_accum_type(e3.inputs[0], e3.weight, 4 * 9, e3.bias)
    assert (e3.pe, e3.simd, e3.reuse_factor) == (1, 1, 4 * 9 * 8)    # built-in pe 1, simd 1


def test_explicit_accum_and_precision_override(fire):
    c = cfg.load({"precision": {"default": {"accum": "ap_fixed<16,6>"}}}, fire, precision="ap_fixed<10,3>")
    e1 = c["fire.expand1x1"]
    assert not e1.accum_lossless and str(e1.accum) == "ap_fixed<16,6>"
    assert str(e1.weight) == str(e1.result) == "ap_fixed<10,3>"


def test_resolved_table_and_json(fire):
    c = cfg.load(None, fire)
    table = c.resolved()
    assert list(table) == fire.names()
    doc = json.loads(c.to_json())
    assert doc["layers"]["fire.expand3x3"]["accum_lossless"] is True


@pytest.mark.parametrize("doc,match", [
    ({"precison": {}}, r"unknown key 'precison' in config"),
    ({"precision": {"default": {"wieght": "ap_fixed<8,1>"}}}, r"unknown key 'wieght' in precision.default"),
    ({"precision": {"layers": {"fire2.squeeze1x1": {}}}}, r"no layer named 'fire2.squeeze1x1'.*valid names: input, fire.squeeze1x1"),
    ({"precision": {"default": {"result": "ap_fixd<8,3>"}}}, r"result: .*cannot parse 'ap_fixd<8,3>'"),
    ({"parallel": {"layers": {"fire.expand3x3": {"reuse_factor": 0}}}}, r"reuse_factor must be a positive integer"),
    ({"parallel": {"default": {"ram_style": "dram"}}}, r"ram_style 'dram' is not one of"),
    ({"hardware": {"clock_mhz": -5}}, r"clock_mhz must be a positive number"),
])
def test_bad_config_names_the_problem(fire, doc, match):
    with pytest.raises(cfg.ConfigError, match=match):
        cfg.load(doc, fire)


def test_bad_files(tmp_path, fire):
    with pytest.raises(cfg.ConfigError, match="config file not found"):
        cfg.load(tmp_path / "nope.yaml", fire)
    bad = tmp_path / "bad.yaml"
    bad.write_text("precision: [unclosed\n")
    with pytest.raises(cfg.ConfigError, match="cannot parse config"):
        cfg.load(bad, fire)


def test_issue_example_yaml_with_bare_types(fire, tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("precision:\n  input: ap_fixed<16,6>\n"
                 "  default: {weight: ap_fixed<8,1>, bias: ap_fixed<16,6>, accum: lossless, result: ap_fixed<16,6>}\n"
                 "  layers:\n    fire.squeeze1x1: {result: ap_fixed<12,5,AP_RND,AP_SAT>}\n"
                 "    fire.expand1x1: {result: \"ap_fixed<10,4>\"}\n")
    c = cfg.load(p, fire)
    assert str(c["fire.squeeze1x1"].result) == "ap_fixed<12,5,AP_RND,AP_SAT>"
    assert str(c["fire.expand1x1"].result) == "ap_fixed<10,4>"
    assert str(c["fire.expand3x3"].weight) == "ap_fixed<8,1>"


def test_lossless_accum_too_wide_names_layer_and_fix(fire):
    wide = {"input": "ap_fixed<32,16>", "default": {t: "ap_fixed<32,16>" for t in ("weight", "bias", "result")}}
    with pytest.raises(cfg.ConfigError, match=r"layer fire.squeeze1x1: a lossless accumulator does not fit.*explicit accum"):
        cfg.load({"precision": wide}, fire)


def test_precision_sets_the_accumulator_unless_the_config_names_one(fire):
    """--precision means hls4ml's one default precision in every command: the accumulator too."""
    c = cfg.load(None, fire, precision="ap_fixed<32,16>")
    assert str(c["fire.expand1x1"].accum) == "ap_fixed<32,16>" and not c["fire.expand1x1"].accum_lossless
    c = cfg.load({"precision": {"default": {"accum": "lossless"}}}, fire, precision="ap_fixed<12,4>")
    assert c["fire.expand1x1"].accum_lossless and str(c["fire.expand1x1"].result) == "ap_fixed<12,4>"


def test_to_document_reproduces_the_config(fire):
    c = cfg.load({"precision": {"default": {"accum": "ap_fixed<18,7>"},
                                "layers": {"fire.expand3x3": {"result": "ap_fixed<9,4,AP_RND,AP_SAT>"}}},
                  "parallel": {"layers": {"fire.expand1x1": {"reuse_factor": 2}}}}, fire)
    again = cfg.load(cfg.to_document(c), fire)
    assert again.to_dict() == c.to_dict()
    assert again["fire.expand1x1"].reuse_factor == 2


def test_configs_pickle_and_have_a_stable_key():
    """Studies send Configs to worker processes as they are: a pickled Config resolves alike, stays
    read-only, and its key is the same in another process and differs for another config."""
    import pickle
    import subprocess
    import sys
    from hwsim.ir import zoo
    g = zoo.build("squeezenet_mini", weights=False)
    c = cfg.load({"precision": {"layers": {"conv1": {"result": "ap_fixed<12,4>"}}}}, g)
    back = pickle.loads(pickle.dumps(c))
    assert back.to_dict() == c.to_dict() and back.key() == c.key()
    with pytest.raises(TypeError):
        back.layers["conv1"] = None
    assert cfg.load(None, g).key() != c.key()
    code = ("from hwsim.ir import zoo; from hwsim.spec import config as cfg; "
            "g = zoo.build('squeezenet_mini', weights=False); "
            "print(cfg.load({'precision': {'layers': {'conv1': {'result': 'ap_fixed<12,4>'}}}}, g).key())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == c.key()


def test_the_hardware_section_is_complete_when_loaded():
    """The part comes from --part, else the document, else the device's Xilinx part (none for an
    Intel device, which HLS generation then refuses); --clock is a period in ns."""
    from hwsim.ir import zoo
    g = zoo.build("squeezenet_mini", weights=False)
    assert cfg.load(None, g).hardware["part"] == "xczu9eg-ffvb1156-2-e"
    assert cfg.load({"hardware": {"device": "zcu104"}}, g).hardware["part"].startswith("xczu7ev")
    assert cfg.load({"hardware": {"device": "zcu104", "part": "xc7z020clg400-1"}}, g).hardware["part"] == "xc7z020clg400-1"
    c = cfg.load({"hardware": {"device": "zcu104"}}, g, part="xcu250-figd2104-2L-e", clock_ns=4.0)
    assert c.hardware["part"] == "xcu250-figd2104-2L-e" and c.hardware["clock_mhz"] == 250.0
    assert cfg.load({"hardware": {"device": "arria10"}}, g).hardware["part"] is None
    with pytest.raises(cfg.ConfigError, match="--clock must be a positive period"):
        cfg.load(None, g, clock_ns=0)
