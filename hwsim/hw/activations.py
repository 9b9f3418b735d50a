"""Activation storage for the two architectures.

A word is one value at the type of the layer that produces it (config result type; the network input
at `precision.input`). C x H x W is a feature map; W_p = W + 2 x padding.

stream (dataflow, one stage per layer; dropout and flatten are wiring, not stages):
- FIFO on every edge producer -> consumer: `hardware.fifo_depth` (default 2) pixels deep, one pixel =
  C words (hls4ml io_stream moves one array<T, C> per beat; equivalently C scalar FIFOs of that
  depth): fifo_depth x C x width bits, a memory of width C x width and depth fifo_depth.
- Sliding windows (conv and pools with a kernel larger than 1x1): (K_h - 1) line buffers, each W_p
  pixels of C words (hls4ml nnet_conv_stream.h: `ap_shift_reg<data_T, in_width> line_buffer
  [filt_height-1][n_chan]`, with the zero padding applied before the window as hls4ml's io_stream
  padding layer does), plus a K_h x K_w x C window in registers.
- Branch skew at a merge (concat, add): a windowed layer emits output (r, c) only after input
  (r + K_h - 1 - p_h, c + K_w - 1 - p_w) arrived, i.e. d = (K_h-1-p_h) x W_out + (K_w-1-p_w) pixels
  late (clamped at 0; exact for stride 1). Delays add along a path; at a merge each input that is
  D pixels ahead of the slowest input needs a buffer of D pixels x its C words. In a fire module the
  expand3x3 branch (3x3, pad 1) is W + 1 pixels late, so the expand1x1 output waits in a
  (W + 1) x C_e1 buffer (pad x W + pad pixels); the identity path of a bypass waits for the whole
  fire module the same way.
- Global average pool: C accumulators of the layer's accum type, in registers.
- Dense: the whole input vector (n_in words) is held while the products are formed (hls4ml's stream
  dense reads its input into an array first).

layer (one engine runs the layers in turn; feature maps stay on chip; liveness analysis):
- Every layer writes a buffer that lives from its producer's step to its last consumer's step. ReLU,
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

IN_PLACE = ("relu", "dropout", "flatten")
WINDOWED = ("conv", "maxpool", "avgpool")


def _source(graph: Graph, name: str) -> str:
    layer = graph.layer(name)
    while layer.wiring:
        layer = graph.layer(layer.inputs[0])
    return layer.name


def _window(layer) -> tuple[tuple[int, int], tuple[int, int]] | None:
    if layer.kind in WINDOWED and tuple(layer.kernel) != (1, 1):
        return tuple(layer.kernel), tuple(layer.padding)
    return None


def layer_delay(graph: Graph, layer) -> int:
    """Pixels of its own output by which a windowed layer lags its input (module doc)."""
    win = _window(layer)
    if win is None:
        return 0
    (kh, kw), (ph, pw) = win
    ow = graph.shape(layer.name)[2]
    return max(0, kh - 1 - ph) * ow + max(0, kw - 1 - pw)


def stream_buffers(graph: Graph, config: Config, fifo_depth: int,
                   device: Device | None = None) -> dict[str, tuple[MemoryMap, ...]]:
    """Activation memories of each stage of the stream architecture (module doc)."""
    out: dict[str, tuple[MemoryMap, ...]] = {}
    delay: dict[str, int] = {}
    for layer in graph.layers:
        name = layer.name
        if layer.kind == "input" or layer.wiring:
            delay[name] = 0 if layer.kind == "input" else delay[layer.inputs[0]]
            out[name] = ()
            continue
        lc = config[name]
        mems = []
        srcs = [_source(graph, s) for s in layer.inputs]
        shapes = graph.in_shapes(layer)
        widths = [t.width for t in lc.inputs]
        for src, (c, _, _), w in zip(srcs, shapes, widths):
            mems.append(map_memory(f"fifo from {src}", c * w, fifo_depth, "auto", device))
        win = _window(layer)
        if win is not None:
            (kh, kw), (_, pw) = win
            c, _, wd = shapes[0]
            if kh > 1:
                mems.append(map_memory("line buffer", c * widths[0], wd + 2 * pw, "auto", device,
                                       count=kh - 1))
            mems.append(map_memory("window", c * widths[0], kh * kw, "reg", device))
        here = max(delay[s] for s in srcs)
        if layer.kind in ("concat", "add"):
            for src, (c, _, _), w in zip(srcs, shapes, widths):
                lag = here - delay[src]
                if lag > 0:
                    mems.append(map_memory(f"skew for {src}", c * w, lag, "auto", device))
        if layer.kind == "gap":
            mems.append(map_memory("accumulators", lc.accum.width, shapes[0][0], "reg", device))
        if layer.kind == "dense":
            mems.append(map_memory("input vector", widths[0], math.prod(shapes[0]), "auto", device))
        delay[name] = here + layer_delay(graph, layer)
        out[name] = tuple(mems)
    return out


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
