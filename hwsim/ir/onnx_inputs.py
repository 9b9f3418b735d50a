"""An ONNX graph's constants, its one input and the nodes its output depends on (hwsim.ir.onnx_graph's
rules; the reader and the weight loader both read constants here)."""
from __future__ import annotations

import numpy as np

from hwsim.util.errors import InputError

ONNX_DOMAINS = ("", "ai.onnx")


def _nchw(shape) -> str:
    return "x".join(map(str, shape))


def live_nodes(model) -> set[int]:
    """Indexes of the nodes that the graph's outputs depend on (nodes are in topological order)."""
    needed = {o.name for o in model.graph.output}
    live = set()
    for i in range(len(model.graph.node) - 1, -1, -1):
        node = model.graph.node[i]
        if any(o and o in needed for o in node.output):
            live.add(i)
            needed.update(t for t in node.input if t)
    return live


def constants(model) -> dict[str, np.ndarray]:
    from onnx import numpy_helper
    consts = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant" and node.domain in ONNX_DOMAINS:
            for attr in node.attribute:
                if attr.name == "value":
                    consts[node.output[0]] = numpy_helper.to_array(attr.t)
                elif attr.name in ("value_float", "value_int"):
                    consts[node.output[0]] = np.asarray(attr.f if attr.name == "value_float" else attr.i)
                elif attr.name in ("value_floats", "value_ints"):
                    consts[node.output[0]] = np.asarray(list(attr.floats) or list(attr.ints))
    return consts


def graph_input(path, model, consts, input_shape) -> tuple[str, tuple[int, int, int]]:
    inputs = [i for i in model.graph.input if i.name not in consts]
    if len(inputs) != 1:
        raise InputError(f"{path}: the graph has {len(inputs)} inputs; hwsim needs exactly one (an NCHW image)")
    if len(model.graph.output) != 1:
        raise InputError(f"{path}: the graph has {len(model.graph.output)} outputs; hwsim needs exactly one")
    inp = inputs[0]
    tt = inp.type.tensor_type
    if not inp.type.HasField("tensor_type") or tt.elem_type not in (1, 10, 11, 16):   # float, f16, f64, bf16
        raise InputError(f"{path}: input {inp.name!r} is not a float tensor; hwsim needs an NCHW float image")
    if not tt.HasField("shape"):
        dims = None
    else:
        dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else (d.dim_param or "?")
                for d in tt.shape.dim]
        if len(dims) != 4:
            raise InputError(f"{path}: input {inp.name!r} has {len(dims)} dimensions {dims}; hwsim needs "
                             "NCHW (4 dimensions)")
        if isinstance(dims[0], int) and dims[0] != 1:
            raise InputError(f"{path}: input {inp.name!r} has batch {dims[0]}; hwsim needs batch 1 or a free batch")
    free = [str(d) for d in (dims or ["?"] * 4) if not isinstance(d, int)]
    if input_shape is None:
        if dims is None or free:
            raise InputError(f"{path}: input {inp.name!r} has free dimensions ({', '.join(free)}) in "
                             f"{dims_text(dims)}; give --input-shape CxHxW")
        return inp.name, tuple(int(d) for d in dims[1:])
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise InputError(f"{path}: input shape {shape} is not CxHxW")
    if dims is not None:
        for axis, (d, s) in enumerate(zip(dims[1:], shape)):
            if isinstance(d, int) and d != s:
                raise InputError(f"{path}: --input-shape {_nchw(shape)} disagrees with input {inp.name!r} "
                                 f"{dims_text(dims)} at {'CHW'[axis]}")
    return inp.name, shape


def dims_text(dims) -> str:
    return "(unknown shape)" if dims is None else "[" + ", ".join(map(str, dims)) + "]"
