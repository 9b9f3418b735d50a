"""Memory sizes as text: parse a budget (`10MiB`, `10MB`, `80Mb`, `4.5MiB`, `512KiB`, `1000000`) and
format bit counts.

Units (case matters only for b = bit vs B = byte): B; KB/MB/GB = 10^3/10^6/10^9 bytes; KiB/MiB/GiB =
2^10/2^20/2^30 bytes; b (bits); Kb/Mb/Gb = 10^3/10^6/10^9 bits; Kib/Mib/Gib = 2^10/2^20/2^30 bits.
A plain number is bytes. The value may have a decimal fraction; the result must be a whole number of
bits. `k` is accepted for `K`.
"""
from __future__ import annotations

import re
from fractions import Fraction
from hwsim.util.errors import InputError

DEFAULT_BUDGET = "10MiB"

_PREFIX = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([kKMG]i?)?([bB])?\s*$")
_ACCEPTED = "e.g. 10MiB, 10MB (decimal), 80Mb (megabits), 4.5MiB, 512KiB or a plain number of bytes"


def parse_size(text) -> int:
    """Bits denoted by a size text (see the module doc). Raises ValueError on anything else."""
    if not isinstance(text, str):
        raise InputError(f"budget {text!r} is not a size text; {_ACCEPTED}")
    m = _SIZE_RE.match(text)
    if not m and _SIZE_RE.match(text.strip().lstrip("-")):
        raise InputError(f"budget {text!r} must be positive")
    if not m:
        raise InputError(f"budget {text!r} is not a size; {_ACCEPTED}")
    number, prefix, unit = m.groups()
    prefix = (prefix or "").replace("k", "K")
    if unit is None and prefix:
        raise InputError(f"budget {text!r}: say B (bytes) or b (bits) after {prefix!r}; {_ACCEPTED}")
    value = Fraction(number) * _PREFIX[prefix] * (1 if unit == "b" else 8)
    if value.denominator != 1:
        raise InputError(f"budget {text!r} is not a whole number of bits")
    bits = int(value)
    if bits <= 0:
        raise InputError(f"budget {text!r} must be positive")
    return bits


def format_bits(bits: int) -> str:
    """Bits as the largest binary byte unit that keeps it >= 1: '1.23 MiB', '512.0 KiB', '12 B'."""
    nbytes = bits / 8
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.2f} {unit}"
    return f"{nbytes:g} B"


def format_budget(bits: int) -> str:
    """A budget as a short size: exact binary units when they divide it, else format_bits."""
    if bits % 8 == 0:
        nbytes = bits // 8
        for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
            if nbytes % scale == 0:
                return f"{nbytes // scale} {unit}"
            if nbytes >= scale and (nbytes * 100) % scale == 0:
                return f"{nbytes / scale:g} {unit}"
    return format_bits(bits)
