"""Network IR: frozen layer dataclasses and a Graph with shapes, parameters and MACs.

Feature maps are CHW (batch excluded). Every layer names its inputs; the graph is kept in
topological order. A Graph is immutable: `with_weights` returns a new one.

Layer semantics (shared by the float reference, the simulator and the C++ kernels):
- Conv2d: zero padding, cross-correlation (PyTorch), optional bias.
- DepthwiseConv2d: groups = channels, depth multiplier 1; channel c of the output is channel c of
  the input cross-correlated with its own kernel (zero padding, optional bias).
- ReLU: max(x, 0). ReLU6: min(max(x, 0), 6).
- Batch norm has no layer: it is folded into the convolution before it when weights load
  (hwsim.ir.batchnorm).
- MaxPool2d: floor or ceil output size (PyTorch rule: in ceil mode the last window must start inside
  the input or left padding); out-of-range positions are ignored, never read as zero.
- AvgPool2d: sum of the window divided by kernel area (count_include_pad, no ceil mode).
- GlobalAvgPool: mean over H x W, output (C, 1, 1).
- Concat: along channels, in input order. Add: elementwise, equal shapes.
- Dropout: identity at inference. Flatten: (C, H, W) -> (C*H*W, 1, 1). Dense: matrix-vector + bias.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping
from hwsim.ir.geometry import out_hw, pool_out


Shape = tuple[int, int, int]


def _pair(v) -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    a, b = v
    return (int(a), int(b))


def _pair_fields(layer) -> None:
    """kernel, stride and padding of a windowed layer as (rows, columns) pairs."""
    for f in ("kernel", "stride", "padding"):
        object.__setattr__(layer, f, _pair(getattr(layer, f)))


def _conv_hw(layer, in_shape) -> tuple[int, int]:
    """(OH, OW) of a convolution over a (C, H, W) input; a kernel that does not fit is an error."""
    _, h, w = in_shape
    oh, ow = out_hw(h, w, layer.kernel, layer.stride, layer.padding)
    if oh < 1 or ow < 1:
        raise ValueError(f"{layer.name}: kernel {layer.kernel[0]}x{layer.kernel[1]} does not fit input {h}x{w}")
    return oh, ow


@dataclass(frozen=True)
class Layer:
    name: str
    inputs: tuple[str, ...]

    kind = "layer"
    has_weights = False
    # The kind's roles, in one place. `passes_type`: the result type is the input's unless the
    # config names one (relu, max pool, dropout, flatten; a concat passes it when its inputs agree),
    # so only the other kinds have their own result type. `wiring`: moves no data in hardware
    # (dropout and flatten are identities on the stream).
    passes_type = False
    wiring = False

    def out_shape(self, in_shapes: list[Shape]) -> Shape:  # pragma: no cover - abstract
        raise NotImplementedError

    def weight_shapes(self, in_shapes: list[Shape]) -> dict[str, tuple[int, ...]]:
        return {}

    def macs(self, in_shapes: list[Shape]) -> int:
        return 0

    def describe(self) -> str:
        return ""


@dataclass(frozen=True)
class Input(Layer):
    shape: Shape = (3, 224, 224)
    kind = "input"

    def out_shape(self, in_shapes):
        return tuple(self.shape)

    def describe(self):
        return "shape=%s" % "x".join(map(str, self.shape))


@dataclass(frozen=True)
class Conv2d(Layer):
    out_channels: int = 1
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    bias: bool = True
    kind = "conv"
    has_weights = True

    def __post_init__(self):
        _pair_fields(self)

    def out_shape(self, in_shapes):
        return (self.out_channels,) + _conv_hw(self, in_shapes[0])

    def weight_shapes(self, in_shapes):
        c = in_shapes[0][0]
        shapes = {"weight": (self.out_channels, c) + self.kernel}
        if self.bias:
            shapes["bias"] = (self.out_channels,)
        return shapes

    def macs(self, in_shapes):
        o, oh, ow = self.out_shape(in_shapes)
        return o * oh * ow * in_shapes[0][0] * self.kernel[0] * self.kernel[1]

    def describe(self):
        k, s, p = self.kernel, self.stride, self.padding
        return f"out={self.out_channels} k={k[0]}x{k[1]} s={s[0]}x{s[1]} p={p[0]}x{p[1]} bias={int(self.bias)}"


@dataclass(frozen=True)
class ReLU(Layer):
    kind = "relu"
    passes_type = True

    def out_shape(self, in_shapes):
        return in_shapes[0]


@dataclass(frozen=True)
class ReLU6(Layer):
    """min(max(x, 0), 6): MobileNet's clipped ReLU (the clip acts on the value as it arrives)."""
    kind = "relu6"
    passes_type = True

    def out_shape(self, in_shapes):
        return in_shapes[0]


