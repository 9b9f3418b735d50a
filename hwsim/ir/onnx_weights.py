"""ONNX weight files for hwsim.ir.weights (the rules are that module's docstring, "ONNX"): the Conv
and Gemm constants in node order, depthwise Convs, and BatchNormalization folded into the Conv
before it."""
from __future__ import annotations

import numpy as np

from hwsim.ir.graph import Graph
from hwsim.util.errors import InputError, first_line, oserror_text


def _onnx_constants(model) -> dict[str, np.ndarray]:
    """The graph's constants (hwsim.ir.onnx_inputs.constants), also through Identity nodes."""
    from hwsim.ir.onnx_inputs import constants
    consts = constants(model)
    for node in model.graph.node:  # topological order: one pass resolves Identity chains
        if node.op_type == "Identity" and node.input[0] in consts:
            consts[node.output[0]] = consts[node.input[0]]  # exporters deduplicate equal tensors
    return consts


def load_model(path: str):
    """The ModelProto of an ONNX file; an unreadable or malformed file is a one-line InputError."""
    try:
        import onnx
    except ImportError:
        raise InputError(f"loading {path} needs the onnx package (pip install onnx)") from None
    try:
        model = onnx.load(path)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {oserror_text(e)}") from None
    except Exception as e:   # protobuf's DecodeError and onnx's own parse errors share no base class
        raise InputError(f"{path}: not an ONNX model ({first_line(e)})") from None
    if not model.HasField("graph") or not model.graph.node:
        raise InputError(f"{path}: not an ONNX model (no graph, or a graph without nodes)")
    return model


def _onnx_ops(path: str) -> list[tuple[str, dict[str, np.ndarray], dict[str, str]]]:
    """(node description, {"weight": w, "bias": b}, {"weight": const name, ...}) per Conv/Gemm."""
    from onnx import helper
    model = load_model(path)
    consts = _onnx_constants(model)
    ops = []
    made: dict[str, tuple[str, int]] = {}     # output name -> (op type, index in ops)
    for node in model.graph.node:
        if node.op_type not in ("Conv", "Gemm", "MatMul"):
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        desc = f"{node.op_type} node {node.name or node.output[0]!r}"
        names = {"weight": node.input[1]}
        if len(node.input) > 2 and node.input[2]:
            names["bias"] = node.input[2]
        for tensor, cname in names.items():
            if cname not in consts:
                raise InputError(f"{path}: {desc}: {tensor} {cname!r} is not a constant")
        if node.op_type == "MatMul":
            raise InputError(f"{path}: {desc}: MatMul layers are not supported (export Linear as Gemm)")
        tensors = {t: consts[c] for t, c in names.items()}
        group = attrs.get("group", 1)
        if node.op_type == "Conv" and group != 1 and not (tensors["weight"].ndim == 4 and tensors["weight"].shape[1] == 1
                                                         and group == tensors["weight"].shape[0]):
            raise InputError(f"{path}: {desc}: grouped convolution with group={group} is not supported "
                             "(group 1, or group = channels with one filter each: depthwise)")
        if node.op_type == "Gemm":
            if attrs.get("transA", 0):
                raise InputError(f"{path}: {desc}: transA=1 is not supported")
            if attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0:
                raise InputError(f"{path}: {desc}: alpha/beta other than 1 are not supported")
            if not attrs.get("transB", 0):
                tensors["weight"] = tensors["weight"].T
        ops.append((desc, tensors, names))
        made[node.output[0]] = (node.op_type, len(ops) - 1)
    for node in model.graph.node:
        if node.op_type == "BatchNormalization":
            _fold_onnx_bn(path, node, helper, consts, made, ops)
    return ops


def _fold_onnx_bn(path, node, helper, consts, made, ops) -> None:
    """Fold a BatchNormalization node into the Conv whose output it reads (hwsim.ir.batchnorm)."""
    from hwsim.ir.batchnorm import DEFAULT_EPS, fold
    desc = f"BatchNormalization node {node.name or node.output[0]!r}"
    src = made.get(node.input[0])
    if src is None or src[0] != "Conv":
        raise InputError(f"{path}: {desc} does not read a Conv's output; only a batch norm right after a "
                         "convolution is folded")
    parts = {}
    for role, cname in zip(("scale", "B", "mean", "var"), node.input[1:5]):
        if cname not in consts:
            raise InputError(f"{path}: {desc}: {role} {cname!r} is not a constant")
        parts[role] = consts[cname]
    if len(parts) != 4:
        raise InputError(f"{path}: {desc}: needs scale, B, mean and var inputs, got {len(parts)}")
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    i = src[1]
    conv_desc, tensors, names = ops[i]
    try:
        w, b = fold(tensors["weight"], tensors.get("bias"), parts["scale"], parts["B"], parts["mean"], parts["var"],
                    float(attrs.get("epsilon", DEFAULT_EPS)))
    except ValueError as e:
        raise InputError(f"{path}: {desc}: {e}") from None
    names = dict(names)
    names.setdefault("bias", f"{names['weight']}:bn_bias")
    ops[i] = (conv_desc, {"weight": w, "bias": b}, names)
    made[node.output[0]] = made[node.input[0]]


def read_onnx(graph: Graph, path: str, keys: dict) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    ops = _onnx_ops(path)
    by_name = {names[t]: tensors[t] for _, tensors, names in ops for t in names}
    if by_name and all(n in keys for n in by_name):
        return _zero_biases(graph, by_name, keys), {}
    layers = [l for l in graph.layers if l.has_weights]
    if len(ops) != len(layers):
        raise InputError(f"{path}: {len(ops)} Conv/Gemm nodes with constant weights, but "
                         f"{graph.name} has {len(layers)} weighted layers")
    inverse = {v: k for k, v in keys.items()}
    tensors: dict[str, np.ndarray] = {}
    origin: dict[str, str] = {}
    for layer, (desc, arrs, names) in zip(layers, ops):
        for tensor, arr in arrs.items():
            key = inverse.get((layer.name, tensor))
            if key is None:
                raise InputError(f"{path}: {desc} has a {tensor}, layer {layer.name} has none")
            tensors[key] = arr
            origin[key] = names[tensor]
    return _zero_biases(graph, tensors, keys), origin


def _zero_biases(graph: Graph, tensors: dict[str, np.ndarray], keys: dict) -> dict[str, np.ndarray]:
    """Zeros for every bias the graph has and the ONNX file left out (an optional Conv input)."""
    out = dict(tensors)
    for key, (layer, tensor) in keys.items():
        if tensor == "bias" and key not in out and key.replace(".bias", ".weight") in out:
            out[key] = np.zeros(graph.weight_shapes(layer)["bias"], dtype=np.float32)
    return out
