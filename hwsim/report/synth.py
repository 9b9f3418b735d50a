"""`hwsim report`: the HLS tool's synthesis estimates of a generated project against hwsim's own.

Where the reports are: `build_prj.tcl` (templates/hls/build_prj.tcl.j2) opens project `<top>_prj`
and solution `solution1`, so `vitis_hls -f build_prj.tcl -tclargs synth=1` (or `vivado_hls`)
leaves them in `DIR/<top>_prj/solution1/syn/report/`: `csynth.xml` (the design), `<top>_csynth.xml`
and one `<module>_csynth.xml` per RTL module. The top is build_prj.tcl's `set_top`.

Reading them: hls4ml's `parse_vivado_report` reads these fields only from hls4ml's own project
layout (project.tcl, `<prj>/hls.app`), prints instead of raising and fails with an AttributeError
on a missing field, so this module reads one csynth.xml with ElementTree, exactly the fields that
function reads: PerformanceEstimates/SummaryOfOverallLatency (Best-caseLatency, Worst-caseLatency,
Interval-min, Interval-max; "undef" is no value) and AreaEstimates/Resources (BRAM_18K, DSP or
Vivado HLS's DSP48E, FF, LUT; URAM optional), plus the top's RTLDesignHierarchy when present.

Mapping modules to plan units: each kernel call in top.cpp is a template instance whose last
template argument is the unit's config struct, `config_` + the unit's identifier
(hwsim.backends.hls.idents.unique_idents over plan.json's "calls", as the generator names them),
and HLS names the module after the function and its template arguments
(`mvau_beat_ap_fixed_..._config_conv1_mvau_s`). A module belongs to the unit whose struct name
appears in the module name as a whole `_`-separated run (preceded by the start or `_`, followed by
`_` or the end); when several structs match, the longest wins (`config_a_2` over `config_a`). When
several modules belong to one unit, the one nearest the top in RTLDesignHierarchy wins, then the
shortest name (Vitis names a pipelined loop's module `<parent>_Pipeline_<loop>`; its figures are
inside its parent's). A unit without a module shows "-" in its layer.

Per layer: resources are the sum of its units; interval and latency the slowest unit's (the units
of a layer run concurrently in the DATAFLOW region); a layer with a unit lacking a report shows
"-". The estimate is plan.json's: the layer's cycles per image, its units' memory blocks, DSPs and
LUTs, and the layer's modelled latency when the plan has one. The streams between kernels live in
the top module: the row "FIFOs + top" compares the plan's FIFOs with the top report minus all
kernel modules. The total compares memory.json's totals and plan.json's interval / latency
(top-level keys, else its "timing") with the top report. FF is not estimated. An HLS figure more
than 25% away from its estimate (any nonzero figure against an estimate of 0) is marked "!".
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from hwsim.backends.hls.idents import unique_idents
from hwsim.backends.options import DEFAULT_TOOL, TOOLS
from hwsim.report import tables
from hwsim.util.errors import InputError, MissingFile, oserror_text

METRICS = ("interval", "latency", "bram18", "dsp", "lut", "ff")
HEADS = ("interval", "latency", "BRAM18", "DSP", "LUT", "FF")
TOLERANCE = 0.25
SCHEMA = "hwsim.synth_report/1"
_LAT = "PerformanceEstimates/SummaryOfOverallLatency/"
_TIMING = (("latency_best", "Best-caseLatency"), ("latency", "Worst-caseLatency"),
           ("interval_min", "Interval-min"), ("interval", "Interval-max"))
_AREA = (("bram18", ("BRAM_18K",)), ("dsp", ("DSP", "DSP48E")), ("ff", ("FF",)), ("lut", ("LUT",)))


@dataclass(frozen=True)
class Csynth:
    """The figures of one csynth.xml; None where the tool wrote no number ("undef")."""
    path: str
    latency_best: int | None
    latency: int | None          # worst case
    interval_min: int | None
    interval: int | None         # worst case (Interval-max)
    bram18: int
    dsp: int
    ff: int
    lut: int
    uram: int | None
    depth: tuple = ()            # (module, depth below the top) from RTLDesignHierarchy


@dataclass(frozen=True)
class Row:
    name: str
    est: tuple                   # per METRICS, int or None
    hls: tuple
    units: tuple = ()
    modules: tuple = ()

    @property
    def marks(self) -> tuple:
        return tuple(differs(e, h) for e, h in zip(self.est, self.hls))


@dataclass(frozen=True)
class SynthReport:
    project: str
    top: str
    report: str                  # the design report read (csynth.xml)
    layers: tuple
    fifos: Row
    total: Row
    unmatched: tuple             # units with no module report


def differs(est, hls, tol: float = TOLERANCE) -> bool:
    """HLS more than `tol` (relative) away from the estimate; an estimate of 0 against any other value."""
    if est is None or hls is None:
        return False
    return hls != 0 if est == 0 else abs(hls - est) > tol * abs(est)


def _number(path, field, text, undef_ok):
    t = (text or "").strip()
    if undef_ok and t in ("undef", "-", ""):
        return None
    try:
        return int(t)
    except ValueError:
        raise InputError(f"{path}: synthesis report field {field} is not a whole number: {t!r}") from None


def _depths(root) -> tuple:
    found: dict[str, int] = {}

    def walk(node, d):
        for inst in node.findall("InstancesList/Instance"):
            name = (inst.findtext("ModuleName") or "").strip()
            if name:
                found[name] = min(found.get(name, d), d)
            walk(inst, d + 1)
    top = root.find("RTLDesignHierarchy/TopModule")
    if top is not None:
        walk(top, 1)
    return tuple(sorted(found.items()))


def read_csynth(path) -> Csynth:
    """One csynth.xml (Vitis HLS or Vivado HLS); InputError naming the file when it cannot be
    parsed or lacks a field."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise InputError(f"{path}: cannot parse the synthesis report: {str(e).splitlines()[0]}") from None
    except OSError as e:
        raise InputError(f"cannot read {path}: {oserror_text(e)}") from None
    vals = {}
    for key, tag in _TIMING:
        node = root.find(_LAT + tag)
        if node is None:
            raise InputError(f"{path}: synthesis report has no {_LAT}{tag}")
        vals[key] = _number(path, tag, node.text, True)
    for key, tags in _AREA:
        node = next((n for n in (root.find(f"AreaEstimates/Resources/{t}") for t in tags) if n is not None), None)
        if node is None:
            raise InputError(f"{path}: synthesis report has no AreaEstimates/Resources/{tags[0]}")
        vals[key] = _number(path, tags[0], node.text, False)
    uram = root.find("AreaEstimates/Resources/URAM")
    vals["uram"] = _number(path, "URAM", uram.text, False) if uram is not None else None
    return Csynth(str(path), depth=_depths(root), **vals)


