"""Weight files: torchvision-format state dicts (.pth / .pt), .npz with the same keys, and ONNX.

Key scheme (`state_dict_keys`), torchvision's for the zoo's SqueezeNets and AlexNet:
- Layers are walked in graph order, skipping the Input and Flatten layers (functional in torchvision).
  Everything before the first Dropout is in `features`, the rest in `classifier`; each layer takes the
  next index of its section (`features.0`, `features.1`, ...), ReLUs and pools included.
- A fire module (layers named `fireN.<part>`) takes a single index, and its convs are named like
  torchvision's `Fire`: `squeeze1x1` -> `squeeze`, `expand1x1`, `expand3x3`; the complex bypass's
  `fireN.bypass_conv` -> `bypass` (so `features.3.bypass.weight` for fire2 of SqueezeNet v1.0).
- The standalone fire module (layers `fire.<part>`) has bare keys: `squeeze.weight`, ...
- Each weighted layer contributes `<prefix>.weight` and, when it has one, `<prefix>.bias`.
- MobileNet graphs (names starting with "mobilenet"): the prefix is the layer name itself
  (`conv1.weight`, `conv_dw2.bias`, `conv_pw14.weight`, `fc.weight`), as a PyTorch MobileNet whose
  modules carry hwsim's layer names.
So SqueezeNet v1.0: conv1 -> features.0, fire2..fire4 -> features.3..5, fire5..fire8 -> features.7..10,
fire9 -> features.12, conv10 -> classifier.1; v1.1 and squeezenet_mini: fire2, fire3 -> features.3, 4,
fire4, fire5 -> features.6, 7 (v1.1), conv10 -> classifier.1; AlexNet: features.0/3/6/8/10 and
classifier.1/4/6.

Batch norm (any scheme): a weighted layer with keys `<prefix>.bn.weight`, `.bn.bias`,
`.bn.running_mean` and `.bn.running_var` (`.bn.num_batches_tracked` is ignored) is the layer followed
by that BatchNorm2d in eval mode; it is folded on load (hwsim.ir.batchnorm.fold, eps 1e-5) into the
layer's weight and bias, and a layer without `<prefix>.bias` in the file takes the folded bias (the
graph's layer must have one: the zoo's MobileNet convolutions do). A batch norm with a part missing
is an InputError naming the missing key. The graph holds the folded form only, so save_npz writes
`<prefix>.weight` / `<prefix>.bias` and that file loads back to the same weights.

ONNX: Conv and Gemm nodes are read in node order with their weight and bias constants (initializers
or Constant nodes, also through Identity nodes, which exporters use for deduplicated equal tensors). When every weight's name is a key of the scheme above they are matched by name,
otherwise by order against the graph's weighted layers; shapes are checked either way. A Conv
without its optional bias input (exporters drop all-zero biases) gets a zero bias. A Conv with
group = its output channels and one input channel per filter is a depthwise layer; any other
group count is refused naming the node. A BatchNormalization node that reads a Conv's output is
folded into that Conv (hwsim.ir.batchnorm.fold, its own epsilon); one anywhere else is refused.

Checkpoint layouts: a bare state dict, or one under "state_dict", "model_state_dict" or "model"
(the other entries, such as the epoch, are ignored); DataParallel's "module." prefixes are dropped.
Weights that are NaN or infinite are refused (naming the tensor) unless allow_nonfinite.
Every problem with a file raises hwsim.util.errors.InputError naming the file.
"""
from __future__ import annotations

import io
import os
import pickle
import re
import zipfile
from typing import Mapping

import numpy as np

from hwsim.util.errors import InputError, MissingFile, first_line, oserror_text
from hwsim.ir.graph import Graph

EXTENSIONS = (".pth", ".pt", ".npz", ".onnx")
CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")

_FIRE = re.compile(r"^(fire\d*)\.(.+)$")
_FIRE_PARTS = {"squeeze1x1": "squeeze", "expand1x1": "expand1x1", "expand3x3": "expand3x3",
               "bypass_conv": "bypass"}


