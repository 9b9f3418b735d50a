"""The hardware plan: what the generated design is, per kernel instance, in one frozen record.

A `Unit` is one kernel call of the dataflow region: one pipelined loop (II=1 by construction, see
templates/kernels/hwsim_swu.h, hwsim_mvau.h, hwsim_stream.h) whose iteration count per image is `cycles`. A `LayerPlan` groups
the units that implement one layer of the graph (width converters, sliding window, matrix-vector
unit, fan-out splits). A `Stream` is one hls::stream between two units, `width` values per beat.
`NetworkPlan` is the whole design: the budget (hwsim.hw.estimate) sums it and the code generator
(hwsim.backends.hls) prints it; neither computes geometry of its own.

The rules that fill these records live in hwsim.hw.units (one function per kernel) and
hwsim.hw.pipeline (wiring, fusion, converters, fan-out and FIFO depths).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hwsim.hw.blocks import MemoryMap


@dataclass(frozen=True)
class Unit:
    kind: str                      # swu | mvau | pool | cast | gap | concat | add | split | convert
    name: str                      # unique within the network, "<layer>/<kind>[.<n>]"
    layer: str                     # the graph layer it implements (or feeds, for a converter)
    cycles: int                    # iterations of its pipelined loop per image
    in_widths: tuple[int, ...]     # values per beat of each input stream
    out_width: int                 # values per beat of its output stream(s)
    memories: tuple[MemoryMap, ...] = ()
    multipliers: int = 0
    dsp: int = 0
    fields: tuple[tuple[str, int | bool], ...] = ()   # the CONFIG_T constants of its kernel
    inputs: tuple[str, ...] = ()   # stream names read
    outputs: tuple[str, ...] = ()  # stream names written
    luts: int = 0                  # LUT estimate: logic and LUTRAM memories (hwsim.hw.luts)

    def field(self, name: str):
        for k, v in self.fields:
            if k == name:
                return v
        raise KeyError(f"{self.name} has no field {name!r}")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "layer": self.layer, "cycles": self.cycles,
                "in_widths": list(self.in_widths), "out_width": self.out_width,
                "multipliers": self.multipliers, "dsp": self.dsp, "luts": self.luts, "fields": dict(self.fields),
                "inputs": list(self.inputs), "outputs": list(self.outputs),
                "memories": [m.to_dict() for m in self.memories]}


@dataclass(frozen=True)
class Stream:
    name: str
    producer: str                  # a unit name, or "" for the top-level input
    consumer: str                  # a unit name, or "" for the top-level output
    carrier: str                   # the layer whose result type the values have
    width: int                     # values per beat
    bits: int                      # bits per value
    depth: int                     # beats
    pixels: int                    # pixels per image
    beats: int                     # beats per image
    role: str = "fifo"             # fifo | join (an input of a concat / add)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class LayerPlan:
    name: str
    kind: str
    pe: int                        # output values per beat (conv / dense: output channels in parallel)
    simd: int                      # input values per beat of its compute unit (1 for non-MAC layers)
    in_width: int                  # values per beat arriving (first input)
    out_width: int                 # values per beat leaving
    units: tuple[Unit, ...] = ()
    fifos: tuple[MemoryMap, ...] = ()   # the streams this layer's units read, as memories
    note: str = ""                 # how it is implemented (fused, wiring, ...)

    @property
    def cycles(self) -> int:
        return max((u.cycles for u in self.units), default=0)

    @property
    def multipliers(self) -> int:
        return sum(u.multipliers for u in self.units)

    @property
    def dsp(self) -> int:
        return sum(u.dsp for u in self.units)

    @property
    def memories(self) -> tuple[MemoryMap, ...]:
        return tuple(m for u in self.units for m in u.memories) + self.fifos

    @property
    def luts(self) -> int:
        from hwsim.hw.luts import memory_luts
        return sum(u.luts for u in self.units) + sum(memory_luts(m) for m in self.fifos)

    def unit(self, kind: str) -> Unit | None:
        return next((u for u in self.units if u.kind == kind), None)

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "pe": self.pe, "simd": self.simd,
                "in_values_per_beat": self.in_width, "out_values_per_beat": self.out_width,
                "cycles": self.cycles, "multipliers": self.multipliers, "dsp": self.dsp, "luts": self.luts,
                "note": self.note,
                "units": [u.to_dict() for u in self.units], "fifos": [m.to_dict() for m in self.fifos]}


@dataclass(frozen=True)
class NetworkPlan:
    model: str
    layers: tuple[LayerPlan, ...]
    units: tuple[Unit, ...]        # in call (topological) order
    streams: tuple[Stream, ...]
    input_stream: str
    output_stream: str
    owner: dict = field(default_factory=dict, compare=False)   # layer -> layer whose stream carries it
    timing: object = field(default=None, compare=False)        # hwsim.hw.fifo_depth.Sizing

    @property
    def latency(self) -> int | None:
        return self.timing.latency if self.timing is not None else None

    @property
    def interval(self) -> int | None:
        return self.timing.interval if self.timing is not None else None

    def layer_latency(self, name: str) -> int | None:
        """Modelled cycles from the layer's first move to its end of the first image."""
        if self.timing is None:
            return None
        spans = [self.timing.span[u.name] for u in self.layer(name).units if u.name in self.timing.span]
        return max(b for _, b in spans) - min(a for a, _ in spans) + 1 if spans else None

    def layer(self, name: str) -> LayerPlan:
        for p in self.layers:
            if p.name == name:
                return p
        raise KeyError(f"no layer named {name!r} in the plan")

    def stream(self, name: str) -> Stream:
        for s in self.streams:
            if s.name == name:
                return s
        raise KeyError(f"no stream named {name!r} in the plan")

    @property
    def bottleneck(self) -> Unit:
        return max(self.units, key=lambda u: u.cycles)

    def to_dict(self) -> dict:
        return {"schema": "hwsim.plan/1", "model": self.model,
                "bottleneck": {"unit": self.bottleneck.name, "layer": self.bottleneck.layer,
                               "cycles": self.bottleneck.cycles},
                "input_stream": self.input_stream, "output_stream": self.output_stream,
                "timing": self.timing.to_dict() if self.timing is not None else None,
                "calls": [u.name for u in self.units],
                "layers": [{**p.to_dict(), "latency": self.layer_latency(p.name)} for p in self.layers],
                "streams": [s.to_dict() for s in self.streams]}