def structs(calls) -> dict:
    """unit -> its config struct name, as the generator names them (viewmodel: config_ + identifier)."""
    return {u: "config_" + i for u, i in unique_idents(list(calls)).items()}


def match(unit_structs: dict, modules, depth: dict | None = None) -> dict:
    """unit -> module name, by the rule in the module doc."""
    depth = depth or {}
    owner: dict[str, list[str]] = {}
    for m in modules:
        hits = [u for u, s in unit_structs.items() if re.search(rf"(?:^|_){re.escape(s)}(?:_|$)", m)]
        if hits:
            owner.setdefault(max(hits, key=lambda u: len(unit_structs[u])), []).append(m)
    return {u: min(ms, key=lambda m: (depth.get(m, 1 << 30), len(m), m)) for u, ms in owner.items()}


def _combine(figs) -> tuple:
    """Units of one layer: the slowest for interval and latency, the sum for resources."""
    def slowest(key):
        v = [getattr(f, key) for f in figs]
        return None if any(x is None for x in v) else max(v)
    return (slowest("interval"), slowest("latency"), *(sum(getattr(f, k) for f in figs) for k in METRICS[2:]))


def build(plan: dict, memory: dict, top: Csynth, figs: dict, project: str = "", top_name: str = "") -> SynthReport:
    """The comparison from plan.json, memory.json, the design report and {unit: Csynth} (pure)."""
    rows, fifo_est = [], [None, None, 0, 0, 0, None]
    for layer in plan["layers"]:
        units = layer["units"]
        if not units:
            continue
        est = (int(layer["cycles"]), layer.get("latency"), sum(int(m["blocks"]) for u in units for m in u["memories"]),
               sum(int(u["dsp"]) for u in units), sum(int(u["luts"]) for u in units), None)
        have = [figs[u["name"]] for u in units if u["name"] in figs]
        hls = _combine(have) if len(have) == len(units) else (None,) * len(METRICS)
        rows.append(Row(layer["name"], est, hls, tuple(u["name"] for u in units),
                        tuple(Path(f.path).name[:-len("_csynth.xml")] for f in have)))
        fifo_est[2] += sum(int(f["blocks"]) for f in layer.get("fifos") or ())
        fifo_est[3] += int(layer["dsp"]) - est[3]
        fifo_est[4] += int(layer["luts"]) - est[4]
    names = [u["name"] for layer in plan["layers"] for u in layer["units"]]
    unmatched = tuple(n for n in names if n not in figs)
    kernels = (None, None, *(sum(getattr(f, k) for f in figs.values()) for k in METRICS[2:]))
    fifo_hls = ((None, None, *(getattr(top, k) - kernels[i] for i, k in enumerate(METRICS) if i >= 2))
                if not unmatched else (None,) * len(METRICS))
    timing = plan.get("timing") or {}
    t = memory["totals"]
    total_est = (plan.get("interval", timing.get("interval")), plan.get("latency", timing.get("latency")),
                 int(t["bram18"]), int(t["dsp"]), int(t["luts"]), None)
    total = Row("total", total_est, tuple(getattr(top, k) for k in METRICS))
    return SynthReport(project, top_name, top.path, tuple(rows), Row("FIFOs + top", tuple(fifo_est), fifo_hls),
                       total, unmatched)


