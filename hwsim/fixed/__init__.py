"""Fixed-point types that behave exactly like Xilinx ap_fixed / ap_ufixed / ap_int / ap_uint.

Values are held as raw int64 mantissas: value = raw * 2**-frac. This package is the only place in
hwsim that rounds or overflows a number: the type here, its vectorised and numba kernels in
fast.py, and the literal header port in port.py.

Conversion semantics are those of the Xilinx headers (ap_fixed_base.h, ap_int_base.h):
- double -> ap_fixed: the double is read as a 54-bit signed mantissa with its exponent (the header
  always sets the implicit bit, so subnormals, inf and NaN become huge or tiny magnitudes with the
  double's sign), then assigned like any other fixed-point source.
- assignment (fixed -> fixed): one rounding over all dropped bits (mode `quant`), then overflow
  (mode `overflow`, with `sat_bits` = N for the WRAP modes), decided after rounding.
- ap_int / ap_uint: C-style conversion from double (magnitude truncated toward zero, then wrapped;
  the header turns a negative double in (-0.5, 0) into +1, reproduced here); from a fixed-point
  value: truncation toward zero and wrap-around, i.e. AP_TRN_ZERO / AP_WRAP, except that a negative
  source with I <= 0 gives -1 (the header's 1-bit integer part wraps; reproduced).
- AP_SAT_SYM saturates a signed type to [-max, max], except a 1-bit one, which keeps -1.
- Casts whose rounding would read a bit above the source's MSB (source F - target F > source W,
  in a mode that rounds) make the C simulation assert; hwsim returns what the header's logic means.

The literal port of the header's operator= and double constructors on Python integers lives in
hwsim/fixed/port.py and is the reference for every mode. The vectorised fast paths
(hwsim/fixed/fast.py) cover the common cases (any quantization mode with AP_SAT, AP_SAT_ZERO, AP_SAT_SYM or AP_WRAP with N = 0,
W <= 52) and are tested against the port and against C++ built with the real headers.
"""
from __future__ import annotations

import numbers
import re
from dataclasses import dataclass
from functools import cached_property


class _Numpy:
    """numpy, imported on first use: parsing types (`hwsim budget`, `hwsim --help`) needs none."""

    def __getattr__(self, name):
        import numpy
        globals()["np"] = numpy          # later lookups go straight to numpy
        return getattr(numpy, name)


np = _Numpy()

from hwsim.fixed.port import _assign_scalar, _from_double_scalar

# fast.py compiles numba kernels: it loads on the first rounding, not on import, so that commands
# which only parse types (`hwsim budget`, `hwsim --help`) start without numba (0.4 s).
_SAT_FAMILY = ("AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM")
_TINY = 2.0 ** -900     # below this, x * 2**F may underflow when F < 0 (quantize routes it to the port)


def _from_fast(name: str):
    def call(*args):
        from hwsim.fixed import fast
        return getattr(fast, name)(*args)
    call.__name__ = name
    return call


_cast_fast, _quantize_fast, _round_exact, _round_raw, _saturate, _wrap = (_from_fast(n) for n in (
    "_cast_fast", "_quantize_fast", "_round_exact", "_round_raw", "_saturate", "_wrap"))

QUANT_MODES = ("AP_TRN", "AP_TRN_ZERO", "AP_RND", "AP_RND_ZERO", "AP_RND_MIN_INF", "AP_RND_INF",
               "AP_RND_CONV")
OVERFLOW_MODES = ("AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM", "AP_WRAP_SM")
MAX_WIDTH = 63          # raw mantissas are int64
MAX_ABS_FRAC = 900      # keeps every scaling of a double exact

_TYPE_RE = re.compile(r"^\s*(ap_)?(fixed|ufixed|int|uint)\s*<([^<>]*)>\s*$", re.IGNORECASE)
_ACCEPTED = ("ap_fixed<W,I[,Q[,O[,N]]]>, ap_ufixed<...>, ap_int<W>, ap_uint<W> "
             "(or hls4ml's fixed<...>, ufixed<...>, int<W>, uint<W>)")


