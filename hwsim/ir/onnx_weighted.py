"""The ONNX reader's weighted operators (hwsim.ir.onnx_reader._Reader inherits them): Conv and its
depthwise case, BatchNormalization folded into it, a constant Add as a bias, Gemm and MatMul as
dense layers. The rules are hwsim.ir.onnx_graph's docstring."""
from __future__ import annotations

import math

import numpy as np

from hwsim.ir.graph import Conv2d, Dense, DepthwiseConv2d


def _nchw(shape) -> str:
    return "x".join(map(str, shape))


class WeightedOps:
    """Operators with weights; they use the reader's helpers (act, const, fail, new_layer, ...)."""

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
