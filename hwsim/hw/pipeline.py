"""The network's hardware plan: `build(graph, config, device)` -> hwsim.hw.plan.NetworkPlan.

Rules (the one place they are written):
- A ReLU or ReLU6 is fused into the conv / dense / depthwise conv / add before it when it is that layer's
  only consumer (the stream then carries the activation's type; the unit's `activation` code, 1
  ReLU, 2 ReLU6, hwsim.hw.units); a ReLU or ReLU6 anywhere else is refused.
- Dropout and flatten are wiring (the same stream) when their result type equals their input type;
  otherwise a `cast` unit changes the type. A flatten of a map wider than 1x1 may feed dense layers
  only (a dense reads the map in stream order, see below).
- Widths (values per beat): the input stream carries `parallel.layers.input.pe` values (default: all
  C channels of a pixel). A conv / dense reads SIMD and writes PE values per beat. Pools, global
  average pools and type casts keep the width that arrives unless their `pe` is given; a concat or
  add takes the wider of its inputs' widths when it divides every input's channels (else the largest
  width that does). Wherever a stream's width differs from what its reader takes, a width
  converter (`convert`) sits between them, counted with the reader's layer.
- A conv runs a sliding window (`swu`) and a matrix-vector unit (`mvau`); a 1x1 convolution with
  stride 1 and no padding reads its input stream directly. A depthwise conv runs a sliding window
  whose simd is the depthwise unit's pe, then the depthwise unit (`dwu`), which reads pe values per
  beat from the layer's input and writes pe values per beat. Its simd is the kernel taps per cycle:
  1 (one tap, as finn-hlslib's VVAU) or KW (one whole kernel row: the window's beats carry KW x pe
  values, its `taps` = KW); any other simd is refused. Each lane adds its KW products in kw order,
  so the order of additions stays the simulator's (kh, kw). A dense is a matrix-vector unit over the
  whole input in stream order: (h, w, c) for a flattened map (the simulator adds in that order too).
- A stream read by several layers goes through a chain of two-way `split` units.
- The order of additions is (channel fold, kh, kw, SIMD lane). It equals the simulator's (c, kh, kw)
  when SIMD = 1 or the kernel is 1x1; a saturating explicit accumulator with SIMD > 1 on a larger
  kernel would add in another order, and is refused.
- FIFO depths, in beats, are decided by hwsim.hw.fifo_depth from the units' I/O order (deadlock-free
  minima at the joins, then depths that keep the bottleneck rate, at least `hardware.fifo_depth`);
  the same run gives the modelled interval and latency (NetworkPlan.timing).
"""
from __future__ import annotations

import math
from dataclasses import replace

from hwsim.fixed import _SAT_FAMILY
from hwsim.hw import units as U
from hwsim.hw.plan import LayerPlan, NetworkPlan, Stream, Unit
from hwsim.spec.config import Config
from hwsim.ir.graph import Graph
from hwsim.util.errors import InputError

DEFAULT_FIFO_DEPTH = 2
ACTIVATION_KINDS = ("relu", "relu6")
FUSES_ACTIVATION = ("conv", "dense", "dwconv", "add")   # kinds whose unit applies a ReLU / ReLU6 that reads only them
INPUT, OUTPUT = "input", "output"


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _largest_divisor(channels: list[int], at_most: int) -> int:
    g = math.gcd(*channels)
    return max(d for d in divisors(g) if d <= at_most)


def order_sensitive(lc) -> bool:
    """True when the accumulator's result depends on the order of additions (saturation)."""
    return (not lc.accum_lossless) and lc.accum.overflow in _SAT_FAMILY


def build(graph: Graph, config: Config, device=None, fifo_depth: int | None = None,
          weight_storage=None, size_fifos: bool = True) -> NetworkPlan:
    """The plan of `graph` under `config` (module doc). weight_storage(layer_name) -> (entries,
    entry_bits) replaces the dense weight tensor (Deep Compression; the estimate only).
    size_fifos=False leaves every FIFO at one place and `timing` None: a lower bound of the plan's
    memory that skips the pipeline simulation (hwsim.hw.fold rejects designs with it first)."""
    if fifo_depth is None:
        fifo_depth = int(config.hardware.get("fifo_depth", DEFAULT_FIFO_DEPTH))
    return _Builder(graph, config, device, fifo_depth, weight_storage, size_fifos).run()


