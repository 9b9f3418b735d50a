"""Float reference vs PyTorch (relative error = max|ref - torch| / max|torch|, must be <= 1e-5)."""
import numpy as np
import pytest

from hwsim.sim import reference
from hwsim.ir import zoo
from hwsim.ir.graph import Add, AvgPool2d, Concat, Conv2d, Dense, Dropout, Flatten, GlobalAvgPool, Graph, Input, MaxPool2d, ReLU

import torch
F = torch.nn.functional
from hwsim.backends.hls4ml.torch_export import sanitize, to_torch  # noqa: E402

TOL = 1e-5


def rel_err(a, b):
    """max|a - b| / max|b| (b is the PyTorch result)."""
    return float(np.abs(a - b).max() / np.abs(b).max())


def _x(shape, n=2, seed=7):
    return np.random.default_rng(seed).standard_normal((n,) + tuple(shape)).astype(np.float32)


def _torch_out(graph, x):
    with torch.no_grad():
        return to_torch(graph)(torch.from_numpy(x)).numpy()


ZOO_CASES = [("squeezenet1_0", (3, 64, 64)), ("squeezenet1_1", (3, 64, 64)),
             ("squeezenet1_0_simple_bypass", (3, 64, 64)),
             ("squeezenet1_0_complex_bypass", (3, 64, 64)),
             ("fire", None), ("alexnet", (3, 63, 63)), ("squeezenet_mini", None)]


@pytest.mark.parametrize("name,shape", ZOO_CASES)
def test_zoo_matches_torch(name, shape):
    g = zoo.build(name, input_shape=shape, seed=3)
    x = _x(g.input_shape)
    ref = reference.run(g, x)
    assert ref.dtype == np.float32 and ref.shape == (2,) + g.output_shape
    want = _torch_out(g, x).reshape(ref.shape)
    assert np.abs(want).max() > 0
    assert rel_err(ref, want) <= TOL


def test_torch_module_traces_with_fx_and_names_are_sanitised():
    g = zoo.build("squeezenet1_0_complex_bypass", input_shape=(3, 64, 64))
    m = to_torch(g)
    traced = torch.fx.symbolic_trace(m)
    x = torch.from_numpy(_x(g.input_shape))
    with torch.no_grad():
        assert torch.equal(traced(x), m(x))
    subs = dict(m.named_children())
    assert m.module_names["fire2.squeeze1x1"] == "fire2_squeeze1x1"
    assert isinstance(subs["fire2_squeeze1x1"], torch.nn.Conv2d)
    assert isinstance(subs["pool1"], torch.nn.MaxPool2d) and subs["pool1"].ceil_mode
    assert all("." not in n for n in subs)
    ops = {n.target for n in traced.graph.nodes if n.op == "call_function"}
    assert torch.cat in ops
    assert sanitize("3x.a-b") == "l_3x_a_b"


def _single(layer_factory, in_shape, weights=None):
    layers = (Input("in", (), shape=in_shape),) + tuple(layer_factory())
    g = Graph("t", layers)
    if weights is None:
        rng = np.random.default_rng(1)
        weights = {l.name: {k: rng.standard_normal(s).astype(np.float32)
                            for k, s in g.weight_shapes(l).items()}
                   for l in g.layers if l.has_weights}
    return g.with_weights(weights)


@pytest.mark.parametrize("k,s,p", [((3, 3), (1, 1), (1, 1)), ((7, 7), (2, 2), (0, 0)),
                                   ((1, 1), (2, 2), (0, 0)), ((3, 5), (2, 1), (2, 1)),
                                   ((1, 1), (1, 1), (1, 1))])
def test_conv_vs_torch_functional(k, s, p):
    g = _single(lambda: [Conv2d("c", ("in",), out_channels=5, kernel=k, stride=s, padding=p)],
                (3, 11, 12))
    x = _x((3, 11, 12))
    w = g.weights["c"]
    want = F.conv2d(torch.from_numpy(x), torch.from_numpy(np.array(w["weight"])),
                    torch.from_numpy(np.array(w["bias"])), stride=s, padding=p).numpy()
    got = reference.run(g, x)
    assert got.shape == want.shape and rel_err(got, want) <= TOL


