"""QONNX `Quant` nodes as ap_fixed types (hwsim.ir.qonnx) against qonnx 1.0.0's own execution.

- The mapping: for every accepted (signed, narrow, rounding_mode), bit widths 2..16 and scales
  2^-6 .. 2^3, FixedType.parse(fixed_type(...)) quantizes exactly as qonnx's int_quant.
- Every refusal is one line naming the node and the value.
- A QONNX model built here (4- and 8-bit Quants on the input, weights, biases and feature maps, conv,
  relu, max pool, a residual add, a global average pool, a dense layer) and a tiny Brevitas export
  (tests/fixtures/brevitas_tiny.onnx): hwsim's bit-accurate simulation equals qonnx's execution on
  every quantized tensor, 0 differences.

Values in the property tests lie on a grid of 2^-20 LSB, where qonnx's float arithmetic is exact:
qonnx's HALF_UP, sign(x) floor(|x| + 0.5), rounds |x| + 0.5 itself for the largest double below
0.5 LSB (test_half_up_just_below_half shows it; hwsim's AP_RND_INF gives the exact half-up there).
"""
import math
import os
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

onnx = pytest.importorskip("onnx")
pytest.importorskip("qonnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from qonnx.core.modelwrapper import ModelWrapper  # noqa: E402
from qonnx.core.onnx_exec import execute_onnx  # noqa: E402
from qonnx.custom_op.general.intquant import int_quant  # noqa: E402
from qonnx.transformation.infer_shapes import InferShapes  # noqa: E402

from hwsim.fixed import FixedType  # noqa: E402
from hwsim.ir import qonnx  # noqa: E402
from hwsim.ir.onnx_graph import import_onnx, layer_base_name  # noqa: E402
from hwsim.sim import simulate  # noqa: E402
from hwsim.spec import config as cfg  # noqa: E402
from hwsim.util.errors import InputError  # noqa: E402

QD = "qonnx.custom_op.general"
MODES = ("ROUND", "HALF_EVEN", "FLOOR", "DOWN", "HALF_UP", "HALF_DOWN")
KINDS = ((1, 0), (1, 1), (0, 0))          # (signed, narrow); unsigned narrow is refused
FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "brevitas_tiny.onnx")


# --- the mapping ---------------------------------------------------------------------------------
def _type(signed, narrow, mode, bits, scale) -> FixedType:
    attrs = {"signed": signed, "narrow": narrow, "rounding_mode": mode.encode()}
    return FixedType.parse(qonnx.fixed_type("m.onnx", "node 'q' (Quant)", attrs, np.float32(scale),
                                            np.float32(0), np.float32(bits)))


def _qonnx(x, signed, narrow, mode, bits, scale):
    return int_quant(np.asarray(x, np.float64), np.float64(scale), np.float64(0), np.float64(bits),
                     signed, narrow, mode)


def _values(rng, bits, scale):
    """In LSB units: every tie k + 0.5 over the range and beyond, random points of the 2^-20 grid,
    the bounds and their neighbours, values far outside, zero; then times the scale."""
    top = 2 ** bits
    k = np.arange(-top - 3, top + 3)
    u = np.concatenate([k + 0.5, k, k + 0.25, k - 0.25,
                        np.round(rng.uniform(-1.5 * top, 1.5 * top, 400) * 2 ** 20) / 2 ** 20,
                        [0.0, 1e6, -1e6, 2.0 ** 40, -(2.0 ** 40), 0.5 - 2 ** -20, -0.5 + 2 ** -20]])
    return u * scale


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("signed,narrow", KINDS)
def test_mapping_equals_int_quant(signed, narrow, mode):
    rng = np.random.default_rng(10 * KINDS.index((signed, narrow)) + MODES.index(mode))
    for bits in range(2, 17):
        for e in range(-6, 4):
            scale = 2.0 ** e
            t = _type(signed, narrow, mode, bits, scale)
            x = _values(rng, bits, scale)
            got = t.to_float(t.quantize(x))
            want = _qonnx(x, signed, narrow, mode, bits, scale)
            bad = np.flatnonzero(got != want)
            assert bad.size == 0, (f"{t} vs Quant(bits={bits}, scale=2^{e}, signed={signed}, narrow={narrow}, "
                                   f"{mode}): x={x[bad[:5]]} hwsim={got[bad[:5]]} qonnx={want[bad[:5]]}")


