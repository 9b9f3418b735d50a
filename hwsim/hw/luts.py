"""LUT estimate per unit of the hardware plan (an estimate, made before synthesis).

Terms (A = input value bits, W = weight bits, P = PE, S = SIMD):
- matrix-vector unit, FINN's `lut_estimation` (MatrixVectorActivation; FINN-R, Blott et al. 2018):
  300 + 1.1 x P x (multipliers + adder tree + accumulator), with
  multipliers = S x (2 ceil((A + W) / 6) - 1) x (A + W) when the product is built in LUTs
  (hwsim.hw.compute: at most 4 x 8 bits, or mult_style lut), 0 when a DSP takes it; adder tree =
  (A + W) x (2 S - 1); accumulator = accum_t's bits. Where hwsim differs: (1) products in DSPs add
  up in the DSPs' own post-adders (the DSP48 cascade a multiply-add chain maps to), so their adder
  tree costs no LUTs, while FINN counts it for every design; (2) FINN adds LUTRAM weights as its c2
  term and sizes the accumulator from the data-type bound; hwsim counts every LUTRAM memory of
  every unit by the rule below, and its accumulator is the configured (or lossless) accum_t.
- depthwise unit (FINN's VVAU): the matrix-vector unit's formula at SIMD 1 (PE lanes of one product,
  no adder tree, an accumulator each): 300 + 1.1 x P x (multiplier + accumulator).
- memories: a LUTRAM memory takes width x ceil(depth / 64) LUTs per copy (a LUT6 is a 64 x 1 RAM);
  a FIFO at most 32 deep is a shift register, width x ceil(depth / 32) (SRL32). Block RAM, URAM
  and registers take none.
- sliding window: 200 (address counters and the step control) + S x A (the pad-or-buffer mux).
- pools: 100 + P x A (max: a comparator and a mux per bit) or 100 + 3 x P x accum bits (average:
  the adder, and the division by a constant as shift-and-add); global average pool the same as an
  average pool; concat, cast: 50 + P x bits (a mux / the rounding per lane); add: 50 + P x (bits + 1);
  split: 50; width converter: 50 + chunk x bits (a mux per register bit).
hwsim's own terms (all but the matrix-vector unit's) are rough and labelled so in the README; the
matrix-vector unit dominates wherever the products are in LUTs.
"""
from __future__ import annotations

import math

C0, C1 = 300, 1.1            # FINN-R fit for the matrix-vector unit
LUT6_DEPTH, SRL_DEPTH = 64, 32


def memory_luts(mem) -> int:
    if mem.style != "lutram":
        return 0
    per = SRL_DEPTH if mem.role.startswith(("fifo", "join fifo")) and mem.depth <= SRL_DEPTH else LUT6_DEPTH
    return mem.width * math.ceil(mem.depth / per) * mem.count


def mvau_luts(pe: int, simd: int, a_bits: int, w_bits: int, acc_bits: int, in_luts: bool) -> int:
    ab = a_bits + w_bits
    mult = simd * (2 * math.ceil(ab / 6) - 1) * ab if in_luts else 0
    tree = ab * (2 * simd - 1) if in_luts else 0
    return int(C0 + C1 * pe * (mult + tree + acc_bits))


def dwu_luts(pe: int, a_bits: int, w_bits: int, acc_bits: int, in_luts: bool, simd: int = 1) -> int:
    """PE lanes of `simd` products each, added one after the other into the lane's accumulator."""
    ab = a_bits + w_bits
    mult = (2 * math.ceil(ab / 6) - 1) * ab if in_luts else 0
    return int(C0 + C1 * pe * simd * (mult + acc_bits))


def swu_luts(simd: int, bits: int) -> int:
    return 200 + simd * bits


def pool_luts(pe: int, bits: int, acc_bits: int, average: bool) -> int:
    return 100 + (3 * pe * acc_bits if average else pe * bits)


def lane_luts(kind: str, pe: int, bits: int, chunk: int = 0) -> int:
    if kind == "split":
        return 50
    if kind == "add":
        return 50 + pe * (bits + 1)
    if kind == "convert":
        return 50 + chunk * bits
    return 50 + pe * bits
