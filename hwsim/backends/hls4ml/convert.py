"""Graph + precision Config -> hls4ml model, through hls4ml's PyTorch frontend on `to_torch(graph)`.

Every hls4ml layer gets explicit types from the Config, spelled `str(FixedType)` (the ap_ form
with modes, which hls4ml parses; no 'auto' is left for hls4ml to infer):
- input:   `result` = the config's input type. The model is converted with
           ChannelsLastConversion='internal': hls4ml takes (and returns) channels-last data and no
           transpose layer (with its own result type) is inserted.
- conv / dense: weight, bias, accum, result; ReuseFactor (below); Strategy Latency when the RF
           used is 1, else Resource. Weights and biases are handed to hls4ml already quantized to
           their types, so the decimal text hls4ml writes them as (`{:.Ff}`, F = fractional bits) is
           exact.
- relu:    result. max pool: accum = the input type (io_parallel casts the window maximum to
           accum_t before the result), result. avg pool / global average pool: accum, result.
- concat, add: result. Dropout is skipped by hls4ml (identity).

ReuseFactor carries hwsim's folding: the requested RF is LayerConfig.reuse_factor =
(n_terms // simd) * (F // pe), n_terms = C x KH x KW for a conv (the input features for a dense),
F = output channels (features). It is used as is when it is *accepted*; otherwise the accepted RF
nearest to it (on a tie the smaller) is used (`reuse_factor_choice`). Accepted means both:
- hls4ml 1.3.0 accepts it for the layer: FPGABackend._validate_reuse_factor(n_in, n_out, rf), with
  n_in, n_out from get_layer_mult_size: n_chan x filt_height x filt_width and n_filt for Conv2D
  (PointwiseConv2D too), in io_parallel and io_stream alike; n_in and n_out for Dense. That is
  n_in = n_terms, n_out = F. hls4ml itself would silently replace a rejected RF by its closest valid
  one (set_closest_reuse_factor, a console warning only).
- not above n_terms: with the Resource strategy and RF > kernel area x input channels hls4ml's Vitis
  kernels compute wrong results (its io_parallel conv asserts "This function is correct only for
  RF <= FILT_HEIGHT * FILT_WIDTH * N_CHAN"; measured on a fire module, Vitis io_parallel with the
  uncapped default RF: 905 of 1728 outputs wrong). The bound applies to every tool and io type.
Up to n_terms hls4ml's rule reduces to: rf divides n_terms; so the accepted RFs are the divisors of
n_terms, n_out plays no part. hwsim's default folding (pe = simd = 1, RF = n_terms x F) becomes
n_terms. Each layer whose RF changed is listed in `Plan.reuse` (requested, used, n_terms, pe,
simd, reason), which the bridge writes to hls4ml_resolved.json under "reuse_factor"; after
conversion the RF and strategy hls4ml resolved are checked against the ones asked for.

hls4ml limits for SqueezeNet-style nets, each handled or refused with a one-line ValueError:
- ceil-mode max pools (hls4ml ignores `ceil_mode`): when the pool reads a ReLU output (values
  >= 0, also through max pools, dropout and concats of such outputs), an explicit
  `ConstantPad2d((0, right, 0, bottom))` before a floor-mode pool is inserted; it is the same
  function. Otherwise refused.
- io_stream pooling needs pool size == stride and no padding: refused otherwise (use io_parallel).
- no AdaptiveAvgPool2d: GlobalAvgPool is exported as an AvgPool2d over the whole map.
- Vitis + Resource strategy with ReuseFactor > kernel area x input channels computes wrong
  results: the RF handed to hls4ml is capped at n_terms (above) for every tool.
Also refused, because hls4ml's arithmetic differs there (README: "Known hls4ml differences"): saturating accumulators
(hls4ml's summation order differs), pool accumulators with parity/sign-dependent rounding, padded
max pools on unsigned types (hls4ml's pad value is large), signed ap_int<2> weights (ternary).
After conversion every layer's types are read back from hls4ml and checked against the Config.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

from hwsim.spec.config import Config, LayerConfig
from hwsim.fixed import FixedType
from hwsim.ir.graph import Graph
from hwsim.util.errors import InputError
from hwsim.backends.options import IO_TYPES, TOOLS
from hwsim.ir.geometry import far_padding

_BACKEND = {"vitis": "Vitis", "vivado": "Vivado"}
_NONNEG = ("relu",)                     # layers whose output is >= 0
_KEEPS_SIGN = ("maxpool", "dropout", "concat")


@dataclass(frozen=True)
class Plan:
    """What is handed to hls4ml: hls4ml layer name(s) per graph layer and their settings."""
    names: Mapping[str, tuple[str, ...]]       # graph layer -> hls4ml layer names (pad first)
    layer_config: Mapping[str, dict]           # hls4ml layer name -> hls4ml LayerName config
    ceil_pads: Mapping[str, tuple[int, int]]   # graph layer -> (bottom, right) zero padding
    reuse: Mapping[str, dict]                  # graph layer whose RF changed -> requested, used, reason


def hls4ml_accepts(n_in: int, n_out: int, rf: int) -> bool:
    """hls4ml 1.3.0's own rule (FPGABackend._validate_reuse_factor), for a layer of n_in x n_out
    products (get_layer_mult_size); tests compare it with hls4ml's."""
    multiplier_limit = -(-(n_in * n_out) // min(n_in, rf))
    return (((multiplier_limit % n_out) == 0 or rf >= n_in) and (rf % n_in == 0 or rf < n_in)
            and (n_in * n_out) % rf == 0)


def accepted_reuse_factors(n_terms: int, n_out: int) -> list[int]:
    """The reuse factors the bridge may hand hls4ml, ascending: accepted by hls4ml and not above
    n_terms (the Resource strategy's bound). They are the divisors of n_terms."""
    return [rf for rf in range(1, n_terms + 1) if n_terms % rf == 0 and hls4ml_accepts(n_terms, n_out, rf)]


def reuse_factor_choice(requested: int, n_terms: int, n_out: int) -> tuple[int, str | None]:
    """(used RF, reason or None when used == requested): `requested` when it is accepted, else
    the nearest accepted one (on a tie the smaller)."""
    valid = accepted_reuse_factors(n_terms, n_out)
    if requested in valid:
        return requested, None
    if requested > n_terms:
        return n_terms, (f"capped at n_terms = {n_terms}: with a larger ReuseFactor hls4ml's Resource "
                         "strategy computes wrong results (kernel area x input channels, or input "
                         "features)")
    lo = max(r for r in valid if r < requested)
    hi = min(r for r in valid if r > requested)
    used = hi if hi - requested < requested - lo else lo
    return used, (f"hls4ml accepts {lo} and {hi} around it (up to n_terms = {n_terms} it accepts the "
                  f"divisors of n_terms only); nearest, the smaller on a tie")


def nonnegative(graph: Graph, name: str) -> bool:
    """True when every value layer `name` produces is >= 0 whatever the input."""
    layer = graph.layer(name)
    if layer.kind in _NONNEG:
        return True
    if layer.kind in _KEEPS_SIGN:
        return all(nonnegative(graph, s) for s in layer.inputs)
    return False


def ceil_padding(graph: Graph, layer) -> tuple[int, int]:
    """(bottom, right) padding that makes a floor-mode pool give `layer`'s ceil-mode output size."""
    c, h, w = graph.in_shapes(layer)[0]
    _, oh, ow = graph.shape(layer.name)
    bottom, right = far_padding(h, w, (oh, ow), layer.kernel, layer.stride, layer.padding)
    return max(0, bottom - layer.padding[0]), max(0, right - layer.padding[1])   # beyond torch's own padding


# Kinds hls4ml 1.3.0's PyTorch frontend refuses itself (tests/test_hls4ml_limits.py shows each on hls4ml)
UNSUPPORTED = {
    "dwconv": "hls4ml 1.3.0's PyTorch frontend has no depthwise convolution (a Conv2d with groups > 1 "
              "raises 'Non-default options for groups not implemented yet')",
    "relu6": "hls4ml 1.3.0's PyTorch frontend has no ReLU6 ('Unsupported layer ReLU6'; nor Hardtanh)",
}


def check_supported(graph: Graph, config: Config, tool: str, io: str) -> None:
    """Raise ValueError naming the first layer hls4ml cannot compute with hwsim's semantics."""
    if tool not in TOOLS:
        raise InputError(f"unknown hls4ml tool {tool!r}; choose one of {', '.join(TOOLS)}")
    if io not in IO_TYPES:
        raise InputError(f"unknown hls4ml io type {io!r}; choose one of {', '.join(IO_TYPES)}")
    if any(l.has_weights for l in graph.layers) and not graph.has_weights:
        raise InputError(f"{graph.name} has no weights attached")
    supported = ("input", "conv", "relu", "maxpool", "avgpool", "gap", "concat", "add", "dropout",
                 "dense", "flatten")
    for layer in graph.layers:
        where = f"layer {layer.name}"
        if layer.kind in UNSUPPORTED:
            raise InputError(f"{where}: {UNSUPPORTED[layer.kind]}; use the hls backend (--backend hls)")
        if layer.kind not in supported:
            raise InputError(f"{where}: hls4ml export does not handle {layer.kind!r} layers")
        lc = config[layer.name]
        for t in _types_of(lc):
            if t.overflow == "AP_WRAP_SM":
                raise InputError(f"{where}: hls4ml has no AP_WRAP_SM overflow mode ({t})")
        if layer.kind in ("maxpool", "avgpool"):
            _check_pool(graph, layer, lc, io, where)
        if lc.accum is not None and not lc.accum_lossless:
            _check_accum(layer, lc, where)
        if layer.kind in ("conv", "dense"):
            if lc.weight.is_int and lc.weight.width == 2 and lc.weight.signed:
                raise InputError(f"{where}: hls4ml multiplies by {lc.weight} weights as ternary "
                                 "(-1, 0, +1; a weight of -2 acts as +1); use another weight type")
        if layer.kind == "concat" and len(layer.inputs) != 2:
            raise InputError(f"{where}: hls4ml concatenates exactly two inputs, got {len(layer.inputs)}")
        if layer.kind == "add" and len(layer.inputs) != 2:
            raise InputError(f"{where}: hls4ml adds exactly two inputs, got {len(layer.inputs)}")


def _check_accum(layer, lc, where):
    t = lc.accum
    if t.overflow != "AP_WRAP" or t.sat_bits:
        raise InputError(f"{where}: accumulator {t} saturates; hls4ml sums in another order than hwsim "
                         "(channels-last windows, adder trees), which changes saturated sums; use a "
                         "wrapping or lossless accumulator")
    if layer.kind in ("avgpool", "gap") and t.quant not in ("AP_TRN", "AP_RND", "AP_RND_MIN_INF"):
        raise InputError(f"{where}: accumulator {t}: hls4ml's io_parallel pooling rounds `acc + x` "
                         "where hwsim rounds x first; with this rounding mode they differ")


def _check_pool(graph, layer, lc, io, where):
    kind = "max" if layer.kind == "maxpool" else "average"
    if layer.kind == "maxpool" and any(layer.padding) and not lc.inputs[0].signed:
        raise InputError(f"{where}: hls4ml pads max pools with the value whose top bit is set, which "
                         f"for the unsigned input type {lc.inputs[0]} is a large positive number")
    if layer.kind == "maxpool" and layer.ceil_mode and any(ceil_padding(graph, layer)):
        if not nonnegative(graph, layer.inputs[0]):
            raise InputError(f"{where}: hls4ml ignores ceil_mode; the exact rewrite (zero padding on "
                             "the bottom/right, then a floor-mode pool) needs an input >= 0, e.g. a "
                             "ReLU output")
    if io == "stream":
        k, s, p = layer.kernel, layer.stride, layer.padding
        if k != s or any(p):
            raise InputError(f"{where}: hls4ml's io_stream {kind} pooling needs pool size == stride and "
                             f"no padding (got {k[0]}x{k[1]}/{s[0]}x{s[1]} pad {p[0]}x{p[1]}); "
                             "use --io parallel")


def _types_of(lc: LayerConfig):
    return [t for t in (lc.result, lc.weight, lc.bias, lc.accum) if t is not None]


def quantized_weights(graph: Graph, config: Config) -> Graph:
    """The graph with weights and biases replaced by their quantized values (exact doubles)."""
    out = {}
    for layer in graph.layers:
        if not layer.has_weights:
            continue
        lc, arrs = config[layer.name], graph.weights[layer.name]
        q = {"weight": lc.weight.to_float(lc.weight.quantize(arrs["weight"]))}
        if "bias" in arrs:
            q["bias"] = lc.bias.to_float(lc.bias.quantize(arrs["bias"]))
        for key, v in q.items():
            if not np.array_equal(v.astype(np.float32).astype(np.float64), v):
                raise ValueError(f"layer {layer.name}: quantized {key} values need more than float32's "
                                 "24 bits; PyTorch weights cannot carry them to hls4ml")
        out[layer.name] = q
    return graph.with_weights(out)


def torch_module(graph: Graph):
    """(module, ceil_pads): `to_torch` of the quantized graph with ceil-mode pools rewritten."""
    from torch import nn

    from hwsim.backends.hls4ml.torch_export import to_torch
    module = to_torch(graph)
    pads = {}
    for layer in graph.layers:
        if layer.kind == "maxpool" and layer.ceil_mode:
            bottom, right = ceil_padding(graph, layer)
            attr = module.module_names[layer.name]
            pool = nn.MaxPool2d(layer.kernel, layer.stride, layer.padding, ceil_mode=False)
            if bottom or right:
                setattr(module, attr, nn.Sequential(nn.ConstantPad2d((0, right, 0, bottom), 0.0), pool))
                pads[layer.name] = (bottom, right)
            else:
                setattr(module, attr, pool)
    return module.eval(), pads


def plan(graph: Graph, config: Config, module, pads: Mapping[str, tuple[int, int]]) -> Plan:
    """Map graph layers to the hls4ml layer names fx gives them and build their configs."""
    import torch.fx

    attr_to_layer = {a: n for n, a in module.module_names.items()}
    pending = {"cat": [l.name for l in graph.layers if l.kind == "concat"],
               "add": [l.name for l in graph.layers if l.kind == "add"]}
    names: dict[str, list[str]] = {}
    for node in torch.fx.symbolic_trace(module).graph.nodes:
        if node.op == "placeholder":
            names[graph.input.name] = [node.name]
        elif node.op == "call_module":
            owner = attr_to_layer.get(node.target.split(".")[0])
            if owner is not None:
                names.setdefault(owner, []).append(node.name)
        elif node.op == "call_function":
            fn = getattr(node.target, "__name__", "")
            if fn in pending and pending[fn]:
                names.setdefault(pending[fn].pop(0), []).append(node.name)
            elif fn != "flatten":
                raise ValueError(f"unexpected function {fn!r} in the traced module")
    layer_cfg, reuse = {}, {}
    for layer in graph.layers:
        if layer.kind in ("dropout", "flatten"):
            continue
        lc = config[layer.name]
        hnames = names.get(layer.name)
        if not hnames:
            raise ValueError(f"layer {layer.name}: not found in the traced PyTorch module")
        if layer.name in pads:
            layer_cfg[hnames[0]] = {"Precision": {"result": str(lc.inputs[0])}}
        rf = None
        if layer.kind in ("conv", "dense"):
            w_shape = graph.weight_shapes(layer)["weight"]
            n_terms, n_out = math.prod(w_shape[1:]), w_shape[0]
            rf, why = reuse_factor_choice(lc.reuse_factor, n_terms, n_out)
            if why is not None:
                reuse[layer.name] = {"requested": lc.reuse_factor, "used": rf, "n_terms": n_terms,
                                     "pe": lc.pe, "simd": lc.simd, "reason": why}
        layer_cfg[hnames[-1]] = _layer_config(layer, lc, rf)
    return Plan(MappingProxyType({k: tuple(v) for k, v in names.items()}), MappingProxyType(layer_cfg),
                MappingProxyType(dict(pads)), MappingProxyType(reuse))


def _layer_config(layer, lc: LayerConfig, rf: int | None) -> dict:
    prec = {"result": str(lc.result)}
    d: dict = {"Precision": prec}
    if layer.kind in ("conv", "dense"):
        prec.update(weight=str(lc.weight), accum=str(lc.accum))
        prec["bias"] = str(lc.bias) if lc.bias is not None else str(lc.result)
        d["ReuseFactor"] = rf
        d["Strategy"] = "Latency" if rf == 1 else "Resource"
    elif layer.kind == "maxpool":
        prec["accum"] = str(lc.inputs[0])
    elif layer.kind in ("avgpool", "gap"):
        prec["accum"] = str(lc.accum)
    return d


def hls_config(graph: Graph, config: Config, p: Plan) -> dict:
    """The hls_config dict for hls4ml.converters.convert_from_pytorch_model."""
    return {"Model": {"Precision": {"default": str(config.input)}, "ReuseFactor": 1,
                      "Strategy": "Latency", "ChannelsLastConversion": "internal",
                      "TransposeOutputs": False, "BramFactor": 1_000_000_000, "TraceOutput": False},
            "InputShape": tuple(graph.input_shape),
            "LayerName": {k: {"Precision": dict(v["Precision"]), **{a: b for a, b in v.items()
                                                                     if a != "Precision"}}
                          for k, v in p.layer_config.items()}}


def convert(graph: Graph, config: Config, output_dir, tool: str = "vitis", io: str = "parallel",
            project_name: str = "myproject"):
    """(hls4ml ModelGraph, Plan): the converted model, types checked against `config`."""
    check_supported(graph, config, tool, io)
    import hls4ml
    module, pads = torch_module(quantized_weights(graph, config))
    p = plan(graph, config, module, pads)
    model = hls4ml.converters.convert_from_pytorch_model(
        module, output_dir=str(output_dir), project_name=project_name, backend=_BACKEND[tool],
        io_type=f"io_{io}", hls_config=hls_config(graph, config, p))
    verify_types(model, p)
    verify_reuse_factors(model, p)
    return model, p


_TYPE_KEYS = {"result": "result_t", "weight": "weight_t", "bias": "bias_t", "accum": "accum_t"}


def verify_types(model, p: Plan) -> None:
    """Raise ValueError when hls4ml gave a layer a type other than the one asked for."""
    layers = {l.name: l for l in model.get_layers()}
    for hname, lcfg in p.layer_config.items():
        layer = layers.get(hname)
        if layer is None:
            raise ValueError(f"hls4ml dropped layer {hname!r}")
        for key, want in lcfg["Precision"].items():
            attr = layer.get_attr(_TYPE_KEYS[key])
            if attr is None:
                if key == "accum" and "Pool" in layer.class_name and "Max" in layer.class_name:
                    continue
                raise ValueError(f"hls4ml layer {hname} has no {key} type")
            got = FixedType.parse(attr.precision.definition_cpp().replace(" ", ""))
            if got != FixedType.parse(want):
                raise ValueError(f"hls4ml layer {hname}: {key} type is {got}, asked for {want}")


def verify_reuse_factors(model, p: Plan) -> None:
    """Raise ValueError when hls4ml changed a layer's reuse factor or strategy, or counts its
    products otherwise than the bridge (n_in x n_out)."""
    layers = {l.name: l for l in model.get_layers()}
    for hname, lcfg in p.layer_config.items():
        if "ReuseFactor" not in lcfg:
            continue
        layer = layers[hname]
        got, want = layer.get_attr("reuse_factor"), lcfg["ReuseFactor"]
        strategy = str(layer.get_attr("strategy", "")).lower()
        if got != want or strategy != lcfg["Strategy"].lower():
            raise ValueError(f"hls4ml layer {hname}: reuse factor {got} ({strategy}), asked for "
                             f"{want} ({lcfg['Strategy']})")
        n_in = model.config.backend.get_layer_mult_size(layer)[0]
        if want > n_in or n_in % want:
            raise ValueError(f"hls4ml layer {hname}: reuse factor {want} is not a divisor of its "
                             f"{n_in} products per output")


REUSE_KEY = "reuse_factor"     # the section of resolved_config listing the changed reuse factors


def resolved_config(model, graph: Graph, p: Plan) -> dict:
    """Per hls4ml layer: class, types and reuse factor as hls4ml resolved them (for the project);
    under REUSE_KEY, per graph layer whose reuse factor the bridge changed: requested (hwsim's
    LayerConfig.reuse_factor), used (handed to hls4ml), n_terms, pe, simd, reason."""
    owner = {h: g for g, hs in p.names.items() for h in hs}
    out = {}
    for layer in model.get_layers():
        d = {"class": layer.class_name, "from": owner.get(layer.name)}
        for key, attr in _TYPE_KEYS.items():
            t = layer.get_attr(attr)
            if t is not None and hasattr(t, "precision"):
                d[key] = t.precision.definition_cpp()
        for key in ("reuse_factor", "strategy"):
            if layer.get_attr(key) is not None:
                d[key] = layer.get_attr(key)
        out[layer.name] = d
    if REUSE_KEY in out:
        raise ValueError(f"an hls4ml layer is named {REUSE_KEY!r}, the key of the reuse factor section")
    out[REUSE_KEY] = {name: dict(v) for name, v in p.reuse.items()}
    return out
