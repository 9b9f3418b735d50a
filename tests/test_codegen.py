"""Code generation: identifiers, determinism, config types and weights in the output, project
round trip, atomic writing, backends, CLI errors."""
from __future__ import annotations

import json
import re

import jinja2
import numpy as np
import pytest

from hwsim import cli
from hwsim.ir import zoo
from hwsim.spec import config as cfg
from hwsim.backends import registry as backends, project, writer
from hwsim.backends.hls import render
from hwsim.backends.hls.idents import CPP_KEYWORDS, ident, unique_idents
from hwsim.util.errors import InputError
from hwsim.backends.hls.render import environment
from hwsim.backends.project import generate_project
from hwsim.ir.graph import Conv2d, Graph, Input, MaxPool2d, ReLU

from codegen_helpers import build

FIRE = dict(in_channels=6, squeeze=3, expand1x1=4, expand3x3=5, size=5)
_C_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def fire_graph():
    return build("fire", **FIRE)


# --- identifiers -------------------------------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("fire2.expand1x1", "fire2_expand1x1"), ("int", "int_"), ("3x3", "l_3x3"), ("_x", "l_x"),
    ("a..b", "a_b"), ("a-b c", "a_b_c"), ("", "l"), ("new", "new_"), ("x__y", "x_y")])
def test_ident(name, expected):
    assert ident(name) == expected


def test_unique_idents_valid_and_distinct():
    names = ["a.b", "a_b", "a-b", "a_b_2", "class", "9lives", "fire2.squeeze1x1"]
    ids = unique_idents(names)
    assert len(set(ids.values())) == len(names)
    for v in ids.values():
        assert _C_IDENT.match(v) and "__" not in v and v not in CPP_KEYWORDS
    assert ids["a.b"] == "a_b" and ids["a_b"] == "a_b_2" and ids["a_b_2"] == "a_b_2_2"


# --- render ------------------------------------------------------------------------------------
def test_render_is_deterministic_and_strict():
    g = fire_graph()
    a = render(g, cfg.load(None, g))
    b = render(g, cfg.load(None, g))
    assert a == b
    assert environment().undefined is jinja2.StrictUndefined
    with pytest.raises(jinja2.UndefinedError):
        environment().get_template("top.h.j2").render(v=object())


def test_every_layer_is_named_in_top():
    g = fire_graph()
    top = render(g, cfg.load(None, g))["firmware/top.cpp"]
    for layer in g.layers[1:]:
        assert layer.name in top, layer.name
    assert "HLS DATAFLOW" in top
    assert "HLS INTERFACE axis port = input_stream" in top
    assert "HLS INTERFACE axis port = output_stream" in top


def test_types_come_from_config():
    g = fire_graph()
    doc = {"precision": {"default": {"accum": "ap_fixed<20,8,AP_RND,AP_SAT>"},
                         "layers": {"fire.expand3x3": {"weight": "ap_fixed<6,1,AP_RND_CONV,AP_SAT>",
                                                       "result": "ap_ufixed<9,4>"}}}}
    c = cfg.load(doc, g)
    params = render(g, c)["firmware/parameters.h"]
    struct = params[params.index("struct config_fire_expand3x3_mvau"):]
    struct = struct[:struct.index("};")]
    assert "typedef ap_fixed<6,1,AP_RND_CONV,AP_SAT> weight_t;" in struct
    assert "typedef ap_fixed<20,8,AP_RND,AP_SAT> accum_t;" in struct
    assert "typedef ap_ufixed<9,4> result_t;" in struct
    assert f"typedef {c['fire.expand3x3.relu'].result} t_fire_expand3x3_relu;" in params


def test_weights_are_raw_integers_of_the_weight_type():
    g = fire_graph()
    c = cfg.load({"precision": {"default": {"weight": "ap_fixed<6,2,AP_RND,AP_SAT>"}}}, g)
    text = render(g, c)["firmware/weights/w_fire_expand3x3.cpp"]
    body = text[text.index("w_fire_expand3x3[1][135][1] = {") + 31:]
    values = [int(v) for v in body[:body.index("};")].replace(",", " ").split()]
    w = np.asarray(g.weights["fire.expand3x3"]["weight"], dtype=np.float64).ravel()
    expected = np.clip(np.floor(w * 16 + 0.5), -32, 31).astype(int)   # AP_RND, AP_SAT, 4 frac bits
    assert values == expected.tolist()
    assert "const int8_t w_fire_expand3x3[1][135][1]" in text     # pe 1, simd 1: PyTorch order


def test_storage_pragmas_follow_the_plan():
    from hwsim.hw import estimate as memory
    g = fire_graph()
    c = cfg.load({"parallel": {"layers": {"fire.squeeze1x1": {"ram_style": "bram", "pe": 3, "simd": 2}}}}, g)
    vitis = render(g, c, tool="vitis")
    vivado = render(g, c, tool="vivado")
    top = vitis["firmware/top.cpp"]
    # PE memories (dim 1), SIMD values per word (dim 3), the plan's style
    assert "HLS ARRAY_PARTITION variable = w_fire_squeeze1x1 complete dim = 1" in top
    assert "HLS ARRAY_RESHAPE variable = w_fire_squeeze1x1 complete dim = 3" in top
    assert "HLS BIND_STORAGE variable = w_fire_squeeze1x1 type=rom_1p impl=bram" in top
    assert "HLS RESOURCE variable = w_fire_squeeze1x1 core=ROM_1P_BRAM" in vivado["firmware/top.cpp"]
    report = memory.estimate(g, c)
    style = {m.role: m.style for m in report.layer("fire.expand3x3").memories}["weights"]
    assert f"impl={style}" in top.split("variable = w_fire_expand3x3 ")[-1].split("\n")[0] or style == "reg"
    assert json.loads(vitis["memory.json"]) == json.loads(json.dumps(report.to_dict()))
    assert "-flow_target vivado" in vitis["build_prj.tcl"] and "vivado_hls -f" in vivado["build_prj.tcl"]


