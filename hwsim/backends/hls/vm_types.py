"""Plain view-model records handed to the Jinja templates (no behaviour, no logic).

Every string in here is final C++ / Tcl / Markdown text (comments already made safe with
idents.comment): templates only loop over these records and substitute their fields.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """One member of a config struct: `static const <ctype> <name> = <value>;` or `typedef <type> <name>;`."""
    line: str


@dataclass(frozen=True)
class ConfigStruct:
    name: str
    layer: str               # source layer name (comment)
    members: tuple[Member, ...]


@dataclass(frozen=True)
class WeightArray:
    name: str
    layer: str
    tensor: str              # "weight" / "bias" / "zero bias"
    ctype: str               # plain integer type of the raw mantissas
    size: int
    dims: str                # C++ array dimensions, e.g. "[4][36][2]"
    type_text: str           # the fixed-point type the raw bits belong to
    lines: tuple[str, ...]   # initialiser rows, comma-separated integers


@dataclass(frozen=True)
class WeightFile:
    path: str                # relative to the project root
    layer: str
    arrays: tuple[WeightArray, ...]


@dataclass(frozen=True)
class Stream:
    name: str
    type_name: str
    depth: int
    note: str                # what the stream carries (comment)


@dataclass(frozen=True)
class Call:
    layer: str               # layer name(s) the call implements (comment)
    note: str                # one-line description (comment)
    statement: str           # `kernel<template args>(args)` (top.cpp wraps it in HWSIM_PROCESS)


@dataclass(frozen=True)
class TypeDef:
    name: str
    cpp: str
    layer: str


@dataclass(frozen=True)
class LayerRow:
    """One line of the project README's layer table."""
    name: str
    kind: str
    shape: str
    result: str
    implemented_by: str


@dataclass(frozen=True)
class Port:
    name: str
    type_name: str
    cpp: str
    size: int
    shape: str               # CxHxW
    width: int               # bits per value
    signed_cpp: str          # C++ literal: "true" | "false"
    beat: int                # values per stream beat


@dataclass(frozen=True)
class ProjectView:
    model: str
    top: str
    tool_name: str           # "Vitis HLS" | "Vivado HLS"
    tool_command: str        # "vitis_hls" | "vivado_hls"
    cxx_std_hls: str         # language flag for the HLS tool's compiler
    cxx_std_flags: str       # g++ language flags of the C simulation (hwsim.util.toolchain.STD_FLAGS)
    cxx_opt_flags: str       # g++ optimisation flags of the C simulation (hwsim.util.toolchain.OPT_FLAGS)
    solution_options: str    # extra open_solution options ("" or " -flow_target vivado")
    part: str
    clock_mhz: str
    clock_period_ns: str
    input: Port
    output: Port
    typedefs: tuple[TypeDef, ...]
    configs: tuple[ConfigStruct, ...]
    weight_files: tuple[WeightFile, ...]
    streams: tuple[Stream, ...]
    calls: tuple[Call, ...]
    pragmas: tuple[str, ...]         # storage pragmas in the top function
    layers: tuple[LayerRow, ...]
    memory_json: str                 # the memory estimator's report (memory.json)
    plan_json: str                   # the hardware plan (plan.json)
    kernels: int                     # number of counted kernel calls (cycle counters)
