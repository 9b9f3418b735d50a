"""DSPs per multiplier (an estimate, not a synthesis result; multipliers and cycles are the plan's,
hwsim.hw.units).

- DSPs per multiplier, from the operand widths a (the layer's input type) and b (its weight type):
  products with one operand of at most 4 bits and the other of at most 8 bits are built in LUTs
  (0 DSP, as Vivado does for small products); otherwise one DSP takes a signed p x q product, with
  (p, q) = (27, 18) for DSP48E2 (UltraScale, UltraScale+; also the default without a device),
  (25, 18) for DSP48E1 (7-series, Zynq-7000) and (27, 27) for an Intel variable-precision DSP block;
  wider products are split into ceil(a/p) * ceil(b/q) DSPs (the cheaper orientation), e.g. a 32 x 32
  product takes 4 DSP48E2.
"""
from __future__ import annotations

import math

from hwsim.spec.devices import Device

LUT_PRODUCT = (4, 8)          # <= 4-bit x <= 8-bit products go to LUTs
DEFAULT_DSP_OPERANDS = (27, 18)


def dsp_per_multiplier(a_bits: int, b_bits: int, device: Device | None = None) -> int:
    """DSP blocks for one a x b signed product (module doc)."""
    small, large = sorted((a_bits, b_bits))
    if small <= LUT_PRODUCT[0] and large <= LUT_PRODUCT[1]:
        return 0
    p, q = device.dsp_operands if device is not None else DEFAULT_DSP_OPERANDS
    return min(math.ceil(a_bits / p) * math.ceil(b_bits / q), math.ceil(a_bits / q) * math.ceil(b_bits / p))
