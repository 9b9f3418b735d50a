"""Model zoo: SqueezeNet v1.0 / v1.1 (torchvision topology), the paper's bypass variants, a single
fire module, AlexNet and a small SqueezeNet for 8x8..32x32 inputs.

Every model is returned as a `Graph` with seeded He (Kaiming normal, fan_in) weights and zero biases.
Layer names follow the SqueezeNet paper: `conv1`, `conv1.relu`, `pool1`, `fire2.squeeze1x1`,
`fire2.squeeze1x1.relu`, `fire2.expand1x1`, ..., `fire2.concat`, `dropout`, `conv10`, `conv10.relu`,
`pool10`. Bypass variants add `fireN.bypass` (Add) and, in the complex variant, `fireN.bypass_conv`
(1x1 conv with bias) on the fire modules whose input and output channel counts differ.

Models (`names()`):
- squeezenet1_0, squeezenet1_1: torchvision's SqueezeNet (3x3/2 ceil-mode max pools; Dropout(0.5),
  conv10 1x1, ReLU, global average pool). 1,248,424 and 1,235,496 parameters at 1000 classes.
- squeezenet1_0_simple_bypass: identity Add around fire3, fire5, fire7, fire9 (paper section 6).
- squeezenet1_0_complex_bypass: also a 1x1 conv bypass around fire2, fire4, fire6, fire8.
- fire: one fire module, kwargs in_channels=96, squeeze=16, expand1x1=64, expand3x3=64, size=55;
  input (in_channels, size, size); layer prefix `fire.`.
- alexnet: torchvision's AlexNet without its adaptive average pool (an identity at 224x224, where the
  last pool gives 256x6x6); the first dense layer takes whatever the last pool gives.
- squeezenet_mini: input (1, 16, 16), 10 classes: conv1 3x3/1 pad 1 (32) + ReLU, pool1 3x3/2 ceil,
  fire2 (8/32/32), fire3 (8/32/32), pool3 3x3/2 ceil, fire4 (16/48/48), dropout, conv10 1x1, ReLU,
  global average pool; 16,138 parameters at 10 classes. Sized for scikit-learn's 8x8 digits upscaled.
- mobilenet_v1(alpha=1.0, resolution=224): MobileNet v1 (Howard et al. 2017, Table 1) at width
  multiplier alpha in {1, 0.75, 0.5, 0.25} and any resolution (input 3 x R x R): `conv1` 3x3/2,
  then `conv_dwN` (3x3 depthwise, pad 1) and `conv_pwN` (1x1) for N = 2..14, each followed by
  `<name>.relu`, a ReLU6 (as the reference TensorFlow implementation); `pool` (global average)
  and `fc`. Every convolution has a bias: the batch norm after it, folded when weights load
  (hwsim.ir.batchnorm). At 1.0-224: 4,221,032 parameters, of which 10,944 are the folded batch
  norms' biases (the paper counts weights: 4,210,088 = its 4.2 M), and 568.7 M MACs (569 M).
- mobilenet_mini: input (1, 16, 16), 10 classes: conv1 3x3/1 pad 1 (16), then four depthwise-
  separable blocks (stride 1, 2, 1, 2; 32, 64, 64, 128 channels), global average pool, fc; for the
  digits data set like squeezenet_mini.
"""
from __future__ import annotations

import math
import numbers

from hwsim.util.errors import InputError
from hwsim.ir.graph import (Add, Concat, Conv2d, Dense, DepthwiseConv2d, Dropout, Flatten, GlobalAvgPool, Graph,
                            Input, Layer, MaxPool2d, ReLU, ReLU6)

# (squeeze, expand1x1, expand3x3) for fire2..fire9, identical in v1.0 and v1.1 (paper Table 1).
FIRE_CONFIG = {2: (16, 64, 64), 3: (16, 64, 64), 4: (32, 128, 128), 5: (32, 128, 128),
               6: (48, 192, 192), 7: (48, 192, 192), 8: (64, 256, 256), 9: (64, 256, 256)}