def _prefixes(graph: Graph) -> dict[str, str]:
    """Weighted layer name -> state-dict prefix (see the module docstring)."""
    if graph.name.startswith("mobilenet"):
        return {l.name: l.name for l in graph.layers if l.has_weights}
    section, index, group = "features", -1, None
    out: dict[str, str] = {}
    for layer in graph.layers[1:]:
        if layer.kind == "flatten":
            continue
        if layer.kind == "dropout" and section == "features":
            section, index, group = "classifier", -1, None
        m = _FIRE.match(layer.name)
        if m and m.group(1) == group:
            pass
        else:
            index += 1
            group = m.group(1) if m else None
        if not layer.has_weights:
            continue
        if m and m.group(1) == "fire":
            prefix = _FIRE_PARTS.get(m.group(2), m.group(2))
        elif m:
            prefix = f"{section}.{index}.{_FIRE_PARTS.get(m.group(2), m.group(2))}"
        else:
            prefix = f"{section}.{index}"
        out[layer.name] = prefix
    return out


def state_dict_keys(graph: Graph) -> dict[str, tuple[str, str]]:
    """State-dict key -> (layer name, tensor name "weight"/"bias"), in graph order."""
    keys: dict[str, tuple[str, str]] = {}
    for name, prefix in _prefixes(graph).items():
        for tensor in graph.weight_shapes(name):
            key = f"{prefix}.{tensor}"
            if key in keys:
                raise ValueError(f"{graph.name}: layers {keys[key][0]!r} and {name!r} both map to "
                                 f"state-dict key {key!r}")
            keys[key] = (name, tensor)
    return keys


def state_dict(graph: Graph) -> dict[str, np.ndarray]:
    """The graph's weights under torchvision-style keys."""
    if not graph.has_weights:
        raise ValueError(f"graph {graph.name} has no weights")
    return {key: np.asarray(graph.weights[layer][tensor])
            for key, (layer, tensor) in state_dict_keys(graph).items()}


