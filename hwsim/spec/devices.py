"""FPGA device catalog: on-chip memory blocks, URAM and DSP counts, with the source of every row.

Counts are per device (not per board). Xilinx parts count BRAM18K blocks (one BRAM36 = two BRAM18),
UltraRAM blocks (72 x 4096, 288 Kb) and DSP48 slices (DSP48E1 in 7-series, DSP48E2 in UltraScale and
UltraScale+). Intel parts have no BRAM18: their memories are M20K blocks (20 Kb: 16Kx1, 8Kx2, 4Kx5,
2Kx10, 1Kx20, 512x40), and `hwsim.hw.estimate` maps every memory onto M20K geometry for them and reports
M20K counts where Xilinx parts report BRAM18 counts. Intel DSP counts are variable-precision DSP blocks
(one 27x27 or two 18x19 products each).

Sources (datasheet family per row): Xilinx DS190 (Zynq-7000 SoC overview), DS891 (Zynq UltraScale+
MPSoC overview), DS890 (UltraScale architecture and product overview), DS965 (Alveo U50), DS962
(Alveo U200/U250), DS963 (Alveo U280); Intel Arria 10 device overview (A10-OVERVIEW) and Stratix 10
GX/SX device overview (S10-OVERVIEW). `part` is the part string to give Vivado / Vitis HLS, chosen
as the device on its usual evaluation board (named in `board`); Intel rows have none.

Lookup (`get`) is case-insensitive and ignores '-', '_', ' ' and '.'; it accepts the name, any alias
(board names, bare part numbers such as `7020` or `xc7z020`) and full Xilinx part strings such as
`xczu9eg-ffvb1156-2-e`.
"""
from __future__ import annotations

from dataclasses import dataclass
from hwsim.util.errors import InputError

# (width, depth) modes of one memory block, widest first (simple dual port).
BRAM18_MODES = ((36, 512), (18, 1024), (9, 2048), (4, 4096), (2, 8192), (1, 16384))   # UG573
M20K_MODES = ((40, 512), (20, 1024), (10, 2048), (5, 4096), (2, 8192), (1, 16384))    # Intel M20K
URAM_MODE = (72, 4096)                                                                   # UG573


@dataclass(frozen=True)
class Device:
    name: str
    vendor: str              # "xilinx" | "intel"
    family: str
    bram18: int              # BRAM18K blocks (Xilinx) or M20K blocks (Intel)
    uram: int                # UltraRAM blocks (0 when the family has none)
    dsp: int
    part: str | None         # HLS part string (Xilinx only)
    board: str
    source: str
    aliases: tuple[str, ...] = ()
    dsp_operands: tuple[int, int] = (27, 18)   # widest signed product one DSP computes
    lut: int | None = None   # CLB LUTs (Xilinx; the same data sheets); None where not given (Intel: ALMs)

    @property
    def block_kind(self) -> str:
        return "M20K" if self.vendor == "intel" else "BRAM18"

    @property
    def block_modes(self) -> tuple[tuple[int, int], ...]:
        return M20K_MODES if self.vendor == "intel" else BRAM18_MODES

    @property
    def block_bits(self) -> int:
        return 20480 if self.vendor == "intel" else 18432

    @property
    def block_total_bits(self) -> int:
        """Capacity of all memory blocks (BRAM18 or M20K), in bits."""
        return self.bram18 * self.block_bits

    @property
    def uram_total_bits(self) -> int:
        return self.uram * URAM_MODE[0] * URAM_MODE[1]

    def to_dict(self) -> dict:
        return {"name": self.name, "vendor": self.vendor, "family": self.family,
                "block_kind": self.block_kind, "bram18": self.bram18, "uram": self.uram,
                "dsp": self.dsp, "lut": self.lut, "part": self.part, "board": self.board, "source": self.source}


_DS190 = "Xilinx DS190 Zynq-7000 SoC Data Sheet: Overview"
_DS891 = "Xilinx DS891 Zynq UltraScale+ MPSoC Data Sheet: Overview"
_DS890 = "Xilinx DS890 UltraScale Architecture and Product Data Sheet: Overview"