def test_mapping_types():
    assert str(_type(1, 0, "ROUND", 8, 2 ** -5)) == "ap_fixed<8,3,AP_RND_CONV,AP_SAT>"
    assert str(_type(1, 1, "FLOOR", 4, 2 ** -3)) == "ap_fixed<4,1,AP_TRN,AP_SAT_SYM>"
    assert str(_type(0, 0, "HALF_UP", 8, 2 ** -4)) == "ap_ufixed<8,4,AP_RND_INF,AP_SAT>"
    assert str(_type(1, 0, "DOWN", 4, 8.0)) == "ap_fixed<4,7,AP_TRN_ZERO,AP_SAT>"         # f < 0
    assert str(_type(0, 0, "HALF_DOWN", 4, 2 ** -6)) == "ap_ufixed<4,-2,AP_RND_ZERO,AP_SAT>"   # f > b


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(KINDS), mode=st.sampled_from(MODES), bits=st.integers(2, 16),
       e=st.integers(-6, 3), units=st.lists(st.integers(-(2 ** 40), 2 ** 40), min_size=1, max_size=20),
       grid=st.integers(0, 20))
def test_mapping_property(kind, mode, bits, e, units, grid):
    signed, narrow = kind
    scale = 2.0 ** e
    x = np.array(units, np.float64) * 2.0 ** -grid * scale
    t = _type(signed, narrow, mode, bits, scale)
    np.testing.assert_array_equal(t.to_float(t.quantize(x)), _qonnx(x, signed, narrow, mode, bits, scale))


def test_half_up_just_below_half():
    """0.5 - 2^-54 LSB: the exact half-up is 0; qonnx's floor(|x| + 0.5) rounds the sum to 1.0 first."""
    x = np.array([0.5 - 2.0 ** -54, -(0.5 - 2.0 ** -54)]) * 2 ** -3
    t = _type(1, 0, "HALF_UP", 8, 2 ** -3)
    assert list(t.to_float(t.quantize(x))) == [0.0, 0.0]
    assert Fraction(float(x[0])) < Fraction(1, 16)           # below half an LSB: rounds to 0
    assert list(_qonnx(x, 1, 0, "HALF_UP", 8, 2 ** -3)) == [0.125, -0.125]   # qonnx 1.0.0's float rounding


# --- refusals ------------------------------------------------------------------------------------
def _one_quant_model(path, attrs, scale=2 ** -4, zeropt=0.0, bits=8.0):
    inits = [numpy_helper.from_array(np.asarray(v, np.float32), n)
             for n, v in (("s", scale), ("z", zeropt), ("b", bits))]
    nodes = [helper.make_node("Quant", ["x", "s", "z", "b"], ["q"], name="qx", domain=QD, **attrs),
             helper.make_node("Relu", ["q"], ["y"], name="relu")]
    g = helper.make_graph(nodes, "one", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])], initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(QD, 1)]), path)
    return path