def save_npz(graph: Graph, path) -> None:
    """Write the graph's weights to the .npz file `path` with `state_dict_keys` names. The entries
    carry a fixed timestamp, so equal weights give equal bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for key, arr in state_dict(graph).items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def from_state_dict(graph: Graph, tensors: Mapping[str, np.ndarray], source: str = "state dict",
                    origin: Mapping[str, str] | None = None, allow_nonfinite: bool = False) -> Graph:
    """Attach weights given under `state_dict_keys` names; any missing, extra, mis-shaped or (unless
    `allow_nonfinite`) NaN / infinite tensor is an InputError naming the key and the layer."""
    keys = state_dict_keys(graph)
    tensors = _fold_batchnorms(graph, tensors, source, allow_nonfinite)
    missing = [k for k in keys if k not in tensors]
    if missing:
        layer, tensor = keys[missing[0]]
        shape = graph.weight_shapes(layer)[tensor]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise InputError(f"{source}: missing key {missing[0]!r} for layer {layer} {tensor} of shape "
                         f"{shape}{more}")
    extra = [k for k in tensors if k not in keys]
    if extra:
        more = f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""
        raise InputError(f"{source}: unexpected key {extra[0]!r} with shape "
                         f"{tuple(np.shape(tensors[extra[0]]))}, not a tensor of {graph.name}{more}")
    weights: dict[str, dict[str, np.ndarray]] = {}
    for key, (layer, tensor) in keys.items():
        arr = np.asarray(tensors[key])
        expected = graph.weight_shapes(layer)[tensor]
        if arr.shape != expected:
            where = f" (from {origin[key]!r})" if origin and key in origin else ""
            raise InputError(f"{source}: key {key!r}{where} for layer {layer} {tensor}: graph expects "
                             f"shape {expected}, file has {arr.shape}")
        if not np.issubdtype(arr.dtype, np.floating):
            raise InputError(f"{source}: key {key!r} has dtype {arr.dtype}, expected floating point")
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        if bad and not allow_nonfinite:
            raise InputError(f"{source}: key {key!r} (layer {layer} {tensor}) has {bad} NaN or infinite "
                             f"value{'s' if bad > 1 else ''}; pass --allow-nonfinite-weights to saturate them")
        weights.setdefault(layer, {})[tensor] = arr.astype(np.float32)
    return graph.with_weights(weights)


BN_PARTS = ("weight", "bias", "running_mean", "running_var")
_BN_IGNORED = ("num_batches_tracked",)


def _fold_batchnorms(graph: Graph, tensors: Mapping[str, np.ndarray], source: str,
                     allow_nonfinite: bool) -> Mapping[str, np.ndarray]:
    """`tensors` with every `<prefix>.bn.*` group folded into `<prefix>.weight` / `.bias` (see the
    module docstring); unchanged when the file has no batch-norm keys."""
    if not any(".bn." in str(k) for k in tensors):
        return tensors
    from hwsim.ir.batchnorm import DEFAULT_EPS, fold
    out = dict(tensors)
    for layer, prefix in _prefixes(graph).items():
        bn = f"{prefix}.bn."
        present = [k for k in tensors if str(k).startswith(bn)]
        if not present:
            continue
        for part in _BN_IGNORED:
            out.pop(bn + part, None)
        missing = [bn + p for p in BN_PARTS if bn + p not in tensors]
        if missing:
            raise InputError(f"{source}: batch norm of layer {layer} is missing key {missing[0]!r}")
        extra = [k for k in present if k[len(bn):] not in BN_PARTS + _BN_IGNORED]
        if extra:
            raise InputError(f"{source}: unexpected batch-norm key {extra[0]!r} of layer {layer}")
        parts = [np.asarray(tensors[bn + p]) for p in BN_PARTS]
        for p, arr in zip(BN_PARTS, parts):
            if not np.issubdtype(arr.dtype, np.floating):
                raise InputError(f"{source}: key {bn + p!r} has dtype {arr.dtype}, expected floating point")
            if not allow_nonfinite and not np.all(np.isfinite(arr)):
                raise InputError(f"{source}: key {bn + p!r} (batch norm of layer {layer}) has NaN or "
                                 "infinite values")
        if f"{prefix}.weight" not in tensors:
            continue          # from_state_dict names the missing weight
        if "bias" not in graph.weight_shapes(layer):
            raise InputError(f"{source}: key {bn + 'weight'!r}: layer {layer} has no bias to take "
                             "the folded batch norm")
        w = np.asarray(tensors[f"{prefix}.weight"])
        b = tensors.get(f"{prefix}.bias")
        if b is not None and np.shape(b) != w.shape[:1]:
            raise InputError(f"{source}: key {prefix + '.bias'!r} for layer {layer} bias: shape "
                             f"{np.shape(b)} does not match its weight's {w.shape[0]} outputs")
        try:
            w2, b2 = fold(w, None if b is None else np.asarray(b), *parts, eps=DEFAULT_EPS)
        except ValueError as e:
            raise InputError(f"{source}: key {bn + 'weight'!r} (layer {layer}): {e}") from None
        for p in BN_PARTS:
            del out[bn + p]
        out[f"{prefix}.weight"], out[f"{prefix}.bias"] = w2, b2
    return out


def _read_pth(path: str) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise InputError(f"loading {path} needs PyTorch (pip install torch); "
                          "or convert it to .npz") from None
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        if zipfile.is_zipfile(path):
            raise InputError(f"{path}: holds pickled Python objects, not a state dict (a whole model "
                             "saved with torch.save(model)?); save model.state_dict() instead") from None
        raise InputError(f"{path}: not a PyTorch file") from None
    except EOFError:
        raise InputError(f"{path}: empty or truncated PyTorch file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {oserror_text(e)}") from None
    except (RuntimeError, ValueError, zipfile.BadZipFile) as e:
        raise InputError(f"{path}: not a readable PyTorch file ({first_line(e)})") from None
    return unwrap_checkpoint(data, path, lambda v: isinstance(v, torch.Tensor),
                             lambda v: v.detach().cpu().numpy())


def unwrap_checkpoint(data, path: str, is_tensor=lambda v: isinstance(v, np.ndarray),
                      to_array=np.asarray) -> dict[str, np.ndarray]:
    """The state dict inside a loaded file: the mapping itself, or the one under a CHECKPOINT_KEYS
    entry; DataParallel's "module." prefixes removed."""
    if not isinstance(data, Mapping):
        raise InputError(f"{path}: expected a state dict (a mapping of names to tensors), "
                         f"got {type(data).__name__}")
    if not all(is_tensor(v) for v in data.values()):
        inner = [k for k in CHECKPOINT_KEYS if isinstance(data.get(k), Mapping)]
        if not inner:
            bad = next(k for k, v in data.items() if not is_tensor(v))
            raise InputError(f"{path}: entry {str(bad)!r} is of type {type(data[bad]).__name__}, not a tensor; "
                             f"expected a state dict, or one under {' / '.join(CHECKPOINT_KEYS)}")
        return unwrap_checkpoint(data[inner[0]], f"{path} [{inner[0]}]", is_tensor, to_array)
    keys = [str(k) for k in data]
    strip = len("module.") if keys and all(k.startswith("module.") for k in keys) else 0
    return {str(k)[strip:]: to_array(v) for k, v in data.items()}