def test_part_and_clock_reach_the_tcl():
    g = fire_graph()
    c = cfg.load({"hardware": {"device": "zcu104", "clock_mhz": 250}}, g)
    tcl = render(g, c)["build_prj.tcl"]
    assert "set_part xczu7ev" in tcl and "create_clock -period 4 " in tcl


def test_kernel_headers_are_copied():
    from hwsim.util.toolchain import kernels_dir
    files = render(fire_graph(), cfg.load(None, fire_graph()))
    for p in kernels_dir().glob("*.h"):
        assert files[f"firmware/kernels/{p.name}"] == p.read_text()


# --- unsupported graphs -------------------------------------------------------------------------
def _weighted(layers):
    return zoo.he_init(Graph("odd", tuple(layers)))


def test_relu_not_after_conv_is_rejected():
    g = _weighted([Input("input", (), shape=(2, 6, 6)), Conv2d("c", ("input",), out_channels=2, kernel=1),
                   MaxPool2d("p", ("c",)), ReLU("r", ("p",))])
    with pytest.raises(ValueError, match="layer r: a ReLU"):
        render(g, cfg.load(None, g))


def test_dead_branch_is_rejected():
    g = _weighted([Input("input", (), shape=(2, 6, 6)), Conv2d("c", ("input",), out_channels=2, kernel=1),
                   Conv2d("d", ("input",), out_channels=2, kernel=1)])
    with pytest.raises(ValueError, match="layer c: its output is never used"):
        render(g, cfg.load(None, g))


def test_bad_tool_and_inputs():
    g = fire_graph()
    with pytest.raises(ValueError, match="unknown HLS tool"):
        render(g, cfg.load(None, g), tool="quartus")
    with pytest.raises(TypeError):
        render("fire", cfg.load(None, g))


# --- writing, project round trip ---------------------------------------------------------------
def test_generate_twice_gives_identical_bytes(tmp_path):
    outs = []
    for i in range(2):
        out = tmp_path / f"p{i}"
        assert cli.main(["generate", "--model", "fire", "--input-shape", "6x5x5", "-o", str(out)]) == 0
        outs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outs[0] == outs[1]
    assert "hwsim_project.json" in {str(p) for p in outs[0]} and "weights.npz" in {str(p) for p in outs[0]}


def test_project_round_trip(tmp_path):
    g = fire_graph()
    c = cfg.load({"precision": {"layers": {"fire.concat": {"result": "ap_fixed<12,5,AP_RND,AP_SAT>"}}},
                  "parallel": {"layers": {"fire.expand1x1": {"reuse_factor": 2}}}}, g)
    generate_project(g, c, tmp_path / "p", FIRE)
    p = project.read(tmp_path / "p")
    assert str(p.graph) == str(g) and p.backend == "hls"
    assert p.config.to_dict() == c.to_dict()
    for name, tensors in g.weights.items():
        for key, arr in tensors.items():
            assert np.array_equal(p.graph.weights[name][key], arr)
    meta = json.loads((tmp_path / "p" / "hwsim_project.json").read_text())
    assert meta["model"] == "fire" and meta["model_args"]["squeeze"] == 3


def test_writer_refuses_non_empty_target_and_is_atomic(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    with pytest.raises(InputError, match="--force"):
        writer.write_project(target, {"a.txt": "a"})
    with pytest.raises(RuntimeError):
        with writer.atomic_folder(target, force=True) as tmp:
            writer.write_files(tmp, {"a.txt": "a"})
            raise RuntimeError("generator failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (target / "keep.txt").read_text() == "x"
    writer.write_project(target, {"a.txt": "a", "sub/b.txt": "b"}, force=True)
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()) == ["a.txt", "sub/b.txt"]
    with pytest.raises(ValueError, match="leaves the project"):
        writer.write_project(tmp_path / "other", {"../escape.txt": "x"})


def test_cli_errors(tmp_path, capsys):
    out = tmp_path / "p"
    out.mkdir()
    (out / "x").write_text("x")
    assert cli.main(["generate", "--model", "fire", "-o", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):        # an argument error: the parser exits
        cli.main(["generate", "--model", "fire", "--clock", "-3", "-o", str(tmp_path / "q")])
    assert "argument --clock: must be a positive number" in capsys.readouterr().err
    assert cli.main(["csim", str(tmp_path / "missing")]) == 2
    assert cli.main(["csim", str(out)]) == 2
    assert "not a generated project" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["generate", "--backend", "nope"])


def test_backend_registry(monkeypatch):
    monkeypatch.setattr(backends, "_GENERATORS", dict(backends.generators()))
    monkeypatch.setattr(backends, "_RUNNERS", dict(backends._RUNNERS))
    backends.register("probe", generate=lambda *a: None, csim=lambda req: None)
    assert "probe" in backends.generators() and "hls" in backends.generators()
    assert backends.csim_runner("probe") is not None
    with pytest.raises(ValueError, match="no C-simulation runner"):
        backends.csim_runner("missing")
    with pytest.raises(ValueError):
        backends.register("bad name")
