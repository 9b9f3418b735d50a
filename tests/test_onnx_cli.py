"""An ONNX file wherever a model name goes (budget, fold, generate + csim, compare, tune), `hwsim
import` (the config it writes, byte for byte the same each time, and what budget makes of it) and
`hwsim.from_torch`. The ONNX files are small torch modules exported in the test (and one QONNX file
built with onnx.helper)."""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import pytest
import yaml

from hwsim import cli
from hwsim.commands import common
from hwsim.spec import config as cfg

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
nn = torch.nn


class Net(nn.Module):
    """Conv, BN, ReLU, MaxPool, a residual Add, GAP, Flatten, Linear."""

    def __init__(self, channels: int = 1, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
        x = self.pool(self.relu(self.bn1(self.conv1(x))))
        y = self.relu(self.bn2(self.conv2(x)))
        return self.fc(torch.flatten(self.gap(x + y), 1))


def _net(channels: int = 1) -> Net:
    torch.manual_seed(0)
    m = Net(channels)
    with torch.no_grad():
        for bn in (m.bn1, m.bn2):          # batch norms that do something when folded
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)
    return m.eval()


def _export(module, path, shape, dynamic: bool = False) -> str:
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(shape),), str(path), dynamo=False, input_names=["input"],
                          output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}} if dynamic else None)
    return str(path)


def _qonnx(path) -> str:
    """input -> Quant -> Conv (Quant weight) -> Relu -> Quant -> MaxPool -> Flatten -> Gemm."""
    from onnx import TensorProto, helper, numpy_helper
    q = "qonnx.custom_op.general"
    rng = np.random.default_rng(0)
    inits = []

    def init(name, v):
        inits.append(numpy_helper.from_array(np.asarray(v, np.float32), name))

    def quant(src, dst, scale, bits, signed, name):
        for part, v in (("s", scale), ("z", 0.0), ("b", bits)):
            init(f"{name}_{part}", v)
        return helper.make_node("Quant", [src, f"{name}_s", f"{name}_z", f"{name}_b"], [dst], name=name,
                                domain=q, signed=signed, narrow=0, rounding_mode="ROUND")
    init("w", rng.standard_normal((4, 1, 3, 3)) * 0.3)
    init("b", rng.standard_normal(4) * 0.1)
    init("fw", rng.standard_normal((10, 64)) * 0.1)
    init("fb", np.zeros(10))
    nodes = [quant("input", "xq", 2 ** -4, 8, 1, "quant_in"), quant("w", "wq", 2 ** -6, 6, 1, "quant_w"),
             helper.make_node("Conv", ["xq", "wq", "b"], ["c"], name="/conv/Conv", pads=[1, 1, 1, 1],
                              kernel_shape=[3, 3]),
             helper.make_node("Relu", ["c"], ["r"], name="/relu/Relu"),
             quant("r", "rq", 2 ** -3, 8, 0, "quant_r"),
             helper.make_node("MaxPool", ["rq"], ["p"], name="/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p"], ["f"], name="/Flatten"),
             helper.make_node("Gemm", ["f", "fw", "fb"], ["output"], name="/fc/Gemm", transB=1)]
    g = helper.make_graph(nodes, "q", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 8, 8])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(q, 1)]), str(path))
    return str(path)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("onnx")
    m = _net()
    return {"f": _export(m, d / "f.onnx", (1, 1, 16, 16)),
            "dyn": _export(m, d / "dyn.onnx", (1, 1, 16, 16), dynamic=True),
            "rgb": _export(_net(3), d / "rgb.onnx", (1, 3, 16, 16)),
            "q": _qonnx(d / "q.onnx"), "dir": d}


def run(capsys, *argv):
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as e:            # the argument parser's errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(capsys, *argv) -> str:
    code, out, err = run(capsys, *argv)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert out == ""
    return lines[0]