def _read_npz(path: str) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except OSError as e:
        raise InputError(f"{path}: cannot read: {oserror_text(e)}") from None
    except (ValueError, zipfile.BadZipFile, EOFError) as e:
        if not zipfile.is_zipfile(path):
            raise InputError(f"{path}: not an .npz archive") from None
        if "pickle" in str(e):
            raise InputError(f"{path}: holds object arrays (pickled data), which are not loaded; "
                             "save plain numeric arrays") from None
        raise InputError(f"{path}: not a readable .npz archive ({first_line(e)})") from None


def check_path(path) -> str:
    """`path` as a string when it names an existing weight file of a known type."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in EXTENSIONS:
        raise InputError(f"{path}: unknown weight file type {ext!r} (expected {', '.join(EXTENSIONS)})")
    if not os.path.isfile(path):
        raise MissingFile(f"weight file not found: {path}")
    return path


def read_state_dict(path) -> dict[str, np.ndarray]:
    """The tensors of a .pth/.pt/.npz file under their (unwrapped) state-dict keys."""
    path = check_path(path)
    return _read_npz(path) if path.lower().endswith(".npz") else _read_pth(path)


def classifier_width(graph: Graph, tensors: Mapping[str, np.ndarray]) -> int | None:
    """The output count of the last weighted layer's weight in `tensors` (None when absent)."""
    keys = [k for k, (_, t) in state_dict_keys(graph).items() if t == "weight"]
    w = tensors.get(keys[-1]) if keys else None
    return int(np.shape(w)[0]) if w is not None and np.ndim(w) >= 2 else None


def load_weights(graph: Graph, path, allow_nonfinite: bool = False, tensors=None) -> Graph:
    """A copy of `graph` with the weights in `path` (.pth/.pt state dict, .npz, or .onnx);
    `tensors`: the file's state dict when the caller has read it already."""
    path = check_path(path)
    origin: dict[str, str] = {}
    if tensors is None and path.lower().endswith(".onnx"):
        from hwsim.ir.onnx_weights import read_onnx
        tensors, origin = read_onnx(graph, path, state_dict_keys(graph))
    elif tensors is None:
        tensors = read_state_dict(path)
    return from_state_dict(graph, tensors, source=path, origin=origin, allow_nonfinite=allow_nonfinite)