# ---- reading a project -------------------------------------------------------------------------

def _json(path: Path, keys) -> dict:
    try:
        body = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: invalid JSON ({e.msg} at line {e.lineno})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {path}: {oserror_text(e) if isinstance(e, OSError) else 'not text'}") from None
    missing = [k for k in keys if not isinstance(body, dict) or k not in body]
    if missing:
        raise InputError(f"{path}: missing key {missing[0]!r}")
    return body


def _need(d, keys, where: str) -> None:
    miss = [k for k in keys if not isinstance(d, dict) or k not in d]
    if miss:
        raise InputError(f"{where}: no key {miss[0]!r}")


def _check(plan: dict, memory: dict, folder: Path) -> None:
    """The keys build() reads: a hand-edited plan.json is one line, not a traceback."""
    where = f"{folder / 'plan.json'}: layers"
    if not isinstance(plan["layers"], list):
        raise InputError(f"{where} is not a list")
    for i, layer in enumerate(plan["layers"]):
        _need(layer, ("name", "units", "cycles", "dsp", "luts"), f"{where}[{i}]")
        for j, u in enumerate(layer["units"]):
            _need(u, ("name", "dsp", "luts", "memories"), f"{where}[{i}].units[{j}]")
            for k, m in enumerate(u["memories"]):
                _need(m, ("blocks",), f"{where}[{i}].units[{j}].memories[{k}]")
        for k, m in enumerate(layer.get("fifos") or ()):
            _need(m, ("blocks",), f"{where}[{i}].fifos[{k}]")
    _need(memory["totals"], ("bram18", "dsp", "luts"), f"{folder / 'memory.json'}: totals")


def _top(folder: Path) -> str:
    m = re.search(r"^\s*set_top\s+(\w+)", (folder / "build_prj.tcl").read_text(errors="replace"), re.M)
    if m is None:
        raise InputError(f"{folder / 'build_prj.tcl'}: no set_top line: cannot tell the top function")
    return m.group(1)


def report_dir(folder: Path, top: str) -> Path:
    return folder / f"{top}_prj" / "solution1" / "syn" / "report"