class _Builder:
    """Accumulates layers; each add returns the new layer's name (the output of that step)."""

    def __init__(self, shape):
        self.layers: list[Layer] = [Input("input", (), shape=tuple(int(v) for v in shape))]
        self.channels = {"input": int(shape[0])}

    def add(self, layer: Layer, channels: int) -> str:
        self.layers.append(layer)
        self.channels[layer.name] = channels
        return layer.name

    def conv(self, name, src, out, k, s=1, p=0, relu=True) -> str:
        self.add(Conv2d(name, (src,), out_channels=out, kernel=k, stride=s, padding=p), out)
        return self.add(ReLU(name + ".relu", (name,)), out) if relu else name

    def conv6(self, name, src, out, k, s=1, p=0) -> str:
        """A convolution (its batch norm folded into the bias) and its ReLU6."""
        self.add(Conv2d(name, (src,), out_channels=out, kernel=k, stride=s, padding=p), out)
        return self.add(ReLU6(name + ".relu", (name,)), out)

    def dw6(self, name, src, s) -> str:
        """A 3x3 depthwise convolution (padding 1, batch norm folded) and its ReLU6."""
        c = self.channels[src]
        self.add(DepthwiseConv2d(name, (src,), kernel=3, stride=s, padding=1), c)
        return self.add(ReLU6(name + ".relu", (name,)), c)

    def pool(self, name, src) -> str:
        return self.add(MaxPool2d(name, (src,), kernel=3, stride=2, ceil_mode=True), self.channels[src])

    def fire(self, prefix, src, squeeze, e1, e3) -> str:
        s = self.conv(f"{prefix}.squeeze1x1", src, squeeze, 1)
        a = self.conv(f"{prefix}.expand1x1", s, e1, 1)
        b = self.conv(f"{prefix}.expand3x3", s, e3, 3, p=1)
        return self.add(Concat(f"{prefix}.concat", (a, b)), e1 + e3)

    def bypass(self, prefix, src, out, with_conv) -> str:
        """Add the fire input (through a 1x1 conv when `with_conv`) to the fire output `out`."""
        if with_conv:
            src = self.conv(f"{prefix}.bypass_conv", src, self.channels[out], 1, relu=False)
        return self.add(Add(f"{prefix}.bypass", (out, src)), self.channels[out])

    def head(self, src, num_classes) -> str:
        d = self.add(Dropout("dropout", (src,), p=0.5), self.channels[src])
        c = self.conv("conv10", d, num_classes, 1)
        return self.add(GlobalAvgPool("pool10", (c,)), num_classes)


def _squeezenet(version, shape, num_classes, simple=(), complex_=()):
    b = _Builder(shape)
    if version == "1_0":
        x = b.conv("conv1", "input", 96, 7, s=2)
        pools = (4, 8)
    else:
        x = b.conv("conv1", "input", 64, 3, s=2)
        pools = (3, 5)
    x = b.pool("pool1", x)
    for i in range(2, 10):
        src = x
        x = b.fire(f"fire{i}", src, *FIRE_CONFIG[i])
        if i in simple or i in complex_:
            x = b.bypass(f"fire{i}", src, x, with_conv=i in complex_)
        if i in pools:
            x = b.pool(f"pool{i}", x)
    b.head(x, num_classes)
    return b.layers


def _alexnet(shape, num_classes):
    b = _Builder(shape)
    x = b.conv("conv1", "input", 64, 11, s=4, p=2)
    x = b.add(MaxPool2d("pool1", (x,), kernel=3, stride=2), 64)
    x = b.conv("conv2", x, 192, 5, p=2)
    x = b.add(MaxPool2d("pool2", (x,), kernel=3, stride=2), 192)
    x = b.conv("conv3", x, 384, 3, p=1)
    x = b.conv("conv4", x, 256, 3, p=1)
    x = b.conv("conv5", x, 256, 3, p=1)
    x = b.add(MaxPool2d("pool5", (x,), kernel=3, stride=2), 256)
    x = b.add(Flatten("flatten", (x,)), 0)
    for i, width in ((6, 4096), (7, 4096)):
        x = b.add(Dropout(f"dropout{i}", (x,), p=0.5), 0)
        x = b.add(Dense(f"fc{i}", (x,), out_features=width), width)
        x = b.add(ReLU(f"fc{i}.relu", (x,)), width)
    b.add(Dense("fc8", (x,), out_features=num_classes), num_classes)
    return b.layers


def _mini(shape, num_classes):
    b = _Builder(shape)
    x = b.conv("conv1", "input", 32, 3, p=1)
    x = b.pool("pool1", x)
    x = b.fire("fire2", x, 8, 32, 32)
    x = b.fire("fire3", x, 8, 32, 32)
    x = b.pool("pool3", x)
    x = b.fire("fire4", x, 16, 48, 48)
    b.head(x, num_classes)
    return b.layers


