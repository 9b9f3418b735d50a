"""Compile and run small C++ programs against the Xilinx ap_types headers.

The ap_types headers (ap_fixed.h, ap_int.h, hls_stream.h, ap_shift_reg.h) ship inside the hls4ml
wheel; `ap_types_dir()` finds them through importlib, never through a fixed path. Every g++ call gets
`-std=c++14 -isystem <ap_types>` (as a system include the headers' own warnings stay silent, so user
code can be built with -Wall -Werror).

`compile()` raises CompileError whose message holds only the first error lines; `run()` raises
RunError on a non-zero exit or a timeout. Both take a timeout in seconds.
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Sequence

__all__ = ["CompileError", "RunError", "ap_types_dir", "compiler", "compile", "run", "kernels_dir", "templates_dir"]

STD_FLAGS = ("-std=c++14",)
OPT_FLAGS = ("-O2",)          # optimisation flags of the C-simulation build
MAX_ERROR_LINES = 12


class CompileError(RuntimeError):
    """g++ failed; the message carries the first error lines."""


class RunError(RuntimeError):
    """A compiled program exited non-zero or ran past its timeout."""


@lru_cache(maxsize=None)
def ap_types_dir() -> Path:
    """Folder holding ap_fixed.h & co. inside the installed hls4ml package."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("hls4ml is not installed: it carries the ap_types headers (pip install hls4ml)")
    root = Path(list(spec.submodule_search_locations)[0])
    folder = root / "templates" / "vivado" / "ap_types"
    if not (folder / "ap_fixed.h").is_file():
        raise RuntimeError(f"ap_fixed.h not found under {folder}")
    return folder


def templates_dir() -> Path:
    """templates/ of the source tree (editable install), else its copy in the installed package."""
    here = Path(__file__).resolve().parents[1]          # the hwsim package
    for folder in (here.parent / "templates", here / "_templates"):
        if (folder / "kernels").is_dir() and (folder / "hls").is_dir():
            return folder
    raise RuntimeError(f"hwsim templates not found beside {here} (a broken installation)")


def kernels_dir() -> Path:
    """Folder of the hand-written HLS kernel headers (templates/kernels)."""
    return templates_dir() / "kernels"


@lru_cache(maxsize=None)
def compiler() -> str:
    """Path of g++ (the only compiler the kernels are tested with)."""
    gxx = shutil.which("g++")
    if gxx is None:
        raise RuntimeError("g++ not found on PATH: install a C++14 compiler")
    return gxx


def _first_errors(text: str, limit: int = MAX_ERROR_LINES) -> str:
    lines = text.splitlines()
    errors = [i for i, line in enumerate(lines) if "error" in line]
    start = max(errors[0] - 1, 0) if errors else 0
    return "\n".join(lines[start:start + limit])


def _check_timeout(timeout) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    return float(timeout)


def compile(sources: Sequence[str | Path] | str | Path, out: str | Path | None,
            extra_flags: Sequence[str] = (), timeout: float = 120.0) -> Path | None:
    """Build `sources` into the executable `out` with g++ -std=c++14 -isystem <ap_types>.

    With `out=None` only the syntax is checked (-fsyntax-only); headers are then parsed as C++.
    Returns `out` as a Path (or None), raises CompileError with the first error lines.
    """
    if isinstance(sources, (str, Path)):
        sources = [sources]
    srcs = [Path(s) for s in sources]
    if not srcs:
        raise ValueError("compile: no source files given")
    for s in srcs:
        if not s.is_file():
            raise ValueError(f"compile: source file not found: {s}")
    if isinstance(extra_flags, str):
        raise TypeError("extra_flags must be a sequence of strings, not one string")
    limit = _check_timeout(timeout)
    cmd = [compiler(), *STD_FLAGS, "-isystem", str(ap_types_dir()), *map(str, extra_flags)]
    if out is None:
        cmd += ["-fsyntax-only", "-x", "c++", *map(str, srcs)]
    else:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd += [*map(str, srcs), "-o", str(out)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        raise CompileError(f"g++ timed out after {limit:g} s on {', '.join(s.name for s in srcs)}") from None
    if proc.returncode != 0:
        names = ", ".join(s.name for s in srcs)
        raise CompileError(f"g++ failed on {names}:\n{_first_errors(proc.stderr or proc.stdout)}")
    return out


def run(exe: str | Path, args: Sequence[str] = (), timeout: float = 60.0,
        input: str | None = None) -> str:
    """Run a compiled program; return its stdout. RunError on non-zero exit or timeout."""
    exe = Path(exe)
    if not exe.is_file():
        raise ValueError(f"run: executable not found: {exe}")
    if isinstance(args, str):
        raise TypeError("args must be a sequence of strings, not one string")
    limit = _check_timeout(timeout)
    try:
        proc = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True,
                              timeout=limit, input=input)
    except subprocess.TimeoutExpired:
        raise RunError(f"{exe.name} timed out after {limit:g} s") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-MAX_ERROR_LINES:])
        raise RunError(f"{exe.name} exited with code {proc.returncode}:\n{tail}")
    return proc.stdout
