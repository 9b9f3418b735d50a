"""C++ identifiers for layer names: valid, unique, deterministic.

`fire2.expand1x1` -> `fire2_expand1x1`; characters outside [A-Za-z0-9_] become `_`, runs of `_`
collapse (a double underscore is reserved in C++), names starting with a digit or `_` get an `l`
prefix, C++ keywords get a trailing `_`. Collisions after sanitising get `_2`, `_3`, ... in layer
order. Generated code always adds a role prefix (`w_`, `b_`, `s_`, `config_`, ...) on top.
"""
from __future__ import annotations

import re

CPP_KEYWORDS = frozenset("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char16_t char32_t class
compl const constexpr const_cast continue decltype default delete do double dynamic_cast else enum
explicit export extern false float for friend goto if inline int long mutable namespace new noexcept
not not_eq nullptr operator or or_eq private protected public register reinterpret_cast return short
signed sizeof static static_assert static_cast struct switch template this thread_local throw true try
typedef typeid typename union unsigned using virtual void volatile wchar_t while xor xor_eq
""".split())

_BAD = re.compile(r"[^A-Za-z0-9_]")
_RUNS = re.compile(r"_+")


def ident(name: str) -> str:
    """A valid C++ identifier for `name` (not necessarily unique)."""
    if not isinstance(name, str):
        raise TypeError(f"identifier source must be a string, got {type(name).__name__}")
    s = _RUNS.sub("_", _BAD.sub("_", name)).rstrip("_")
    if not s or s[0].isdigit() or s[0] == "_":
        s = "l" + (s if s.startswith("_") else "_" + s) if s else "l"
    if s in CPP_KEYWORDS:
        s += "_"
    return s


def unique_idents(names) -> dict[str, str]:
    """name -> identifier, unique over `names` (first come keeps the plain form)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = ident(name)
        cand, n = base, 1
        while cand in used:
            n += 1
            cand = f"{base}_{n}"
        used.add(cand)
        out[name] = cand
    return out


def comment(text: str) -> str:
    """`text` safe inside a // comment (one line, printable ASCII)."""
    return "".join(c if " " <= c <= "~" else "?" for c in str(text))