@dataclass(frozen=True)
class DepthwiseConv2d(Layer):
    """A depthwise convolution: groups = channels, depth multiplier 1. Each output channel c is the
    cross-correlation of input channel c with its own KH x KW kernel (weight (C, 1, KH, KW)), zero
    padding, optional bias."""
    kernel: tuple[int, int] = (3, 3)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    bias: bool = True
    kind = "dwconv"
    has_weights = True

    def __post_init__(self):
        _pair_fields(self)

    def out_shape(self, in_shapes):
        return (in_shapes[0][0],) + _conv_hw(self, in_shapes[0])

    def weight_shapes(self, in_shapes):
        c = in_shapes[0][0]
        shapes = {"weight": (c, 1) + self.kernel}
        if self.bias:
            shapes["bias"] = (c,)
        return shapes

    def macs(self, in_shapes):
        c, oh, ow = self.out_shape(in_shapes)
        return c * oh * ow * self.kernel[0] * self.kernel[1]

    def describe(self):
        k, s, p = self.kernel, self.stride, self.padding
        return f"depthwise k={k[0]}x{k[1]} s={s[0]}x{s[1]} p={p[0]}x{p[1]} bias={int(self.bias)}"


@dataclass(frozen=True)
class MaxPool2d(Layer):
    kernel: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (2, 2)
    padding: tuple[int, int] = (0, 0)
    ceil_mode: bool = False
    kind = "maxpool"
    passes_type = True

    def __post_init__(self):
        _pair_fields(self)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel)):
            # PyTorch's rule: otherwise a window can lie wholly in the padding, with nothing to pool
            raise ValueError(f"{self.name}: pool padding {self.padding[0]}x{self.padding[1]} is more "
                             f"than half the kernel {self.kernel[0]}x{self.kernel[1]}")

    def out_shape(self, in_shapes):
        c, h, w = in_shapes[0]
        try:
            oh = pool_out(h, self.kernel[0], self.stride[0], self.padding[0], self.ceil_mode)
            ow = pool_out(w, self.kernel[1], self.stride[1], self.padding[1], self.ceil_mode)
        except ValueError as e:
            raise ValueError(f"{self.name}: {e}") from None
        return (c, oh, ow)

    def describe(self):
        k, s, p = self.kernel, self.stride, self.padding
        return f"k={k[0]}x{k[1]} s={s[0]}x{s[1]} p={p[0]}x{p[1]} ceil={int(self.ceil_mode)}"


@dataclass(frozen=True)
class AvgPool2d(MaxPool2d):
    kind = "avgpool"
    passes_type = False

    def __post_init__(self):
        super().__post_init__()
        if self.ceil_mode:
            raise ValueError(f"{self.name}: ceil-mode average pooling is not supported")


@dataclass(frozen=True)
class GlobalAvgPool(Layer):
    kind = "gap"

    def out_shape(self, in_shapes):
        return (in_shapes[0][0], 1, 1)


@dataclass(frozen=True)
class Concat(Layer):
    kind = "concat"

    def out_shape(self, in_shapes):
        hw = {s[1:] for s in in_shapes}
        if len(hw) != 1:
            raise ValueError(f"{self.name}: concat inputs differ in H x W: {in_shapes}")
        return (sum(s[0] for s in in_shapes), in_shapes[0][1], in_shapes[0][2])


@dataclass(frozen=True)
class Add(Layer):
    kind = "add"

    def out_shape(self, in_shapes):
        if len(set(in_shapes)) != 1:
            raise ValueError(f"{self.name}: add inputs differ in shape: {in_shapes}")
        return in_shapes[0]


@dataclass(frozen=True)
class Dropout(Layer):
    p: float = 0.5
    kind = "dropout"
    passes_type = True
    wiring = True

    def out_shape(self, in_shapes):
        return in_shapes[0]

    def describe(self):
        return f"p={self.p}"


@dataclass(frozen=True)
class Flatten(Layer):
    kind = "flatten"
    passes_type = True
    wiring = True

    def out_shape(self, in_shapes):
        return (math.prod(in_shapes[0]), 1, 1)


@dataclass(frozen=True)
class Dense(Layer):
    out_features: int = 1
    bias: bool = True
    kind = "dense"
    has_weights = True

    def out_shape(self, in_shapes):
        return (self.out_features, 1, 1)

    def weight_shapes(self, in_shapes):
        shapes = {"weight": (self.out_features, math.prod(in_shapes[0]))}
        if self.bias:
            shapes["bias"] = (self.out_features,)
        return shapes

    def macs(self, in_shapes):
        return self.out_features * math.prod(in_shapes[0])

    def describe(self):
        return f"out={self.out_features} bias={int(self.bias)}"


