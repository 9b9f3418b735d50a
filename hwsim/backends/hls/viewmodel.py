"""IR + resolved config -> ProjectView (plain records for the templates).

The design is one DATAFLOW region: every layer is a kernel call between hls::streams (HWC order, one
scalar per element). Planning rules:
- a ReLU is fused into the conv / dense before it (the kernels' `relu` flag) when it is that layer's
  only consumer; a ReLU anywhere else is rejected;
- dropout and flatten are wiring (the same stream) when their result type equals their input type,
  otherwise a 1x1 max pool casts; a flatten of a map wider than 1x1 may only feed dense layers (whose
  weights already use PyTorch's (c, h, w) order);
- a stream read by several layers goes through a chain of `split` kernels, one copy per reader;
- FIFO depths are `hardware.fifo_depth`, except streams entering a concat / add, which get room for
  the pixels the slower branch lags behind, plus one (the window layers' delays on the path,
  hwsim.hw.activations.layer_delay: the fire module's expand1x1 rule). C simulation does not depend on
  depths;
- weight storage (ROM style, reshape into words) follows the memory estimator (hwsim.hw.estimate), and
  its report (`memory_json`) is written as memory.json.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace

from hwsim.util import toolchain as cpp
from hwsim.hw import activations as memory_act
from hwsim.spec.config import Config
from hwsim.ir.graph import Graph
from hwsim.backends.hls import vm_layers as L
from hwsim.backends.hls import vm_weights
from hwsim.backends.hls.idents import comment, ident, unique_idents
from hwsim.backends.hls.vm_types import LayerRow, Port, ProjectView, Stream, TypeDef, WeightFile
from hwsim.util.errors import InputError
from hwsim.backends.options import TOOLS

IN_PORT, OUT_PORT = "input_stream", "output_stream"


@dataclass(frozen=True)
class _Names:
    config: str = ""
    res_t: str = ""
    dst: str = ""
    w: str = ""
    b: str = ""
    data_ts: tuple = ()
    srcs: tuple = ()


def build(graph: Graph, config: Config, tool: str = "vitis") -> ProjectView:
    if tool not in TOOLS:
        raise InputError(f"unknown HLS tool {tool!r}; choose one of: {', '.join(TOOLS)}")
    missing = [n for n in graph.names() if n not in config.layers]
    if missing:
        raise InputError(f"config has no entry for layer {missing[0]!r} of {graph.name}")
    if any(l.has_weights for l in graph.layers) and not graph.has_weights:
        raise ValueError(f"{graph.name} has no weights attached")
    if config.hardware.get("part") is None:
        raise InputError(f"device {config.hardware.get('device')} has no Xilinx part for Vitis / Vivado HLS; give --part")
    return _Planner(graph, config, tool).view()


class _Planner:
    def __init__(self, graph: Graph, config: Config, tool: str):
        self.g, self.cfg, self.tool = graph, config, tool
        self.ids = unique_idents(graph.names())
        self.top = "top_" + ident(graph.name)
        self.owner: dict[str, str] = {}        # layer -> layer whose stream carries its values
        self.sshape: dict[str, tuple] = {}     # owner -> (C, H, W) as streamed
        self.fused: dict[str, object] = {}     # conv/dense name -> fused ReLU layer
        self.rows: dict[str, str] = {}         # layer -> how it is implemented (README)
        self.nodes: list = []                  # (layer, kind, input owners)
        self.lag: dict[str, int] = {}
        self.memories, report = vm_weights.weight_memories(graph, config)
        self.memory_json = json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n"

    # --- planning ----------------------------------------------------------------------------
    def _uses(self, name):
        return [l for l in self.g.layers for s in l.inputs if s == name]

    def _plan(self):
        g = self.g
        relu_src = {}
        for layer in g.layers:
            if layer.kind in ("conv", "dense"):
                uses = self._uses(layer.name)
                if len(uses) == 1 and uses[0].kind == "relu":
                    self.fused[layer.name] = uses[0]
                    relu_src[uses[0].name] = layer.name
        for layer in g.layers:
            ins = list(layer.inputs)
            self.lag[layer.name] = max((self.lag[s] for s in ins), default=0) + memory_act.layer_delay(g, layer)
            if layer.kind == "input":
                self._own(layer.name, layer.name, g.shape(layer.name))
                self.rows[layer.name] = "top-level input stream"
            elif layer.kind == "relu":
                if layer.name not in relu_src:
                    raise ValueError(f"layer {layer.name}: a ReLU is supported only right after a conv or "
                                     "dense layer that feeds nothing else")
                self.rows[layer.name] = f"fused into {relu_src[layer.name]}"
            elif layer.wiring and self.cfg[layer.name].result == self.cfg[ins[0]].result:
                src = self.owner[ins[0]]
                self._check_read(layer, ins[0])
                self.owner[layer.name] = src
                self.rows[layer.name] = f"wiring (same stream as {src})"
            else:
                for s in ins:
                    self._check_read(layer, s)
                out = self.fused[layer.name].name if layer.name in self.fused else layer.name
                shape = (self.sshape[self.owner[ins[0]]] if layer.wiring else g.shape(out))
                self._own(out, out, shape)
                if out != layer.name:
                    self.owner[layer.name] = out
                self.nodes.append((layer, [self.owner[s] for s in ins]))
        out = self.owner[g.output.name]
        if g.output.kind == "input" or out == g.input.name:
            raise ValueError(f"{g.name}: the output is the input; nothing to generate")
        self.out_owner = out

    def _own(self, owner, name, shape):
        self.owner[name] = owner
        self.sshape[owner] = tuple(shape)

    def _check_read(self, layer, src):
        """A flatten of a map wider than 1x1 is a reordering: only a dense layer may read it."""
        streamed = self.sshape[self.owner[src]]
        if self.g.shape(src) != streamed and streamed[1] * streamed[2] > 1 and layer.kind not in ("dense", "dropout", "flatten"):
            raise ValueError(f"layer {layer.name} reads the flatten {src!r} of a {streamed[1]}x{streamed[2]} "
                             "map; only dense layers may follow a flatten in the streamed design")

    # --- view --------------------------------------------------------------------------------
    def view(self) -> ProjectView:
        self._plan()
        g, cfg, ids = self.g, self.cfg, self.ids
        fifo = int(cfg.hardware.get("fifo_depth", 2))
        owners = [o for o in self.sshape]
        if self.sshape[self.out_owner] != g.output_shape and self.sshape[self.out_owner][1:] != (1, 1):
            raise ValueError(f"{g.name}: the output is a flatten of a wider map; end the network on a "
                             "dense layer or a 1x1 map")
        tname = {o: "t_" + ids[o] for o in owners}
        typedefs = tuple(TypeDef(tname[o], str(cfg[o].result), comment(o)) for o in owners)
        uses: dict[str, list] = {o: [] for o in owners}
        for i, (layer, srcs) in enumerate(self.nodes):
            for j, s in enumerate(srcs):
                uses[s].append((i, j))
        for o in owners:
            if o != self.out_owner and not uses[o]:
                raise ValueError(f"layer {o}: its output is never used (dead branch)")
        if uses[self.out_owner]:
            raise ValueError(f"{g.name}: the output stream of {self.out_owner} is also read by other layers")
        main = {o: (IN_PORT if o == g.input.name else OUT_PORT if o == self.out_owner else "s_" + ids[o])
                for o in owners}
        streams, calls, configs, fanout = [], [], [], {}
        read_stream: dict[tuple, str] = {}
        for o in owners:
            if main[o] not in (IN_PORT, OUT_PORT):
                streams.append(Stream(main[o], tname[o], fifo, comment(f"output of {o}")))
            if len(uses[o]) == 1:
                read_stream[uses[o][0]] = main[o]
            elif len(uses[o]) > 1:
                fanout[o] = self._fanout(o, uses[o], tname[o], main[o], read_stream, streams, configs, fifo)
        depth = self._join_depths(read_stream, fifo)
        streams = [replace(s, depth=depth.get(s.name, s.depth)) for s in streams]
        weight_files, pragmas = [], []
        calls.extend(fanout.pop(g.input.name, ()))
        for i, (layer, srcs) in enumerate(self.nodes):
            out = self.owner[layer.name] if layer.name not in self.fused else self.fused[layer.name].name
            names = _Names(config="config_" + ids[layer.name], res_t=tname[out], dst=main[out],
                           data_ts=tuple(tname[s] for s in srcs),
                           srcs=tuple(read_stream[(i, j)] for j in range(len(srcs))),
                           w="w_" + ids[layer.name], b="b_" + ids[layer.name])
            conf, call = self._node(layer, srcs, names, weight_files, pragmas)
            configs.append(conf)
            calls.append(call)
            calls.extend(fanout.pop(out, ()))
        return self._project(typedefs, configs, weight_files, streams, calls, pragmas, tname)

    def _node(self, layer, srcs, names, weight_files, pragmas):
        g, lc = self.g, self.cfg[layer.name]
        in_shape = self.sshape[srcs[0]]
        kind = layer.kind
        if kind in ("conv", "dense"):
            relu = self.fused.get(layer.name)
            arrays = vm_weights.layer_arrays(g, layer, lc, names.w, names.b)
            weight_files.append(WeightFile(f"firmware/weights/{names.w}.cpp", comment(layer.name), arrays))
            mems = self.memories.get(layer.name, {})
            pragmas.extend(vm_weights.storage_pragmas(self.tool, names.w, mems.get("weights"), arrays[0].size))
            if lc.bias is not None:
                pragmas.extend(vm_weights.storage_pragmas(self.tool, names.b, mems.get("biases"), arrays[1].size))
            self.rows[layer.name] = ("conv1x1" if kind == "conv" and layer.kernel == (1, 1) and layer.padding == (0, 0)
                                     else "conv2d" if kind == "conv" else "dense") + (" + ReLU" if relu else "")
            if kind == "conv":
                return L.conv(layer, lc, relu, in_shape, g.shape(layer.name), names)
            return L.dense(layer, lc, relu, in_shape, names)
        if layer.wiring:
            self.rows[layer.name] = "type cast (1x1 max pool)"
            return L.cast(layer, lc, in_shape, names)
        self.rows[layer.name] = {"maxpool": "max_pool2d", "avgpool": "avg_pool2d", "gap": "global_avg_pool",
                                 "concat": "concat", "add": "add"}.get(kind, kind)
        if kind in ("maxpool", "avgpool"):
            return L.pool(layer, lc, in_shape, g.shape(layer.name), names, average=kind == "avgpool")
        if kind == "gap":
            return L.gap(layer, lc, in_shape, names)
        if kind in ("concat", "add") and len(srcs) != 2:
            raise ValueError(f"layer {layer.name}: {kind} of {len(srcs)} inputs is not supported (two only)")
        if kind == "concat":
            return L.concat(layer, [self.sshape[s] for s in srcs], names)
        if kind == "add":
            return L.add(layer, in_shape, names)
        raise ValueError(f"layer {layer.name}: kind {kind!r} has no HLS kernel")

    def _fanout(self, o, use_list, t, src, read_stream, streams, configs, fifo):
        """split chain: one copy per reader of owner `o`; returns the split calls."""
        base = "f_" + self.ids[o]
        conf = "fanout_" + self.ids[o]
        configs.append(L.split_config(conf, o, self.sshape[o]))
        calls, cur, k = [], src, len(use_list)
        for n, use in enumerate(use_list[:-1], start=1):
            a = f"{base}_{n}"
            b = f"{base}_{k}" if n == k - 1 else f"{base}_r{n}"
            streams.append(Stream(a, t, fifo, comment(f"copy {n} of {o}")))
            if n == k - 1:
                streams.append(Stream(b, t, fifo, comment(f"copy {k} of {o}")))
                read_stream[use_list[-1]] = b
            else:
                streams.append(Stream(b, t, fifo, comment(f"remaining copies of {o}")))
            read_stream[use] = a
            calls.append(L.split_call(o, t, conf, cur, a, b, n))
            cur = b
        return calls

    def _join_depths(self, read_stream, fifo) -> dict[str, int]:
        depth = {}
        for i, (layer, srcs) in enumerate(self.nodes):
            if layer.kind not in ("concat", "add"):
                continue
            lags = [self.lag[s] for s in layer.inputs]
            for j, s in enumerate(srcs):
                extra = max(lags) - lags[j]
                if extra > 0:
                    depth[read_stream[(i, j)]] = max(fifo, (extra + 1) * self.sshape[s][0])
        return depth

    def _project(self, typedefs, configs, weight_files, streams, calls, pragmas, tname) -> ProjectView:
        g, cfg = self.g, self.cfg
        hw = cfg.hardware
        tool_name, cmd, std, solution_opts = TOOLS[self.tool]
        clock = float(hw["clock_mhz"])
        inp, out = g.input.name, self.out_owner
        rows = tuple(LayerRow(comment(l.name), l.kind, "x".join(map(str, g.shape(l.name))), str(cfg[l.name].result),
                              comment(self.rows.get(l.name, ""))) for l in g.layers)
        return ProjectView(
            model=comment(g.name), top=self.top, tool_name=tool_name, tool_command=cmd, cxx_std_hls=std,
            cxx_std_flags=" ".join(cpp.STD_FLAGS), cxx_opt_flags=" ".join(cpp.OPT_FLAGS), solution_options=solution_opts,
            part=str(hw["part"]), clock_mhz=f"{clock:g}", clock_period_ns=f"{1000.0 / clock:g}",
            input=_port(IN_PORT, tname[inp], cfg[inp].result, self.sshape[inp]),
            output=_port(OUT_PORT, tname[out], cfg[out].result, self.sshape[out]),
            typedefs=typedefs, configs=tuple(configs), weight_files=tuple(weight_files),
            streams=tuple(streams), calls=tuple(calls), pragmas=tuple(pragmas),
            layers=rows, memory_json=self.memory_json)


def _port(name, tname, t, shape) -> Port:
    c, h, w = shape
    return Port(name, tname, str(t), c * h * w, f"{c}x{h}x{w}", t.width, "true" if t.signed else "false")

