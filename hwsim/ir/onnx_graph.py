"""Networks of any topology from ONNX files: an `.onnx` path works wherever a model name does.

`import_onnx(path, input_shape)` turns the file's graph into a hwsim Graph with its weights, and the
precision its QONNX `Quant` nodes declare (hwsim.ir.qonnx, a config `precision` document). The rules:

- The graph has one input, NCHW float (batch 1 or free), and one output. Dimensions come from the
  file; a free one (a named or zero dimension, a dynamic batch included) needs `input_shape` (CxHxW,
  the CLI's --input-shape), which must agree with the dimensions the file does fix.
- Operators (ONNX domain, any opset the exporters write) and the layers they become:
  Conv (2-D; group 1 -> conv, group = channels with one filter each -> dwconv; symmetric pads,
  dilation 1), BatchNormalization (folded into the Conv or depthwise Conv it reads,
  hwsim.ir.batchnorm; that Conv's output must have no other reader), Relu -> relu, Clip(0, 6) ->
  relu6 (Clip(0, inf) -> relu), MaxPool (pads, strides, ceil_mode) -> maxpool, AveragePool -> avgpool
  (hwsim divides by the kernel area, ONNX's count_include_pad=1; with count_include_pad=0 only
  unpadded pools are accepted, where both agree; no ceil_mode), GlobalAveragePool -> gap, Concat on
  channels -> concat, Add of two tensors of one shape -> add, Add of a constant to a Conv / Gemm /
  MatMul output that nothing else reads -> that layer's bias, Gemm (alpha = beta = 1, no transA) and
  MatMul by a constant -> dense, Flatten (axis 1) and a Reshape by a constant shape that flattens ->
  flatten, Dropout -> dropout, Identity -> nothing. Constant nodes are constants. QONNX `Quant`
  nodes (domain qonnx.custom_op.general or finn.custom_op.general) are types, not layers.
- Shapes: hwsim's own rules (hwsim.ir.graph), checked against ONNX shape inference on every tensor
  it gives a shape for; a difference is an error naming the node.
- Layer names come from node names: an exporter's path `/features/features.3/squeeze/Conv` drops
  empty parts and parts that the next one repeats, and ends in the op type, lower-cased, unless the
  part before already names it (`conv1`/Conv, `relu_1`/Relu): `features.3.squeeze.conv`,
  `layer1.0.conv1`; a bare `/Flatten` is `flatten`. Characters outside [A-Za-z0-9_.] become `_`; a
  node without a name is `<op>_<index>` (its index in the file); a repeated name takes `_2`, `_3`, ... The input layer is `input`.
- Only what the output depends on is read: other nodes are skipped, whatever their operator.
- Every problem is an InputError of one line naming the file, the node (name and op type) and what
  is supported.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from hwsim.ir.graph import Graph, Layer
from hwsim.ir.onnx_reader import SUPPORTED, _clean, layer_base_name  # noqa: F401  (SUPPORTED, layer_base_name: re-exported)
from hwsim.util.errors import InputError, first_line


@dataclass(frozen=True, eq=False)
class Imported:
    """A network read from an ONNX file: the graph with weights, and the precision (a config
    `precision` document, {} for a float model) its Quant nodes declare. `origin`: each layer's
    source in the file (`node '/conv1/Conv' (Conv)`; the input: `graph input 'x'`); `quantized`:
    how many of the kept graph's tensors (input, weights, biases, feature maps) a Quant node types."""
    graph: Graph
    precision: Mapping = field(default_factory=dict)
    path: str = ""
    origin: Mapping[str, str] = field(default_factory=dict)
    quantized: int = 0


def is_onnx_path(name) -> bool:
    """True for a model given as an ONNX file path rather than a zoo name."""
    return isinstance(name, str) and name.lower().endswith(".onnx")


def graph_name(path: str) -> str:
    """The graph's name: the file's stem, sanitized."""
    stem = os.path.splitext(os.path.basename(path))[0]
    return _clean(stem) or "onnx_model"


def import_onnx(path: str, input_shape=None, allow_nonfinite: bool = False) -> Imported:
    """The network of an ONNX file (module docstring): graph with weights, and its QONNX precision."""
    from hwsim.ir import qonnx
    from hwsim.ir.onnx_reader import _Reader
    from hwsim.ir.onnx_shapes import check_shapes
    from hwsim.ir.onnx_weights import load_model
    model = load_model(path)
    reader = _Reader(path, model, input_shape)
    reader.run()
    out = model.graph.output[0].name
    if out not in reader.src:
        raise InputError(f"{path}: output {out!r} is not produced by a supported node")
    layers = _ancestors(reader.layers, reader.src[out])
    name = graph_name(path)
    try:
        graph = Graph(name, layers)
    except ValueError as e:
        raise InputError(f"{path}: {first_line(e)}") from None
    check_shapes(path, model, reader, graph)
    weights = {k: v for k, v in reader.weights.items() if k in set(graph.names())}
    if not allow_nonfinite:
        for lname, arrs in weights.items():
            for t, a in arrs.items():
                if not np.all(np.isfinite(a)):
                    raise InputError(f"{path}: {reader.node_of[lname]}: its {t} has NaN or infinite values")
    try:
        graph = graph.with_weights(weights)
    except ValueError as e:     # a shape the reader did not check: still the file's problem
        raise InputError(f"{path}: {first_line(e)}") from None
    precision = qonnx.precision_document(path, graph, reader)
    kept = set(graph.names())
    origin = {"input": f"graph input {reader.input_name!r}",
              **{n: reader.node_of[n] for n in graph.names() if n in reader.node_of}}
    quantized = (sum(len(t) for n, t in reader.layer_quant.items() if n in kept)
                 + sum(1 for t in reader.quants if reader.src[t] in kept))
    return Imported(graph, precision, path, origin, quantized)


def _ancestors(layers: list[Layer], out: str) -> list[Layer]:
    needed = {out}
    for layer in reversed(layers):
        if layer.name in needed:
            needed.update(layer.inputs)
    return [l for l in layers if l.name in needed]
