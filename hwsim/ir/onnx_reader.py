"""The node-by-node reader of hwsim.ir.onnx_graph (its docstring has the rules): one pass over an ONNX
graph's nodes in file order, each supported operator turned into a hwsim layer (or a constant, an
alias, a folded batch norm or bias, a QONNX type), every problem a one-line InputError naming the
node."""
from __future__ import annotations

import math
import re

import numpy as np

from hwsim.ir.graph import (Add, AvgPool2d, Concat, Dropout, Flatten, GlobalAvgPool, Input, Layer, MaxPool2d,
                            ReLU, ReLU6)
from hwsim.ir.onnx_inputs import ONNX_DOMAINS, constants as _constants, graph_input as _graph_input, live_nodes as _live_nodes
from hwsim.ir.onnx_weighted import WeightedOps
from hwsim.util.errors import InputError, first_line

SUPPORTED = ("Conv", "BatchNormalization", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
             "Concat", "Add", "Gemm", "MatMul", "Flatten", "Reshape", "Dropout", "Identity", "Constant",
             "Quant")
QUANT_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general")
_SUPPORTED_TEXT = ", ".join(SUPPORTED[:-1]) + " and QONNX Quant"


def _clean(text: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_.]", "_", text).strip("._")
    return re.sub(r"\.{2,}", ".", text)


def layer_base_name(node_name: str, op_type: str, index: int) -> str:
    """A node's layer name before uniqueness (the module docstring's rule)."""
    parts = [p for p in node_name.split("/") if p]
    kept = [p for i, p in enumerate(parts) if not (i + 1 < len(parts) and parts[i + 1].startswith(p))]
    if kept and len(kept) > 1 and kept[-1] == op_type:
        prev = re.sub(r"[\d_.]+$", "", kept[-2].rsplit(".", 1)[-1]).lower()
        op = op_type.lower()
        kept[-1] = op
        if prev and (prev.startswith(op) or op.startswith(prev)):
            kept.pop()
    elif len(kept) == 1 and kept[0] == op_type:
        kept = [op_type.lower()]
    name = _clean(".".join(kept))
    return name or f"{op_type.lower()}_{index}"


