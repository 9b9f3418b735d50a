"""IR + resolved config -> ProjectView (plain records for the templates), by printing the hardware plan.

The design is one DATAFLOW region: one kernel call per unit of hwsim.hw.pipeline's plan, in plan
order, connected by the plan's streams (beats of `width` values, FIFO depth in beats). Everything
architectural (fusion, wiring, fan-out, width converters, folding, FIFO depths, memory styles)
comes from the plan; this module only names things and lays out the weights
(hwsim.backends.hls.vm_weights). The plan is written as plan.json and the memory estimate of the
same plan as memory.json.
"""
from __future__ import annotations

import json

from hwsim.util import toolchain as cpp
from hwsim.hw import estimate as hw_estimate
from hwsim.hw import pipeline
from hwsim.spec import devices
from hwsim.spec.config import Config
from hwsim.ir.graph import Graph
from hwsim.backends.hls import vm_layers as L
from hwsim.backends.hls import vm_weights
from hwsim.backends.hls.idents import comment, ident, unique_idents
from hwsim.backends.hls.vm_types import LayerRow, Port, ProjectView, Stream, TypeDef, WeightFile
from hwsim.util.errors import InputError
from hwsim.backends.options import TOOLS

IN_PORT, OUT_PORT = "input_stream", "output_stream"


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
    return _View(graph, config, tool).view()


def device_of(config: Config):
    name = config.hardware.get("device")
    return devices.get(name) if name is not None else None


class _View:
    def __init__(self, graph: Graph, config: Config, tool: str):
        self.g, self.cfg, self.tool = graph, config, tool
        self.dev = device_of(config)
        self.plan = pipeline.build(graph, config, self.dev)
        self.ids = unique_idents(graph.names())                         # t_, w_, b_ <layer>
        self.unit_ids = unique_idents([u.name for u in self.plan.units])   # config_ <unit>
        self.stream_ids = unique_idents([s.name for s in self.plan.streams])   # s_ <stream>

    def _beat(self, stream) -> str:
        return f"hwsim::beat<t_{self.ids[stream.carrier]}, {stream.width}>"

    def _sname(self, s) -> str:
        if s.name == self.plan.input_stream:
            return IN_PORT
        if s.name == self.plan.output_stream:
            return OUT_PORT
        return "s_" + self.stream_ids[s.name]

    def view(self) -> ProjectView:
        g, cfg, plan = self.g, self.cfg, self.plan
        st = {s.name: s for s in plan.streams}
        carriers = sorted({s.carrier for s in plan.streams}, key=g.names().index)
        typedefs = tuple(TypeDef("t_" + self.ids[o], str(cfg[o].result), comment(o)) for o in carriers)
        streams = tuple(Stream(self._sname(s), self._beat(s), s.depth,
                               comment(f"stream {s.name}: {s.carrier}, {s.width} per beat, {s.role}"))
                        for s in plan.streams if s.name not in (plan.input_stream, plan.output_stream))
        configs, calls, weight_files, pragmas = [], [], [], []
        for i, u in enumerate(plan.units):
            struct = "config_" + self.unit_ids[u.name]
            lc = cfg[u.layer]
            configs.append(L.config_struct(u, struct, i, lc))
            ins = [st[s] for s in u.inputs]
            outs = [st[s] for s in u.outputs]
            weights = None
            if u.kind in ("mvau", "dwu"):
                weights = self._weights(u, lc, ins[0], weight_files, pragmas)
            calls.append(L.call(u, struct, [self._beat(s) for s in ins], self._beat(outs[0]),
                                [self._sname(s) for s in ins], [self._sname(s) for s in outs], weights))
        report = hw_estimate.estimate(g, cfg, arch="stream", device=self.dev)
        return self._project(typedefs, configs, weight_files, streams, calls, pragmas, st,
                             json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n")

    def _weights(self, u, lc, src, weight_files, pragmas):
        layer = self.g.layer(u.layer)
        w_name, b_name = "w_" + self.ids[u.layer], "b_" + self.ids[u.layer]
        c, h, w = self._streamed_shape(layer)
        arrays = vm_weights.layer_arrays(self.g, layer, lc, u, (c, h, w), w_name, b_name)
        weight_files.append(WeightFile(f"firmware/weights/{w_name}.cpp", comment(u.layer), arrays))
        mems = {m.role: m for m in u.memories}
        pragmas.extend(vm_weights.storage_pragmas(self.tool, w_name, mems["weights"], u.kind == "mvau",
                                                  dict(u.fields).get("simd", 1) if u.kind == "dwu" else 1))
        pragmas.extend(vm_weights.storage_pragmas(self.tool, b_name, mems.get("biases", mems["weights"]), False))
        return (w_name, b_name)

    def _streamed_shape(self, layer):
        src = layer.inputs[0]
        while self.g.layer(src).wiring:
            src = self.g.layer(src).inputs[0]
        return self.g.shape(src)

    def _project(self, typedefs, configs, weight_files, streams, calls, pragmas, st, memory_json) -> ProjectView:
        g, cfg, plan = self.g, self.cfg, self.plan
        hw = cfg.hardware
        tool_name, cmd, std, solution_opts = TOOLS[self.tool]
        clock = float(hw["clock_mhz"])
        notes = {p.name: p.note or ", ".join(L.kernel(u).split("::")[-1] for u in p.units) for p in plan.layers}
        rows = tuple(LayerRow(comment(l.name), l.kind, "x".join(map(str, g.shape(l.name))), str(cfg[l.name].result),
                              comment(notes.get(l.name, ""))) for l in g.layers)
        s_in, s_out = st[plan.input_stream], st[plan.output_stream]
        return ProjectView(
            model=comment(g.name), top="top_" + ident(g.name), tool_name=tool_name, tool_command=cmd,
            cxx_std_hls=std, cxx_std_flags=" ".join(cpp.STD_FLAGS), cxx_opt_flags=" ".join(cpp.OPT_FLAGS),
            solution_options=solution_opts, part=str(hw["part"]), clock_mhz=f"{clock:g}",
            clock_period_ns=f"{1000.0 / clock:g}",
            input=_port(IN_PORT, self._beat(s_in), cfg[s_in.carrier].result, g.input_shape, s_in.width),
            output=_port(OUT_PORT, self._beat(s_out), cfg[s_out.carrier].result, g.output_shape, s_out.width),
            typedefs=typedefs, configs=tuple(configs), weight_files=tuple(weight_files),
            streams=streams, calls=tuple(calls), pragmas=tuple(pragmas), layers=rows, memory_json=memory_json,
            plan_json=json.dumps(plan.to_dict(), indent=2, sort_keys=True) + "\n", kernels=len(plan.units))


def _port(name, beat, t, shape, width) -> Port:
    c, h, w = shape
    return Port(name, beat, str(t), c * h * w, f"{c}x{h}x{w}", t.width, "true" if t.signed else "false", width)
