"""Weight files: key scheme, .npz / .pth / ONNX round trips and every error case."""
import sys
import warnings

import numpy as np
import pytest

from hwsim.sim import reference
from hwsim.ir import zoo
from hwsim.util.errors import InputError
from hwsim.ir.graph import Conv2d, Dense, Flatten, Graph, Input, ReLU
from hwsim.ir.weights import load_weights, save_npz, state_dict, state_dict_keys

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from hwsim.backends.hls4ml.torch_export import to_torch  # noqa: E402


def _same_weights(a, b):
    assert set(a.weights) == set(b.weights)
    for name, arrs in a.weights.items():
        assert set(arrs) == set(b.weights[name])
        for k, v in arrs.items():
            assert np.array_equal(v, b.weights[name][k]), (name, k)


def _save_pth(tensors, path):
    torch.save({k: torch.from_numpy(np.array(v)) for k, v in tensors.items()}, path)


def test_keys_follow_torchvision():
    keys = state_dict_keys(zoo.build("squeezenet1_0"))
    assert keys["features.0.weight"] == ("conv1", "weight")
    assert keys["features.3.squeeze.weight"] == ("fire2.squeeze1x1", "weight")
    assert keys["features.3.expand1x1.bias"] == ("fire2.expand1x1", "bias")
    assert keys["features.5.expand3x3.weight"] == ("fire4.expand3x3", "weight")
    assert keys["features.7.squeeze.weight"] == ("fire5.squeeze1x1", "weight")
    assert keys["features.12.expand3x3.weight"] == ("fire9.expand3x3", "weight")
    assert keys["classifier.1.weight"] == ("conv10", "weight")
    assert len(keys) == 2 * (1 + 8 * 3 + 1)
    v11 = state_dict_keys(zoo.build("squeezenet1_1"))
    assert v11["features.6.squeeze.weight"] == ("fire4.squeeze1x1", "weight")
    assert v11["features.12.expand3x3.bias"] == ("fire9.expand3x3", "bias")
    fire = state_dict_keys(zoo.build("fire"))
    assert list(fire) == ["squeeze.weight", "squeeze.bias", "expand1x1.weight", "expand1x1.bias",
                          "expand3x3.weight", "expand3x3.bias"]
    cx = state_dict_keys(zoo.build("squeezenet1_0_complex_bypass"))
    assert cx["features.3.bypass.weight"] == ("fire2.bypass_conv", "weight")
    assert cx["features.10.bypass.bias"] == ("fire8.bypass_conv", "bias")
    assert cx["classifier.1.weight"] == ("conv10", "weight")
    alex = state_dict_keys(zoo.build("alexnet", input_shape=(3, 63, 63)))
    assert [k for k in alex if k.endswith("weight")] == [
        "features.0.weight", "features.3.weight", "features.6.weight", "features.8.weight",
        "features.10.weight", "classifier.1.weight", "classifier.4.weight", "classifier.6.weight"]


@pytest.mark.parametrize("name", ["squeezenet1_1", "squeezenet1_0_complex_bypass", "fire",
                                  "squeezenet_mini"])
def test_npz_round_trip(tmp_path, name):
    src = zoo.build(name, seed=1)
    save_npz(src, tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz") as f:
        assert list(f.files) == list(state_dict_keys(src))
    got = load_weights(zoo.build(name, seed=2), tmp_path / "w.npz")
    _same_weights(got, src)


def test_pth_round_trip_and_zoo_reexport(tmp_path):
    src = zoo.build("squeezenet1_1", seed=4, input_shape=(3, 32, 32))
    _save_pth(state_dict(src), tmp_path / "w.pth")
    got = zoo.load_weights(zoo.build("squeezenet1_1", input_shape=(3, 32, 32)), str(tmp_path / "w.pth"))
    _same_weights(got, src)
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32)
    assert np.array_equal(reference.run(got, x), reference.run(src, x))


