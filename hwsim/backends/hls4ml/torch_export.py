"""Graph -> plain PyTorch module with the graph's weights, traceable by torch.fx.

Each layer with a torch module becomes a named submodule; its name is the layer name with every
character that is not a letter, digit or underscore replaced by `_` (`fire2.squeeze1x1` ->
`fire2_squeeze1x1`); `module.module_names` maps layer names to submodule names. Mapping:
Conv2d -> nn.Conv2d, DepthwiseConv2d -> nn.Conv2d(C, C, groups=C), ReLU -> nn.ReLU, ReLU6 -> nn.ReLU6, MaxPool2d -> nn.MaxPool2d(ceil_mode=...), AvgPool2d ->
nn.AvgPool2d(count_include_pad=True), GlobalAvgPool -> nn.AvgPool2d over the whole feature map,
Dropout -> nn.Dropout, Flatten -> nn.Flatten, Dense -> nn.Linear (preceded by an nn.Flatten named
`<name>_flatten` when its input is still 4-D); Concat -> torch.cat(..., dim=1); Add -> `+` (when
they mix (N, C) and (N, C, 1, 1) tensors, the 4-D ones go through torch.flatten(x, 1) first).
The module takes (N, C, H, W) at the graph's input size; its output is 4-D for convolutional nets
and (N, features) after Flatten/Dense. Call `.eval()` before inference (Dropout).
"""
from __future__ import annotations

import re

import numpy as np

from hwsim.ir.graph import Graph


def _torch():
    try:
        import torch
        from torch import nn
    except ImportError:
        raise ImportError("hwsim.backends.hls4ml.torch_export needs PyTorch (pip install torch)") from None
    return torch, nn


def sanitize(name: str) -> str:
    """A Python identifier for a layer name: non-word characters -> `_`, no leading digit."""
    out = re.sub(r"\W", "_", name)
    return "l_" + out if not out or out[0].isdigit() else out


def _module_for(nn, torch, graph: Graph, layer):
    kind = layer.kind
    if kind == "conv":
        c_in = graph.in_shapes(layer)[0][0]
        m = nn.Conv2d(c_in, layer.out_channels, layer.kernel, layer.stride, layer.padding,
                      bias=layer.bias)
    elif kind == "dwconv":
        c = graph.in_shapes(layer)[0][0]
        m = nn.Conv2d(c, c, layer.kernel, layer.stride, layer.padding, groups=c, bias=layer.bias)
    elif kind == "dense":
        in_features = int(np.prod(graph.in_shapes(layer)[0]))
        m = nn.Linear(in_features, layer.out_features, bias=layer.bias)
    elif kind == "relu":
        return nn.ReLU()
    elif kind == "relu6":
        return nn.ReLU6()
    elif kind == "maxpool":
        return nn.MaxPool2d(layer.kernel, layer.stride, layer.padding, ceil_mode=layer.ceil_mode)
    elif kind == "avgpool":
        return nn.AvgPool2d(layer.kernel, layer.stride, layer.padding, count_include_pad=True)
    elif kind == "gap":
        _, h, w = graph.in_shapes(layer)[0]
        return nn.AvgPool2d((h, w))
    elif kind == "dropout":
        return nn.Dropout(layer.p)
    elif kind == "flatten":
        return nn.Flatten()
    else:
        return None
    arrs = graph.weights[layer.name]
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(np.array(arrs["weight"], dtype=np.float32)))
        if m.bias is not None:
            m.bias.copy_(torch.from_numpy(np.array(arrs["bias"], dtype=np.float32)))
    return m


def to_torch(graph: Graph):
    """A torch.nn.Module computing `graph` with its weights (see the module docstring)."""
    torch, nn = _torch()
    missing = [l.name for l in graph.layers if l.has_weights and l.name not in graph.weights]
    if missing:
        raise ValueError(f"{graph.name}: no weights for layer {missing[0]!r}; the torch module "
                         "copies the graph's weights")

    class GraphModule(nn.Module):
        def __init__(self):
            super().__init__()
            self.module_names: dict[str, str] = {}
            plan = []
            flat = {graph.input.name: False}  # is the tensor 2-D in torch?
            for layer in graph.layers[1:]:
                in_flat = [flat[s] for s in layer.inputs]
                m = _module_for(nn, torch, graph, layer)
                if m is None and layer.kind not in ("concat", "add"):
                    raise ValueError(f"{layer.name}: no torch module for layer kind {layer.kind!r}")
                if layer.kind in ("conv", "dwconv", "maxpool", "avgpool", "gap") and in_flat[0]:
                    raise ValueError(f"{layer.name}: {layer.kind} after a Flatten/Dense layer")
                # mixing (N, C) and (N, C, 1, 1) inputs: flatten the 4-D ones
                to_flat = tuple(any(in_flat) and not f for f in in_flat)
                attr = pre = None
                if m is not None:
                    attr = self._register(layer.name, m)
                    if layer.kind == "dense" and not in_flat[0]:
                        pre = self._register(layer.name + "_flatten", nn.Flatten(), record=False)
                plan.append((layer.kind, attr, pre, layer.name, tuple(layer.inputs), to_flat))
                flat[layer.name] = layer.kind in ("flatten", "dense") or any(in_flat)
            self._plan = tuple(plan)
            self._input = graph.input.name
            self._output = graph.output.name

        def _register(self, name, module, record=True):
            attr = base = sanitize(name)
            i = 1
            while hasattr(self, attr) or attr in self._modules:
                attr, i = f"{base}_{i}", i + 1
            self.add_module(attr, module)
            if record:
                self.module_names[name] = attr
            return attr

        def forward(self, x):
            env = {self._input: x}
            for kind, attr, pre, name, inputs, to_flat in self._plan:
                ins = [torch.flatten(env[s], 1) if f else env[s] for s, f in zip(inputs, to_flat)]
                if kind == "concat":
                    y = torch.cat(ins, dim=1)
                elif kind == "add":
                    y = ins[0]
                    for other in ins[1:]:
                        y = y + other
                else:
                    y = ins[0]
                    if pre is not None:
                        y = getattr(self, pre)(y)
                    y = getattr(self, attr)(y)
                env[name] = y
            return env[self._output]

    return GraphModule().eval()
