"""Compute estimate per layer from the same parallelism as the weight memories (estimates, not
synthesis results).

- Multipliers: a conv or dense layer with n_w weights and reuse factor RF has ceil(n_w / RF)
  multipliers (hls4ml's block_factor): each performs RF products per output pixel.
- DSPs per multiplier, from the operand widths a (the layer's input type) and b (its weight type):
  products with one operand of at most 4 bits and the other of at most 8 bits are built in LUTs
  (0 DSP, as Vivado does for small products); otherwise one DSP takes a signed p x q product, with
  (p, q) = (27, 18) for DSP48E2 (UltraScale, UltraScale+; also the default without a device),
  (25, 18) for DSP48E1 (7-series, Zynq-7000) and (27, 27) for an Intel variable-precision DSP block;
  wider products are split into ceil(a/p) * ceil(b/q) DSPs (the cheaper orientation), e.g. a 32 x 32
  product takes 4 DSP48E2.
- Cycles per image (one pixel = all channels of one spatial position, as hls4ml io_stream):
  conv: max(output pixels x RF, input pixels); dense: RF; pools, ReLU, concat, add and global
  average pool: one input pixel per cycle (the largest input); dropout and flatten: none (wiring).
- stream architecture: every layer is its own stage, all run concurrently: DSPs add up; the
  throughput is set by the slowest stage (the bottleneck): fps = clock / max cycles.
- layer architecture: one engine sized for the largest layer runs the layers in turn: DSPs = the
  largest layer's; fps = clock / sum of cycles.
"""
from __future__ import annotations

import math

from hwsim.spec.devices import Device
from hwsim.ir.graph import Graph, Layer

LUT_PRODUCT = (4, 8)          # <= 4-bit x <= 8-bit products go to LUTs
DEFAULT_DSP_OPERANDS = (27, 18)


def multipliers(graph: Graph, layer: Layer, reuse_factor: int) -> int:
    if layer.kind not in ("conv", "dense"):
        return 0
    n_w = math.prod(graph.weight_shapes(layer)["weight"])
    return math.ceil(n_w / reuse_factor)


def dsp_per_multiplier(a_bits: int, b_bits: int, device: Device | None = None) -> int:
    """DSP blocks for one a x b signed product (module doc)."""
    small, large = sorted((a_bits, b_bits))
    if small <= LUT_PRODUCT[0] and large <= LUT_PRODUCT[1]:
        return 0
    p, q = device.dsp_operands if device is not None else DEFAULT_DSP_OPERANDS
    return min(math.ceil(a_bits / p) * math.ceil(b_bits / q), math.ceil(a_bits / q) * math.ceil(b_bits / p))


def cycles(graph: Graph, layer: Layer, reuse_factor: int = 1) -> int:
    """Estimated cycles per image for one layer (module doc)."""
    if layer.kind == "input" or layer.wiring:
        return 0
    in_px = max(h * w for _, h, w in graph.in_shapes(layer))
    if layer.kind == "conv":
        _, oh, ow = graph.shape(layer.name)
        return max(oh * ow * reuse_factor, in_px)
    if layer.kind == "dense":
        return reuse_factor
    return in_px