def load(folder) -> SynthReport:
    """The comparison for a project written by `hwsim generate` (backend hls) after csynth_design."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingFile(f"project folder not found: {folder}")
    for name in ("hwsim_project.json", "build_prj.tcl", "plan.json", "memory.json"):
        if not (folder / name).is_file():
            raise InputError(f"{folder} is not a project written by `hwsim generate` (backend hls): {name} is missing")
    meta = _json(folder / "hwsim_project.json", ())
    plan = _json(folder / "plan.json", ("layers",))
    memory = _json(folder / "memory.json", ("totals",))
    _check(plan, memory, folder)
    top = _top(folder)
    rdir = report_dir(folder, top)
    design = next((p for p in (rdir / "csynth.xml", rdir / f"{top}_csynth.xml") if p.is_file()), None)
    if design is None:
        cmd = TOOLS.get(str(meta.get("tool") or DEFAULT_TOOL), TOOLS[DEFAULT_TOOL])[1]
        raise InputError(f"no synthesis report: {rdir / 'csynth.xml'} not found; `{cmd} -f build_prj.tcl "
                         f"-tclargs csim=0 synth=1` in {folder} writes it (csynth_design)")
    top_fig = read_csynth(design)
    calls = plan.get("calls") or [u["name"] for layer in plan["layers"] for u in layer["units"]]
    skip = {"csynth", f"{top}_csynth"}
    modules = sorted(p.name[:-len("_csynth.xml")] for p in rdir.glob("*_csynth.xml") if p.stem not in skip)
    chosen = match(structs(calls), modules, dict(top_fig.depth))
    figs = {u: read_csynth(rdir / f"{m}_csynth.xml") for u, m in chosen.items()}
    return build(plan, memory, top_fig, figs, str(folder), top)


# ---- rendering ---------------------------------------------------------------------------------

def _cell(v, mark=False) -> str:
    return "-" if v is None else f"{v}{'!' if mark else ''}"


def _cells(r: Row) -> list:
    out = [r.name]
    for e, h, m in zip(r.est, r.hls, r.marks):
        out += [_cell(e), _cell(h, m)]
    return out


def _notes(rep: SynthReport) -> list:
    n = sum(sum(r.marks) for r in (*rep.layers, rep.fifos, rep.total))
    lines = [f"! = the HLS figure differs from the estimate by more than {TOLERANCE:.0%} ({n} marked); "
             "- = not estimated (FF) or no value / no report",
             "layer interval and latency: its slowest unit; resources: the sum of its units"]
    if rep.unmatched:
        lines.append(f"no module report for {len(rep.unmatched)} unit(s): {', '.join(rep.unmatched)}")
    return lines


def to_dict(rep: SynthReport) -> dict:
    def row(r: Row) -> dict:
        return {"name": r.name, "units": list(r.units), "modules": list(r.modules),
                "est": dict(zip(METRICS, r.est)), "hls": dict(zip(METRICS, r.hls)),
                "differs": [k for k, m in zip(METRICS, r.marks) if m]}
    return {"schema": SCHEMA, "project": rep.project, "top": rep.top, "report": rep.report,
            "tolerance": TOLERANCE, "layers": [row(r) for r in rep.layers], "fifos": row(rep.fifos),
            "total": row(rep.total), "unmatched_units": list(rep.unmatched)}


def render(rep: SynthReport, fmt: str = "table") -> str:
    """fmt: table, md (or markdown), json."""
    if fmt == "json":
        return json.dumps(to_dict(rep), indent=2) + "\n"
    rows = [_cells(r) for r in (*rep.layers, rep.fifos, rep.total)]
    title = f"synthesis report {rep.report} (top {rep.top}) against hwsim's estimate"
    if fmt in ("md", "markdown"):
        head = ["layer"] + [f"{h} {s}" for h in HEADS for s in ("est", "HLS")]
        body = [tables.md_row(head), tables.md_rule(len(head), 1)] + [tables.md_row(r) for r in rows]
        return "\n".join([f"**{title}**", "", *body, "", *(f"- {n}" for n in _notes(rep))]) + "\n"
    sub = ["layer"] + ["est", "HLS"] * len(HEADS)
    w = tables.column_widths(sub, rows)
    group = [""] + [h.rjust(w[1 + 2 * i] + 2 + w[2 + 2 * i]) for i, h in enumerate(HEADS)]
    lines = [title, "  ".join([" " * w[0]] + group[1:]), tables.text_row(sub, w, 1)]
    lines += [tables.text_row(r, w, 1) for r in rows]
    return "\n".join(lines + _notes(rep)) + "\n"