# MobileNet v1 (Howard et al. 2017, Table 1): (stride of conv_dwN, output channels of conv_pwN) for
# N = 2..14 at width 1.0. The paper's last depthwise layer reads "s2" on a 7x7 map that stays 7x7;
# the reference implementations use stride 1 there, as here.
MOBILENET_BLOCKS = ((1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512), (1, 512), (1, 512), (1, 512),
                    (1, 512), (1, 512), (2, 1024), (1, 1024))
MOBILENET_ALPHAS = (1.0, 0.75, 0.5, 0.25)


def _mobilenet(shape, num_classes, alpha):
    b = _Builder(shape)
    x = b.conv6("conv1", "input", int(32 * alpha), 3, s=2, p=1)
    for i, (stride, out) in enumerate(MOBILENET_BLOCKS, start=2):
        x = b.dw6(f"conv_dw{i}", x, stride)
        x = b.conv6(f"conv_pw{i}", x, int(out * alpha), 1)
    x = b.add(GlobalAvgPool("pool", (x,)), b.channels[x])
    b.add(Dense("fc", (x,), out_features=num_classes), num_classes)
    return b.layers


def _mobilenet_mini(shape, num_classes):
    b = _Builder(shape)
    x = b.conv6("conv1", "input", 16, 3, p=1)
    for i, (stride, out) in enumerate(((1, 32), (2, 64), (1, 64), (2, 128)), start=2):
        x = b.dw6(f"conv_dw{i}", x, stride)
        x = b.conv6(f"conv_pw{i}", x, out, 1)
    x = b.add(GlobalAvgPool("pool", (x,)), b.channels[x])
    b.add(Dense("fc", (x,), out_features=num_classes), num_classes)
    return b.layers


def _fire(shape, squeeze, expand1x1, expand3x3):
    b = _Builder(shape)
    b.fire("fire", "input", squeeze, expand1x1, expand3x3)
    return b.layers


# The one default input of each model, used by every command (budget, generate, compare, tune):
# 3x227x227 for the ImageNet networks, the SqueezeNet paper's input (torchvision documents 224;
# give input_shape=(3, 224, 224) for that).
_IMAGENET = (3, 227, 227)
# name -> (default input shape, default classes or None when the model has no classifier)
_DEFAULTS = {
    "squeezenet1_0": (_IMAGENET, 1000),
    "squeezenet1_1": (_IMAGENET, 1000),
    "squeezenet1_0_simple_bypass": (_IMAGENET, 1000),
    "squeezenet1_0_complex_bypass": (_IMAGENET, 1000),
    "fire": (None, None),
    "alexnet": (_IMAGENET, 1000),
    "squeezenet_mini": ((1, 16, 16), 10),
    "mobilenet_v1": ((3, 224, 224), 1000),
    "mobilenet_mini": ((1, 16, 16), 10),
}
_FIRE_KWARGS = {"in_channels": 96, "squeeze": 16, "expand1x1": 64, "expand3x3": 64, "size": 55}


def names() -> list[str]:
    """The model names `build` accepts."""
    return list(_DEFAULTS)


def default_input_shape(name: str, **kwargs) -> tuple[int, int, int]:
    """The input shape `build(name, **kwargs)` uses when no input_shape is given."""
    if name == "fire":
        cfg = {**_FIRE_KWARGS, **kwargs}
        return (cfg["in_channels"], cfg["size"], cfg["size"])
    return _DEFAULTS[name][0]


def default_num_classes(name: str) -> int | None:
    """The classifier width `build` uses when no num_classes is given (None: no classifier)."""
    return _DEFAULTS[name][1]


def _check_shape(shape) -> tuple[int, int, int]:
    try:
        out = tuple(int(v) for v in shape)
    except (TypeError, ValueError):
        raise InputError(f"input_shape must be a (C, H, W) tuple, got {shape!r}") from None
    if len(out) != 3 or min(out) < 1:
        raise InputError(f"input_shape must be three positive ints (C, H, W), got {shape!r}")
    return out


def _fire_layers(input_shape, kwargs):
    unknown = sorted(set(kwargs) - set(_FIRE_KWARGS))
    if unknown:
        raise InputError(f"fire: unknown arguments {unknown} (valid: {sorted(_FIRE_KWARGS)})")
    cfg = {**_FIRE_KWARGS, **kwargs}
    for key, v in cfg.items():
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise InputError(f"fire: {key} must be a positive int, got {v!r}")
    shape = (cfg["in_channels"], cfg["size"], cfg["size"])
    if input_shape is not None:
        given = _check_shape(input_shape)
        clash = [k for k in ("in_channels", "size") if k in kwargs]
        if clash and given != shape:
            raise InputError(f"fire: input_shape {given} disagrees with {', '.join(clash)}")
        shape = given
    return _fire(shape, cfg["squeeze"], cfg["expand1x1"], cfg["expand3x3"])


