"""ONNX import, operator by operator (hwsim.ir.onnx_graph): small graphs built with onnx.helper, each
imported and run by the float reference, compared with onnxruntime (relative error = max|ref - ort| /
max|ort|, must be <= 1e-5); layer kinds, names, shapes and pruning."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import helper  # noqa: E402

from hwsim.ir.onnx_graph import import_onnx  # noqa: E402
from hwsim.sim import reference  # noqa: E402
from onnx_cases import conv, conv_net, const_node, init, make, rand, save, value_info  # noqa: E402

TOL = 1e-5


def rel_err(a, b):
    """max|a - b| / max|b| (b is onnxruntime's result)."""
    return float(np.abs(a - b).max() / np.abs(b).max())


def ort_run(path, x):
    """onnxruntime's output, one image at a time (the files have batch 1), stacked."""
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    return np.concatenate([s.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])


def check(tmp_path, model, input_shape=None, n=2, seed=3, ort_model=None):
    """Import `model`, run it on n random images with the reference and onnxruntime (on `ort_model`,
    the same network, if given); the graph."""
    path = save(model, tmp_path / "m.onnx")
    g = import_onnx(str(path), input_shape).graph
    x = np.random.default_rng(seed).standard_normal((n,) + tuple(g.input_shape)).astype(np.float32)
    ref = reference.run(g, x)
    want = ort_run(path if ort_model is None else save(ort_model, tmp_path / "ort.onnx"), x)
    assert ref.shape == (n,) + tuple(g.output_shape)
    assert ref.size == want.size, (ref.shape, want.shape)
    want = want.reshape(ref.shape)
    assert np.abs(want).max() > 0
    assert rel_err(ref, want) <= TOL
    return g


def kinds(g):
    return [l.kind for l in g.layers]


# --- Conv -------------------------------------------------------------------------------------

@pytest.mark.parametrize("k,strides,pads,bias", [
    ((3, 3), [1, 1], [1, 1, 1, 1], True),
    ((3, 5), [2, 1], [2, 1, 2, 1], False),       # stride, symmetric (per-axis) pads, no bias
    ((1, 1), [2, 2], [0, 0, 0, 0], False),
    ((5, 5), [2, 2], [0, 0, 0, 0], True)])
def test_conv(tmp_path, k, strides, pads, bias):
    nodes, inits = conv("c1", "x", "y", rand((6, 3) + k), rand(6, 1) if bias else None,
                        strides=strides, pads=pads, kernel_shape=list(k))
    g = check(tmp_path, make(nodes, inits, shape=(1, 3, 11, 12)))
    (layer,) = [l for l in g.layers if l.kind == "conv"]
    assert layer.kernel == k and layer.stride == tuple(strides) and layer.padding == tuple(pads[:2])
    assert g.weights[layer.name]["bias"].shape == (6,)
    if not bias:
        assert not g.weights[layer.name]["bias"].any()


@pytest.mark.parametrize("stride,bias", [(1, True), (2, False)])
def test_depthwise_conv(tmp_path, stride, bias):
    c = 5
    nodes, inits = conv("dw", "x", "y", rand((c, 1, 3, 3)), rand(c, 1) if bias else None, group=c,
                        strides=[stride, stride], pads=[1, 1, 1, 1])
    g = check(tmp_path, make(nodes, inits, shape=(1, c, 9, 9)))
    assert kinds(g) == ["input", "dwconv"]
    assert g.output_shape == ((c, 9, 9) if stride == 1 else (c, 5, 5))


def _bn(name, x, out, c, eps=1e-3):
    inits = [init(f"{name}.scale", rand(c, 1, True)), init(f"{name}.B", rand(c, 2)),
             init(f"{name}.mean", rand(c, 3)), init(f"{name}.var", rand(c, 4, True))]
    node = helper.make_node("BatchNormalization", [x] + [i.name for i in inits], [out], name=name, epsilon=eps)
    return node, inits


@pytest.mark.parametrize("depthwise", [False, True])
def test_batchnorm_folded_into_conv(tmp_path, depthwise):
    c, f = 4, (4 if depthwise else 6)
    w = rand((f, 1, 3, 3)) if depthwise else rand((f, c, 3, 3))
    nodes, inits = conv("c1", "x", "c", w, None, pads=[1, 1, 1, 1], **({"group": c} if depthwise else {}))
    bn, bn_inits = _bn("bn", "c", "b", f)
    relu = helper.make_node("Relu", ["b"], ["y"], name="relu")
    g = check(tmp_path, make(nodes + [bn, relu], inits + bn_inits, shape=(1, c, 8, 8)))
    assert kinds(g) == ["input", "dwconv" if depthwise else "conv", "relu"]
    assert g.params() == w.size + f     # the folded bias replaces gamma, beta, mean and var


def test_relu(tmp_path):
    nodes, inits = conv_net([helper.make_node("Relu", ["c"], ["y"], name="relu")])
    g = check(tmp_path, make(nodes, inits))
    assert kinds(g) == ["input", "conv", "relu"]


@pytest.mark.parametrize("style", ["attributes_opset6", "initializers_opset11", "constants_opset17",
                                   "min_only_opset13"])
def test_clip(tmp_path, style):
    if style == "attributes_opset6":
        clip, inits, opset = helper.make_node("Clip", ["c"], ["y"], name="clip", min=0.0, max=6.0), [], 6
    elif style == "initializers_opset11":
        clip, inits, opset = (helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip"),
                              [init("lo", 0.0), init("hi", 6.0)], 11)
    elif style == "constants_opset17":
        clip, inits, opset = helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip"), [], 17
    else:
        clip, inits, opset = helper.make_node("Clip", ["c", "lo"], ["y"], name="clip"), [init("lo", 0.0)], 13
    extra = [const_node("lo", 0.0), const_node("hi", 6.0)] if style == "constants_opset17" else []
    w = rand((4, 3, 3, 3)) * 4     # a wide range, so that both bounds clip
    nodes, conv_inits = conv("c1", "x", "c", w, rand(4, 1), pads=[1, 1, 1, 1])
    g = check(tmp_path, make(nodes + extra + [clip], conv_inits + inits, opset=opset))
    assert kinds(g) == ["input", "conv", "relu" if style == "min_only_opset13" else "relu6"]


# --- pools ------------------------------------------------------------------------------------

@pytest.mark.parametrize("hw,k,s,p,ceil", [
    (8, 3, 2, 0, 0), (8, 3, 2, 0, 1),       # floor 3, ceil 4
    (7, 2, 2, 0, 0), (7, 2, 2, 0, 1),       # 3, 4
    (5, 2, 2, 1, 1),                        # ceil gives 4, but the last window would start in the padding: 3
    (9, 3, 2, 1, 1), (6, 3, 2, 1, 1), (13, 3, 2, 0, 1)])
def test_maxpool(tmp_path, hw, k, s, p, ceil):
    pool = helper.make_node("MaxPool", ["c"], ["y"], name="pool", kernel_shape=[k, k], strides=[s, s],
                            pads=[p] * 4, ceil_mode=ceil)
    nodes, inits = conv_net([pool])
    model = make(nodes, inits, shape=(1, 3, hw, hw))
    g = check(tmp_path, model)
    got = ort_run(tmp_path / "m.onnx", np.zeros((1, 3, hw, hw), np.float32)).shape
    assert (1,) + g.output_shape == got     # the ceil-mode shape agrees with onnxruntime's
    assert g.layer("pool").ceil_mode == bool(ceil)


@pytest.mark.parametrize("pads,include", [([1, 1, 1, 1], 1), ([0, 0, 0, 0], 0), ([1, 0, 1, 0], 1),
                                          ([0, 0, 0, 0], 1)])
def test_avgpool(tmp_path, pads, include):
    pool = helper.make_node("AveragePool", ["c"], ["y"], name="pool", kernel_shape=[3, 3], strides=[2, 2],
                            pads=pads, count_include_pad=include)
    nodes, inits = conv_net([pool])
    g = check(tmp_path, make(nodes, inits, shape=(1, 3, 9, 9)))
    assert kinds(g) == ["input", "conv", "avgpool"] and g.layer("pool").padding == tuple(pads[:2])


def test_global_average_pool(tmp_path):
    nodes, inits = conv_net([helper.make_node("GlobalAveragePool", ["c"], ["y"], name="gap")])
    g = check(tmp_path, make(nodes, inits, shape=(1, 3, 7, 5)))
    assert kinds(g) == ["input", "conv", "gap"] and g.output_shape == (4, 1, 1)


# --- joins ------------------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [1, -3])
def test_concat_channels(tmp_path, axis):
    n1, i1 = conv("e1", "x", "a", rand((4, 3, 1, 1)), rand(4, 1))
    n2, i2 = conv("e3", "x", "b", rand((5, 3, 3, 3), 2), rand(5, 3), pads=[1, 1, 1, 1])
    cat = helper.make_node("Concat", ["a", "b"], ["y"], name="cat", axis=axis)
    g = check(tmp_path, make(n1 + n2 + [cat], i1 + i2))
    assert g.output_shape == (9, 8, 8) and g.layer("cat").inputs == ("e1", "e3")


def test_add_residual(tmp_path):
    n1, i1 = conv("c1", "x", "a", rand((4, 3, 3, 3)), rand(4, 1), pads=[1, 1, 1, 1])
    r1 = helper.make_node("Relu", ["a"], ["ra"], name="relu1")
    n2, i2 = conv("c2", "ra", "b", rand((4, 4, 3, 3), 2), rand(4, 3), pads=[1, 1, 1, 1])
    add = helper.make_node("Add", ["b", "ra"], ["s"], name="add")
    r2 = helper.make_node("Relu", ["s"], ["y"], name="relu2")
    g = check(tmp_path, make(n1 + [r1] + n2 + [add, r2], i1 + i2))
    assert kinds(g) == ["input", "conv", "relu", "conv", "add", "relu"]
    assert g.layer("add").inputs == ("c2", "relu1")


# --- dense ------------------------------------------------------------------------------------

def _flat(tail, tail_inits, opset=17):
    """x -> Conv -> Flatten "f" -> tail."""
    nodes, inits = conv_net([helper.make_node("Flatten", ["c"], ["f"], name="flatten")] + tail, tail_inits)
    return make(nodes, inits, shape=(1, 3, 4, 4), opset=opset)


@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm(tmp_path, trans_b):
    w = rand((10, 64), 5)
    gemm = helper.make_node("Gemm", ["f", "w", "b"], ["y"], name="fc", transB=trans_b)
    g = check(tmp_path, _flat([gemm], [init("w", w if trans_b else w.T), init("b", rand(10, 6))]))
    assert kinds(g) == ["input", "conv", "flatten", "dense"]
    assert np.array_equal(g.weights["fc"]["weight"], w)


def test_matmul_with_bias_add(tmp_path):
    w = rand((64, 7), 5)
    nodes = [helper.make_node("MatMul", ["f", "w"], ["m"], name="fc/MatMul"),
             helper.make_node("Add", ["m", "b"], ["y"], name="fc/Add")]
    b = rand(7, 6)
    g = check(tmp_path, _flat(nodes, [init("w", w), init("b", b)]))
    assert kinds(g) == ["input", "conv", "flatten", "dense"]
    (dense,) = [l for l in g.layers if l.kind == "dense"]
    assert np.array_equal(g.weights[dense.name]["bias"], b)


@pytest.mark.parametrize("target", [[1, -1], [0, -1], [-1, 64], [1, 64]])
def test_reshape_flatten(tmp_path, target):
    nodes, inits = conv_net([helper.make_node("Reshape", ["c", "shape"], ["f"], name="reshape"),
                             helper.make_node("Gemm", ["f", "w"], ["y"], name="fc", transB=1)],
                            [init("shape", target, np.int64), init("w", rand((3, 64)))])
    g = check(tmp_path, make(nodes, inits, shape=(1, 3, 4, 4)))
    assert kinds(g) == ["input", "conv", "flatten", "dense"]


def test_flatten_output(tmp_path):
    nodes, inits = conv_net([helper.make_node("Flatten", ["c"], ["y"], name="flatten", axis=1)])
    g = check(tmp_path, make(nodes, inits, shape=(1, 3, 4, 4)))
    assert kinds(g) == ["input", "conv", "flatten"] and g.output_shape == (64, 1, 1)


@pytest.mark.parametrize("opset", [10, 17])
def test_dropout_and_identity(tmp_path, opset):
    drop = (helper.make_node("Dropout", ["f"], ["d"], name="drop", ratio=0.3) if opset < 12 else
            helper.make_node("Dropout", ["f", "ratio"], ["d", "mask"], name="drop"))
    nodes = [helper.make_node("Identity", ["c"], ["i"], name="ident"),
             helper.make_node("Relu", ["i"], ["r"], name="relu"),
             helper.make_node("Flatten", ["r"], ["f"], name="flatten"), drop,
             helper.make_node("Identity", ["wt"], ["w"], name="ident_w"),    # an Identity of a constant
             helper.make_node("Gemm", ["d", "w", "b"], ["y"], name="fc", transB=1)]
    conv_nodes, inits = conv("c1", "x", "c", rand((4, 3, 3, 3)), rand(4, 1), pads=[1, 1, 1, 1])
    inits += [init("wt", rand((3, 64))), init("b", rand(3, 1))] + ([init("ratio", 0.3)] if opset >= 12 else [])
    g = check(tmp_path, make(conv_nodes + nodes, inits, shape=(1, 3, 4, 4), opset=opset))
    assert kinds(g) == ["input", "conv", "relu", "flatten", "dropout", "dense"]
    assert g.layer("drop").p == pytest.approx(0.3)


def test_constant_nodes_as_weights(tmp_path):
    nodes = [const_node("w", rand((4, 3, 3, 3))), const_node("b", rand(4, 1)),
             helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             const_node("shape", [1, -1], np.int64),
             helper.make_node("Reshape", ["c", "shape"], ["f"], name="reshape"),
             const_node("fw", rand((5, 64), 2)), const_node("fb", rand(5, 3)),
             helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], name="fc", transB=1)]
    g = check(tmp_path, make(nodes, shape=(1, 3, 4, 4)))
    assert kinds(g) == ["input", "conv", "flatten", "dense"]


