"""Typed precision / parallelism configuration with precedence and strict keys.

Shape (YAML or JSON file, or a dict):

    model: squeezenet1_1            # optional: a zoo name (used by the CLI's --config)
    model_args: {num_classes: 10}   # optional: keyword arguments for the zoo builder
    weights: path/to/weights.npz    # optional
    precision:
      input: ap_fixed<16,6,AP_RND_CONV,AP_SAT>
      default: {weight: ap_fixed<8,1>, bias: ap_fixed<16,6>, accum: lossless, result: ap_fixed<16,6>}
      layers:
        fire2.squeeze1x1: {result: ap_fixed<12,5,AP_RND,AP_SAT>}
    parallel:
      default: {pe: 1, simd: 1, ram_style: auto}
      layers:
        conv1: {pe: 16, simd: 3}
        fire2.expand3x3: {reuse_factor: 36}     # converted to (pe, simd), see "Folding" below
        pool1: {pe: 8}                          # a stage without weights: pe only
    hardware: {clock_mhz: 200, part: xczu9eg-ffvb1156-2-e, fifo_depth: 2}

Precedence: built-in defaults < `default` section < `layers.<name>`. Unknown keys and unknown layer
names are errors. Why these defaults:
- input ap_fixed<16,6,AP_RND_CONV,AP_SAT>: quantized once where it enters the design, like the
  weights, so it rounds to nearest and saturates (QUANTIZED_MODES, the policy tune shares).
- weight ap_fixed<8,1,AP_RND_CONV,AP_SAT>: trained conv weights sit well inside (-1, 1); 8 bits is
  the width Deep Compression and most FPGA CNN work use for SqueezeNet. Weights and biases are
  quantized once, offline, so rounding to nearest and saturating cost nothing in hardware; with the
  ap_fixed default (AP_TRN) every weight is floored and the bias of those errors adds up over a
  3x3 fire expand (measured: 13 dB SQNR instead of 31 dB on a fire module).
- bias ap_fixed<16,6,AP_RND_CONV,AP_SAT> and result ap_fixed<16,6,AP_TRN,AP_SAT>: hls4ml's default
  width (16 bits, +-32), but a result that overflows saturates instead of wrapping to the other
  sign; truncation of results stays (rounding would cost an adder per output).
- accum lossless: the accumulator can neither overflow nor drop a bit (hwsim.fixed.rules), so the
  result depends on the result type alone. An explicit accum type gives hls4ml's semantics: each
  product cast to accum_t, the accumulator starts at (accum_t)bias, the result cast to result.
- Layers without weights pass their input type through (relu, max pool, dropout, flatten, concat of
  equal types); add, average pools and concat of mixed types produce the default result type.
- pe 1, simd 1, ram_style auto: the smallest folding (one multiplier per conv / dense layer); a
  design that needs more throughput asks for it per layer or in parallel.default.

Folding (FINN's PE / SIMD) in `parallel`. Keys of `default` and `layers.<name>`: pe, simd
(positive integers), reuse_factor (a positive integer or auto, an alternative input for pe/simd),
ram_style (auto, bram, uram, lutram), mult_style (auto, dsp, lut: where the layer's products are
built; auto = DSPs unless the product is at most 4 x 8 bits, hwsim.hw.compute). Built-in default:
pe 1, simd 1, ram_style auto, mult_style auto.
- conv / dense: PE parallel output channels (features), each taking SIMD input channels per cycle.
  pe must divide F (the output channels or features), simd must divide C: a conv's input
  channels; for a dense, the channel count of the map as it streams in, read from the layer that
  produces it through any wiring layers (dropout, flatten): fc6 after pool5 (256x6x6) -> flatten
  has C = 256. The derived LayerConfig.reuse_factor = (n_terms // simd) * (F // pe) cycles per
  output pixel, n_terms = the products per output (C x KH x KW for a conv, the input features for
  a dense).
- dwconv (depthwise): PE parallel channels, each taking SIMD kernel taps per cycle: pe must divide
  C, simd must be 1 or KW (one tap or one kernel row per cycle, hwsim.hw.units.dwu);
  reuse_factor = (KH KW // simd) * (C // pe).
- reuse_factor RF (auto = n_terms, the old meaning: pe = F, simd = 1) is converted to the pair
  (pe, simd) with pe | F, simd | C and (n_terms // simd) * (F // pe) == RF of largest pe; when no
  pair gives RF exactly, the error lists the nearest achievable reuse factors. reuse_factor with
  pe or simd in the same section is an error.
- Precedence for folding: a layer entry that names any of pe, simd, reuse_factor replaces the
  default section's folding entirely (its missing pe / simd are the built-in 1, whatever the
  default section says); otherwise the default section's folding applies (missing pe / simd: 1);
  otherwise pe 1, simd 1. ram_style and mult_style go key by key: layer, then default, then auto.
- Stages without weights (input, maxpool, avgpool, gap, concat, add) take `pe` only, in
  layers.<name> only: values per beat of their output stream; it must divide the output channels
  (a concat's: each input's channel count too). Without one their pe stays None: the hardware
  planner chooses (inheriting the producer's stream width). parallel.default applies to conv /
  dense only.
- relu (fused into its producer), dropout and flatten (wiring) take no parallel entry at all.

A weight type may leave its integer bits to the tensor: `ap_fixed<8,auto,AP_RND_CONV,AP_SAT>` gives
each conv / dense layer I = floor(log2 max|w|) + 2 integer bits (hwsim.fixed.rules.integer_bits, the
rule of the sweep and tune), from that layer's own weights: data-free and exact. It needs the
graph's weights. The default stays ap_fixed<8,1> (README, "Precision config": measured either way).
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from hwsim.util.errors import InputError
from hwsim.fixed import FixedType
from hwsim.ir.graph import Graph
from hwsim.fixed.rules import integer_bits, lossless_accum_type, sum_accum_type
from hwsim.spec import hardware

TOP_KEYS = {"model", "model_args", "weights", "precision", "parallel", "hardware"}
PRECISION_KEYS = {"input", "default", "layers"}
LAYER_PREC_KEYS = {"weight", "bias", "accum", "result"}
PARALLEL_KEYS = {"default", "layers"}
LAYER_PAR_KEYS = {"pe", "simd", "reuse_factor", "ram_style", "mult_style"}
RAM_STYLES = ("auto", "bram", "uram", "lutram")
MULT_STYLES = ("auto", "dsp", "lut")                 # where a conv / dense layer's products are built
FOLDED_KINDS = ("conv", "dense", "dwconv")          # layers with weights: pe, simd (or reuse_factor)
STAGE_KINDS = ("input", "maxpool", "avgpool", "gap", "concat", "add")   # hardware stages: pe only
FOLD_KEYS = ("pe", "simd", "reuse_factor")
BUILTIN_PARALLEL = {"pe": 1, "simd": 1, "ram_style": "auto", "mult_style": "auto"}

# The default rounding policy, in one place (the built-in types below, the sweep and tune use it):
# values quantized once, offline or where they enter the design (the input, weights and biases),
# round to nearest even and saturate, which costs nothing in hardware; layer results truncate (no
# rounding adder per output) and saturate.
QUANTIZED_MODES = ("AP_RND_CONV", "AP_SAT")
RESULT_MODES = ("AP_TRN", "AP_SAT")
BUILTIN = {
    "input": "ap_fixed<16,6,AP_RND_CONV,AP_SAT>",
    "default": {"weight": "ap_fixed<8,1,AP_RND_CONV,AP_SAT>", "bias": "ap_fixed<16,6,AP_RND_CONV,AP_SAT>",
                "accum": "lossless", "result": "ap_fixed<16,6,AP_TRN,AP_SAT>"},
}


class ConfigError(InputError):
    """A configuration problem; the message names the key or layer."""


@dataclass(frozen=True)
class LayerConfig:
    name: str
    kind: str
    inputs: tuple[FixedType, ...]          # types of the values the layer reads
    result: FixedType
    weight: FixedType | None = None
    bias: FixedType | None = None
    accum: FixedType | None = None         # concrete type for accumulating layers
    accum_lossless: bool = True
    reuse_factor: int = 1                  # conv / dense: derived, (n_terms // simd) * (F // pe)
    ram_style: str = "auto"
    pe: int | None = None                  # conv / dense: always set; stages: None = planner's choice
    simd: int | None = None                # conv / dense only
    mult_style: str = "auto"               # conv / dense: auto (hwsim.hw.compute's rule), dsp or lut

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "inputs": [str(t) for t in self.inputs], "result": str(self.result)}
        if self.weight is not None:
            d["weight"] = str(self.weight)
        if self.bias is not None:
            d["bias"] = str(self.bias)
        if self.accum is not None:
            d["accum"] = str(self.accum)
            d["accum_lossless"] = self.accum_lossless
        if self.kind in FOLDED_KINDS:
            d["pe"] = self.pe
            d["simd"] = self.simd
            d["reuse_factor"] = self.reuse_factor
            d["ram_style"] = self.ram_style
            d["mult_style"] = self.mult_style
        elif self.pe is not None:
            d["pe"] = self.pe
        return d


@dataclass(frozen=True, eq=False)
class Config:
    input: FixedType
    layers: Mapping[str, LayerConfig]
    hardware: Mapping[str, Any] = field(default_factory=dict)
    source: Mapping[str, Any] = field(default_factory=dict)    # the raw document, for reference

    def __getitem__(self, name: str) -> LayerConfig:
        return self.layers[name]

    def resolved(self) -> dict[str, LayerConfig]:
        return dict(self.layers)

    def to_dict(self) -> dict:
        return {"input": str(self.input), "hardware": dict(self.hardware),
                "layers": {n: lc.to_dict() for n, lc in self.layers.items()}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    def key(self) -> str:
        """A digest of the resolved config (every layer's types and folding, the hardware): equal
        for configs that resolve alike, in any process and run (studies cache results by it)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:24]

    def __reduce__(self):
        # the read-only mappings do not pickle: travel as plain dicts, arrive read-only again
        return (_rebuild, (self.input, dict(self.layers), dict(self.hardware), _plain_doc(self.source)))


