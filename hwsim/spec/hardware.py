"""The `hardware` section of a config: clock, HLS part, device and FIFO depths (the floor
`fifo_depth`, the `fifo_policy` rate | minimum, and `fifo_depths` fixed per stream; hwsim.hw.fifo_depth), resolved completely
when the config loads (the part from --part, else the document, else the device's Xilinx part,
else the default), so that the estimate and the generators read the same values."""
from __future__ import annotations

from typing import Mapping

from hwsim.util.errors import InputError

KEYS = {"clock_mhz", "part", "device", "fifo_depth", "fifo_policy", "fifo_depths"}
DEFAULTS = {"clock_mhz": 200.0, "part": "xczu9eg-ffvb1156-2-e", "device": None, "fifo_depth": 2,
            "fifo_policy": "rate", "fifo_depths": {}}
FIFO_POLICIES = ("rate", "minimum")


def resolve(given: Mapping, part: str | None = None, clock_ns: float | None = None) -> dict:
    """The complete hardware section from the document's `given` keys (already checked against
    KEYS) and the command line's --part and --clock (ns). A device without a Xilinx part (Intel)
    leaves `part` None: the estimate needs none, and HLS generation says so."""
    from hwsim.spec import devices
    hw = {**DEFAULTS, **given}
    if part is not None:
        if not isinstance(part, str) or not part.strip():
            raise InputError(f"--part must be a part name, got {part!r}")
        hw["part"] = part.strip()
    elif "part" not in given and hw.get("device"):
        hw["part"] = devices.get(hw["device"]).part
    if clock_ns is not None:
        if isinstance(clock_ns, bool) or not isinstance(clock_ns, (int, float)) or not clock_ns > 0:
            raise InputError(f"--clock must be a positive period in ns, got {clock_ns!r}")
        hw["clock_mhz"] = 1000.0 / float(clock_ns)
    if isinstance(hw["clock_mhz"], bool) or not isinstance(hw["clock_mhz"], (int, float)) or hw["clock_mhz"] <= 0:
        raise InputError(f"hardware.clock_mhz must be a positive number, got {hw['clock_mhz']!r}")
    if isinstance(hw["fifo_depth"], bool) or not isinstance(hw["fifo_depth"], int) or hw["fifo_depth"] < 1:
        raise InputError(f"hardware.fifo_depth must be a positive integer, got {hw['fifo_depth']!r}")
    if hw["fifo_policy"] not in FIFO_POLICIES:
        raise InputError(f"hardware.fifo_policy must be one of {', '.join(FIFO_POLICIES)}, got {hw['fifo_policy']!r}")
    depths = hw["fifo_depths"]
    if not isinstance(depths, Mapping):
        raise InputError(f"hardware.fifo_depths must map stream names to depths, got {depths!r}")
    for k, v in depths.items():
        if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError(f"hardware.fifo_depths.{k} must be a positive integer, got {v!r}")
    hw["fifo_depths"] = dict(sorted(depths.items()))
    return hw