class _Builder:
    def __init__(self, graph, config, device, fifo_depth, weight_storage, size_fifos=True):
        self.g, self.cfg, self.dev, self.fifo = graph, config, device, fifo_depth
        self.size_fifos = size_fifos
        self.storage = weight_storage
        self.owner: dict[str, str] = {}       # layer -> owner (the layer whose stream carries it)
        self.sshape: dict[str, tuple] = {}    # owner -> streamed (C, H, W)
        self.width: dict[str, int] = {}       # owner -> values per beat
        self.fused: dict[str, str] = {}       # conv / dense / dwconv -> its fused ReLU / ReLU6
        self.notes: dict[str, str] = {}
        self.nodes: list = []                 # (layer, source owners)

    # --- structure -------------------------------------------------------------------------
    def _structure(self):
        g = self.g
        relu_of = {}
        for layer in g.layers:
            if layer.kind in FUSES_ACTIVATION:
                uses = g.consumers(layer.name)
                if len(uses) == 1 and uses[0].kind in ACTIVATION_KINDS:
                    self.fused[layer.name] = uses[0].name
                    relu_of[uses[0].name] = layer.name
        for layer in g.layers:
            ins = list(layer.inputs)
            if layer.kind == "input":
                self._own(layer.name, layer.name, g.shape(layer.name))
                self.notes[layer.name] = "top-level input stream"
            elif layer.kind in ACTIVATION_KINDS:
                if layer.name not in relu_of:
                    what = "ReLU6" if layer.kind == "relu6" else "ReLU"
                    raise ValueError(f"layer {layer.name}: a {what} is supported only right after a conv, "
                                     "dense, depthwise conv or add layer that feeds nothing else")
                self.notes[layer.name] = f"fused into {relu_of[layer.name]}"
            elif layer.wiring and self.cfg[layer.name].result == self.cfg[ins[0]].result:
                self._check_read(layer, ins[0])
                self.owner[layer.name] = self.owner[ins[0]]
                self.notes[layer.name] = f"wiring (same stream as {self.owner[ins[0]]})"
            else:
                for s in ins:
                    self._check_read(layer, s)
                out = self.fused.get(layer.name, layer.name)
                shape = self.sshape[self.owner[ins[0]]] if layer.wiring else g.shape(out)
                self._own(out, out, shape)
                self.owner[layer.name] = out
                self.nodes.append((layer, [self.owner[s] for s in ins]))
        out = self.owner[g.output.name]
        if g.output.kind == "input" or out == g.input.name:
            raise ValueError(f"{g.name}: the output is the input; nothing to generate")
        if self.sshape[out] != g.output_shape and self.sshape[out][1:] != (1, 1):
            raise ValueError(f"{g.name}: the output is a flatten of a wider map; end the network on a "
                             "dense layer or a 1x1 map")
        self.out_owner = out

    def _own(self, owner, name, shape):
        self.owner[name] = owner
        self.sshape[owner] = tuple(shape)

    def _check_read(self, layer, src):
        streamed = self.sshape[self.owner[src]]
        if (self.g.shape(src) != streamed and streamed[1] * streamed[2] > 1
                and layer.kind not in ("dense", "dropout", "flatten")):
            raise ValueError(f"layer {layer.name} reads the flatten {src!r} of a {streamed[1]}x{streamed[2]} "
                             "map; only dense layers may follow a flatten in the streamed design")

    # --- widths ----------------------------------------------------------------------------
    def _pe(self, name):
        return getattr(self.cfg[name], "pe", None)

    def _simd(self, name):
        return getattr(self.cfg[name], "simd", None)

    def _node_widths(self, layer, srcs) -> tuple[tuple[int, ...], int]:
        """(widths the node reads, width it writes)."""
        kind = layer.kind
        chans = [self.sshape[s][0] for s in srcs]
        arriving = [self.width[s] for s in srcs]
        if kind in ("conv", "dense"):
            pe, simd = self._pe(layer.name) or 1, self._simd(layer.name) or 1
            _check_divides(layer.name, "simd", simd, chans[0], "input channels")
            _check_divides(layer.name, "pe", pe, self.sshape[self.owner[layer.name]][0], "output channels")
            return (simd,), pe
        if kind == "dwconv":
            pe, simd = self._pe(layer.name) or 1, self._simd(layer.name) or 1
            _check_divides(layer.name, "pe", pe, chans[0], "channels")
            kw = layer.kernel[1]
            if simd not in dw_simds(kw) or isinstance(simd, bool):
                valid = ", ".join(str(d) for d in dw_simds(kw))
                raise InputError(f"layer {layer.name}: simd {simd} is not a depthwise layer's kernel taps per cycle "
                                 f"(1, or the kernel width {kw}: one kernel row); valid simd: {valid}")
            return (pe,), pe
        pe = self._pe(layer.name)
        if pe is None:
            if kind in ("concat", "add"):
                pe = _largest_divisor(chans, max(arriving))
            else:
                pe = arriving[0]
        for c in chans:
            _check_divides(layer.name, "pe", pe, c, "channels")
        return tuple(pe for _ in srcs), pe

    # --- units -----------------------------------------------------------------------------
    def _compute_units(self, layer, srcs, pe, simd, mult_style=None) -> list[Unit]:
        """The layer's units at (pe, simd); mult_style overrides the config's (hwsim.hw.fold). For a
        depthwise conv, simd is its kernel taps per cycle (1 or KW)."""
        g, lc, dev = self.g, self.cfg[layer.name], self.dev
        name, kind = layer.name, layer.kind
        c, h, w = self.sshape[srcs[0]]
        bits = lc.inputs[0].width
        out = self.sshape[self.owner[name]]
        if kind == "conv":
            (kh, kw), stride, padding = layer.kernel, layer.stride, layer.padding
            direct = (kh, kw) == (1, 1) and stride == (1, 1) and padding == (0, 0)
            if simd > 1 and (kh, kw) != (1, 1) and order_sensitive(lc):
                raise InputError(
                    f"layer {name}: a saturating accumulator ({lc.accum}) with simd {simd} on a {kh}x{kw} "
                    "kernel adds in the order (channel fold, kh, kw, lane), not the simulator's (c, kh, kw); "
                    "use simd 1, or a lossless or wrapping accum")
            us = [] if direct else [U.swu(f"{name}/swu", name, (c, h, w), out[1:], (kh, kw), stride, padding,
                                          simd, bits, False, dev)]
            return us + [self._mvau(layer, lc, out[1] * out[2], c * kh * kw, out[0], simd, pe, bits, mult_style)]
        if kind == "dwconv":
            (kh, kw), stride, padding = layer.kernel, layer.stride, layer.padding
            direct = (kh, kw) == (1, 1) and stride == (1, 1) and padding == (0, 0)
            if direct and simd != 1:
                raise InputError(f"layer {name}: a 1x1 depthwise layer reads its input directly; use simd 1")
            us = [] if direct else [U.swu(f"{name}/swu", name, (c, h, w), out[1:], (kh, kw), stride, padding,
                                          pe, bits, False, dev, taps=simd)]
            storage = (self.storage(name) if self.storage is not None else (c * kh * kw, lc.weight.width))
            bias = lc.bias.width if lc.bias is not None else None
            return us + [U.dwu(f"{name}/dwu", name, out[1] * out[2], c, (kh, kw), pe, bits, storage, bias,
                               lc.accum.width, self._activation(name), lc.ram_style, dev,
                               mult_style or lc.mult_style, simd=simd)]
        if kind == "dense":
            return [self._mvau(layer, lc, 1, c * h * w, layer.out_features, simd, pe, bits, mult_style)]
        if kind in ("maxpool", "avgpool"):
            (kh, kw), stride, padding = layer.kernel, layer.stride, layer.padding
            average = kind == "avgpool"
            direct = (kh, kw) == (1, 1) and stride == (1, 1) and padding == (0, 0)
            us = [] if direct else [U.swu(f"{name}/swu", name, (c, h, w), out[1:], (kh, kw), stride, padding,
                                          pe, bits, not average, dev)]
            acc_bits = lc.accum.width if average else bits
            return us + [U.pool(f"{name}/pool", name, out[1] * out[2], c, kh * kw, pe, bits, acc_bits, average,
                                kh * kw, dev)]
        if layer.wiring:
            return [U.cast(f"{name}/cast", name, h * w, c, pe, lc.result.width)]
        if kind == "gap":
            return [U.gap(f"{name}/gap", name, h * w, c, pe, lc.accum.width, dev)]
        if kind in ("concat", "add") and len(srcs) != 2:
            raise ValueError(f"layer {name}: {kind} of {len(srcs)} inputs is not supported (two only)")
        if kind == "concat":
            return [U.concat(f"{name}/concat", name, h * w, c, self.sshape[srcs[1]][0], pe, lc.result.width)]
        if kind == "add":
            return [U.add(f"{name}/add", name, h * w, c, pe, lc.result.width, self._activation(name))]
        raise ValueError(f"layer {name}: kind {kind!r} has no hardware kernel")

    def _mvau(self, layer, lc, pixels, n_in, n_out, simd, pe, bits, mult_style=None) -> Unit:
        storage = (self.storage(layer.name) if self.storage is not None
                   else (n_in * n_out, lc.weight.width))
        bias = lc.bias.width if lc.bias is not None else None
        return U.mvau(f"{layer.name}/mvau", layer.name, pixels, n_in, n_out, simd, pe, bits, storage, bias,
                      lc.accum.width, self._activation(layer.name), lc.ram_style, self.dev,
                      mult_style or lc.mult_style)

    def _activation(self, name) -> int:
        fused = self.fused.get(name)
        return U.ACTIVATIONS[self.g.layer(fused).kind if fused is not None else None]

    # --- assembly --------------------------------------------------------------------------
    def run(self) -> NetworkPlan:
        self._structure()
        g, cfg = self.g, self.cfg
        inp = g.input.name
        c_in = g.input_shape[0]
        self.width[inp] = self._pe(inp) or c_in
        _check_divides(inp, "pe", self.width[inp], c_in, "input channels")
        node_w = {}
        for layer, srcs in self.nodes:
            node_w[layer.name] = self._node_widths(layer, srcs)
            self.width[self.owner[layer.name]] = node_w[layer.name][1]
        uses: dict[str, list] = {o: [] for o in self.sshape}
        for i, (layer, srcs) in enumerate(self.nodes):
            for j, s in enumerate(srcs):
                uses[s].append((i, j))
        for o in self.sshape:
            if o != self.out_owner and not uses[o]:
                raise ValueError(f"layer {o}: its output is never used (dead branch)")
        if uses[self.out_owner]:
            raise ValueError(f"{g.name}: the output stream of {self.out_owner} is also read by other layers")

        units: list[Unit] = []
        streams: dict[str, dict] = {}
        read_from: dict[tuple, str] = {}       # (node, input) -> stream name
        layer_units: dict[str, list[Unit]] = {l.name: [] for l in g.layers}

        def stream(name, owner, width, producer, pixels=None, beats=None):
            c, h, w = self.sshape[owner]
            streams[name] = dict(name=name, producer=producer, consumer="", carrier=owner, width=width,
                                 bits=cfg[owner].result.width, depth=self.fifo, pixels=pixels or h * w,
                                 beats=beats or h * w * c // width)
            return name

        def emit(unit, ins, outs, owner_layer):
            for s in ins:
                streams[s]["consumer"] = unit.name
            for s in outs:
                streams[s]["producer"] = unit.name
            u = replace(unit, inputs=tuple(ins), outputs=tuple(outs))
            units.append(u)
            layer_units[owner_layer].append(u)

        def fan_out(o, main):
            if len(uses[o]) == 1:
                read_from[uses[o][0]] = main
                return
            c, h, w = self.sshape[o]
            cur, k = main, len(uses[o])
            for n, use in enumerate(uses[o][:-1], start=1):
                a = stream(f"{o}:copy{n}", o, self.width[o], "")
                b = stream(f"{o}:copy{k}" if n == k - 1 else f"{o}:rest{n}", o, self.width[o], "")
                u = U.split(f"{o}/split.{n}", o, h * w, c, self.width[o])
                emit(u, [cur], [a, b], o)
                read_from[use] = a
                if n == k - 1:
                    read_from[uses[o][-1]] = b
                cur = b

        stream(INPUT, inp, self.width[inp], "")
        fan_out(inp, INPUT)
        for i, (layer, srcs) in enumerate(self.nodes):
            ins_w, out_w = node_w[layer.name]
            ins = []
            for j, (s, want) in enumerate(zip(srcs, ins_w)):
                cur = read_from[(i, j)]
                have = self.width[s]
                if have != want:
                    c, h, w = self.sshape[s]
                    conv_name = f"{layer.name}/convert" + (f".{j}" if len(srcs) > 1 else "")
                    nxt = stream(f"{layer.name}:in{j}", s, want, "")
                    u = U.convert(conv_name, layer.name, h * w, c, have, want, cfg[s].result.width, self.dev)
                    emit(u, [cur], [nxt], layer.name)
                    cur = nxt
                ins.append(cur)
            simd = (self._simd(layer.name) or 1) if layer.kind == "dwconv" else ins_w[0]
            comp = self._compute_units(layer, srcs, out_w, simd)
            o = self.owner[layer.name]
            for k, u in enumerate(comp):
                last = k == len(comp) - 1
                if last:
                    out = OUTPUT if o == self.out_owner else o
                    stream(out, o, out_w, "")
                else:           # the sliding window's output: windows of the input's values
                    f = dict(u.fields)
                    out = stream(f"{u.name}:out", srcs[0], u.out_width, "", f["out_height"] * f["out_width"],
                                 _window_beats(u))
                emit(u, ins, [out], layer.name)
                ins = [out]
            if o != self.out_owner:
                fan_out(o, ins[0])

        srcs_of = {layer.name: srcs for layer, srcs in self.nodes}
        st = {n: Stream(**d) for n, d in streams.items()}
        timing = self._size(units, st) if self.size_fifos else None
        joins = {u.name for u in units if u.kind in ("concat", "add")}
        st = {n: replace(s, depth=timing.depth[n] if timing else 1, role="join" if s.consumer in joins else "fifo")
              for n, s in st.items()}
        plans = []
        for layer in g.layers:
            us = tuple(next(u for u in units if u.name == x.name) for x in layer_units[layer.name])
            fifos = tuple(U.fifo(f"fifo {s.name}" if s.role == "fifo" else f"join fifo {s.name}", s.width, s.bits,
                                 s.depth, self.dev)
                          for s in st.values() if s.consumer and any(u.name == s.consumer for u in us))
            plans.append(self._layer_plan(layer, us, fifos, node_w, srcs_of))
        return NetworkPlan(g.name, tuple(plans), tuple(units), tuple(st.values()), INPUT, OUTPUT,
                           dict(self.owner), timing)

    def _size(self, units, st):
        from hwsim.hw import fifo_depth as FD          # (numba: not at `hwsim --help`)
        hw = self.cfg.hardware
        try:
            return FD.size(units, st, INPUT, OUTPUT, self.fifo, hw.get("fifo_policy", "rate"),
                           hw.get("fifo_depths") or {})
        except FD.Deadlock as e:
            raise InputError(f"{self.g.name}: {e}") from None

    def _layer_plan(self, layer, us, fifos, node_w, srcs) -> LayerPlan:
        """pe = values per beat leaving; simd = values per beat its compute unit reads (a depthwise
        unit: pe x its kernel taps per cycle); in_width = values per beat arriving (before any
        converter)."""
        name = layer.name
        if name in node_w:
            ins_w, out_w = node_w[name]
            simd = us[-1].in_widths[0] if layer.kind == "dwconv" else ins_w[0]
            return LayerPlan(name, layer.kind, out_w, simd, self.width[srcs[name][0]], out_w, us, fifos,
                             self.notes.get(name, ""))
        w = self.width.get(self.owner.get(name, name), 1)
        return LayerPlan(name, layer.kind, w, w, w, w, us, fifos, self.notes.get(name, ""))


def _window_beats(u: Unit) -> int:
    f = dict(u.fields)
    return (f["out_height"] * f["out_width"] * (f["n_chan"] // f["simd"]) * f["filt_height"]
            * (f["filt_width"] // f.get("taps", 1)))


def dw_simds(kw: int) -> list[int]:
    """A depthwise layer's valid simd (kernel taps per cycle): 1, or a whole kernel row of kw."""
    return sorted({1, kw})


def _check_divides(layer: str, key: str, value: int, n: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or n % value:
        valid = ", ".join(str(d) for d in divisors(n))
        raise InputError(f"layer {layer}: {key} {value} does not divide its {n} {what}; valid {key}: {valid}")