def _rebuild(input_t, layers, hw, source) -> Config:
    return Config(input_t, MappingProxyType(layers), MappingProxyType(hw), MappingProxyType(source))


def _plain_doc(value):
    if isinstance(value, Mapping):
        return {k: _plain_doc(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain_doc(v) for v in value)
    return value


def layer_types(lc) -> dict[str, str]:
    """A resolved layer's types as config text: weight, bias, accum ("lossless" when it is), result."""
    d = {}
    if lc.weight is not None:
        d["weight"] = str(lc.weight)
    if lc.bias is not None:
        d["bias"] = str(lc.bias)
    if lc.accum is not None:
        d["accum"] = "lossless" if lc.accum_lossless else str(lc.accum)
    d["result"] = str(lc.result)
    return d


def to_document(config: Config) -> dict:
    """A config document that resolves to exactly `config` (explicit types for every layer)."""
    prec, par = {}, {}
    for name, lc in config.layers.items():
        if lc.kind in FOLDED_KINDS:
            par[name] = {"pe": lc.pe, "simd": lc.simd, "ram_style": lc.ram_style, "mult_style": lc.mult_style}
        elif lc.pe is not None:
            par[name] = {"pe": lc.pe}
        if lc.kind == "input":
            continue
        prec[name] = layer_types(lc)
    doc = {"precision": {"input": str(config.input), "layers": prec}, "hardware": dict(config.hardware)}
    if par:
        doc["parallel"] = {"layers": par}
    return doc


def plain(v):
    """A document as plain JSON/YAML data: mappings -> dicts with str keys, tuples -> lists, numpy
    scalars -> Python scalars, anything else that is not None, bool, int, float or str -> its text."""
    if isinstance(v, Mapping):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if type(v).__module__ == "numpy" and getattr(v, "ndim", None) == 0:   # numpy scalars (no numpy import)
        return v.item()
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def read(source) -> dict:
    """A config document from a path (YAML or JSON), a dict, or None (empty)."""
    if source is None:
        return {}
    if isinstance(source, Mapping):
        doc = dict(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            text = path.read_text()
            if path.suffix.lower() == ".json":
                doc = json.loads(text)
            else:
                import yaml
                doc = yaml.safe_load(quote_types(text))
        except Exception as e:  # parse errors from either library
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ConfigError(f"cannot parse config {path}: {first}") from None
        except OSError as e:
            raise ConfigError(f"cannot read config {path}: {e.strerror or type(e).__name__}") from None
        doc = doc or {}
    if not isinstance(doc, Mapping):
        raise ConfigError("a config must be a mapping at the top level")
    _check_keys(doc, TOP_KEYS, "config")
    return doc


_TYPE_LITERAL = re.compile(r"(?<![\"'\w<])((?:ap_)?u?(?:fixed|int)\s*<[^<>\n]*>)")


def quote_types(yaml_text: str) -> str:
    """Quote bare `ap_fixed<W,I>` literals: in a YAML flow mapping the comma would split them."""
    return _TYPE_LITERAL.sub(lambda m: "'" + m.group(1) + "'", yaml_text)


def load(source, graph: Graph, precision: str | None = None, weight_type: str | None = None,
         part: str | None = None, clock_ns: float | None = None) -> Config:
    """Resolve a config for `graph`. `precision` (a type, the command line's --precision) overrides
    the weight, bias and result defaults, and the accumulator's unless the document's default names
    one; then `weight_type` the weight default (`ap_fixed<8,auto>` allowed, see above). `part` and
    `clock_ns` are --part and --clock: the hardware section comes back complete (hwsim.spec.hardware)."""
    doc = read(source)
    prec = doc.get("precision") or {}
    _check_map(prec, "precision")
    _check_keys(prec, PRECISION_KEYS, "precision")
    default = dict(BUILTIN["default"])
    if precision is not None:
        t = _type(precision, "--precision")
        default.update(weight=str(t), bias=str(t), result=str(t))
    if weight_type is not None:
        _weight_type(weight_type, None, "--weight-type")     # checked even where no layer uses it
        default["weight"] = weight_type
    user_default = prec.get("default") or {}
    _check_map(user_default, "precision.default")
    _check_keys(user_default, LAYER_PREC_KEYS, "precision.default")
    default.update(user_default)
    if precision is not None and "accum" not in user_default:
        # hls4ml's meaning of one default precision: the accumulator takes it too (and a lossless
        # accumulator of two 32-bit operands would not fit the simulator's 63-bit mantissas)
        default["accum"] = str(t)
    per_layer = prec.get("layers") or {}
    _check_map(per_layer, "precision.layers")
    _check_layer_names(per_layer, graph, "precision.layers")
    for name, d in per_layer.items():
        _check_map(d, f"precision.layers.{name}")
        _check_keys(d, LAYER_PREC_KEYS, f"precision.layers.{name}")

    par = doc.get("parallel") or {}
    _check_map(par, "parallel")
    _check_keys(par, PARALLEL_KEYS, "parallel")
    par_default = _checked(par.get("default") or {}, LAYER_PAR_KEYS, "parallel.default")
    _check_par_values(par_default, "parallel.default")
    par_layers = par.get("layers") or {}
    _check_map(par_layers, "parallel.layers")
    _check_layer_names(par_layers, graph, "parallel.layers")
    par_entries = {}
    for layer in graph.layers:
        if layer.name in par_layers:
            par_entries[layer.name] = _layer_par_entry(layer, par_layers[layer.name])

    given_hw = _checked(doc.get("hardware") or {}, hardware.KEYS, "hardware")
    try:
        hw = hardware.resolve(given_hw, part, clock_ns)
    except InputError as e:
        raise ConfigError(str(e)) from None
    doc = {**doc, "hardware": {**given_hw, "part": hw["part"], "clock_mhz": hw["clock_mhz"]}}   # as resolved

    input_t = _type(prec.get("input", BUILTIN["input"]), "precision.input")
    out: dict[str, LayerConfig] = {}
    for layer in graph.layers:
        spec = dict(default)
        spec.update(per_layer.get(layer.name) or {})
        pspec = _parallel(graph, layer, par_default, par_entries.get(layer.name, {}))
        in_types = tuple(out[s].result for s in layer.inputs)
        out[layer.name] = _resolve_layer(graph, layer, spec, pspec, in_types, input_t,
                                         explicit=per_layer.get(layer.name) or {})
    return Config(input_t, MappingProxyType(out), MappingProxyType(hw), MappingProxyType(doc))


def _resolve_layer(graph, layer, spec, pspec, in_types, input_t, explicit) -> LayerConfig:
    where = f"layer {layer.name}"
    kind = layer.kind
    if kind == "input":
        return LayerConfig(layer.name, kind, (), input_t, pe=pspec.get("pe"))
    if "result" in explicit:
        result = _type(explicit["result"], f"{where}: result")
    elif layer.passes_type or (kind == "concat" and len(set(in_types)) == 1):
        result = in_types[0]
    else:
        result = _type(spec["result"], f"{where}: result")
    if kind in FOLDED_KINDS:
        weight = _weight_type(spec["weight"], graph, f"{where}: weight", layer.name)
        has_bias = getattr(layer, "bias", False)
        bias = _type(spec["bias"], f"{where}: bias") if has_bias else None
        n_terms = math.prod(graph.weight_shapes(layer)["weight"][1:])
        lossless = spec["accum"] == "lossless"
        accum = (_lossless(lambda: lossless_accum_type(in_types[0], weight, n_terms, bias), where)
                 if lossless else _type(spec["accum"], f"{where}: accum"))
        return LayerConfig(layer.name, kind, in_types, result, weight, bias, accum, lossless,
                           pspec["reuse_factor"], pspec["ram_style"], pspec["pe"], pspec["simd"],
                           pspec["mult_style"])
    if kind in ("avgpool", "gap"):
        c, h, w = graph.in_shapes(layer)[0]
        n = h * w if kind == "gap" else layer.kernel[0] * layer.kernel[1]
        lossless = spec["accum"] == "lossless"
        accum = (_lossless(lambda: sum_accum_type(in_types[0], n), where) if lossless
                 else _type(spec["accum"], f"{where}: accum"))
        return LayerConfig(layer.name, kind, in_types, result, accum=accum, accum_lossless=lossless,
                           pe=pspec.get("pe"))
    return LayerConfig(layer.name, kind, in_types, result, pe=pspec.get("pe"))


def _lossless(make, where: str) -> FixedType:
    try:
        return make()
    except ValueError as e:
        raise ConfigError(f"{where}: a lossless accumulator does not fit ({e}); "
                          "give an explicit accum type, e.g. accum: ap_fixed<48,24>") from None


def _check_par_values(d: Mapping, where: str) -> None:
    """The values of one parallel section (keys already checked); reuse_factor excludes pe / simd."""
    for key in ("pe", "simd"):
        if key in d:
            v = d[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"{where}: {key} must be a positive integer, got {v!r}")
    if "reuse_factor" in d:
        v = d["reuse_factor"]
        if v != "auto" and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ConfigError(f"{where}: reuse_factor must be a positive integer or 'auto', got {v!r}")
        both = [k for k in ("pe", "simd") if k in d]
        if both:
            raise ConfigError(f"{where}: reuse_factor and {' and '.join(both)} both given; give "
                              "either reuse_factor or pe / simd (reuse_factor is converted to them)")
    if "ram_style" in d and d["ram_style"] not in RAM_STYLES:
        raise ConfigError(f"{where}: ram_style {d['ram_style']!r} is not one of {', '.join(RAM_STYLES)}")
    if "mult_style" in d and d["mult_style"] not in MULT_STYLES:
        raise ConfigError(f"{where}: mult_style {d['mult_style']!r} is not one of {', '.join(MULT_STYLES)}")


def _layer_par_entry(layer, entry) -> dict:
    """A layer's parallel entry, checked against what its kind takes."""
    name, kind = layer.name, layer.kind
    where = f"layer {name}"
    if kind not in FOLDED_KINDS and kind not in STAGE_KINDS:
        role = "wiring (it moves no data)" if layer.wiring else "fused into the stage before it"
        raise ConfigError(f"{where} is a {kind}, {role}: it takes no parallel entry")
    entry = _checked(entry or {}, LAYER_PAR_KEYS, f"parallel.layers.{name}")
    if kind in STAGE_KINDS:
        other = sorted(set(entry) - {"pe"})
        if other:
            raise ConfigError(f"{where} is a{'n' if kind[0] in 'aeiou' else ''} {kind}: it takes pe only, "
                              f"not {', '.join(other)}")
    _check_par_values(entry, where)
    return entry


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _stream_channels(graph: Graph, layer) -> tuple[int, str, list[str]]:
    """The channel count of the map a layer reads as it streams, through wiring layers (dropout,
    flatten) back to the layer that produces it; that layer's name and the wiring layers passed."""
    src, wiring = graph.layer(layer.inputs[0]), []
    while src.wiring:
        wiring.insert(0, src.name)
        src = graph.layer(src.inputs[0])
    return graph.shape(src.name)[0], src.name, wiring


def _parallel(graph: Graph, layer, par_default: Mapping, entry: Mapping) -> dict:
    """The layer's folding: conv / dense -> pe, simd, reuse_factor, ram_style; stages -> pe (None
    when not given); other kinds -> {}. Rules: the module docstring, "Folding"."""
    kind, where = layer.kind, f"layer {layer.name}"
    if kind in STAGE_KINDS:
        pe = entry.get("pe")
        if pe is not None:
            counts = [(graph.shape(layer.name)[0], "its", "output channels")]
            if kind == "concat":
                counts += [(graph.shape(s)[0], f"its input {s}'s", "channels") for s in layer.inputs]
            valid = [d for d in _divisors(counts[0][0]) if all(c % d == 0 for c, _, _ in counts)]
            for c, whose, what in counts:
                if c % pe:
                    also = " (a concat's pe must divide each input's channels too)" if kind == "concat" else ""
                    raise ConfigError(f"{where}: pe {pe} does not divide {whose} {c} {what}{also}; "
                                      f"valid pe: {', '.join(map(str, valid))}")
        return {"pe": pe}
    if kind not in FOLDED_KINDS:
        return {}
    w_shape = graph.weight_shapes(layer)["weight"]
    f, n_terms = w_shape[0], math.prod(w_shape[1:])
    if kind == "conv":
        c = graph.in_shapes(layer)[0][0]
        c_text, f_text = f"its {c} input channels", f"its {f} output channels"
    elif kind == "dwconv":        # pe channels, simd kernel taps: 1 or a kernel row (hwsim.hw.units.dwu)
        c = n_terms
        c_text, f_text = f"its kernel taps per cycle (1, or its kernel width {layer.kernel[1]})", f"its {f} channels"
    else:
        c, src, wiring = _stream_channels(graph, layer)
        via = f" ({src}'s output through {', '.join(wiring)})" if wiring else ""
        c_text, f_text = f"the {c} channels of its input stream{via}", f"its {f} output features"
    if any(k in entry for k in FOLD_KEYS):
        fold, origin = entry, ""
    else:
        fold, origin = par_default, " (from parallel.default)"
    simds = sorted({1, layer.kernel[1]}) if kind == "dwconv" else _divisors(c)
    if "reuse_factor" in fold:
        rf = n_terms if fold["reuse_factor"] == "auto" else fold["reuse_factor"]
        pe, simd = _fold_reuse_factor(rf, n_terms, f, simds, f"{where}: reuse_factor {fold['reuse_factor']}"
                                      f"{origin}", f_text, c_text)
    else:
        pe, simd = fold.get("pe", BUILTIN_PARALLEL["pe"]), fold.get("simd", BUILTIN_PARALLEL["simd"])
        for key, v, valid, text in (("pe", pe, _divisors(f), f_text), ("simd", simd, simds, c_text)):
            if v not in valid:
                what = (f"is not a depthwise layer's kernel taps per cycle (1, or the kernel width {layer.kernel[1]}: "
                        "one kernel row)" if kind == "dwconv" and key == "simd" else f"does not divide {text}")
                raise ConfigError(f"{where}: {key} {v}{origin} {what}; valid {key}: {', '.join(map(str, valid))}")
    style = entry.get("ram_style", par_default.get("ram_style", BUILTIN_PARALLEL["ram_style"]))
    mult = entry.get("mult_style", par_default.get("mult_style", BUILTIN_PARALLEL["mult_style"]))
    return {"pe": pe, "simd": simd, "reuse_factor": (n_terms // simd) * (f // pe), "ram_style": style,
            "mult_style": mult}


def _fold_reuse_factor(rf: int, n_terms: int, f: int, simds: list[int], what: str, f_text: str,
                       c_text: str) -> tuple[int, int]:
    """(pe, simd) with pe | f, simd in `simds` and (n_terms // simd) * (f // pe) == rf, of largest pe."""
    pairs = [(pe, simd) for pe in _divisors(f) for simd in simds]
    exact = [p for p in pairs if (n_terms // p[1]) * (f // p[0]) == rf]
    if exact:
        return max(exact)
    achievable = sorted({(n_terms // simd) * (f // pe) for pe, simd in pairs})
    nearest = [r for r in achievable if r < rf][-3:] + [r for r in achievable if r > rf][:3]
    raise ConfigError(f"{what} is not achievable with pe dividing {f_text} and simd "
                      f"{'dividing ' if simds == _divisors(max(simds)) and len(simds) > 2 else 'from '}{c_text}; nearest achievable reuse factors: {', '.join(map(str, nearest))}")


_AUTO = re.compile(r"^\s*((?:ap_)?u?fixed\s*<\s*\d+\s*,\s*)auto(\s*(?:,[^<>]*)?>)\s*$")


def _weight_type(text, graph: Graph | None, where: str, layer: str | None = None) -> FixedType:
    """A weight type; `auto` integer bits come from the layer's weights (graph None: check only)."""
    m = _AUTO.match(text) if isinstance(text, str) else None
    if m is None:
        return _type(text, where)
    if graph is None:
        return _type(m.group(1) + "1" + m.group(2), where)
    if not graph.has_weights:
        raise ConfigError(f"{where}: {text!r} takes its integer bits from the weights, and "
                          f"{graph.name} has none loaded")
    import numpy as np
    w = np.asarray(graph.weights[layer]["weight"])
    max_abs = float(np.max(np.abs(w))) if w.size else 0.0
    return _type(m.group(1) + str(integer_bits(max_abs)) + m.group(2), where)


def _type(text, where: str) -> FixedType:
    if isinstance(text, FixedType):
        return text
    try:
        return FixedType.parse(text)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{where}: {e}") from None


def _check_map(d, where: str) -> None:
    if not isinstance(d, Mapping):
        raise ConfigError(f"{where} must be a mapping, got {type(d).__name__}")


def _check_keys(d: Mapping, allowed: set, where: str) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise ConfigError(f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                          f"in {where}; allowed: {', '.join(sorted(allowed))}")


def _checked(d, allowed: set, where: str) -> dict:
    _check_map(d, where)
    _check_keys(d, allowed, where)
    return dict(d)


def _check_layer_names(d: Mapping, graph: Graph, where: str) -> None:
    names = graph.names()
    unknown = [n for n in d if n not in names]
    if unknown:
        raise ConfigError(f"{where}: no layer named {unknown[0]!r} in {graph.name}; "
                          f"valid names: {', '.join(names)}")


