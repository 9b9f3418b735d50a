"""Activation storage of the layer architecture (one engine, feature maps on chip).

A word is one value at the type of the layer that produces it (config result type; the network input
at `precision.input`). C x H x W is a feature map; W_p = W + 2 x padding.

The stream architecture's buffers (FIFOs, sliding-window buffers, accumulators) are part of each
layer's hardware plan (hwsim.hw.units, hwsim.hw.pipeline); this module holds the other model.

layer (one engine runs the layers in turn; feature maps stay on chip; liveness analysis):
- Every layer writes a buffer that lives from its producer's step to its last consumer's step. ReLU, ReLU6,
  dropout and flatten work in place when they are the only reader of their input. A concat costs no
  copy: its inputs (expand1x1 and expand3x3 in a fire module, through their ReLUs) write their
  channel ranges of one output buffer. The memory needed is the largest sum of live buffers at any
  step. For a chain this is the largest input + output pair (ping-pong buffers); in a fire module,
  while expand3x3 runs, the squeeze output and the whole concat output (the expand1x1 half is
  already written) are live, and a bypass keeps the fire input live too.
- The feature-map memory is one word-addressed pool of that many bits, 72 bits wide (one URAM or
  two BRAM18 in 36x512 mode side by side; 40 bits, the widest M20K mode, on Intel devices).
"""
from __future__ import annotations

import math

from hwsim.spec.config import Config
from hwsim.spec.devices import Device
from hwsim.ir.graph import Graph
from hwsim.hw.blocks import MemoryMap, map_memory

IN_PLACE = ("relu", "relu6", "dropout", "flatten")


def _bits(graph: Graph, config: Config, name: str) -> int:
    return math.prod(graph.shape(name)) * config[name].result.width


def layer_liveness(graph: Graph, config: Config) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
    """(live bits at each layer's step, buffers live at that step) for the layer architecture."""
    names = graph.names()
    index = {n: i for i, n in enumerate(names)}
    consumers = {n: [c.name for c in graph.consumers(n)] for n in names}
    member_of: dict[str, str] = {}
    for layer in graph.layers:
        if layer.kind != "concat":
            continue
        for x in layer.inputs:
            while x not in member_of:
                member_of[x] = layer.name
                lx = graph.layer(x)
                if lx.kind in IN_PLACE and len(consumers[lx.inputs[0]]) == 1:
                    x = lx.inputs[0]
                else:
                    break
    group: dict[str, str] = {}
    for layer in graph.layers:
        n = layer.name
        if n in member_of:
            group[n] = member_of[n]
        elif layer.kind in IN_PLACE and len(consumers[layer.inputs[0]]) == 1:
            group[n] = group[layer.inputs[0]]
        else:
            group[n] = n
    size: dict[str, int] = {}
    start: dict[str, int] = {}
    end: dict[str, int] = {}
    last = len(names) - 1
    for n in names:
        g = group[n]
        size[g] = max(size.get(g, 0), _bits(graph, config, n))
        if graph.layer(n).kind == "concat":
            size[g] = max(size[g], sum(_bits(graph, config, s) for s in graph.layer(n).inputs))
        start[g] = min(start.get(g, index[n]), index[n])
        reads = [index[c] for c in consumers[n]] + ([last] if n == names[-1] else [])
        end[g] = max([end.get(g, index[n]), index[n], *reads])
    live_bits: dict[str, int] = {}
    live_sets: dict[str, tuple[str, ...]] = {}
    for n in names:
        t = index[n]
        live = tuple(g for g in size if start[g] <= t <= end[g])
        live_bits[n] = sum(size[g] for g in live)
        live_sets[n] = live
    return live_bits, live_sets


def feature_pool(bits: int, device: Device | None) -> MemoryMap:
    """The layer architecture's feature-map pool as one memory (module doc)."""
    width = 40 if device is not None and device.vendor == "intel" else 72
    return map_memory("feature maps", width, max(1, math.ceil(bits / width)), "auto", device)