class _Reader(WeightedOps):
    """One pass over the nodes in file order (ONNX requires topological order)."""

    def __init__(self, path: str, model, input_shape):
        from onnx import helper
        self.path, self.model, self.helper = path, model, helper
        self.consts = _constants(model)
        self.layers: list[Layer] = []
        self.weights: dict[str, dict[str, np.ndarray]] = {}
        self.src: dict[str, str] = {}          # activation tensor -> hwsim layer producing it
        self.rank: dict[str, int] = {}         # activation tensor -> ONNX rank (4 maps, 2 flat)
        self.readers: dict[str, int] = {}      # tensor -> how many nodes read it
        self.used: set[str] = {"input"}
        self.node_of: dict[str, str] = {}      # layer -> "node 'x' (Op)" for messages
        self.tensor_of: dict[str, str] = {}    # layer -> the ONNX tensor it produces
        self.quants: dict[str, str] = {}       # activation tensor -> its QONNX type (FixedType text)
        self.weight_quant: dict[str, str] = {}   # constant tensor -> its QONNX type
        self.layer_quant: dict[str, dict[str, str]] = {}   # layer -> {"weight": type, "bias": type}
        self.by_name: dict[str, Layer] = {}
        self._known: dict[str, tuple] = {}
        self.live = _live_nodes(model)
        for i, node in enumerate(model.graph.node):
            if i not in self.live:
                continue
            for t in node.input:
                self.readers[t] = self.readers.get(t, 0) + 1
        for out in model.graph.output:
            self.readers[out.name] = self.readers.get(out.name, 0) + 1
        self.input_name, self.input_shape = _graph_input(path, model, self.consts, input_shape)
        self.layers.append(Input("input", (), shape=self.input_shape))
        self.src[self.input_name] = "input"
        self.rank[self.input_name] = 4
        self.tensor_of["input"] = self.input_name

    # --- helpers -----------------------------------------------------------------------------
    def describe(self, node) -> str:
        """`node 'name' (Op)`, the way every message names a node."""
        return _desc(node)

    def fail(self, node, what: str):
        raise InputError(f"{self.path}: {_desc(node)}: {what}")

    def attrs(self, node) -> dict:
        return {a.name: self.helper.get_attribute_value(a) for a in node.attribute}

    def act(self, node, i: int) -> str:
        """The hwsim layer producing input i of `node` (an activation, not a constant)."""
        if i >= len(node.input) or not node.input[i]:
            self.fail(node, f"input {i} is missing")
        t = node.input[i]
        if t in self.src:
            return self.src[t]
        if t in self.consts:
            self.fail(node, f"input {t!r} is a constant; hwsim needs a feature map there")
        self.fail(node, f"input {t!r} is produced by no supported node")

    def const(self, node, i: int, what: str, optional: bool = False):
        if i >= len(node.input) or not node.input[i]:
            if optional:
                return None
            self.fail(node, f"{what} input is missing")
        t = node.input[i]
        if t not in self.consts:
            self.fail(node, f"{what} {t!r} is not a constant (initializer or Constant node)")
        return self.consts[t]

    def new_layer(self, node, index: int, make, weights=None, rank: int = 4) -> str:
        base = layer_base_name(node.name or "", node.op_type, index)
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        try:
            layer = make(name)
        except ValueError as e:
            self.fail(node, first_line(e))
        self.layers.append(layer)
        self.by_name[name] = layer
        if weights is not None:
            self.weights[name] = weights
        self.node_of[name] = _desc(node)
        out = node.output[0]
        self.src[out] = name
        self.rank[out] = rank
        self.tensor_of[name] = out
        return name

    def alias(self, node, i: int = 0):
        t = node.input[i]
        self.src[node.output[0]] = self.act(node, i)
        self.rank[node.output[0]] = self.rank[t]

    def only_reader(self, node, tensor: str) -> bool:
        return self.readers.get(tensor, 0) == 1

    # --- operators ---------------------------------------------------------------------------
    def run(self) -> None:
        for index, node in enumerate(self.model.graph.node):
            if index not in self.live:
                continue                  # the output does not depend on it: never read, never refused
            if node.op_type == "Quant" and node.domain in QUANT_DOMAINS:
                self.quant(node)
                continue
            if node.domain not in ONNX_DOMAINS:
                self.fail(node, f"operator domain {node.domain!r} is not supported; supported: {_SUPPORTED_TEXT}")
            op = getattr(self, "op_" + node.op_type, None)
            try:
                if op is None:
                    self.fail(node, f"operator {node.op_type} is not supported; supported: {_SUPPORTED_TEXT}")
                op(node, index)
            except InputError:
                reshape = self._shape_use(node)
                if reshape is None:
                    raise
                self.fail(reshape, f"the target shape is computed by the graph ({_desc(node)} computes it); only "
                                   "a constant shape is supported (export with constant folding)")

    def _shape_use(self, node):
        """The Reshape whose target shape is all that `node`'s outputs are used for (through other
        nodes: Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as an export without constant
        folding leaves it), else None."""
        if not hasattr(self, "_consumers"):
            self._consumers: dict[str, list] = {}
            for n in self.model.graph.node:
                for t in n.input:
                    self._consumers.setdefault(t, []).append(n)
        outputs = {o.name for o in self.model.graph.output}
        found, todo, seen = [], [o for o in node.output if o], set()
        while todo:
            t = todo.pop()
            if t in outputs:
                return None
            for n in self._consumers.get(t, ()):
                if n.op_type == "Reshape" and n.domain in ONNX_DOMAINS and n.input[0] != t:
                    found.append(n)       # only the target shape (input 1) is read
                    continue
                if n.op_type == "Reshape":
                    return None           # the data
                for o in n.output:
                    if o and o not in seen:
                        seen.add(o)
                        todo.append(o)
        return found[0] if found else None

    def op_Constant(self, node, index):
        if node.output[0] not in self.consts:
            self.fail(node, "only a Constant with a tensor value is supported")

    def op_Identity(self, node, index):
        if node.input[0] in self.consts:
            self.consts[node.output[0]] = self.consts[node.input[0]]
        else:
            self.alias(node)

    def op_Dropout(self, node, index):
        if len(node.output) > 1 and node.output[1] and self.readers.get(node.output[1]):
            self.fail(node, "its mask output is read; only the data output is supported")
        ratio = self.const(node, 1, "ratio", optional=True)
        p = float(ratio) if ratio is not None else float(self.attrs(node).get("ratio", 0.5))
        src = self.act(node, 0)
        self.new_layer(node, index, lambda n: Dropout(n, (src,), p=p), rank=self.rank[node.input[0]])

    def op_Relu(self, node, index):
        src = self.act(node, 0)
        self.new_layer(node, index, lambda n: ReLU(n, (src,)), rank=self.rank[node.input[0]])

    def op_Clip(self, node, index):
        a = self.attrs(node)
        lo = self.const(node, 1, "min", optional=True)
        hi = self.const(node, 2, "max", optional=True)
        lo = float(lo) if lo is not None else float(a.get("min", -math.inf))
        hi = float(hi) if hi is not None else float(a.get("max", math.inf))
        src = self.act(node, 0)
        if lo == 0 and hi == 6:
            cls = ReLU6
        elif lo == 0 and hi == math.inf:
            cls = ReLU
        else:
            self.fail(node, f"Clip(min={lo:g}, max={hi:g}) is not supported; only Clip(0, 6) (ReLU6) "
                            "and Clip(0, inf) (ReLU)")
        self.new_layer(node, index, lambda n: cls(n, (src,)), rank=self.rank[node.input[0]])

    def _window(self, node, kernel_ndim: int = 2) -> tuple:
        """(kernel or None, strides, symmetric pads) of a Conv / pool node, checked."""
        a = self.attrs(node)
        pad_mode = a.get("auto_pad", b"NOTSET")
        pad_mode = pad_mode.decode() if isinstance(pad_mode, bytes) else str(pad_mode)
        if pad_mode not in ("NOTSET", "VALID"):
            self.fail(node, f"auto_pad={pad_mode} is not supported; export with explicit pads")
        kernel = a.get("kernel_shape")
        if kernel is not None and len(kernel) != kernel_ndim:
            self.fail(node, f"a {len(kernel)}-D kernel is not supported; only 2-D")
        dil = list(a.get("dilations", [1, 1]))
        if any(d != 1 for d in dil):
            self.fail(node, f"dilations {dil} are not supported; only 1")
        strides = tuple(a.get("strides", [1, 1]))
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if len(pads) != 4 or pads[0] != pads[2] or pads[1] != pads[3]:
            self.fail(node, f"pads {pads} are not supported; only symmetric pads [t, l, t, l]")
        return kernel, strides, (pads[0], pads[1])

    def _pool(self, node, index, cls, **extra):
        src = self.act(node, 0)
        if self.rank[node.input[0]] != 4:
            self.fail(node, "a pool needs a 4-D NCHW input")
        kernel, strides, pads = self._window(node)
        if kernel is None:
            self.fail(node, "kernel_shape is missing")
        a = self.attrs(node)
        ceil = bool(a.get("ceil_mode", 0))
        return self.new_layer(node, index, lambda n: cls(n, (src,), kernel=tuple(kernel), stride=strides,
                                                         padding=pads, ceil_mode=ceil, **extra))

    def op_MaxPool(self, node, index):
        a = self.attrs(node)
        if len(node.output) > 1 and node.output[1]:
            self.fail(node, "the Indices output is not supported")
        if a.get("storage_order", 0):
            self.fail(node, "storage_order=1 is not supported")
        self._pool(node, index, MaxPool2d)

    def op_AveragePool(self, node, index):
        a = self.attrs(node)
        _, _, pads = self._window(node)
        if any(pads) and not a.get("count_include_pad", 0):
            self.fail(node, f"count_include_pad=0 with pads {list(pads)} is not supported; hwsim divides "
                            "by the kernel area (count_include_pad=1)")
        if a.get("ceil_mode", 0):
            self.fail(node, "ceil_mode=1 is not supported for average pools")
        self._pool(node, index, AvgPool2d)

    def op_GlobalAveragePool(self, node, index):
        src = self.act(node, 0)
        if self.rank[node.input[0]] != 4:
            self.fail(node, "GlobalAveragePool needs a 4-D NCHW input")
        self.new_layer(node, index, lambda n: GlobalAvgPool(n, (src,)))

    def op_Concat(self, node, index):
        srcs = tuple(self.act(node, i) for i in range(len(node.input)))
        rank = self.rank[node.input[0]]
        axis = int(self.attrs(node).get("axis", 1))
        if any(self.rank[t] != rank for t in node.input) or axis not in (1, 1 - rank):
            self.fail(node, f"concat on axis {axis} is not supported; only on channels (axis 1)")
        self.new_layer(node, index, lambda n: Concat(n, srcs), rank=rank)

    def op_Add(self, node, index):
        a, b = node.input[0], node.input[1]
        if a in self.consts or b in self.consts:
            t, c = (b, self.consts[a]) if a in self.consts else (a, self.consts[b])
            self._bias_add(node, t, c)
            return
        srcs = (self.act(node, 0), self.act(node, 1))
        sa, sb = self._shape(srcs[0]), self._shape(srcs[1])
        if sa != sb or self.rank[a] != self.rank[b]:
            self.fail(node, f"Add of shapes {_nchw(sa)} and {_nchw(sb)} is not supported; only equal "
                            "shapes (no broadcasting)")
        self.new_layer(node, index, lambda n: Add(n, srcs), rank=self.rank[a])

    def op_Flatten(self, node, index):
        axis = int(self.attrs(node).get("axis", 1))
        rank = self.rank.get(node.input[0], 4)
        if axis not in (1, 1 - rank):
            self.fail(node, f"Flatten on axis {axis} is not supported; only axis 1 (keep the batch)")
        self._flatten(node, index)

    def _flatten(self, node, index):
        src = self.act(node, 0)
        if self.rank[node.input[0]] == 2:
            self.alias(node)
            return
        self.new_layer(node, index, lambda n: Flatten(n, (src,)), rank=2)

    def op_Reshape(self, node, index):
        src = self.act(node, 0)
        if len(node.input) < 2 or node.input[1] not in self.consts:
            self.fail(node, "the target shape is computed by the graph; only a constant shape is supported "
                            "(export with constant folding)")
        target = [int(v) for v in np.asarray(self.consts[node.input[1]]).reshape(-1)]
        n = math.prod(self._shape(src))
        ok = (len(target) == 2 and target[0] in (1, 0, -1) and target[1] in (n, -1) and target != [-1, -1]
              and not (target[0] == -1 and target[1] == -1))
        if not ok:
            self.fail(node, f"Reshape to {target} is not supported; only a flatten to (N, {n})")
        self._flatten(node, index)

    # --- QONNX ---------------------------------------------------------------------------------
    def quant(self, node) -> None:
        from hwsim.ir import qonnx
        t = node.input[0]
        params = [self.const(node, i, role) for i, role in enumerate(("scale", "zeropt", "bitwidth"), 1)]
        text = qonnx.fixed_type(self.path, _desc(node), self.attrs(node), *params)
        if t in self.consts:
            self.consts[node.output[0]] = self.consts[t]
            self.weight_quant[node.output[0]] = text
            return
        if self.readers.get(t, 0) > 1:
            self.fail(node, f"its input {t!r} is also read unquantized (by another node or as the graph "
                            "output); hwsim gives a tensor one type")
        self.alias(node)
        if any(self.src.get(q) == self.src[t] for q in self.quants):
            self.fail(node, f"the output of layer {self.src[t]!r} is quantized twice")
        self.quants[node.output[0]] = text

    def _weight_types(self, node, name, wq, bq):
        types = {k: v for k, v in (("weight", wq), ("bias", bq)) if v is not None}
        if types:
            self.layer_quant[name] = types

    # --- shapes ----------------------------------------------------------------------------
    def _shape(self, layer_name: str):
        """The CHW shape of a layer read so far (computed once per layer, in order)."""
        known = self._known
        for layer in self.layers[len(known):]:
            known[layer.name] = layer.out_shape([known[s] for s in layer.inputs])
        return known[layer_name]


def _desc(node) -> str:
    return f"node {node.name or node.output[0]!r} ({node.op_type})"


def _nchw(shape) -> str:
    return "x".join(map(str, shape))
