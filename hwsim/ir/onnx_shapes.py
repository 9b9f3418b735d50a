"""hwsim's shapes of an imported graph checked against ONNX shape inference (hwsim.ir.onnx_graph)."""
from __future__ import annotations

import math

from hwsim.ir.onnx_reader import ONNX_DOMAINS
from hwsim.util.errors import InputError, first_line


def pools_as_torch(model, reader, graph) -> None:
    """ONNX shape inference before opset 22 rounds a ceil-mode pool up without dropping a last window
    that would start in the right padding; PyTorch, onnxruntime (at every opset), ONNX 22 and hwsim
    drop it. In the copy of the model that is inferred, such a pool becomes the floor-mode pool with
    the end padding that gives hwsim's (and onnxruntime's) output size."""
    from onnx import helper
    from hwsim.ir.geometry import far_padding
    names = set(graph.names())
    for node in model.graph.node:
        if node.op_type not in ("MaxPool", "AveragePool") or node.domain not in ONNX_DOMAINS:
            continue
        lname = reader.src.get(node.output[0])
        if lname not in names or not getattr(graph.layer(lname), "ceil_mode", False):
            continue
        layer = graph.layer(lname)
        _, h, w = graph.shape(layer.inputs[0])
        out = graph.shape(lname)[1:]
        rounded_up = tuple(-(-(n + 2 * p - k) // s) + 1
                           for n, k, s, p in zip((h, w), layer.kernel, layer.stride, layer.padding))
        if tuple(out) == rounded_up:
            continue
        bottom, right = far_padding(h, w, out, layer.kernel, layer.stride, layer.padding)
        kept = [a for a in node.attribute if a.name not in ("ceil_mode", "pads")]
        del node.attribute[:]
        node.attribute.extend(kept + [helper.make_attribute("pads", [*layer.padding, bottom, right])])


def check_shapes(path, model, reader, graph) -> None:
    """Every tensor's shape as ONNX shape inference gives it equals hwsim's (CHW, or features)."""
    import onnx
    from onnx import shape_inference
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inp = next(i for i in m.graph.input if i.name == reader.input_name)
    dims = inp.type.tensor_type.shape.dim
    for d, v in zip(dims, (1,) + graph.input_shape):
        d.Clear()
        d.dim_value = v
    del m.graph.value_info[:]
    pools_as_torch(m, reader, graph)
    try:
        inferred = shape_inference.infer_shapes(m, strict_mode=False)
    except Exception as e:   # onnx raises its own InferenceError and others
        raise InputError(f"{path}: ONNX shape inference failed: {first_line(e)}") from None
    shapes = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        tt = vi.type.tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            shapes[vi.name] = tuple(d.dim_value for d in tt.shape.dim)
    names = set(graph.names())
    for lname, tensor in reader.tensor_of.items():
        if lname not in names or tensor not in shapes:
            continue
        onnx_shape = shapes[tensor]
        ours = graph.shape(lname)
        flat = (1, math.prod(ours))
        if onnx_shape != (1,) + tuple(ours) and onnx_shape != flat:
            raise InputError(f"{path}: {reader.node_of.get(lname, lname)}: ONNX gives output shape "
                             f"{list(onnx_shape)}, hwsim's rules give {list((1,) + tuple(ours))}")
