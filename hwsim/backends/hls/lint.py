"""Synthesizability lint for a generated project (no HLS tool needed).

`lint(folder) -> list[str]` (empty = clean) checks every file under firmware/:
- g++ -std=c++14 -Wall -Werror -fsyntax-only on the translation units (ap_types via -isystem);
- no dynamic allocation (new, delete, malloc, calloc, realloc, free), no standard containers or
  strings, no virtual functions, no recursion (a function whose body calls its own name);
- every loop is a `for` whose bound is a constant expression: literals, qualified members such as
  CONFIG_T::n_chan, and names declared const / constexpr in the firmware; no while / do loops;
- only known HLS pragmas (`#pragma HLS X`, `HWSIM_PRAGMA(HLS X ...)`, `_Pragma("HLS X ...")`), besides
  `#pragma once` and `#pragma GCC ...`;
- the top function (build_prj.tcl's set_top) has an INTERFACE pragma for each of its ports.
Messages read `path:line: problem`.
"""
from __future__ import annotations

import re
from pathlib import Path

KNOWN_PRAGMAS = frozenset("""
AGGREGATE ALIAS ALLOCATION ARRAY_PARTITION ARRAY_RESHAPE BIND_OP BIND_STORAGE DATAFLOW DATA_PACK
DEPENDENCE DISAGGREGATE EXPRESSION_BALANCE FUNCTION_INSTANTIATE INLINE INTERFACE LATENCY LOOP_FLATTEN
LOOP_MERGE LOOP_TRIPCOUNT OCCURRENCE PIPELINE PROTOCOL RESET RESOURCE SHARED STABLE STABLE_CONTENT
STREAM TOP UNROLL
""".split())

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'')
_ALLOC = re.compile(r"\b(new|delete)\b|\b(malloc|calloc|realloc|free)\s*\(")
_CONTAINERS = ("vector|list|deque|map|multimap|set|multiset|unordered_map|unordered_set|string|queue|"
               "priority_queue|stack|forward_list|array")
_STD = re.compile(rf"\bstd::({_CONTAINERS})\b|#\s*include\s*<({_CONTAINERS})>")
_VIRTUAL = re.compile(r"\bvirtual\b")
_WHILE = re.compile(r"\bwhile\s*\(|\bdo\s*\{")
_FOR = re.compile(r"\bfor\s*\(([^;()]*(?:\([^()]*\)[^;()]*)*);([^;]*);([^;{]*)\)\s*\{?")
_CONST_DECL = re.compile(r"\b(?:const|constexpr)\s+(?:[\w:]+(?:\s*<[^;{}]*?>)?\s+)+?(\w+)\s*(?:=|\[|\()")
_TEMPLATE = re.compile(r"\btemplate\s*<")
_NONTYPE = re.compile(r"\b(?:unsigned|int|bool|size_t|long|short)\s+([A-Za-z_]\w*)\s*(?:=[^,]*)?$")
_QUALIFIED = re.compile(r"\b[A-Za-z_]\w*(?:\s*::\s*(?:template\s+)?[A-Za-z_]\w*)+")
_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
_CAST_WORDS = {"int", "unsigned", "long", "short", "char", "signed", "sizeof", "const", "bool"}
_FUNC = re.compile(r"\b([A-Za-z_]\w*)\s*\(((?:[^;{}()]|\([^()]*\))*)\)\s*(?:const\s*)?\{")
_NOT_FUNC = {"if", "for", "while", "switch", "catch", "return", "sizeof", "defined", "decltype", "HWSIM_PRAGMA"}
_PRAGMA_LINE = re.compile(r"^\s*#\s*pragma\s+(\S+)(?:\s+(\w+))?", re.M)
_MACRO_PRAGMA = re.compile(r"\b(?:HWSIM_PRAGMA\s*\(|_Pragma\s*\(\s*\")\s*(\w+)\s*(\w*)")


def _blank(m) -> str:
    return re.sub(r"[^\n]", " ", m.group(0))


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


BOUNDED = ("kernels", "bounded")     # the bounded C simulation's stream: never on the HLS include path