def _budget_json(capsys, *argv) -> dict:
    code, out, err = run(capsys, "budget", *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def _spec(**kw):
    base = dict(config=None, model=None, input_shape=None, num_classes=None, weights=None, alpha=None)
    return common.model_spec(argparse.Namespace(**{**base, **kw}))


# --- budget, and what an ONNX model refuses ----------------------------------------------------------
def test_budget_of_an_onnx_file(files, capsys):
    code, out, err = run(capsys, "budget", "--model", files["f"])
    assert code == 0, err
    assert "f 1x16x16" in out and "\nconv1 " in out and "\nfc.gemm " in out
    assert out.strip().splitlines()[-1].startswith("FITS: ")
    d = _budget_json(capsys, "--model", files["rgb"])
    assert d["totals"]["params"] == 3 * 8 * 9 + 8 + 8 * 8 * 9 + 8 + 8 * 10 + 10


def test_a_dynamic_batch_needs_the_input_shape(files, capsys):
    line = one_line_error(capsys, "budget", "--model", files["dyn"])
    assert "free dimensions (batch)" in line and "give --input-shape CxHxW" in line
    fixed = _budget_json(capsys, "--model", files["f"])
    dyn = _budget_json(capsys, "--model", files["dyn"], "--input-shape", "1x16x16")
    assert dyn["totals"] == fixed["totals"]
    line = one_line_error(capsys, "budget", "--model", files["dyn"], "--input-shape", "3x16x16")
    assert "disagrees with input 'input'" in line


@pytest.mark.parametrize("extra,expect", [
    (["--num-classes", "3"], "--num-classes does not apply: an ONNX model carries its own weights"),
    (["--alpha", "0.5"], "--alpha does not apply: an ONNX model carries its own weights"),
    (["--weights", "w.npz"], "--weights does not apply: an ONNX model carries its own weights"),
])
def test_options_an_onnx_model_has_no_use_for(files, capsys, extra, expect):
    assert expect in one_line_error(capsys, "budget", "--model", files["f"], *extra)


def test_config_errors_and_missing_files(files, tmp_path, capsys):
    line = one_line_error(capsys, "budget", "--model", tmp_path / "nope.onnx")
    assert line == f"hwsim budget: error: model file not found: {tmp_path / 'nope.onnx'}"
    assert "or the path of an .onnx file" in one_line_error(capsys, "budget", "--model", "vgg")
    for body, expect in (("weights: w.npz\n", "weights does not apply: an ONNX model carries its own"),
                         ("model_args: {num_classes: 3}\n", "model_args num_classes does not apply"),
                         ("model_args: {input_shape: [1, 16]}\n", "model_args.input_shape must be [C, H, W]")):
        c = tmp_path / "c.yaml"
        c.write_text(f"model: {files['f']}\n{body}")
        assert expect in one_line_error(capsys, "budget", "--config", c)
    c.write_text("model: missing.onnx\n")
    assert f"model file not found: {tmp_path / 'missing.onnx'}" in one_line_error(capsys, "budget", "--config", c)
    for command in ("generate", "fold", "compare", "tune"):
        tail = {"fold": ["--device", "zu3eg"], "tune": ["--budget", "1MiB", "--max-drop", "1"]}.get(command, [])
        out = ["-o", tmp_path / ("t.yaml" if command in ("fold", "tune") else "p")]
        assert "model file not found" in one_line_error(capsys, command, "--model", tmp_path / "x.onnx",
                                                        *tail, *(out if command != "compare" else []))


def test_a_config_names_the_model_relative_to_itself(files, tmp_path, monkeypatch, capsys):
    sub = tmp_path / "cfg"
    sub.mkdir()
    (sub / "c.yaml").write_text(f"model: {os.path.relpath(files['f'], sub)}\n")
    monkeypatch.chdir(tmp_path)
    assert _budget_json(capsys, "--config", "cfg/c.yaml")["totals"] == _budget_json(capsys, "--model", files["f"])["totals"]
    spec = _spec(config=str(sub / "c.yaml"))
    assert spec.onnx is not None and os.path.samefile(spec.onnx, files["f"]) and spec.kwargs == {}
    built = common.build(spec)
    assert built.model_args == {"input_shape": (1, 16, 16)} and built.imported.graph is built.graph


# --- QONNX types under the user's --------------------------------------------------------------------
def test_qonnx_types_sit_under_the_users_key_by_key(files, tmp_path):
    built = common.build(_spec(model=files["q"]))
    c = built.config
    assert str(c.input) == "ap_fixed<8,4,AP_RND_CONV,AP_SAT>"
    assert str(c["conv"].weight) == "ap_fixed<6,0,AP_RND_CONV,AP_SAT>"
    assert str(c["conv"].result) == str(c["relu"].result) == "ap_ufixed<8,5,AP_RND_CONV,AP_SAT>"
    assert str(c["conv"].bias) == cfg.BUILTIN["default"]["bias"]            # the file leaves it: built-in
    assert str(c["fc.gemm"].weight) == cfg.BUILTIN["default"]["weight"]
    y = tmp_path / "u.yaml"
    y.write_text(f"model: {files['q']}\nprecision:\n  default: {{weight: 'ap_fixed<4,1>'}}\n"
                 "  layers:\n    conv: {result: 'ap_fixed<12,4>'}\n")
    c = common.build(_spec(config=str(y))).config
    assert str(c["conv"].result) == "ap_fixed<12,4>"         # the user's key wins
    assert str(c["conv"].weight) == "ap_fixed<6,0,AP_RND_CONV,AP_SAT>"        # the file's stays
    assert str(c["fc.gemm"].weight) == "ap_fixed<4,1>"      # untyped: the user's default
    assert str(c.input) == "ap_fixed<8,4,AP_RND_CONV,AP_SAT>"
    from hwsim.spec.imported import merge_precision
    assert merge_precision({}, None) is None
    assert merge_precision({"input": "a"}, {"input": "b"}) == {"input": "b"}


# --- hwsim import ------------------------------------------------------------------------------------
def test_import_writes_an_editable_config_that_budget_reads_the_same(files, tmp_path, capsys):
    out = tmp_path / "net.yaml"
    code, so, err = run(capsys, "import", files["f"], "-o", out)
    assert code == 0 and so == "", err
    assert err.strip() == (f"import: {files['f']} -> {out}: 10 layers, 754 parameters, 55,376 MACs, "
                           "0 quantized tensors (QONNX)")
    text = out.read_text()
    doc = yaml.safe_load(text)
    assert doc["model"] == os.path.relpath(files["f"], tmp_path) and "model_args" not in doc
    assert list(doc["precision"]["layers"]) == ["conv1", "conv2", "add", "gap.globalaveragepool", "fc.gemm"]
    assert doc["precision"]["layers"]["conv1"] == {
        "weight": "ap_fixed<8,1,AP_RND_CONV,AP_SAT>", "bias": "ap_fixed<16,6,AP_RND_CONV,AP_SAT>",
        "accum": "lossless", "result": "ap_fixed<16,6,AP_TRN,AP_SAT>"}
    assert doc["parallel"] == {"layers": {n: {"pe": 1, "simd": 1} for n in ("conv1", "conv2", "fc.gemm")}}
    assert "    # conv, 8x16x16, 80 params, node '/conv1/Conv' (Conv)\n    conv1: {" in text
    assert "    # add, 8x8x8, 0 params, node '/Add' (Add)\n" in text
    assert _budget_json(capsys, "--config", out) == _budget_json(capsys, "--model", files["f"])
    code, table_a, _ = run(capsys, "budget", "--config", out)
    code, table_b, _ = run(capsys, "budget", "--model", files["f"])
    assert table_a == table_b

    edited = tmp_path / "edited.yaml"             # one type edited: the budget follows
    edited.write_text(text.replace("conv2: {weight: 'ap_fixed<8,1,", "conv2: {weight: 'ap_fixed<4,1,"))
    a, b = _budget_json(capsys, "--model", files["f"]), _budget_json(capsys, "--config", edited)
    assert b["totals"]["weight_bits"] == a["totals"]["weight_bits"] - 4 * 8 * 8 * 9


def test_import_is_deterministic_and_refuses_to_overwrite(files, tmp_path, capsys):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert run(capsys, "import", files["q"], "-o", a)[0] == 0
    assert run(capsys, "import", files["q"], "-o", b)[0] == 0
    assert a.read_bytes() == b.read_bytes()
    assert "-o " + str(a) + " exists and is not empty (use --force to replace it)" in \
        one_line_error(capsys, "import", files["q"], "-o", a)
    a.write_text("")
    assert run(capsys, "import", files["q"], "-o", a)[0] == 0            # an empty file is replaced
    assert run(capsys, "import", files["f"], "-o", a, "--force")[0] == 0
    assert a.read_bytes() != b.read_bytes()
    doc = yaml.safe_load(b.read_text())             # the QONNX file's types, spelled out
    assert doc["precision"]["input"] == "ap_fixed<8,4,AP_RND_CONV,AP_SAT>"
    assert doc["precision"]["layers"]["relu"] == {"result": "ap_ufixed<8,5,AP_RND_CONV,AP_SAT>"}
    assert "3 quantized tensors" in b.read_text().splitlines()[0]
    assert _budget_json(capsys, "--config", b) == _budget_json(capsys, "--model", files["q"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml"]    # no temporary files


def test_import_of_a_dynamic_batch_writes_the_input_shape(files, tmp_path, capsys):
    out = tmp_path / "sub" / "dyn.yaml"
    out.parent.mkdir()
    assert "give --input-shape" in one_line_error(capsys, "import", files["dyn"], "-o", out)
    assert not out.exists()
    assert run(capsys, "import", files["dyn"], "--input-shape", "1x16x16", "-o", out)[0] == 0
    doc = yaml.safe_load(out.read_text())
    assert doc["model_args"] == {"input_shape": [1, 16, 16]}
    assert doc["model"] == os.path.relpath(files["dyn"], out.parent) and doc["model"].startswith("..")
    assert _budget_json(capsys, "--config", out)["totals"] == _budget_json(capsys, "--model", files["f"])["totals"]


def test_import_errors_are_one_line(files, tmp_path, capsys):
    assert "model file not found" in one_line_error(capsys, "import", tmp_path / "x.onnx", "-o", tmp_path / "x.yaml")
    assert "name it .yaml or .yml" in one_line_error(capsys, "import", files["f"], "-o", tmp_path / "x.json")
    assert "not an .onnx file" in one_line_error(capsys, "import", "squeezenet1_1", "-o", tmp_path / "x.yaml")
    assert "folder" in one_line_error(capsys, "import", files["f"], "-o", tmp_path / "no" / "x.yaml")
    assert "required: -o/--output" in one_line_error(capsys, "import", files["f"])


def test_import_help_lists_the_supported_operators(capsys):
    from hwsim.commands import import_
    from hwsim.ir import onnx_graph
    assert import_.SUPPORTED == onnx_graph.SUPPORTED
    with pytest.raises(SystemExit):
        cli.main(["import", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(op in text for op in onnx_graph.SUPPORTED) and "--input-shape" in text


# --- fold, compare, tune, generate + csim ------------------------------------------------------------
def test_fold_writes_a_config_naming_the_file(files, tmp_path, capsys):
    out = tmp_path / "f.yaml"
    code, so, err = run(capsys, "fold", "--model", files["f"], "--device", "zu3eg", "-o", out)
    assert code == 0, err
    doc = yaml.safe_load(out.read_text())
    assert doc["model"] == os.path.relpath(files["f"], tmp_path) and "weights" not in doc
    folded = so.strip().splitlines()[-1]
    assert folded.startswith("FOLDED: ")
    code, so, err = run(capsys, "budget", "--config", out, "--device", "zu3eg")
    assert code == 0, err
    assert so.strip().splitlines()[-1].startswith("FITS: ") and "and ZU3EG" in so
    assert f"-> {folded.split()[1]} frames/s" in so          # the fps fold promised


@pytest.fixture(scope="module")
def small_npz(tmp_path_factory):
    from hwsim.study import data
    ds = data.digits("val")
    p = tmp_path_factory.mktemp("onnx-data") / "d.npz"
    np.savez(p, x=ds.x[:40], y=ds.y[:40])
    return str(p)


def test_compare_takes_an_onnx_model_as_trained(files, small_npz, capsys):
    code, out, err = run(capsys, "compare", "--model", files["f"], "--data", small_npz, "--workers", "1", "--quiet")
    assert code == 0, err
    assert "fc.gemm" in out and "top-1" in out


def test_tune_writes_a_config_that_budget_reads(files, small_npz, tmp_path, capsys):
    out = tmp_path / "t.yaml"
    code, so, err = run(capsys, "tune", "--model", files["f"], "--data", small_npz, "--budget", "1MiB",
                        "--max-drop", "5", "--widths", "6..8", "--workers", "1", "--quiet", "-o", out)
    assert code == 0, err
    doc = yaml.safe_load(out.read_text())
    assert doc["model"] == os.path.relpath(files["f"], tmp_path) and "weights" not in doc
    assert set(doc["precision"]["layers"]) >= {"conv1", "relu", "fc.gemm"}      # every type spelled out
    assert run(capsys, "budget", "--config", out)[0] == 0


@pytest.mark.csim
def test_generate_then_csim_is_bit_exact(files, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HWSIM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "P"
    code, so, err = run(capsys, "generate", "--model", files["f"], "-o", out)
    assert code == 0, err
    body = json.loads((out / "hwsim_project.json").read_text())
    assert body["model"] == "f" and body["model_args"] == {"input_shape": [1, 16, 16]}
    moved = tmp_path / "elsewhere"             # csim needs the project only, not the ONNX file
    moved.mkdir()
    monkeypatch.chdir(moved)
    code, so, err = run(capsys, "csim", out, "--images", "2", "--quiet")
    assert code == 0, err
    assert so.splitlines()[0] == "csim: 2 images, 20 values, 0 mismatches"


# --- hwsim.from_torch --------------------------------------------------------------------------------
def test_from_torch_matches_the_module():
    import hwsim
    m = _net(3).train()                           # from_torch puts it in eval mode
    imported = hwsim.from_torch(m, torch.zeros(1, 3, 16, 16))
    assert not m.training
    g = imported.graph
    assert g.name == "Net" and g.input_shape == (3, 16, 16) and imported.path == "" and imported.precision == {}
    assert imported.origin["conv1"] == "node '/conv1/Conv' (Conv)"
    x = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = m(x).numpy()
    got = hwsim.reference(g, x.numpy()).reshape(want.shape)
    assert np.max(np.abs(got - want)) / np.max(np.abs(want)) <= 1e-5
    assert hwsim.from_torch(m, torch.zeros(3, 16, 16)).graph.input_shape == (3, 16, 16)   # batch added


def test_from_torch_errors_are_input_errors():
    import hwsim
    from hwsim.util.errors import InputError

    class Sig(nn.Module):
        def forward(self, x):
            return torch.sigmoid(x)
    with pytest.raises(InputError, match=r"^Sig \(exported to ONNX\): node '/Sigmoid' \(Sigmoid\): operator Sigmoid"):
        hwsim.from_torch(Sig(), torch.zeros(1, 1, 4, 4))
    with pytest.raises(InputError, match="one image"):
        hwsim.from_torch(_net(), torch.zeros(2, 1, 16, 16))
    with pytest.raises(InputError, match="torch.nn.Module"):
        hwsim.from_torch(lambda x: x, torch.zeros(1, 1, 4, 4))
    with pytest.raises(InputError, match="disagrees"):
        hwsim.from_torch(_net(), torch.zeros(1, 1, 16, 16), input_shape=(1, 8, 8))


def test_from_torch_without_torch_is_one_line(monkeypatch):
    import sys
    from hwsim.ir import torch_import
    from hwsim.util.errors import InputError
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(InputError, match=r"^hwsim.from_torch needs PyTorch \(pip install torch\)$"):
        torch_import.from_torch(object(), None)