@dataclass(frozen=True)
class FixedType:
    """An ap_fixed-family type. `integer` counts the sign bit, as in ap_fixed<W, I>."""
    width: int
    integer: int
    signed: bool = True
    quant: str = "AP_TRN"
    overflow: str = "AP_WRAP"
    sat_bits: int = 0
    is_int: bool = False     # spelled ap_int / ap_uint (C-style conversions)

    def __post_init__(self):
        for name in ("width", "integer", "sat_bits"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"FixedType.{name} must be an int, got {v!r}")
            object.__setattr__(self, name, int(v))
        q, o = _mode(self.quant, QUANT_MODES), _mode(self.overflow, OVERFLOW_MODES)
        if q is None:
            raise ValueError(f"unknown quantization mode {self.quant!r}; accepted: {', '.join(QUANT_MODES)}")
        if o is None:
            raise ValueError(f"unknown overflow mode {self.overflow!r}; accepted: {', '.join(OVERFLOW_MODES)}")
        object.__setattr__(self, "quant", q)
        object.__setattr__(self, "overflow", o)
        if not 1 <= self.width <= MAX_WIDTH:
            raise ValueError(f"width {self.width} out of range: hwsim supports 1 to {MAX_WIDTH} bits")
        if abs(self.width - self.integer) > MAX_ABS_FRAC:
            raise ValueError(f"{self.width - self.integer} fractional bits: at most {MAX_ABS_FRAC} in magnitude")
        if not 0 <= self.sat_bits <= self.width:
            raise ValueError(f"saturation bits N={self.sat_bits} must be between 0 and the width {self.width}")
        if o == "AP_WRAP_SM" and not self.signed:
            raise ValueError("AP_WRAP_SM is defined for signed types only (ap_ufixed rejects it)")
        if self.is_int and (self.integer != self.width or q != "AP_TRN_ZERO" or o != "AP_WRAP"
                            or self.sat_bits):
            raise ValueError("an ap_int type has integer == width and C-style (AP_TRN_ZERO, AP_WRAP) modes")

    # --- construction and text -------------------------------------------------------------
    @classmethod
    def int_type(cls, width: int, signed: bool = True) -> "FixedType":
        return cls(width, width, signed, "AP_TRN_ZERO", "AP_WRAP", 0, is_int=True)

    @classmethod
    def parse(cls, text: str) -> "FixedType":
        if isinstance(text, FixedType):
            return text
        if not isinstance(text, str):
            raise TypeError(f"a fixed-point type must be given as text, got {type(text).__name__}")
        m = _TYPE_RE.match(text)
        if not m:
            raise ValueError(f"cannot parse {text!r} as a fixed-point type; accepted: {_ACCEPTED}")
        kind = m.group(2).lower()
        args = [a.strip() for a in m.group(3).split(",")]
        signed = not kind.startswith("u")
        try:
            if kind in ("int", "uint"):
                if len(args) != 1:
                    raise ValueError("takes exactly one parameter W")
                return cls.int_type(_int(args[0]), signed)
            if not 2 <= len(args) <= 5:
                raise ValueError("takes 2 to 5 parameters W, I[, Q[, O[, N]]]")
            w, i = _int(args[0]), _int(args[1])
            q = args[2] if len(args) > 2 else "AP_TRN"
            o = args[3] if len(args) > 3 else "AP_WRAP"
            n = _int(args[4]) if len(args) > 4 else 0
            if _mode(q, QUANT_MODES) is None:
                raise ValueError(f"unknown quantization mode {q!r}; accepted: {', '.join(QUANT_MODES)}")
            if _mode(o, OVERFLOW_MODES) is None:
                raise ValueError(f"unknown overflow mode {o!r}; accepted: {', '.join(OVERFLOW_MODES)}")
            return cls(w, i, signed, q, o, n)
        except (ValueError, TypeError) as e:
            raise ValueError(f"invalid fixed-point type {text!r}: {e}") from None

    def __str__(self) -> str:
        if self.is_int:
            return f"ap_{'' if self.signed else 'u'}int<{self.width}>"
        args = [str(self.width), str(self.integer)]
        if self.sat_bits:
            args += [self.quant, self.overflow, str(self.sat_bits)]
        elif self.overflow != "AP_WRAP":
            args += [self.quant, self.overflow]
        elif self.quant != "AP_TRN":
            args += [self.quant]
        return f"ap_{'' if self.signed else 'u'}fixed<{','.join(args)}>"

    def with_modes(self, quant: str | None = None, overflow: str | None = None,
                   sat_bits: int | None = None) -> "FixedType":
        return FixedType(self.width, self.integer, self.signed, quant or self.quant,
                         overflow or self.overflow, self.sat_bits if sat_bits is None else sat_bits)

    # --- properties ------------------------------------------------------------------------
    @property
    def frac(self) -> int:
        return self.width - self.integer

    @property
    def lsb(self) -> float:
        return 2.0 ** -self.frac

    @property
    def raw_min(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def raw_max(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def min_value(self) -> float:
        return self.raw_min * self.lsb

    @property
    def max_value(self) -> float:
        return self.raw_max * self.lsb

    @cached_property
    def _fast(self) -> bool:
        return (not self.is_int and self.width <= 52 and -60 <= self.frac <= MAX_ABS_FRAC
                and (self.overflow in _SAT_FAMILY or (self.overflow == "AP_WRAP" and not self.sat_bits)))

    # --- conversions -----------------------------------------------------------------------
    def quantize(self, x) -> np.ndarray:
        """`T v = (double)x;` for every element: float array in, raw int64 mantissas out."""
        arr = np.asarray(x)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"quantize needs numeric data, got dtype {arr.dtype}")
        x64 = arr.astype(np.float64, copy=False)
        if self._fast:
            if self.frac >= 0:
                return _quantize_fast(self, x64)
            # x * 2**F with F < 0 could underflow for the tiniest inputs: those take the port
            tiny = (np.abs(x64) < _TINY) & (x64 != 0)
            if not tiny.any():
                return _quantize_fast(self, x64)
            out = _quantize_fast(self, np.where(tiny, 0.0, x64))
            out[tiny] = [_from_double_scalar(self, float(v)) for v in x64[tiny]]
            return out
        flat = x64.ravel()
        out = np.fromiter((_from_double_scalar(self, float(v)) for v in flat), np.int64, flat.size)
        return out.reshape(x64.shape)

    def to_float(self, raw) -> np.ndarray:
        """Exact float64 values of raw mantissas (exact while |raw| < 2**53)."""
        return np.ldexp(np.asarray(raw, dtype=np.int64).astype(np.float64), -self.frac)

    def cast(self, raw, src: "FixedType") -> np.ndarray:
        """Assignment `T dst = (S)src;`: raw mantissas of type `src` in, raw of this type out."""
        raw = np.asarray(raw)
        if raw.dtype.kind not in "biu":
            raise TypeError(f"cast needs integer raw mantissas, got dtype {raw.dtype}")
        raw = raw.astype(np.int64, copy=False)
        if self._fast and src.width <= 62:
            out = _cast_fast(self, raw, src)
            if out is not None:
                return out
        flat = raw.ravel()
        out = np.fromiter((_assign_scalar(self, int(v), src.width, src.frac, src.signed) for v in flat),
                          np.int64, flat.size)
        return out.reshape(raw.shape)

    def overflows(self, raw, src: "FixedType") -> np.ndarray:
        """Mask of `src` values whose rounded value falls outside this type's range.

        The rounding is this type's (a C-style truncation for ap_int); the range is
        [raw_min, raw_max] whatever the overflow mode does about it."""
        raw = np.asarray(raw).astype(np.int64, copy=False)
        quant = "AP_TRN_ZERO" if self.is_int else self.quant
        r = _round_raw(raw, src, self.frac, quant)
        if r is None:
            flat = [_round_exact(int(v), src.frac, self.frac, quant) for v in raw.ravel()]
            return np.array([v < self.raw_min or v > self.raw_max for v in flat],
                            dtype=bool).reshape(raw.shape)
        return (r < self.raw_min) | (r > self.raw_max)

    def quantize_overflows(self, x) -> int:
        """How many values of `x` (floats) round to a value outside this type's range, NaN and
        inf included: the overflow count of `quantize(x)`, whatever the overflow mode does."""
        x = np.asarray(x, dtype=np.float64)
        extra = min(20, 63 - self.width)
        wide = FixedType(self.width + extra, self.integer + extra, True, self.quant, "AP_SAT")
        r = wide.quantize(x)
        return int(((r < self.raw_min) | (r > self.raw_max) | np.isnan(x)).sum())


    def cast_counted(self, raw, src: "FixedType") -> tuple[np.ndarray, int]:
        """`cast(raw, src)` and the number of values `overflows` flags, rounding only once."""
        raw = np.asarray(raw)
        # every value representable: no change (AP_SAT_SYM still maps raw_min to -max)
        if self.overflow != "AP_SAT_SYM" and (self == src or (
                not self.is_int and not src.is_int and self.frac == src.frac
                and self.raw_min <= src.raw_min and src.raw_max <= self.raw_max)):
            return raw.astype(np.int64, copy=False), 0
        if self._fast and src.width <= 62 and raw.dtype.kind in "biu":
            r = _round_raw(raw.astype(np.int64, copy=False), src, self.frac, self.quant)
            if r is not None:
                lo, hi = r < self.raw_min, r > self.raw_max
                n = int(np.count_nonzero(lo) + np.count_nonzero(hi))
                if self.overflow in _SAT_FAMILY:
                    return _saturate(self, r, lo, hi).astype(np.int64, copy=False), n
                return (_wrap(self, r) if n else r), n
        return self.cast(raw, src), int(np.count_nonzero(self.overflows(raw, src)))


def _mode(text, accepted) -> str | None:
    if not isinstance(text, str):
        return None
    t = text.strip().upper()
    if not t.startswith("AP_"):
        t = "AP_" + t
    return t if t in accepted else None


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an integer") from None
