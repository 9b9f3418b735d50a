"""Mapping one logical memory (width bits x depth words) onto physical on-chip memories.

Rules (and where they come from):
- BRAM18K (Xilinx UG573, simple dual port): aspect ratios 36x512, 18x1024, 9x2048, 4x4096, 2x8192,
  1x16384. A W x D memory in mode (w, d) takes ceil(W/w) * ceil(D/d) blocks; the mode with the fewest
  blocks is chosen (the widest mode on ties). FINN and fpgaConvNet count BRAM the same way.
- M20K (Intel, devices of that vendor): 40x512, 20x1024, 10x2048, 5x4096, 2x8192, 1x16384; same rule.
- URAM (UG573): 72 x 4096 (288 Kb) per block, ceil(W/72) * ceil(D/4096).
- LUTRAM: counted in bits (width x depth); a SLICEM LUT6 is a 64 x 1 RAM (or 32-deep SRL for FIFOs).
- Registers (flip-flops): window registers and accumulators, counted in bits.

ram_style (per layer in the config, applies to its weight memories):
- bram / uram / lutram: forced.
- auto: LUTRAM when the memory is at most LUTRAM_MAX_DEPTH (64) words deep -- one LUT6 column
  holds it, while a BRAM18 used at that depth is at most 1/8 full (36x512 is its shallowest mode) --
  or holds at most LUTRAM_MAX_BITS (1024) bits (fpgaConvNet's threshold); otherwise URAM when the
  device has URAM and the memory fills at least URAM_MIN_FILL (half) of the URAM blocks it takes --
  a URAM is 16 BRAM18s of capacity, so it only saves blocks for large, well-shaped memories such as
  the layer architecture's feature-map pool (HLS tools likewise use URAM only when asked); otherwise
  BRAM18 (M20K on Intel devices). Without a device there is no URAM under auto.
Packing efficiency = logical bits / allocated bits (blocks x block capacity for BRAM/URAM, 1 for
LUTRAM and registers, which are counted exactly).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from hwsim.spec.devices import BRAM18_MODES, URAM_MODE, Device

LUTRAM_MAX_DEPTH = 64
LUTRAM_MAX_BITS = 1024
URAM_BITS = URAM_MODE[0] * URAM_MODE[1]
URAM_MIN_FILL = 0.5
STYLES = ("auto", "bram", "uram", "lutram", "reg")


def block_count(width: int, depth: int, modes=BRAM18_MODES) -> tuple[int, tuple[int, int]]:
    """(blocks, (mode_width, mode_depth)) for a width x depth memory: the mode with fewest blocks."""
    _check_dims(width, depth)
    best = None
    for mw, md in modes:
        n = math.ceil(width / mw) * math.ceil(depth / md)
        if best is None or n < best[0]:
            best = (n, (mw, md))
    return best


def uram_count(width: int, depth: int) -> int:
    _check_dims(width, depth)
    return math.ceil(width / URAM_MODE[0]) * math.ceil(depth / URAM_MODE[1])


def _check_dims(width, depth) -> None:
    for name, v in (("width", width), ("depth", depth)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"memory {name} must be a positive int, got {v!r}")


@dataclass(frozen=True)
class MemoryMap:
    """One logical memory (`count` identical copies of width x depth) and the primitives it takes."""
    role: str
    width: int
    depth: int
    count: int
    style: str             # what it mapped to: bram | uram | lutram | reg
    blocks: int = 0        # BRAM18 (or M20K) blocks, all copies
    uram: int = 0
    lutram_bits: int = 0
    reg_bits: int = 0
    mode: tuple[int, int] | None = None
    block_bits: int = 18432

    @property
    def bits(self) -> int:
        return self.width * self.depth * self.count

    @property
    def allocated_bits(self) -> int:
        return self.blocks * self.block_bits + self.uram * URAM_BITS + self.lutram_bits + self.reg_bits

    @property
    def efficiency(self) -> float:
        return self.bits / self.allocated_bits if self.allocated_bits else 1.0

    def to_dict(self) -> dict:
        return {"role": self.role, "width": self.width, "depth": self.depth, "count": self.count,
                "style": self.style, "bits": self.bits, "blocks": self.blocks, "uram": self.uram,
                "lutram_bits": self.lutram_bits, "reg_bits": self.reg_bits,
                "mode": list(self.mode) if self.mode else None,
                "efficiency": round(self.efficiency, 4)}


def map_memory(role: str, width: int, depth: int, style: str = "auto", device: Device | None = None,
               count: int = 1) -> MemoryMap:
    """Map `count` copies of a width x depth memory according to `style` (see the module rules)."""
    _check_dims(width, depth)
    if style not in STYLES:
        raise ValueError(f"{role}: ram style {style!r} is not one of {', '.join(STYLES)}")
    modes = device.block_modes if device is not None else BRAM18_MODES
    block_bits = device.block_bits if device is not None else 18432
    bits = width * depth
    if style == "auto":
        if depth <= LUTRAM_MAX_DEPTH or bits <= LUTRAM_MAX_BITS:
            style = "lutram"
        else:
            if (device is not None and device.uram > 0
                    and bits >= URAM_MIN_FILL * uram_count(width, depth) * URAM_BITS):
                style = "uram"
            else:
                style = "bram"
    if style == "reg":
        return MemoryMap(role, width, depth, count, "reg", reg_bits=bits * count, block_bits=block_bits)
    if style == "lutram":
        return MemoryMap(role, width, depth, count, "lutram", lutram_bits=bits * count, block_bits=block_bits)
    if style == "uram":
        return MemoryMap(role, width, depth, count, "uram", uram=uram_count(width, depth) * count,
                         mode=URAM_MODE, block_bits=block_bits)
    blocks, mode = block_count(width, depth, modes)
    return MemoryMap(role, width, depth, count, "bram", blocks=blocks * count, mode=mode,
                     block_bits=block_bits)