@pytest.mark.parametrize("size,k,s,p,ceil", [(14, 3, 2, 0, True), (14, 3, 2, 0, False),
                                             (13, 3, 2, 1, True), (8, 2, 2, 0, True),
                                             (10, 3, 3, 1, True), (7, 3, 1, 1, False)])
def test_maxpool_ignores_out_of_range_positions(size, k, s, p, ceil):
    """Negative inputs: reading padded or ceil-mode positions as 0 would change the result."""
    g = _single(lambda: [MaxPool2d("p", ("in",), kernel=k, stride=s, padding=p, ceil_mode=ceil)],
                (2, size, size))
    x = -np.abs(_x((2, size, size))) - 1
    want = F.max_pool2d(torch.from_numpy(x), k, s, p, ceil_mode=ceil).numpy()
    got = reference.run(g, x)
    assert got.shape == want.shape and np.array_equal(got, want)


@pytest.mark.parametrize("size,k,s,p", [(9, 3, 2, 1), (8, 2, 2, 0), (7, 3, 1, 1)])
def test_avgpool_counts_padding(size, k, s, p):
    g = _single(lambda: [AvgPool2d("p", ("in",), kernel=k, stride=s, padding=p)], (2, size, size))
    x = _x((2, size, size))
    want = F.avg_pool2d(torch.from_numpy(x), k, s, p, count_include_pad=True).numpy()
    got = reference.run(g, x)
    assert got.shape == want.shape and rel_err(got, want) <= TOL


def test_dense_flatten_add_concat_gap_dropout():
    def layers():
        return [Conv2d("c", ("in",), out_channels=4, kernel=3, padding=1), ReLU("r", ("c",)),
                Add("a", ("r", "in")), Concat("cat", ("a", "in")), Dropout("d", ("cat",)),
                GlobalAvgPool("g", ("d",)), Flatten("f", ("cat",)), Dense("fc", ("f",), out_features=3),
                Dense("fc2", ("cat",), out_features=2), Concat("out", ("fc", "fc2", "g"))]
    g = _single(layers, (4, 5, 6))
    x = _x((4, 5, 6))
    w = {k: {t: torch.from_numpy(np.array(a)) for t, a in v.items()} for k, v in g.weights.items()}
    t = torch.from_numpy(x)
    r = torch.relu(F.conv2d(t, w["c"]["weight"], w["c"]["bias"], padding=1))
    cat = torch.cat([r + t, t], dim=1)
    flat = cat.reshape(2, -1)
    want = torch.cat([F.linear(flat, w["fc"]["weight"], w["fc"]["bias"]),
                      F.linear(flat, w["fc2"]["weight"], w["fc2"]["bias"]),
                      cat.mean(dim=(2, 3))], dim=1).numpy()
    got = reference.run(g, x)
    assert got.shape == (2, 13, 1, 1)
    assert rel_err(got.reshape(2, 13), want) <= TOL
    assert rel_err(_torch_out(g, x).reshape(2, 13), want) <= TOL


def test_run_all_covers_every_layer():
    g = zoo.build("squeezenet_mini")
    x = _x(g.input_shape, n=3)
    acts = reference.run_all(g, x)
    assert list(acts) == g.names()
    for name, a in acts.items():
        assert a.dtype == np.float32 and a.shape == (3,) + g.shape(name)
    assert np.array_equal(acts["input"], x)
    assert np.array_equal(acts["pool10"], reference.run(g, x))
    assert np.array_equal(acts["conv1.relu"], np.maximum(acts["conv1"], 0))
    assert np.array_equal(acts["fire2.concat"][:, :32], acts["fire2.expand1x1.relu"])


def test_input_errors():
    g = zoo.build("squeezenet_mini")
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 1, 16, 16\), got \(2, 1, 8, 8\)"):
        reference.run(g, np.zeros((2, 1, 8, 8), np.float32))
    with pytest.raises(ValueError, match=r"got \(1, 16, 16\)"):
        reference.run(g, np.zeros((1, 16, 16), np.float32))
    with pytest.raises(TypeError, match="real numbers"):
        reference.run(g, np.full((1, 1, 16, 16), "a"))
    bare = Graph(g.name, g.layers)
    with pytest.raises(ValueError, match="no weights for layer 'conv1'"):
        reference.run(bare, np.zeros((1, 1, 16, 16), np.float32))
    with pytest.raises(ValueError, match="no weights for layer 'conv1'"):
        to_torch(bare)
