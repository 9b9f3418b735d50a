"""Real networks through the ONNX importer: torchvision's squeezenet1_0, squeezenet1_1, mobilenet_v2 and
resnet18, randomly initialised (seeded) and exported by torch.onnx.export (dynamo=False) at 1x3x224x224.
Each imports; the float reference agrees with onnxruntime and with torch (relative error = max|ref -
other| / max|other|, <= 1e-5); parameter and MAC counts follow from the torch module; `hwsim budget
--model net.onnx` finds resnet18 over the 10 MiB default budget at 8-bit weights and the SqueezeNets
within it. The exports without constant folding keep their BatchNormalization nodes, which the
importer folds itself."""
import fcntl
import json
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

import torchvision_models as tvm  # noqa: E402
from hwsim import cli  # noqa: E402
from hwsim.ir.onnx_graph import import_onnx  # noqa: E402
from hwsim.sim import reference  # noqa: E402

TOL = 1e-5
SHAPE = (1, 3, 224, 224)
NETS = list(tvm.NAMES)
# exported with do_constant_folding=False: the BatchNormalization nodes stay in the file
UNFOLDED = ["mobilenet_v2:bn", "resnet18:bn"]


def rel_err(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def _images(n=2, seed=11):
    return np.random.default_rng(seed).standard_normal((n,) + SHAPE[1:]).astype(np.float32)


class Net(NamedTuple):
    module: torch.nn.Module
    path: Path             # the ONNX file
    imported: object       # its hwsim.ir.onnx_graph.Imported
    torch_out: np.ndarray  # the module's output on _images()


@pytest.fixture(scope="session")
def exported(tmp_path_factory, request):
    """key -> Net. Each network is exported (and run by torch on _images()) once per test session:
    the xdist workers share the files (a lock per network; the first worker to ask writes them)."""
    folder = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):
        folder = folder.parent
    folder = folder / "torchvision_onnx"
    folder.mkdir(exist_ok=True)
    cache = {}

    def get(key):
        if key not in cache:
            name, _, variant = key.partition(":")
            module = tvm.model(name)
            path = folder / f"{name}{'_' + variant if variant else ''}.onnx"
            out = folder / f"{name}_torch.npy"
            with open(folder / f"{name}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not path.is_file():
                    tmp = folder / f"{path.stem}.tmp"
                    with warnings.catch_warnings(), torch.no_grad():
                        warnings.simplefilter("ignore")
                        torch.onnx.export(module, (torch.zeros(SHAPE),), str(tmp), dynamo=False,
                                          do_constant_folding=variant != "bn")
                    tmp.rename(path)
                if not out.is_file():
                    with torch.no_grad():
                        np.save(folder / f"{name}_torch.tmp.npy", module(torch.from_numpy(_images())).numpy())
                    (folder / f"{name}_torch.tmp.npy").rename(out)
            cache[key] = Net(module, path, import_onnx(str(path)), np.load(out))
        return cache[key]
    return get


@pytest.mark.parametrize("key", NETS + UNFOLDED)
def test_reference_matches_onnxruntime_and_torch(exported, key):
    _, path, imported, torch_out = exported(key)
    g = imported.graph
    assert g.input_shape == SHAPE[1:] and g.output_shape == (1000, 1, 1)
    x = _images()
    ref = reference.run(g, x).reshape(len(x), -1)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    want = np.concatenate([session.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])
    assert want.shape == torch_out.shape == ref.shape == (2, 1000)
    assert rel_err(ref, want) <= TOL
    assert rel_err(ref, torch_out) <= TOL
    assert not np.array_equal(ref[0], ref[1])


def _torch_counts(module):
    """(parameters hwsim keeps, MACs) from the torch module: its parameters, less gamma and beta of
    each batch norm folded into a bias-free conv plus the bias that folding gives (-2C + C); the MACs of
    its convolutions and linear layers at 1x3x224x224."""
    params = sum(p.numel() for p in module.parameters())
    prev = None
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            assert isinstance(prev, torch.nn.Conv2d) and prev.out_channels == m.num_features
            params += -2 * m.num_features + (m.num_features if prev.bias is None else 0)
        if isinstance(m, (torch.nn.Conv2d, torch.nn.BatchNorm2d)):
            prev = m
    macs = []

    def hook(m, inp, out):
        if isinstance(m, torch.nn.Conv2d):
            macs.append(out.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1])
        else:
            macs.append(m.in_features * m.out_features)
    handles = [m.register_forward_hook(hook) for m in module.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        module(torch.zeros(SHAPE))
    for h in handles:
        h.remove()
    return params, sum(macs)


# torchvision's published GMACs ("_ops" in each weight enum's meta) at 224x224
PUBLISHED_GMACS = {"squeezenet1_0": 0.819, "squeezenet1_1": 0.349, "mobilenet_v2": 0.301, "resnet18": 1.814}


@pytest.mark.parametrize("key", NETS + UNFOLDED)
def test_parameter_and_mac_counts(exported, key):
    module, _, imported, _ = exported(key)
    g = imported.graph
    params, macs = _torch_counts(module)
    assert g.params() == params
    assert g.macs() == macs
    assert abs(g.macs() / 1e9 - PUBLISHED_GMACS[key.split(":")[0]]) < 0.0006


@pytest.mark.parametrize("key", UNFOLDED)
def test_batchnorm_nodes_folded_like_the_exporter_does(exported, key):
    import onnx
    _, path, imported, _ = exported(key)
    _, folded_path, folded, _ = exported(key.split(":")[0])
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    assert "BatchNormalization" in ops
    assert "BatchNormalization" not in [n.op_type for n in onnx.load(str(folded_path)).graph.node]
    assert [l.kind for l in imported.graph.layers] == [l.kind for l in folded.graph.layers]
    assert ops.count("BatchNormalization") == ops.count("Conv")


@pytest.mark.parametrize("key,fits", [("squeezenet1_0", True), ("squeezenet1_1", True),
                                      ("mobilenet_v2", True), ("resnet18", False)])
def test_budget_verdict_at_8_bit_weights(exported, capsys, key, fits):
    _, path, imported, _ = exported(key)
    capsys.readouterr()
    code = cli.main(["budget", "--model", str(path), "--format", "json"])
    out, err = capsys.readouterr()
    assert err == ""
    d = json.loads(out)
    assert code == (0 if fits else 3) and d["fits"] is fits
    assert d["budget_bits"] == 10 * 2 ** 20 * 8
    t = d["totals"]
    assert t["params"] == imported.graph.params()
    assert (t["onchip_bits"] <= d["budget_bits"]) is fits
    assert t["onchip_bits"] == t["weight_bits"] + t["activation_bits"]
    widths = {m["width"] // (layer["pe"] * layer["simd"]) for layer in d["layers"]
              for unit in layer.get("units", ()) for m in unit["memories"] if m["role"] == "weights"}
    assert widths == {8}      # the default weight type: 8 bits a weight
    g = imported.graph
    n_bias = sum(w["bias"].size for w in g.weights.values())
    assert 8 * (g.params() - n_bias) <= t["weight_bits"] <= 8 * (g.params() - n_bias) + 32 * n_bias
    assert cli.main(["budget", "--model", str(path)]) == code
    out, _ = capsys.readouterr()
    assert out.strip().splitlines()[-1].startswith("FITS: " if fits else "EXCEEDS: ")


def test_torchvision_helper_imports_twice():
    """A second copy of tests/torchvision_models.py (another name) and a reload define no schema twice."""
    import importlib
    import importlib.util
    spec = importlib.util.spec_from_file_location("torchvision_models_again", tvm.__file__)
    again = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(again)
    assert again._LIB is None
    importlib.reload(tvm)
    assert torch.ops.torchvision.nms is not None
    assert again.model("squeezenet1_1").training is False


SMALL = {"mobilenet_v2": {"width_mult": 0.25, "num_classes": 10}, "resnet18": {"num_classes": 10}}


@pytest.mark.csim
@pytest.mark.parametrize("name", sorted(SMALL))
def test_small_torchvision_networks_csim_bit_exact(tmp_path, name):
    """mobilenet_v2 (width 0.25: depthwise stride 2, linear bottlenecks, residual adds, ReLU6) and
    resnet18 (residual add + ReLU fused into the add unit, padded max pool, 1x1 stride-2 downsample),
    10 classes at 3x32x32 with non-trivial batch norms, imported and generated at pe = simd = 1: the
    C simulation equals the simulator and every kernel's counted cycles equal the plan."""
    import torch
    from torchvision_models import torchvision
    from hwsim.backends import project
    from hwsim.backends.csim import compare
    from hwsim.backends.project import generate_project
    from hwsim.hw import pipeline
    from hwsim.ir.onnx_graph import import_onnx
    from hwsim.spec import config as cfg
    torch.manual_seed(3)
    m = torchvision.models.get_model(name, weights=None, **SMALL[name]).eval()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    path = tmp_path / f"{name}.onnx"
    torch.onnx.export(m, (torch.zeros(1, 3, 32, 32),), str(path), dynamo=False)
    g = import_onnx(str(path)).graph
    c = cfg.load(None, g)
    res = compare(project.read(generate_project(g, c, tmp_path / "P", {})), images=1, seed=5, progress=False)
    assert res["mismatches"] == 0, res
    plan = pipeline.build(g, c)
    assert res["cycles"]["kernels"] == len(plan.units) and res["cycles"]["differ"] == [], res["cycles"]