# --- names, pruning, input shapes ---------------------------------------------------------------

def test_names_sanitized_and_unique(tmp_path):
    nodes, inits = conv("/features/features.0/Conv", "x", "a", rand((4, 3, 3, 3)), rand(4), pads=[1, 1, 1, 1])
    n2, i2 = conv("/features/features.0/Conv", "a", "b", rand((4, 4, 1, 1), 1), None)    # a repeated name
    n2[0].input[1] = i2[0].name = "w2"
    nodes += n2
    inits += i2
    nodes += [helper.make_node("Relu", ["b"], ["r"], name="/features/features.1/Relu"),
              helper.make_node("Relu", ["r"], ["r2"]),                                   # no name
              helper.make_node("Relu", ["r2"], ["r3"], name="block 1:act-out"),         # odd characters
              helper.make_node("MaxPool", ["r3"], ["y"], name="/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2])]
    model = make(nodes, inits)
    unnamed = onnx.ModelProto()
    unnamed.CopyFrom(model)
    for node in unnamed.graph.node:   # onnxruntime refuses repeated node names
        node.name = ""
    g = check(tmp_path, model, ort_model=unnamed)
    assert g.names() == ["input", "features.0.conv", "features.0.conv_2", "features.1.relu", "relu_3",
                         "block_1_act_out", "pool.maxpool"]
    assert len(set(g.names())) == len(g.names())


def test_dead_branch_is_pruned(tmp_path):
    nodes, inits = conv_net([helper.make_node("Relu", ["c"], ["y"], name="relu")])
    side, side_inits = conv("side", "c", "s", rand((2, 4, 1, 1)), rand(2))
    nodes += side + [helper.make_node("Relu", ["s"], ["s2"], name="side_relu")]
    g = check(tmp_path, make(nodes, inits + side_inits))
    assert g.names() == ["input", "c1", "relu"]
    assert set(g.weights) == {"c1"}
    # an operator hwsim does not read, in a branch the output does not depend on, is never read
    dead = nodes + [helper.make_node("Sigmoid", ["s2"], ["s3"], name="dead/Sigmoid")]
    assert check(tmp_path, make(dead, inits + side_inits)).names() == ["input", "c1", "relu"]


def test_batch_norm_folds_when_only_a_dead_branch_also_reads_the_conv(tmp_path):
    c = 4
    nodes, inits = conv("c1", "x", "c", rand((c, 3, 3, 3)), rand(c), pads=[1, 1, 1, 1])
    inits += [init("bn.scale", rand(c, 1, True)), init("bn.B", rand(c, 2)), init("bn.mean", rand(c, 3)),
              init("bn.var", rand(c, 4, True))]
    nodes += [helper.make_node("BatchNormalization", ["c", "bn.scale", "bn.B", "bn.mean", "bn.var"], ["y"], name="bn"),
              helper.make_node("Relu", ["c"], ["unused"], name="dead_relu")]
    assert check(tmp_path, make(nodes, inits)).names() == ["input", "c1"]


@pytest.mark.parametrize("dims,shape", [(["N", 3, 8, 8], None), (["N", 3, 8, 8], (3, 8, 8)),
                                        (["batch", 3, "H", "W"], (3, 10, 6)), (None, (3, 6, 6))])
def test_free_batch_with_input_shape(tmp_path, dims, shape):
    nodes, inits = conv_net([helper.make_node("Relu", ["c"], ["y"], name="relu")])
    model = make(nodes, inits, inputs=[value_info("x", dims)])
    if shape is None:
        # (N, 3, 8, 8) without input_shape: a free batch alone is refused too (it needs --input-shape)
        from hwsim.util.errors import InputError
        with pytest.raises(InputError, match="free dimensions"):
            import_onnx(str(save(model, tmp_path / "m.onnx")))
        return
    g = check(tmp_path, model, input_shape=shape)
    assert g.input_shape == shape and g.output_shape == (4,) + shape[1:]


def test_zero_dimensions_are_free(tmp_path):
    """A 0 dimension is a free one (onnxruntime reads it as a literal 0, so no comparison here)."""
    nodes, inits = conv_net([helper.make_node("Relu", ["c"], ["y"], name="relu")])
    path = save(make(nodes, inits, inputs=[value_info("x", [0, 3, 0, 0])]), tmp_path / "m.onnx")
    g = import_onnx(str(path), (3, 5, 7)).graph
    assert g.input_shape == (3, 5, 7) and g.output_shape == (4, 5, 7)
