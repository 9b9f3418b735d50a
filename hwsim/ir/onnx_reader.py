"""The node-by-node reader of hwsim.ir.onnx_graph (its docstring has the rules): one pass over an ONNX
graph's nodes in file order, each supported operator turned into a hwsim layer (or a constant, an
alias, a folded batch norm or bias, a QONNX type), every problem a one-line InputError naming the
node."""
from __future__ import annotations

import math
import re

import numpy as np

from hwsim.ir.graph import (Add, AvgPool2d, Concat, Conv2d, Dense, DepthwiseConv2d, Dropout, Flatten,
                            GlobalAvgPool, Input, Layer, MaxPool2d, ReLU, ReLU6)
from hwsim.util.errors import InputError, first_line

SUPPORTED = ("Conv", "BatchNormalization", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
             "Concat", "Add", "Gemm", "MatMul", "Flatten", "Reshape", "Dropout", "Identity", "Constant",
             "Quant")
ONNX_DOMAINS = ("", "ai.onnx")
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


class _Reader:
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

    def op_Conv(self, node, index):
        src = self.act(node, 0)
        if self.rank[node.input[0]] != 4:
            self.fail(node, "a Conv needs a 4-D NCHW input")
        w = self.const(node, 1, "weight")
        b = self.const(node, 2, "bias", optional=True)
        if w.ndim != 4:
            self.fail(node, f"a weight of {w.ndim} dimensions is not supported; only 2-D convolutions")
        kernel, strides, pads = self._window(node)
        if kernel is not None and tuple(kernel) != w.shape[2:]:
            self.fail(node, f"kernel_shape {list(kernel)} differs from the weight's {list(w.shape[2:])}")
        group = int(self.attrs(node).get("group", 1))
        channels = self._shape(src)[0]
        f = w.shape[0]
        if group == 1 and w.shape[1] != channels:
            self.fail(node, f"its weight reads {w.shape[1]} channels but its input has {channels} "
                            f"({_nchw(self._shape(src))}); hwsim needs NCHW (channels first)")
        wq = self.weight_quant.get(node.input[1])
        if group == 1:
            make = lambda n: Conv2d(n, (src,), out_channels=f, kernel=w.shape[2:], stride=strides,
                                    padding=pads, bias=True)
        elif group == channels and f == channels and w.shape[1] == 1:
            make = lambda n: DepthwiseConv2d(n, (src,), kernel=w.shape[2:], stride=strides, padding=pads,
                                             bias=True)
        else:
            self.fail(node, f"group={group} over {channels} channels ({f} filters of {w.shape[1]}) is not "
                            "supported; only group 1, or group = channels with one filter each (depthwise)")
        bias = np.zeros(f, np.float32) if b is None else np.asarray(b, np.float32).reshape(-1)
        name = self.new_layer(node, index, make, {"weight": np.asarray(w, np.float32), "bias": bias})
        self._weight_types(node, name, wq, self.weight_quant.get(node.input[2]) if len(node.input) > 2 else None)

    def op_BatchNormalization(self, node, index):
        from hwsim.ir.batchnorm import DEFAULT_EPS, fold
        src = self.act(node, 0)
        layer = self.by_name.get(src)
        a = self.attrs(node)
        if a.get("training_mode", 0):
            self.fail(node, "training_mode=1 is not supported; export in eval mode")
        if (layer is None or layer.name != src or layer.kind not in ("conv", "dwconv")
                or not self.only_reader(node, node.input[0])):
            self.fail(node, "only a batch norm right after a Conv whose output nothing else reads is "
                            "supported (it is folded into that Conv)")
        parts = [self.const(node, i, role) for i, role in enumerate(("scale", "B", "mean", "var"), 1)]
        wt = self.weights[src]
        try:
            w, b = fold(wt["weight"], wt["bias"], *parts, float(a.get("epsilon", DEFAULT_EPS)))
        except ValueError as e:
            self.fail(node, str(e))
        self.weights[src] = {"weight": w, "bias": b}
        self.src[node.output[0]] = src
        self.rank[node.output[0]] = 4
        self.tensor_of[src] = node.output[0]

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

    def _bias_add(self, node, tensor: str, c):
        src = self.act(node, 0 if node.input[0] == tensor else 1)
        layer = self.by_name.get(src)
        c = np.asarray(c, np.float32)
        if layer is None or layer.name != src or not layer.has_weights or not self.only_reader(node, tensor):
            self.fail(node, "Add of a constant is supported only as the bias of the Conv / Gemm / MatMul "
                            "right before it, whose output nothing else reads")
        f = self.weights[src]["bias"].shape[0]
        squeezed = c.reshape(-1) if c.size == f and (c.ndim <= 1 or c.shape[-1] == f or
                                                      (self.rank[tensor] == 4 and c.shape[-3:] == (f, 1, 1))) else None
        if squeezed is None:
            self.fail(node, f"a constant of shape {list(c.shape)} is not a per-channel bias of {f} channels")
        wt = self.weights[src]
        self.weights[src] = {"weight": wt["weight"], "bias": wt["bias"] + squeezed}
        self.src[node.output[0]] = src
        self.rank[node.output[0]] = self.rank[tensor]
        self.tensor_of[src] = node.output[0]

    def _dense_input(self, node) -> str:
        src = self.act(node, 0)
        if self.rank[node.input[0]] != 2:
            self.fail(node, "needs a 2-D input (N, features): put a Flatten before it")
        return src

    def op_Gemm(self, node, index):
        src = self._dense_input(node)
        a = self.attrs(node)
        if a.get("transA", 0):
            self.fail(node, "transA=1 is not supported")
        if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
            self.fail(node, f"alpha={a.get('alpha', 1.0):g}, beta={a.get('beta', 1.0):g} are not supported; only 1")
        w = np.asarray(self.const(node, 1, "B"), np.float32)
        if w.ndim != 2:
            self.fail(node, f"B of shape {list(w.shape)} is not a matrix")
        if not a.get("transB", 0):
            w = w.T
        c = self.const(node, 2, "C", optional=True)
        f = w.shape[0]
        self._check_features(node, src, w.shape[1])
        bias = np.zeros(f, np.float32) if c is None else np.asarray(c, np.float32).reshape(-1)
        if bias.shape != (f,):
            self.fail(node, f"C of shape {list(np.shape(c))} is not a bias of {f} features")
        wq = self.weight_quant.get(node.input[1])
        bq = self.weight_quant.get(node.input[2]) if len(node.input) > 2 else None
        name = self.new_layer(node, index, lambda n: Dense(n, (src,), out_features=f, bias=True),
                              {"weight": np.ascontiguousarray(w), "bias": bias}, rank=2)
        self._weight_types(node, name, wq, bq)

    def _check_features(self, node, src, k: int) -> None:
        n = math.prod(self._shape(src))
        if k != n:
            self.fail(node, f"its matrix reads {k} features but its input has {n}")

    def op_MatMul(self, node, index):
        src = self._dense_input(node)
        w = np.asarray(self.const(node, 1, "B"), np.float32)
        if w.ndim != 2:
            self.fail(node, f"B of shape {list(w.shape)} is not a matrix")
        f = w.shape[1]
        self._check_features(node, src, w.shape[0])
        name = self.new_layer(node, index, lambda n: Dense(n, (src,), out_features=f, bias=True),
                              {"weight": np.ascontiguousarray(w.T), "bias": np.zeros(f, np.float32)}, rank=2)
        self._weight_types(node, name, self.weight_quant.get(node.input[1]), None)

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


def _live_nodes(model) -> set[int]:
    """Indexes of the nodes that the graph's outputs depend on (nodes are in topological order)."""
    needed = {o.name for o in model.graph.output}
    live = set()
    for i in range(len(model.graph.node) - 1, -1, -1):
        node = model.graph.node[i]
        if any(o and o in needed for o in node.output):
            live.add(i)
            needed.update(t for t in node.input if t)
    return live


def _constants(model) -> dict[str, np.ndarray]:
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


def _graph_input(path, model, consts, input_shape) -> tuple[str, tuple[int, int, int]]:
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
                             f"{_dims_text(dims)}; give --input-shape CxHxW")
        return inp.name, tuple(int(d) for d in dims[1:])
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise InputError(f"{path}: input shape {shape} is not CxHxW")
    if dims is not None:
        for axis, (d, s) in enumerate(zip(dims[1:], shape)):
            if isinstance(d, int) and d != s:
                raise InputError(f"{path}: --input-shape {_nchw(shape)} disagrees with input {inp.name!r} "
                                 f"{_dims_text(dims)} at {'CHW'[axis]}")
    return inp.name, shape


def _dims_text(dims) -> str:
    return "(unknown shape)" if dims is None else "[" + ", ".join(map(str, dims)) + "]"
