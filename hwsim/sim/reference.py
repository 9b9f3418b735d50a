"""Float reference: run a Graph in numpy float32, NCHW in and out (batch first).

Semantics are those of hwsim/ir/graph.py's docstring. Convolutions are im2col + float32 BLAS GEMMs
(like PyTorch's CPU kernels), threaded in tiles of whole output rows (hwsim.sim.reference_conv; the values do
not depend on the batch size or the number of threads), with a following ReLU applied in the same
pass; max pools ignore out-of-range positions (a threaded kernel); average pools count padding
(count_include_pad); Dense flattens its input in C, H, W order and gives (N, out, 1, 1).
Depthwise convolutions are float32 multiply-adds over the padded sliding windows, one kernel tap at a
time in (kh, kw) order, vectorised over (N, C, OH, OW), starting from the bias; ReLU6 is
min(max(x, 0), 6).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from hwsim.ir.graph import Graph, Layer
from hwsim.ir.geometry import far_padding


def _windows(x: np.ndarray, kernel, stride, padding, out_hw, fill: float) -> np.ndarray:
    """View (N, C, OH, OW, KH, KW) of the padded input; `fill` pads, also past the bottom/right edge
    when the output needs it (ceil-mode pools)."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = out_hw
    n, c, h, w = x.shape
    bottom, right = far_padding(h, w, (oh, ow), kernel, stride, padding)
    if ph or pw or bottom or right:
        x = np.pad(x, ((0, 0), (0, 0), (ph, bottom), (pw, right)), constant_values=fill)
    v = sliding_window_view(x, (kh, kw), axis=(2, 3))
    return v[:, :, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw]


def _conv(layer, x, w, b, relu: bool = False):
    """The conv's output, or with `relu` the ReLU after it (the conv's own values are not kept)."""
    from hwsim.sim.reference_conv import conv
    out, out_relu = conv(x, w, b, layer.kernel, layer.stride, layer.padding, relu=relu, keep_conv=not relu)
    return out_relu if relu else out


def _dwconv(layer, x, w, b, out_shape) -> np.ndarray:
    """Depthwise conv: out[n, c] = b[c] + sum over (kh, kw) of x_window[n, c] * w[c, 0, kh, kw], float32."""
    _, oh, ow = out_shape
    v = _windows(x, layer.kernel, layer.stride, layer.padding, (oh, ow), 0.0)
    kh, kw = layer.kernel
    w = np.asarray(w, np.float32).reshape(w.shape[0], kh, kw)
    out = np.zeros((x.shape[0], w.shape[0], oh, ow), np.float32)
    if b is not None:
        out += np.asarray(b, np.float32)[None, :, None, None]
    for i in range(kh):
        for j in range(kw):
            out += v[..., i, j] * w[None, :, i, j, None, None]
    return out


def _pool(layer, x, out_shape) -> np.ndarray:
    c, oh, ow = out_shape
    if layer.kind == "maxpool":
        from hwsim.sim.ops import float_maxpool
        return float_maxpool(x, layer.kernel, layer.stride, layer.padding, (oh, ow))
    v = _windows(x, layer.kernel, layer.stride, layer.padding, (oh, ow), 0.0)
    area = np.float32(layer.kernel[0] * layer.kernel[1])
    return (v.sum(axis=(4, 5), dtype=np.float32) / area).astype(np.float32)


def apply(graph: Graph, layer: Layer, ins: list[np.ndarray], relu: bool = False) -> np.ndarray:
    """One layer's float32 output from its inputs' (with `relu`, a conv's and its ReLU's)."""
    kind = layer.kind
    x = ins[0]
    n = x.shape[0]
    if kind == "conv":
        w = graph.weights[layer.name]
        return _conv(layer, x, w["weight"], w.get("bias"), relu)
    if kind == "dwconv":
        w = graph.weights[layer.name]
        return _dwconv(layer, x, w["weight"], w.get("bias"), graph.shape(layer.name))
    if kind == "relu6":
        return np.minimum(np.maximum(x, np.float32(0)), np.float32(6))
    if kind == "dense":
        w = graph.weights[layer.name]
        y = x.reshape(n, -1) @ w["weight"].T
        if "bias" in w:
            y = y + w["bias"]
        return y.reshape(n, -1, 1, 1)
    if kind == "relu":
        return np.maximum(x, np.float32(0))
    if kind in ("maxpool", "avgpool"):
        return _pool(layer, x, graph.shape(layer.name))
    if kind == "gap":
        return x.mean(axis=(2, 3), keepdims=True, dtype=np.float32)
    if kind == "concat":
        return np.concatenate(ins, axis=1)
    if kind == "add":
        y = ins[0]
        for other in ins[1:]:
            y = y + other
        return y
    if kind == "dropout":
        return x
    if kind == "flatten":
        return x.reshape(n, -1, 1, 1)
    raise ValueError(f"{layer.name}: the float reference does not support layer kind {kind!r}")


def _check(graph: Graph, x) -> np.ndarray:
    x = np.asarray(x)
    expected = tuple(graph.input_shape)
    if x.ndim != 4 or tuple(x.shape[1:]) != expected:
        raise ValueError(f"{graph.name}: expected input of shape (N, {', '.join(map(str, expected))}), "
                         f"got {tuple(x.shape)}")
    if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
        raise TypeError(f"{graph.name}: input must be real numbers, got dtype {x.dtype}")
    missing = [l.name for l in graph.layers if l.has_weights and l.name not in graph.weights]
    if missing:
        raise ValueError(f"{graph.name}: no weights for layer {missing[0]!r}; attach them with "
                         "with_weights or hwsim.ir.weights.load_weights")
    return np.ascontiguousarray(x, dtype=np.float32)


def _execute(graph: Graph, x, keep_all: bool) -> dict[str, np.ndarray]:
    x = _check(graph, x)
    remaining = {l.name: len(graph.consumers(l.name)) for l in graph.layers}
    out_name = graph.output.name
    acts: dict[str, np.ndarray] = {graph.input.name: x}
    layers = graph.layers
    skip = None
    for i, layer in enumerate(layers[1:], 1):
        if layer.name == skip:
            continue
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        fuse = (not keep_all and layer.kind == "conv" and nxt is not None and nxt.kind == "relu"
                and nxt.inputs == (layer.name,) and remaining[layer.name] == 1)
        y = apply(graph, layer, [acts[s] for s in layer.inputs], relu=fuse)
        # with `fuse` the conv's only consumer is the ReLU after it: one pass gives the ReLU's values
        skip = nxt.name if fuse else None
        acts[skip or layer.name] = np.ascontiguousarray(y, dtype=np.float32)
        if not keep_all:
            for s in set(layer.inputs):
                remaining[s] -= 1
                if remaining[s] <= 0 and s != out_name:
                    del acts[s]
    return acts


def run(graph: Graph, x) -> np.ndarray:
    """Output of the graph's last layer for a batch x of shape (N, C, H, W): (N, C', H', W')."""
    return _execute(graph, x, keep_all=False)[graph.output.name]


def run_all(graph: Graph, x) -> dict[str, np.ndarray]:
    """Every layer's output (the Input's too) by layer name, each (N, C, H, W) float32."""
    return _execute(graph, x, keep_all=True)