@dataclass(frozen=True, eq=False)
class Graph:
    """A network: layers in topological order (the first is the Input), plus optional weights.

    `weights` maps layer name -> {"weight": array, "bias": array}; empty when none are attached.
    The output is the last layer.
    """
    name: str
    layers: tuple[Layer, ...]
    weights: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)

    def __post_init__(self):
        layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        if not layers or not isinstance(layers[0], Input):
            raise ValueError(f"graph {self.name}: the first layer must be an Input")
        seen: dict[str, Shape] = {}
        for layer in layers:
            if layer.name in seen:
                raise ValueError(f"graph {self.name}: duplicate layer name {layer.name!r}")
            for src in layer.inputs:
                if src not in seen:
                    raise ValueError(f"graph {self.name}: layer {layer.name!r} reads {src!r}, "
                                     "which is not defined before it")
            if not isinstance(layer, Input) and not layer.inputs:
                raise ValueError(f"graph {self.name}: layer {layer.name!r} has no input")
            seen[layer.name] = layer.out_shape([seen[s] for s in layer.inputs])
        object.__setattr__(self, "_shapes", MappingProxyType(seen))
        frozen = {k: MappingProxyType(dict(v)) for k, v in dict(self.weights).items()}
        object.__setattr__(self, "weights", MappingProxyType(frozen))

    # --- structure -------------------------------------------------------------------------
    @property
    def input(self) -> Input:
        return self.layers[0]

    @property
    def output(self) -> Layer:
        return self.layers[-1]

    @property
    def input_shape(self) -> Shape:
        return self.layers[0].shape

    @property
    def output_shape(self) -> Shape:
        return self._shapes[self.layers[-1].name]

    def names(self) -> list[str]:
        return [l.name for l in self.layers]

    def layer(self, name: str) -> Layer:
        for l in self.layers:
            if l.name == name:
                return l
        raise KeyError(f"no layer named {name!r} in {self.name}")

    def shape(self, name: str) -> Shape:
        return self._shapes[name]

    def in_shapes(self, layer: Layer | str) -> list[Shape]:
        layer = self.layer(layer) if isinstance(layer, str) else layer
        return [self._shapes[s] for s in layer.inputs]

    def consumers(self, name: str) -> list[Layer]:
        return [l for l in self.layers if name in l.inputs]

    # --- counts ----------------------------------------------------------------------------
    def weight_shapes(self, layer: Layer | str) -> dict[str, tuple[int, ...]]:
        layer = self.layer(layer) if isinstance(layer, str) else layer
        return layer.weight_shapes(self.in_shapes(layer))

    def params(self, layer: Layer | str | None = None) -> int:
        if layer is None:
            return sum(self.params(l) for l in self.layers)
        return sum(math.prod(s) for s in self.weight_shapes(layer).values())

    def macs(self, layer: Layer | str | None = None) -> int:
        if layer is None:
            return sum(self.macs(l) for l in self.layers)
        layer = self.layer(layer) if isinstance(layer, str) else layer
        return layer.macs(self.in_shapes(layer))

    # --- weights ---------------------------------------------------------------------------
    def with_weights(self, weights: Mapping[str, Mapping[str, np.ndarray]]) -> "Graph":
        """New graph with these weights, checked against the expected shapes."""
        expected = {l.name: self.weight_shapes(l) for l in self.layers if l.has_weights}
        for name in weights:
            if name not in expected:
                raise ValueError(f"weights given for {name!r}, which has no weights in {self.name}")
        out = {}
        for name, shapes in expected.items():
            got = weights.get(name)
            if got is None:
                raise ValueError(f"no weights given for layer {name!r}")
            for key in got:
                if key not in shapes:
                    raise ValueError(f"{name}: unexpected tensor {key!r} (expected {sorted(shapes)})")
            arrs = {}
            for key, shape in shapes.items():
                if key not in got:
                    raise ValueError(f"{name}: missing {key} of shape {shape}")
                import numpy as np   # here only: a shapes-only graph (`hwsim budget`) needs no numpy
                a = np.asarray(got[key], dtype=np.float32)
                if a.shape != shape:
                    raise ValueError(f"{name}.{key}: expected shape {shape}, got {a.shape}")
                a = a.copy()
                a.setflags(write=False)
                arrs[key] = a
            out[name] = arrs
        return replace(self, weights=out)

    @property
    def has_weights(self) -> bool:
        return bool(self.weights)

    # --- text form -------------------------------------------------------------------------
    def __str__(self) -> str:
        lines = [f"graph {self.name} params={self.params()} macs={self.macs()}"]
        for l in self.layers:
            shape = "x".join(map(str, self._shapes[l.name]))
            ins = ",".join(l.inputs)
            desc = l.describe()
            lines.append(f"  {l.name:<28} {l.kind:<8} <- {ins:<26} -> {shape:<12} "
                         f"params={self.params(l)} macs={self.macs(l)}" + (f" {desc}" if desc else ""))
        return "\n".join(lines)