def firmware_files(folder: Path) -> list[Path]:
    """The synthesized sources: firmware/ without firmware/kernels/bounded/ (C simulation only)."""
    fw = folder / "firmware"
    return sorted(p for p in fw.rglob("*") if p.suffix in (".h", ".hpp", ".cpp", ".cc") and p.is_file()
                  and p.relative_to(fw).parts[:2] != BOUNDED)


def lint(folder: str | Path, compile_check: bool = True) -> list[str]:
    folder = Path(folder)
    if not (folder / "firmware").is_dir():
        return [f"{folder}: no firmware/ folder"]
    files = firmware_files(folder)
    texts = {p: p.read_text(errors="replace") for p in files}
    no_comments = {p: _COMMENT.sub(_blank, t) for p, t in texts.items()}
    code = {p: _STRING.sub(_blank, t) for p, t in no_comments.items()}
    consts = set()
    for t in code.values():
        consts.update(_CONST_DECL.findall(t))
        consts.update(_template_constants(t))
    problems: list[str] = []
    for p in files:
        rel = p.relative_to(folder)
        problems += [f"{rel}:{ln}: {msg}" for ln, msg in _static_checks(code[p], no_comments[p], consts)]
    problems += _interface_check(folder, code)
    if compile_check:
        problems += _compile_check(folder, files)
    return problems


def _static_checks(code: str, with_strings: str, consts: set) -> list[tuple[int, str]]:
    out = []
    for m in _ALLOC.finditer(code):
        out.append((_line(code, m.start()), f"dynamic allocation ({(m.group(1) or m.group(2))}) is not synthesizable"))
    for m in _STD.finditer(code):
        out.append((_line(code, m.start()), f"standard container {m.group(0).strip()} is not synthesizable"))
    for m in _VIRTUAL.finditer(code):
        out.append((_line(code, m.start()), "virtual functions are not synthesizable"))
    for m in _WHILE.finditer(code):
        out.append((_line(code, m.start()), "while / do loop: use a for loop with a constant bound"))
    for m in _FOR.finditer(code):
        why = _loop_problem(m.group(1), m.group(2), m.group(3), consts)
        if why:
            out.append((_line(code, m.start()), f"loop without a constant bound: {why}"))
    for m in _FUNC.finditer(code):
        name = m.group(1)
        if name in _NOT_FUNC:
            continue
        body = _body(code, m.end() - 1)
        if re.search(rf"(?<![\w.>:]){re.escape(name)}\s*(?:<[^;{{}}()]*>)?\s*\(", body):
            out.append((_line(code, m.start()), f"recursion: function {name} calls itself"))
    for m in _PRAGMA_LINE.finditer(with_strings):
        kind, directive = m.group(1), (m.group(2) or "")
        if kind in ("once", "GCC"):
            continue
        if kind != "HLS" or directive.upper() not in KNOWN_PRAGMAS:
            out.append((_line(with_strings, m.start()), f"unknown pragma: #pragma {kind} {directive}".rstrip()))
    for m in _MACRO_PRAGMA.finditer(with_strings):
        line_start = with_strings.rfind("\n", 0, m.start()) + 1
        if with_strings[line_start:m.start()].lstrip().startswith("#"):
            continue    # the macro's own definition
        kind, directive = m.group(1), m.group(2)
        if kind != "HLS" or directive.upper() not in KNOWN_PRAGMAS:
            out.append((_line(with_strings, m.start()), f"unknown pragma: {kind} {directive}".rstrip()))
    return sorted(out)


def _body(code: str, brace: int) -> str:
    depth = 0
    for i in range(brace, len(code)):
        if code[i] == "{":
            depth += 1
        elif code[i] == "}":
            depth -= 1
            if depth == 0:
                return code[brace + 1:i]
    return code[brace + 1:]