OK = {"signed": 1, "narrow": 0, "rounding_mode": "ROUND"}
REFUSALS = [
    ("scale 0.3", dict(OK), dict(scale=0.3), "scale 0.3"),
    ("per-channel", dict(OK), dict(scale=np.array([2 ** -3, 2 ** -4], np.float32).reshape(1, 2, 1, 1)),
     "2 different values (0.0625, 0.125"),
    ("zero point 1", dict(OK), dict(zeropt=1.0), "zero point 1 "),
    ("unsigned narrow", dict(OK, signed=0, narrow=1), {}, "narrow=1 unsigned (0 .. 2^8-2)"),
    ("1-bit signed", dict(OK), dict(bits=1.0), "1-bit signed"),
    ("CEIL", dict(OK, rounding_mode="CEIL"), {}, "rounding_mode CEIL"),
    ("UP", dict(OK, rounding_mode="UP"), {}, "rounding_mode UP"),
    ("unknown mode", dict(OK, rounding_mode="NEAREST"), {}, "rounding_mode NEAREST"),
    ("bit width 3.5", dict(OK), dict(bits=3.5), "bit width 3.5"),
    ("no signed", {k: v for k, v in OK.items() if k != "signed"}, {}, "attribute 'signed' is missing"),
    ("no narrow", {k: v for k, v in OK.items() if k != "narrow"}, {}, "attribute 'narrow' is missing"),
]


@pytest.mark.parametrize("case,attrs,params,needle", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals(tmp_path, case, attrs, params, needle):
    path = _one_quant_model(str(tmp_path / "m.onnx"), attrs, **params)
    with pytest.raises(InputError) as e:
        import_onnx(path)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(path + ": node 'qx' (Quant): ") and needle in msg, msg


def _model(path, nodes, inits, shape=(1, 2, 4, 4), out_shape=None):
    g = helper.make_graph(nodes, "m", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                          [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT,
                                                         list(out_shape or shape))],
                          initializer=[numpy_helper.from_array(np.asarray(v, np.float32), n) for n, v in inits.items()])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(QD, 1)]), path)
    return path


Q = dict(domain=QD, signed=1, narrow=0, rounding_mode="ROUND")
P = {"s": 2 ** -4, "z": 0.0, "b": 8.0}


def test_refuses_a_tensor_read_quantized_and_not(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu"),
             helper.make_node("Quant", ["r", "s", "z", "b"], ["q"], name="qr", **Q),
             helper.make_node("Add", ["q", "r"], ["y"], name="add")]
    with pytest.raises(InputError, match=r"node 'qr' \(Quant\): its input 'r' is also read unquantized"):
        import_onnx(_model(str(tmp_path / "m.onnx"), nodes, P))


def test_refuses_a_quantized_bias_add(tmp_path):
    inits = dict(P, w=np.ones((2, 2, 1, 1)), c=np.ones((1, 2, 1, 1)))
    nodes = [helper.make_node("Conv", ["x", "w"], ["v"], name="conv"),
             helper.make_node("Quant", ["c", "s", "z", "b"], ["cq"], name="qc", **Q),
             helper.make_node("Add", ["v", "cq"], ["y"], name="bias")]
    with pytest.raises(InputError, match=r"node 'bias' \(Add\): its input 'cq' is a quantized constant"):
        import_onnx(_model(str(tmp_path / "m.onnx"), nodes, inits))


def test_refuses_a_batch_norm_after_quantized_weights(tmp_path):
    inits = dict(P, w=np.ones((2, 2, 1, 1)), g=np.ones(2), be=np.zeros(2), m=np.zeros(2), v=np.ones(2))
    nodes = [helper.make_node("Quant", ["w", "s", "z", "b"], ["wq"], name="qw", **Q),
             helper.make_node("Conv", ["x", "wq"], ["c"], name="conv"),
             helper.make_node("BatchNormalization", ["c", "g", "be", "m", "v"], ["y"], name="bn")]
    with pytest.raises(InputError, match=r"node 'bn' \(BatchNormalization\): it follows layer 'conv', whose "
                                         "weights or bias a Quant gives"):
        import_onnx(_model(str(tmp_path / "m.onnx"), nodes, inits))


