"""Small ONNX files built with onnx.helper, for the ONNX importer's tests (hwsim.ir.onnx_graph).

`make(nodes, ...)` is a one-input, one-output model; `save` writes it. `ERROR_CASES` are malformed
or unsupported files, one `Case` each: `build(path)` writes the file, `input_shape` is what the
import gets (the CLI's --input-shape), `node` the (name, op type) the one-line message must name
(None where the problem is the file or its input, not a node), `match` a piece of that message.
tests/test_onnx_errors.py checks them through the importer and the CLI; tools/onnx_error_table.py
prints their table (case -> exit code -> message).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QONNX = "qonnx.custom_op.general"


def rand(shape, seed: int = 0, positive: bool = False) -> np.ndarray:
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return np.abs(a) + np.float32(0.5) if positive else a


def init(name: str, value, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(value, dtype), name)


def const_node(name: str, value, dtype=np.float32):
    """A Constant node whose output tensor is `name`."""
    return helper.make_node("Constant", [], [name], name=f"const_{name}",
                            value=numpy_helper.from_array(np.asarray(value, dtype), name))


def value_info(name: str, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def make(nodes, inits=(), shape=(1, 3, 8, 8), out: str = "y", opset: int = 17, inputs=None, outputs=None,
         domains=()) -> onnx.ModelProto:
    """A model of `nodes` reading input "x" of `shape` (None: no shape) and writing `out`."""
    inputs = [value_info("x", list(shape) if shape is not None else None)] if inputs is None else inputs
    outputs = [value_info(out, None)] if outputs is None else outputs
    graph = helper.make_graph(list(nodes), "g", inputs, outputs, list(inits))
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = helper.find_min_ir_version_for(opsets[:1])
    return model


def save(model: onnx.ModelProto, path) -> Path:
    onnx.save(model, str(path))
    return Path(path)


def conv(name: str, x: str, out: str, w: np.ndarray, b: np.ndarray | None = None, **attrs):
    """A Conv node and its initializers: ([node], [inits])."""
    inits = [init(f"{name}.weight", w)]
    ins = [x, f"{name}.weight"]
    if b is not None:
        inits.append(init(f"{name}.bias", b))
        ins.append(f"{name}.bias")
    return [helper.make_node("Conv", ins, [out], name=name, **attrs)], inits


def conv_net(tail=(), tail_inits=(), out: str = "y", c: int = 3, f: int = 4, k: int = 3, **conv_attrs):
    """x -> Conv "c1" (f filters, k x k, pads 1 unless given) -> "c" -> tail nodes."""
    conv_attrs.setdefault("pads", [k // 2] * 4)
    nodes, inits = conv("c1", "x", "c" if tail else out, rand((f, c, k, k)), rand(f, 1), **conv_attrs)
    return nodes + list(tail), inits + list(tail_inits)


def quant_node(name: str, x: str, out: str, scale=0.125, zeropt=0.0, bits=8, signed=1, narrow=0,
               rounding="ROUND"):
    """A QONNX Quant node and its scale / zero point / bit width initializers."""
    inits = [init(f"{name}.scale", scale), init(f"{name}.zeropt", zeropt), init(f"{name}.bits", bits)]
    node = helper.make_node("Quant", [x, f"{name}.scale", f"{name}.zeropt", f"{name}.bits"], [out],
                            name=name, domain=QONNX, signed=signed, narrow=narrow, rounding_mode=rounding)
    return node, inits


# --- malformed and unsupported files ------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], object]
    match: str                          # a piece of the message
    node: tuple[str, str] | None = None  # (node name, op type) the message names
    input_shape: tuple | None = None


def _write_bytes(data: bytes):
    return lambda path: Path(path).write_bytes(data)


def _truncated(path):
    nodes, inits = conv_net([helper.make_node("Relu", ["c"], ["y"], name="r")])
    data = make(nodes, inits).SerializeToString()
    Path(path).write_bytes(data[: len(data) // 2])


def _one(nodes_inits, **kw):
    """A builder saving conv_net-style (nodes, inits) as a model."""
    nodes, inits = nodes_inits
    return lambda path: save(make(nodes, inits, **kw), path)


def _tail(*nodes, inits=(), **kw):
    """x -> Conv c1 -> nodes."""
    return _one(conv_net(list(nodes), list(inits)), **kw)


def _no_nodes(path):
    save(make([], shape=(1, 3, 8, 8), out="x"), path)


def _two_inputs(path):
    inputs = [value_info("x", [1, 3, 8, 8]), value_info("x2", [1, 3, 8, 8])]
    save(make([helper.make_node("Add", ["x", "x2"], ["y"], name="add")], inputs=inputs), path)


def _two_outputs(path):
    nodes, inits = conv_net([helper.make_node("Relu", ["c"], ["y"], name="relu"),
                             helper.make_node("Relu", ["c"], ["y2"], name="relu_b")])
    save(make(nodes, inits, outputs=[value_info("y", None), value_info("y2", None)]), path)


def _grouped(path):
    nodes, inits = conv("gconv", "x", "y", rand((4, 2, 3, 3)), rand(4), group=2, pads=[1, 1, 1, 1])
    save(make(nodes, inits, shape=(1, 4, 8, 8)), path)


def _add_broadcast(path):
    n1, i1 = conv("c4", "x", "a", rand((4, 3, 1, 1)), rand(4))
    n2, i2 = conv("c1", "x", "b", rand((1, 3, 1, 1), 1), rand(1))
    save(make(n1 + n2 + [helper.make_node("Add", ["a", "b"], ["y"], name="sum")], i1 + i2), path)


def _computed_reshape(path):
    nodes = [helper.make_node("Shape", ["c"], ["shape"], name="/Shape"),
             helper.make_node("Gather", ["shape", "zero"], ["n"], name="/Gather", axis=0),
             helper.make_node("Unsqueeze", ["n", "axes"], ["n1"], name="/Unsqueeze"),
             helper.make_node("Concat", ["n1", "minus1"], ["target"], name="/Concat", axis=0),
             helper.make_node("Reshape", ["c", "target"], ["y"], name="/Reshape")]
    inits = [init("zero", 0, np.int64), init("axes", [0], np.int64), init("minus1", [-1], np.int64)]
    _tail(*nodes, inits=inits)(path)


def _unsqueezed_reshape(path):
    """What torch.onnx.export leaves for x.view(x.size(0), -1) without constant folding."""
    nodes = [const_node("n", 1, np.int64), const_node("axes", [0], np.int64),
             helper.make_node("Unsqueeze", ["n", "axes"], ["n1"], name="/Unsqueeze"),
             const_node("minus1", [-1], np.int64),
             helper.make_node("Concat", ["n1", "minus1"], ["target"], name="/Concat", axis=0),
             helper.make_node("Reshape", ["c", "target"], ["y"], name="/Reshape")]
    _tail(*nodes)(path)


def _bn_on_input(path):
    c = 3
    inits = [init("bn.scale", rand(c, 1, True)), init("bn.B", rand(c, 2)), init("bn.mean", rand(c, 3)),
             init("bn.var", rand(c, 4, True))]
    nodes = [helper.make_node("BatchNormalization", ["r", "bn.scale", "bn.B", "bn.mean", "bn.var"], ["y"],
                              name="bn"), ]
    save(make([helper.make_node("Relu", ["x"], ["r"], name="relu")] + nodes, inits), path)


def _channels_last(path):
    """An NHWC input (1, 8, 8, 3) read by a Conv whose weight takes 3 channels: a layout hwsim does not read."""
    save(make(*conv("c1", "x", "y", rand((4, 3, 3, 3)), rand(4)), shape=(1, 8, 8, 3)), path)


def _gemm_wrong_features(path):
    nodes = [helper.make_node("Flatten", ["c"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["y"], name="fc", transB=1)]
    _tail(*nodes, inits=[init("fc.w", rand((5, 100))), init("fc.b", rand(5))])(path)


def _weight_not_const(path):
    save(make([helper.make_node("Conv", ["x", "x"], ["y"], name="selfconv")], shape=(1, 3, 3, 3)), path)


def _quant_model(**q):
    def build(path):
        qn, qi = quant_node("quant_in", "x", "xq", **q)
        nodes, inits = conv("c1", "xq", "y", rand((4, 3, 3, 3)), rand(4), pads=[1, 1, 1, 1])
        save(make([qn] + nodes, qi + inits, domains=(QONNX,)), path)
    return build


def _nan_weights(path):
    w = rand((4, 3, 3, 3))
    w[1, 2, 0, 0] = np.nan
    save(make(*conv("c1", "x", "y", w, rand(4), pads=[1, 1, 1, 1])), path)


def _relu(out="y", src="c", name="relu"):
    return helper.make_node("Relu", [src], [out], name=name)


ERROR_CASES = [
    Case("random_bytes", _write_bytes(np.random.default_rng(0).bytes(300)), "not an ONNX model"),
    Case("truncated", _truncated, "not an ONNX model"),
    Case("empty_file", _write_bytes(b""), "not an ONNX model"),
    Case("no_nodes", _no_nodes, "graph without nodes"),
    Case("unsupported_sigmoid", _tail(helper.make_node("Sigmoid", ["c"], ["y"], name="act/Sigmoid")),
         "operator Sigmoid is not supported", ("act/Sigmoid", "Sigmoid")),
    Case("unknown_domain", _tail(helper.make_node("Swish", ["c"], ["y"], name="swish", domain="com.example")),
         "domain 'com.example' is not supported", ("swish", "Swish")),
    Case("dynamic_batch", _tail(_relu(), shape=("N", 3, 8, 8)), "free dimensions (N)"),
    Case("free_hw", _tail(_relu(), shape=(1, 3, "H", "W")), "free dimensions (H, W)"),
    Case("input_shape_disagrees", _tail(_relu()), "disagrees with input 'x' [1, 3, 8, 8] at H",
         input_shape=(3, 16, 16)),
    Case("two_inputs", _two_inputs, "the graph has 2 inputs"),
    Case("two_outputs", _two_outputs, "the graph has 2 outputs"),
    Case("input_3d", lambda p: save(make([_relu(src="x")], shape=(1, 3, 16)), p), "has 3 dimensions"),
    Case("grouped_conv", _grouped, "group=2 over 4 channels", ("gconv", "Conv")),
    Case("dilation_2", _one(conv_net(dilations=[2, 2], pads=[2, 2, 2, 2])), "dilations [2, 2]", ("c1", "Conv")),
    Case("asymmetric_pads", _one(conv_net(pads=[0, 0, 1, 1])), "pads [0, 0, 1, 1]", ("c1", "Conv")),
    Case("auto_pad_same_upper", lambda p: save(make(*conv("c1", "x", "y", rand((4, 3, 3, 3)), rand(4),
                                                          auto_pad="SAME_UPPER")), p),
         "auto_pad=SAME_UPPER", ("c1", "Conv")),
    Case("clip_0_3", _tail(helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip"),
                           inits=[init("lo", 0.0), init("hi", 3.0)]), "Clip(min=0, max=3)", ("clip", "Clip")),
    Case("avgpool_exclude_pad", _tail(helper.make_node("AveragePool", ["c"], ["y"], name="pool", kernel_shape=[3, 3],
                                                       pads=[1, 1, 1, 1], count_include_pad=0)),
         "count_include_pad=0 with pads [1, 1]", ("pool", "AveragePool")),
    Case("concat_axis_2", _tail(_relu("r"), helper.make_node("Concat", ["c", "r"], ["y"], name="cat", axis=2)),
         "concat on axis 2", ("cat", "Concat")),
    Case("add_broadcast", _add_broadcast, "Add of shapes 4x8x8 and 1x8x8", ("sum", "Add")),
    Case("reshape_not_flatten", _tail(helper.make_node("Reshape", ["c", "shape"], ["y"], name="reshape"),
                                      inits=[init("shape", [1, 4, 64], np.int64)]),
         "Reshape to [1, 4, 64] is not supported", ("reshape", "Reshape")),
    Case("reshape_computed_shape", _computed_reshape, "the target shape is computed by the graph",
         ("/Reshape", "Reshape")),
    Case("reshape_unsqueeze_concat", _unsqueezed_reshape, "(node '/Unsqueeze' (Unsqueeze) computes it)",
         ("/Reshape", "Reshape")),
    Case("batchnorm_not_after_conv", _bn_on_input, "only a batch norm right after a Conv",
         ("bn", "BatchNormalization")),
    Case("conv_weight_not_constant", _weight_not_const, "weight 'x' is not a constant", ("selfconv", "Conv")),
    Case("quant_scale_0_3", _quant_model(scale=0.3), "is not a power of two", ("quant_in", "Quant")),
    Case("quant_zero_point_1", _quant_model(zeropt=1.0), "zero point 1", ("quant_in", "Quant")),
    Case("quant_rounding_ceil", _quant_model(rounding="CEIL"), "rounding_mode CEIL", ("quant_in", "Quant")),
    Case("nan_weights", _nan_weights, "NaN or infinite", ("c1", "Conv")),
    Case("channels_last_input", _channels_last, "hwsim needs NCHW (channels first)", ("c1", "Conv")),
    Case("gemm_wrong_features", _gemm_wrong_features, "reads 100 features but its input has", ("fc", "Gemm")),
]