def _template_constants(text: str) -> set:
    """Names of non-type template parameters (`template <class T, unsigned K>` -> K)."""
    out = set()
    for m in _TEMPLATE.finditer(text):
        depth, i, start = 1, m.end(), m.end()
        while i < len(text) and depth:
            depth += {"<": 1, ">": -1}.get(text[i], 0)
            i += 1
        for param in _split_params(text[start:i - 1]):
            n = _NONTYPE.search(param.strip())
            if n:
                out.add(n.group(1))
    return out


def _non_constant(expr: str, consts: set, var: str | None = None) -> str | None:
    """The first name in `expr` that is neither a constant nor `var`; '' if expr is not arithmetic."""
    rest = _QUALIFIED.sub(" 0 ", expr)
    for ident in _IDENT.findall(rest):
        if ident not in consts and ident not in _CAST_WORDS and ident != var and not ident[0].isdigit():
            return ident
    if re.search(r"[^\w\s()+\-*/%<>&|^~]", rest):
        return ""
    return None


def _loop_problem(init: str, cond: str, step: str, consts: set) -> str | None:
    v = re.match(r"\s*(?:[\w:]+\s+)*([A-Za-z_]\w*)\s*=", init)
    m = re.fullmatch(r"(.+?)(?<![<>])(<=|<|>=|>|!=)(?![<>=])(.+)", cond.strip())
    if not v or not m:
        return f"'for ({init.strip()}; {cond.strip()}; ...)' is not `for (var = start; var < bound; ...)`"
    var = v.group(1)
    lhs, rhs = m.group(1), m.group(3)
    side, bound = (lhs, rhs) if re.search(rf"\b{var}\b", lhs) else (rhs, lhs)
    bad = _non_constant(bound, consts)
    if bad is None:
        bad = _non_constant(side, consts, var)
    if bad:
        return f"condition '{cond.strip()}' uses {bad}, which is not a constant"
    if bad == "":
        return f"condition '{cond.strip()}' is not a constant comparison"
    if not re.fullmatch(rf"\s*(?:{var}\s*(?:\+\+|--)|(?:\+\+|--)\s*{var}|{var}\s*[+-]=\s*[\w:]+)\s*", step):
        return f"step '{step.strip()}' is not a constant increment of {var}"
    return None


def _interface_check(folder: Path, code: dict) -> list[str]:
    tcl = folder / "build_prj.tcl"
    m = re.search(r"^\s*set_top\s+(\w+)", tcl.read_text(), re.M) if tcl.is_file() else None
    if not m:
        return [f"{folder.name}: no set_top in build_prj.tcl: cannot find the top function"]
    top = m.group(1)
    for p, text in code.items():
        for f in _FUNC.finditer(text):
            if f.group(1) != top or p.suffix not in (".cpp", ".cc"):
                continue
            body = _body(text, f.end() - 1)
            ports = [_param_name(s) for s in _split_params(f.group(2))]
            rel = p.relative_to(folder)
            src_body = _COMMENT.sub(_blank, p.read_text())[f.end():f.end() + len(body) + 1]
            missing = [q for q in ports if q and not re.search(
                rf"INTERFACE\b[^\n)]*\bport\s*=\s*{re.escape(q)}\b", src_body)]
            return [f"{rel}:{_line(text, f.start())}: top-level port {q} of {top} has no INTERFACE pragma"
                    for q in missing]
    return [f"{folder.name}: top function {top} (set_top) is not defined in firmware/"]


def _split_params(params: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in params:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip() and cur.strip() != "void":
        out.append(cur)
    return out


def _param_name(param: str) -> str:
    names = re.findall(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*$", param.strip())
    return names[0] if names else ""


def _compile_check(folder: Path, files: list[Path]) -> list[str]:
    from hwsim.util import toolchain as cpp
    from hwsim.backends.hls.backend import _flags
    units = [p for p in files if p.suffix in (".cpp", ".cc")]
    if not units:
        return [f"{folder.name}: no .cpp files in firmware/"]
    flags = ["-Wall", "-Werror", *_flags(folder)]
    try:
        cpp.compile(units, None, flags, timeout=600)
    except cpp.CompileError as e:
        return [f"g++ -Wall -Werror -fsyntax-only: {e}"]
    return []