# --- a QONNX model ---------------------------------------------------------------------------------
class _Builder:
    def __init__(self, mode):
        self.mode, self.nodes, self.inits, self.quants = mode, [], [], {}

    def init(self, name, value):
        self.inits.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    def quant(self, name, src, exp, bits, signed, narrow=0):
        ins = [src] + [self.init(f"{name}_{k}", v) for k, v in (("scale", 2.0 ** exp), ("zeropt", 0.0),
                                                                 ("bits", bits))]
        out = name + "_out"
        self.nodes.append(helper.make_node("Quant", ins, [out], name=name, domain=QD, signed=signed,
                                           narrow=narrow, rounding_mode=self.mode))
        self.quants[name] = dict(src=src, out=out, exp=exp, bits=bits, signed=signed, narrow=narrow)
        return out

    def node(self, op, ins, name, **attrs):
        self.nodes.append(helper.make_node(op, ins, [name + "_out"], name=name, **attrs))
        return name + "_out"


def build_model(seed, size=8, cin=3, mode="ROUND"):
    """x -> Quant 8b -> conv1 (4-bit narrow weights, 16-bit bias) -> relu -> Quant u8 -> max pool 2x2 ->
    [conv2 (8-bit weights, 24-bit bias) -> relu -> Quant u4] + [conv3 1x1 (8-bit weights) -> Quant 8b
    narrow] -> add -> Quant 8b -> global average pool -> Quant 8b -> flatten -> fc (8-bit weights,
    16-bit bias) -> Quant 8b. Bias scale = input scale x weight scale; every sum stays below 2^22 LSBs,
    so qonnx's float32 execution is exact (the mean of a 3x3 map is within float32's rounding, far
    from the Quant's rounding boundaries)."""
    b, r = _Builder(mode), np.random.default_rng(seed)
    x = b.quant("q_in", "x", -5, 8, 1)
    w1 = b.quant("q_w1", b.init("w1", r.normal(0, 0.4, (4, cin, 3, 3))), -3, 4, 1, narrow=1)
    b1 = b.quant("q_b1", b.init("b1", r.normal(0, 0.5, 4)), -8, 16, 1)
    a1 = b.quant("q_a1", b.node("Relu", [b.node("Conv", [x, w1, b1], "conv1", pads=[1] * 4)], "relu1"), -4, 8, 0)
    p1 = b.node("MaxPool", [a1], "pool1", kernel_shape=[2, 2], strides=[2, 2])
    w2 = b.quant("q_w2", b.init("w2", r.normal(0, 0.3, (6, 4, 3, 3))), -7, 8, 1)
    b2 = b.quant("q_b2", b.init("b2", r.normal(0, 0.5, 6)), -11, 24, 1)
    a2 = b.quant("q_a2", b.node("Relu", [b.node("Conv", [p1, w2, b2], "conv2", pads=[1] * 4)], "relu2"), -2, 4, 0)
    w3 = b.quant("q_w3", b.init("w3", r.normal(0, 1.0, (6, 4, 1, 1))), -6, 8, 1)
    a3 = b.quant("q_a3", b.node("Conv", [p1, w3], "conv3"), -4, 8, 1, narrow=1)
    a4 = b.quant("q_add", b.node("Add", [a2, a3], "add"), -3, 8, 1)
    a5 = b.quant("q_gap", b.node("GlobalAveragePool", [a4], "gap"), -5, 8, 1)
    f = b.node("Flatten", [a5], "flatten", axis=1)
    w4 = b.quant("q_w4", b.init("w4", r.normal(0, 0.4, (5, 6))), -6, 8, 1)
    b4 = b.quant("q_b4", b.init("b4", r.normal(0, 0.5, 5)), -11, 16, 1)
    y = b.quant("q_out", b.node("Gemm", [f, w4, b4], "fc", transB=1), -4, 8, 1)
    g = helper.make_graph(b.nodes, "qtiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, cin, size, size])],
                          [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, 5])], initializer=b.inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(QD, 1)])
    return model, b.quants


def _quant_type(model, node) -> FixedType:
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    return FixedType.parse(qonnx.fixed_type("m", node.name, attrs, *(inits[t] for t in node.input[1:4])))