def he_init(graph: Graph, seed: int = 0) -> Graph:
    """Seeded He (Kaiming normal, fan_in) weights, zero biases, drawn in layer order."""
    import numpy as np     # here only: a shapes-only build needs no numpy
    rng = np.random.default_rng(seed)
    weights = {}
    for layer in graph.layers:
        if not layer.has_weights:
            continue
        shapes = graph.weight_shapes(layer)
        w = shapes["weight"]
        std = math.sqrt(2.0 / math.prod(w[1:]))
        arrs = {"weight": (rng.standard_normal(w, dtype=np.float32) * np.float32(std))}
        if "bias" in shapes:
            arrs["bias"] = np.zeros(shapes["bias"], dtype=np.float32)
        weights[layer.name] = arrs
    return graph.with_weights(weights)


def build(name: str, num_classes: int | None = None, input_shape=None, seed: int = 0,
          weights: bool = True, **kwargs) -> Graph:
    """Build a zoo model with seeded He weights (none with weights=False: the memory budget needs
    only shapes, and drawing AlexNet's 61M weights takes seconds).

    `num_classes` defaults to 1000 (10 for squeezenet_mini); `input_shape` (C, H, W) defaults to
    `default_input_shape(name)`: (3, 227, 227), (1, 16, 16) for squeezenet_mini. Only `fire` and
    `mobilenet_v1` (alpha, resolution) take extra kwargs. Bad names, arguments or an input too small for the network raise InputError.
    """
    if name not in _DEFAULTS:
        raise InputError(f"unknown model {name!r}; valid names: {', '.join(names())}")
    default_shape, default_classes = _DEFAULTS[name]
    if name == "fire":
        if num_classes is not None:
            raise InputError("fire: a single fire module has no classifier; do not pass num_classes")
        layers = _fire_layers(input_shape, kwargs)
    else:
        alpha = 1.0
        if name == "mobilenet_v1":
            alpha, resolution = kwargs.pop("alpha", 1.0), kwargs.pop("resolution", None)
            if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or float(alpha) not in MOBILENET_ALPHAS:
                raise InputError(f"mobilenet_v1: alpha must be one of {', '.join(map(str, MOBILENET_ALPHAS))}, "
                                 f"got {alpha!r}")
            if resolution is not None:
                if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral) or resolution < 1:
                    raise InputError(f"mobilenet_v1: resolution must be a positive int, got {resolution!r}")
                if input_shape is not None and tuple(input_shape)[1:] != (resolution, resolution):
                    raise InputError(f"mobilenet_v1: input_shape {tuple(input_shape)} disagrees with "
                                     f"resolution {resolution}")
                input_shape = input_shape or (3, int(resolution), int(resolution))
        if kwargs:
            raise InputError(f"{name}: unknown arguments {sorted(kwargs)}")
        classes = default_classes if num_classes is None else num_classes
        if isinstance(classes, bool) or not isinstance(classes, numbers.Integral) or classes < 1:
            raise InputError(f"num_classes must be a positive int, got {classes!r}")
        shape = _check_shape(default_shape if input_shape is None else input_shape)
        if name.startswith("squeezenet1_"):
            simple = (3, 5, 7, 9) if "bypass" in name else ()
            complex_ = (2, 4, 6, 8) if name.endswith("complex_bypass") else ()
            layers = _squeezenet(name[10:13], shape, int(classes), simple, complex_)
        elif name == "alexnet":
            layers = _alexnet(shape, int(classes))
        elif name == "mobilenet_v1":
            layers = _mobilenet(shape, int(classes), float(alpha))
        elif name == "mobilenet_mini":
            layers = _mobilenet_mini(shape, int(classes))
        else:
            layers = _mini(shape, int(classes))
    try:
        graph = Graph(name, tuple(layers))
    except ValueError as e:    # a layer that does not fit its input: the input shape is too small
        raise InputError(f"{name} with input {'x'.join(map(str, layers[0].shape))}: {e}") from None
    return he_init(graph, seed) if weights else graph


def load_weights(graph: Graph, path, **kwargs) -> Graph:
    """Re-export of `hwsim.ir.weights.load_weights` (torchvision .pth, .npz or ONNX)."""
    from hwsim.ir.weights import load_weights as _load
    return _load(graph, path, **kwargs)