def _export_onnx(graph, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(to_torch(graph), (torch.zeros((1,) + graph.input_shape),), str(path),
                          dynamo=False)


@pytest.mark.parametrize("name,shape", [("squeezenet_mini", None), ("squeezenet1_1", (3, 32, 32)),
                                        ("alexnet", (3, 63, 63))])
def test_onnx_exported_from_torch_maps_by_order(tmp_path, name, shape):
    src = zoo.build(name, seed=5, input_shape=shape)
    _export_onnx(src, tmp_path / "m.onnx")
    names = {i.name for i in onnx.load(str(tmp_path / "m.onnx")).graph.initializer}
    assert not names & set(state_dict_keys(src))  # module names, not torchvision keys
    _same_weights(load_weights(zoo.build(name, seed=6, input_shape=shape), tmp_path / "m.onnx"), src)


def _onnx_by_hand(graph, path, trans_b=1, rename=None):
    """Conv/Gemm chain whose initializers carry the state-dict keys (or names from `rename`)."""
    sd = state_dict(graph)
    keys = state_dict_keys(graph)
    inits, nodes, prev = [], [], "x"
    for layer in [l for l in graph.layers if l.has_weights]:
        ins = [prev]
        for key, (lname, tensor) in keys.items():
            if lname == layer.name:
                arr = sd[key].T if (layer.kind == "dense" and tensor == "weight" and not trans_b) \
                    else sd[key]
                name = rename(key) if rename else key
                inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
                ins.append(name)
        out = layer.name + "_out"
        if layer.kind == "conv":
            nodes.append(helper.make_node("Conv", ins, [out], pads=list(layer.padding) * 2,
                                          strides=list(layer.stride)))
        else:
            nodes.append(helper.make_node("Gemm", ins, [out], transB=trans_b))
        prev = out
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
                          [helper.make_tensor_value_info(prev, TensorProto.FLOAT, None)], inits)
    onnx.save(helper.make_model(g), str(path))


def test_onnx_by_name_and_by_order(tmp_path):
    src = zoo.build("squeezenet1_0", seed=7, input_shape=(3, 64, 64))
    _onnx_by_hand(src, tmp_path / "named.onnx")
    _same_weights(load_weights(zoo.build("squeezenet1_0", input_shape=(3, 64, 64)),
                               tmp_path / "named.onnx"), src)
    _onnx_by_hand(src, tmp_path / "renamed.onnx", rename=lambda k: "w_" + k.replace(".", "_"))
    _same_weights(load_weights(zoo.build("squeezenet1_0", input_shape=(3, 64, 64)),
                               tmp_path / "renamed.onnx"), src)


def _dense_net(seed):
    g = Graph("dn", (Input("in", (), shape=(2, 4, 4)),
                     Conv2d("c", ("in",), out_channels=3, kernel=3), ReLU("r", ("c",)),
                     Flatten("f", ("r",)), Dense("fc", ("f",), out_features=5)))
    rng = np.random.default_rng(seed)
    return g.with_weights({l.name: {k: rng.standard_normal(s) for k, s in g.weight_shapes(l).items()}
                           for l in g.layers if l.has_weights})


@pytest.mark.parametrize("trans_b", [0, 1])
def test_onnx_gemm_transposition(tmp_path, trans_b):
    src = _dense_net(1)
    _onnx_by_hand(src, tmp_path / "d.onnx", trans_b=trans_b, rename=lambda k: "t" + k)
    assert state_dict_keys(src) == {"features.0.weight": ("c", "weight"),
                                    "features.0.bias": ("c", "bias"),
                                    "features.2.weight": ("fc", "weight"),
                                    "features.2.bias": ("fc", "bias")}
    _same_weights(load_weights(_dense_net(2), tmp_path / "d.onnx"), src)


# --- errors ---------------------------------------------------------------------------------------
@pytest.fixture
def mini_sd():
    return state_dict(zoo.build("squeezenet_mini"))


@pytest.mark.parametrize("fmt", ["npz", "pth"])
def test_missing_extra_misshaped(tmp_path, mini_sd, fmt):
    g = zoo.build("squeezenet_mini")

    def write(tensors):
        path = tmp_path / f"w.{fmt}"
        np.savez(path, **tensors) if fmt == "npz" else _save_pth(tensors, path)
        return path

    missing = {k: v for k, v in mini_sd.items() if k != "features.4.squeeze.weight"}
    with pytest.raises(ValueError, match=r"missing key 'features.4.squeeze.weight' for layer "
                                         r"fire3.squeeze1x1 weight of shape \(8, 64, 1, 1\)"):
        load_weights(g, write(missing))
    with pytest.raises(ValueError, match=r"unexpected key 'features.9.weight' with shape \(2, 2\)"):
        load_weights(g, write({**mini_sd, "features.9.weight": np.zeros((2, 2), np.float32)}))
    bad = {**mini_sd, "classifier.1.weight": np.zeros((10, 96, 3, 3), np.float32)}
    with pytest.raises(ValueError, match=r"key 'classifier.1.weight' for layer conv10 weight: graph "
                                         r"expects shape \(10, 96, 1, 1\), file has \(10, 96, 3, 3\)"):
        load_weights(g, write(bad))
    ints = {**mini_sd, "features.0.bias": np.zeros(32, np.int64)}
    with pytest.raises(ValueError, match="features.0.bias' has dtype int64"):
        load_weights(g, write(ints))


def test_file_errors(tmp_path, mini_sd):
    g = zoo.build("squeezenet_mini")
    with pytest.raises(ValueError, match=r"unknown weight file type '.h5'"):
        load_weights(g, tmp_path / "w.h5")
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load_weights(g, tmp_path / "nope.npz")
    torch.save([torch.zeros(2)], tmp_path / "list.pth")
    with pytest.raises(ValueError, match="expected a state dict.*got list"):
        load_weights(g, tmp_path / "list.pth")
    with pytest.raises(ValueError, match="has no weights"):
        save_npz(Graph("bare", g.layers), tmp_path / "x.npz")