def _producer(model, tensor) -> str:
    """The hwsim layer producing an ONNX tensor, by the importer's naming rule (unique names here)."""
    if tensor == model.graph.input[0].name:
        return "input"
    for i, node in enumerate(model.graph.node):
        if tensor in node.output:
            return layer_base_name(node.name, node.op_type, i)
    raise KeyError(tensor)


def compare(path, x):
    """Every Quant of `path` against hwsim: (types and counts per quantized tensor, differences)."""
    model = onnx.load(path)
    inits = {t.name for t in model.graph.initializer}
    imp = import_onnx(path)
    config = cfg.load({"precision": imp.precision}, imp.graph)
    res = simulate.run(imp.graph, x, config, keep=True, reference=False)
    wrapped = ModelWrapper(model).transform(InferShapes())
    ctxs = [execute_onnx(wrapped, {model.graph.input[0].name: x[i:i + 1]}, return_full_exec_context=True)
            for i in range(len(x))]
    rows, diffs = [], 0
    for node in model.graph.node:
        if node.op_type != "Quant":
            continue
        t = _quant_type(model, node)
        src = node.input[0]
        if src in inits:       # a weight or bias: the layer that reads it quantizes it with its type
            i, reader = next((i, n) for i, n in enumerate(model.graph.node) if node.output[0] in n.input)
            lname = layer_base_name(reader.name, reader.op_type, i)
            role = "weight" if list(reader.input).index(node.output[0]) == 1 else "bias"
            assert getattr(config[lname], role) == t, (node.name, lname, role)
            w = imp.graph.weights[lname][role]
            got = t.to_float(t.quantize(w))
            want = ctxs[0][node.output[0]].astype(np.float64)
            if reader.op_type == "Gemm" and role == "weight" and not dict(
                    (a.name, a.i) for a in reader.attribute).get("transB", 0):
                want = want.T
        else:
            want = np.concatenate([c[node.output[0]] for c in ctxs]).astype(np.float64)
            lname = _producer(model, src)
            assert config[lname].result == t, (node.name, lname, str(config[lname].result), str(t))
            got = t.to_float(res.outputs[lname]).reshape(want.shape)
        n = int(np.count_nonzero(got != want))
        diffs += n
        rows.append((node.name, lname, str(t), want.size, n))
    # the same run without keep (a conv's ReLU fused into its epilogue) gives the same output
    out = simulate.run(imp.graph, x, config, reference=False)
    assert np.array_equal(out.raw, res.outputs[imp.graph.output.name])
    return imp, config, rows, diffs


CASES = [(seed, n, 8, "ROUND") for seed in range(3) for n in (1, 4)] + \
        [(7, 4, size, mode) for size in (6, 8) for mode in MODES]