DEVICES: tuple[Device, ...] = (
    Device("Zynq-7020", "xilinx", "Zynq-7000", 280, 0, 220, "xc7z020clg400-1", "PYNQ-Z2 / ZedBoard",
           _DS190, ("7020", "xc7z020", "z7020", "pynqz2", "pynqz1", "zedboard"), (25, 18), lut=53_200),
    Device("Zynq-7045", "xilinx", "Zynq-7000", 1090, 0, 900, "xc7z045ffg900-2", "ZC706",
           _DS190, ("7045", "xc7z045", "z7045", "zc706"), (25, 18), lut=218_600),
    Device("ZU3EG", "xilinx", "Zynq UltraScale+", 432, 0, 360, "xczu3eg-sbva484-1-e", "Ultra96",
           _DS891, ("xczu3eg", "zu3", "ultra96"), lut=70_560),
    Device("ZU7EV", "xilinx", "Zynq UltraScale+", 624, 96, 1728, "xczu7ev-ffvc1156-2-e", "ZCU104",
           _DS891, ("xczu7ev", "zu7", "zcu104"), lut=230_400),
    Device("ZU9EG", "xilinx", "Zynq UltraScale+", 1824, 0, 2520, "xczu9eg-ffvb1156-2-e", "ZCU102",
           _DS891, ("xczu9eg", "zu9", "zcu102"), lut=274_080),
    Device("KU115", "xilinx", "Kintex UltraScale", 4320, 0, 5520, "xcku115-flvb2104-2-e", "KCU1500",
           _DS890, ("xcku115", "kintexku115", "kcu1500"), lut=663_360),
    Device("VU9P", "xilinx", "Virtex UltraScale+", 4320, 960, 6840, "xcvu9p-flga2104-2L-e", "VCU118",
           _DS890, ("xcvu9p", "vcu118"), lut=1_182_240),
    Device("Alveo U50", "xilinx", "Alveo (UltraScale+)", 2688, 640, 5952, "xcu50-fsvh2104-2-e",
           "Alveo U50", "Xilinx DS965 Alveo U50 Data Center Accelerator Card Data Sheet",
           ("u50", "xcu50"), lut=872_000),
    Device("Alveo U250", "xilinx", "Alveo (UltraScale+)", 5376, 1280, 12288, "xcu250-figd2104-2L-e",
           "Alveo U250", "Xilinx DS962 Alveo U200 and U250 Data Center Accelerator Cards Data Sheet",
           ("u250", "xcu250"), lut=1_728_000),
    Device("Alveo U280", "xilinx", "Alveo (UltraScale+)", 4032, 960, 9024, "xcu280-fsvh2892-2L-e",
           "Alveo U280", "Xilinx DS963 Alveo U280 Data Center Accelerator Card Data Sheet",
           ("u280", "xcu280"), lut=1_304_000),
    Device("Arria 10 GX1150", "intel", "Arria 10", 2713, 0, 1518, None, "Arria 10 GX FPGA Development Kit",
           "Intel Arria 10 Device Overview (A10-OVERVIEW), GX 1150 column",
           ("arria10", "a10", "gx1150", "10ax115", "arria10gx1150"), (27, 27)),
    Device("Stratix 10 GX2800", "intel", "Stratix 10", 11721, 0, 5760, None, "Stratix 10 GX FPGA Development Kit",
           "Intel Stratix 10 GX/SX Device Overview (S10-OVERVIEW), GX 2800 column",
           ("stratix10", "s10", "gx2800", "1sg280", "stratix10gx2800"), (27, 27)),
)


def _norm(text: str) -> str:
    return "".join(ch for ch in str(text).lower() if ch not in "-_ .")


def _index() -> dict[str, Device]:
    out: dict[str, Device] = {}
    for d in DEVICES:
        for key in (d.name, *d.aliases) + ((d.part,) if d.part else ()):
            out[_norm(key)] = d
    return out


_INDEX = _index()


def names() -> list[str]:
    """The catalog's device names."""
    return [d.name for d in DEVICES]


def get(name: str | Device) -> Device:
    """A device by name, alias or Xilinx part string (case-insensitive)."""
    if isinstance(name, Device):
        return name
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"device must be a non-empty name, got {name!r}; valid names: {', '.join(names())}")
    key = _norm(name)
    if key in _INDEX:
        return _INDEX[key]
    # a full part string: xczu9eg-ffvb1156-2-e -> the device whose bare part number starts it
    for d in DEVICES:
        for alias in d.aliases:
            if alias.startswith("xc") and key.startswith(alias):
                return d
    raise InputError(f"unknown device {name!r}; valid names: {', '.join(names())} "
                     "(aliases such as zcu102, 7020, xc7z020, u250 also work)")