def test_pth_without_torch_is_a_clear_error(tmp_path, mini_sd, monkeypatch):
    _save_pth(mini_sd, tmp_path / "w.pth")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(InputError, match="needs PyTorch"):
        load_weights(zoo.build("squeezenet_mini"), tmp_path / "w.pth")


def test_onnx_errors(tmp_path):
    src = zoo.build("squeezenet_mini", seed=1)
    _onnx_by_hand(src, tmp_path / "m.onnx", rename=lambda k: "x" + k)
    with pytest.raises(ValueError, match="11 Conv/Gemm nodes with constant weights, but "
                                         "squeezenet1_1 has 26 weighted layers"):
        load_weights(zoo.build("squeezenet1_1", input_shape=(3, 32, 32)), tmp_path / "m.onnx")
    other = zoo.build("squeezenet_mini", num_classes=4)
    with pytest.raises(ValueError, match=r"key 'classifier.1.weight' \(from 'xclassifier.1.weight'\)"
                                         r" for layer conv10 weight: graph expects shape "
                                         r"\(4, 96, 1, 1\), file has \(10, 96, 1, 1\)"):
        load_weights(other, tmp_path / "m.onnx")
    _onnx_by_hand(src, tmp_path / "named.onnx")
    with pytest.raises(ValueError, match="graph expects shape"):
        load_weights(other, tmp_path / "named.onnx")
    node = helper.make_node("Conv", ["x", "w"], ["y"], group=2)
    model = helper.make_model(helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.zeros((4, 1, 1, 1), np.float32), "w")]))
    onnx.save(model, str(tmp_path / "grouped.onnx"))
    with pytest.raises(ValueError, match="grouped convolution"):
        load_weights(src, tmp_path / "grouped.onnx")


def test_onnx_conv_without_bias_gets_zero_bias(tmp_path):
    src = zoo.build("squeezenet_mini", seed=4)           # He init: every bias is zero
    for rename in (None, lambda k: "w_" + k.replace(".", "_")):   # matched by name and by order
        path = tmp_path / "nobias.onnx"
        _onnx_by_hand(src, path, rename=rename)
        model = onnx.load(str(path))
        for node in model.graph.node:
            del node.input[2:]                           # what exporters do with all-zero biases
        keep = {n.input[1] for n in model.graph.node}
        inits = [t for t in model.graph.initializer if t.name in keep]
        del model.graph.initializer[:]
        model.graph.initializer.extend(inits)
        onnx.save(model, str(path))
        got = load_weights(zoo.build("squeezenet_mini", seed=9), path)
        _same_weights(got, src)
        assert all(not np.any(got.weights[n]["bias"]) for n in got.weights)


def test_checkpoint_layouts_and_dataparallel_prefixes(tmp_path, mini_sd):
    from hwsim.ir.weights import classifier_width, read_state_dict
    torch.save({"epoch": 3, "state_dict": {"module." + k: torch.from_numpy(np.array(v))
                                           for k, v in mini_sd.items()}}, tmp_path / "ckpt.pth")
    g = load_weights(zoo.build("squeezenet_mini", seed=5), tmp_path / "ckpt.pth")
    _same_weights(g, zoo.build("squeezenet_mini"))
    for key in ("model_state_dict", "model"):
        torch.save({key: {k: torch.from_numpy(np.array(v)) for k, v in mini_sd.items()}, "step": 1},
                   tmp_path / f"{key}.pth")
        assert sorted(read_state_dict(tmp_path / f"{key}.pth")) == sorted(mini_sd)
    five = state_dict(zoo.build("squeezenet_mini", num_classes=5))
    assert classifier_width(zoo.build("squeezenet_mini", weights=False), five) == 5
    assert classifier_width(zoo.build("squeezenet_mini", weights=False), {}) is None


def test_nonfinite_weights_are_refused_unless_allowed(tmp_path, mini_sd):
    bad = dict(mini_sd)
    bad["classifier.1.weight"] = bad["classifier.1.weight"].copy()
    bad["classifier.1.weight"][0, 0, 0, 0] = np.inf
    np.savez(tmp_path / "inf.npz", **bad)
    with pytest.raises(InputError, match=r"'classifier.1.weight' \(layer conv10 weight\) has 1 NaN or infinite"):
        load_weights(zoo.build("squeezenet_mini"), tmp_path / "inf.npz")
    g = load_weights(zoo.build("squeezenet_mini"), tmp_path / "inf.npz", allow_nonfinite=True)
    assert np.isinf(g.weights["conv10"]["weight"]).sum() == 1