@pytest.mark.parametrize("seed,n,size,mode", CASES)
def test_model_matches_qonnx(tmp_path, seed, n, size, mode):
    model, quants = build_model(seed, size=size, mode=mode)
    path = str(tmp_path / "qtiny.onnx")
    onnx.save(model, path)
    x = np.random.default_rng(seed + 100).normal(0, 2.0, (n, 3, size, size)).astype(np.float32)
    imp, config, rows, diffs = compare(path, x)
    assert diffs == 0, [r for r in rows if r[-1]]
    assert len(rows) == len(quants) == 14
    maps = [r for r in rows if not r[0].startswith(("q_w", "q_b"))]
    assert [r[1] for r in maps] == ["input", "relu1", "relu2", "conv3", "add", "gap", "fc"]
    assert sum(r[3] for r in maps) == n * (3 * size * size + 4 * size * size + 3 * 6 * (size // 2) ** 2 + 6 + 5)


def _t(q) -> str:
    """The type the mapping gives a built Quant (the module docstring's table, written out)."""
    kind = "ap_fixed" if q["signed"] else "ap_ufixed"
    return f"{kind}<{q['bits']},{q['bits'] + q['exp']},AP_RND_CONV,{'AP_SAT_SYM' if q['narrow'] else 'AP_SAT'}>"


def test_imported_config(tmp_path):
    model, q = build_model(0)
    path = str(tmp_path / "qtiny.onnx")
    onnx.save(model, path)
    imp = import_onnx(path)
    config = cfg.load({"precision": imp.precision}, imp.graph)
    default_bias = cfg.BUILTIN["default"]["bias"]
    want = {
        "input": (None, None, _t(q["q_in"])),
        "conv1": (_t(q["q_w1"]), _t(q["q_b1"]), _t(q["q_a1"])),
        "relu1": (None, None, _t(q["q_a1"])),
        "pool1": (None, None, _t(q["q_a1"])),          # a max pool passes its input type on
        "conv2": (_t(q["q_w2"]), _t(q["q_b2"]), _t(q["q_a2"])),
        "relu2": (None, None, _t(q["q_a2"])),
        "conv3": (_t(q["q_w3"]), default_bias, _t(q["q_a3"])),   # no bias in the file: zeros, any type
        "add": (None, None, _t(q["q_add"])),
        "gap": (None, None, _t(q["q_gap"])),
        "flatten": (None, None, _t(q["q_gap"])),
        "fc": (_t(q["q_w4"]), _t(q["q_b4"]), _t(q["q_out"])),
    }
    got = {k: tuple(None if v is None else str(v) for v in (c.weight, c.bias, c.result))
           for k, c in ((l, config[l]) for l in imp.graph.names())}
    assert got == want
    assert str(want["conv1"]) == ("('ap_fixed<4,1,AP_RND_CONV,AP_SAT_SYM>', 'ap_fixed<16,8,AP_RND_CONV,AP_SAT>', "
                                  "'ap_ufixed<8,4,AP_RND_CONV,AP_SAT>')")
    # accumulators: lossless for conv / dense; the pool's holds the exact mean of 16 values of
    # ap_fixed<8,5> (3 + 4 fraction bits), so it is rounded once, at the cast to ap_fixed<8,3>
    assert all(config[k].accum_lossless for k in ("conv1", "conv2", "conv3", "fc"))
    assert str(config["gap"].accum) == "ap_fixed<16,9>" and imp.precision["layers"]["gap"]["accum"] == "ap_fixed<16,9>"
    assert imp.precision["input"] == _t(q["q_in"])


def test_mean_of_nine_rounds_once(tmp_path):
    """A 3x3 global average pool: F = max(f_in, f_out + 1) + ceil(log2 9) fraction bits."""
    model, _ = build_model(0, size=6)
    path = str(tmp_path / "qtiny.onnx")
    onnx.save(model, path)
    imp = import_onnx(path)
    assert imp.precision["layers"]["gap"]["accum"] == "ap_fixed<19,9>"    # max(3, 6) + 4 = 10 fraction bits
    config = cfg.load({"precision": imp.precision}, imp.graph)
    assert config["gap"].accum.frac == max(3, 5 + 1) + math.ceil(math.log2(9))


@pytest.mark.parametrize("mode", MODES)
def test_average_pool_matches_qonnx(tmp_path, mode):
    """Quant -> relu -> 3x3 average pool (padded, count_include_pad) -> Quant: the mean of 9 values,
    rounded once; the pool's input type comes through the relu."""
    b = _Builder(mode)
    q = b.quant("q_in", "x", -4, 8, 1)
    pool = b.node("AveragePool", [b.node("Relu", [q], "relu")], "pool", kernel_shape=[3, 3], pads=[1] * 4,
                  count_include_pad=1)
    y = b.quant("q_pool", pool, -6, 8, 0)
    g = helper.make_graph(b.nodes, "avg", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 6, 6])],
                          [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, 2, 6, 6])], initializer=b.inits)
    path = str(tmp_path / "avg.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(QD, 1)]), path)
    x = np.random.default_rng(3).normal(0.5, 2.0, (4, 2, 6, 6)).astype(np.float32)
    imp, config, rows, diffs = compare(path, x)
    assert diffs == 0, rows
    assert [r[1] for r in rows] == ["input", "pool"] and sum(r[3] for r in rows) == 2 * 4 * 72
    assert str(config["pool"].accum) == "ap_fixed<19,8>"     # max(4, 6 + 1) + 4 = 11 fraction bits


# --- a Brevitas export --------------------------------------------------------------------------
# tests/fixtures/brevitas_tiny.onnx: brevitas 0.13.4 with torch 2.13.0 (CPU), onnx 1.23.2,
# onnxoptimizer 0.4.2, onnxscript 0.7.2, in a scratch venv (not a dependency of hwsim), by:
#
#   import torch, torch.nn as nn, onnx, brevitas.nn as qnn
#   from brevitas.quant import (Int8WeightPerTensorFixedPoint as W8, Int8ActPerTensorFixedPoint as A8,
#                               Uint8ActPerTensorFixedPoint as U8, Int16Bias, Int24Bias)
#   from brevitas.export import export_qonnx
#   torch.manual_seed(0)
#   class Tiny(nn.Module):
#       def __init__(self):
#           super().__init__()
#           self.inp = qnn.QuantIdentity(act_quant=A8, return_quant_tensor=True)
#           self.conv1 = qnn.QuantConv2d(3, 4, 3, padding=1, weight_quant=W8, weight_bit_width=4, bias=True,
#                                        bias_quant=Int16Bias, return_quant_tensor=True)
#           self.relu1 = qnn.QuantReLU(act_quant=U8, return_quant_tensor=True)
#           self.pool = nn.MaxPool2d(2)
#           self.conv2 = qnn.QuantConv2d(4, 6, 3, padding=1, weight_quant=W8, bias=True, bias_quant=Int24Bias,
#                                        return_quant_tensor=True)
#           self.relu2 = qnn.QuantReLU(act_quant=U8, bit_width=4, return_quant_tensor=True)
#           self.flat = nn.Flatten()
#           self.fc = qnn.QuantLinear(96, 5, bias=True, weight_quant=W8, bias_quant=Int16Bias,
#                                     return_quant_tensor=True)
#           self.out = qnn.QuantIdentity(act_quant=A8, return_quant_tensor=False)
#       def forward(self, x):
#           x = self.pool(self.relu1(self.conv1(self.inp(x))))
#           return self.out(self.fc(self.flat(self.relu2(self.conv2(x)))))
#   m = Tiny(); m.train()
#   with torch.no_grad():
#       for _ in range(3):
#           m(torch.randn(8, 3, 8, 8))          # calibrates the activation scales
#   m.eval()
#   export_qonnx(m, torch.randn(1, 3, 8, 8), export_path="tiny.onnx")
#   onnx.save(onnx.load("tiny.onnx"), "brevitas_tiny.onnx", save_as_external_data=False)
BREVITAS_TYPES = {
    "input": "ap_fixed<8,3,AP_RND_CONV,AP_SAT>",
    "node_relu": "ap_ufixed<8,2,AP_RND_CONV,AP_SAT>",
    "node_relu_1": "ap_ufixed<4,0,AP_RND_CONV,AP_SAT>",
}


@pytest.mark.parametrize("n,seed", [(1, 0), (4, 1), (4, 2)])
def test_brevitas_export_matches_qonnx(n, seed):
    x = np.random.default_rng(seed).normal(0, 1.5, (n, 3, 8, 8)).astype(np.float32)
    imp, config, rows, diffs = compare(FIXTURE, x)
    assert diffs == 0, [r for r in rows if r[-1]]
    assert len(rows) == 10
    maps = {r[1]: r[2] for r in rows if r[1] in BREVITAS_TYPES}
    assert maps == BREVITAS_TYPES
    assert os.path.getsize(FIXTURE) < 100_000
