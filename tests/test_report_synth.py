"""`hwsim report DIR`: the HLS synthesis report against the plan, without an HLS tool.

A small project is generated (fire at 4x6x6); the fixture reports in tests/fixtures/csynth/ (Vitis
HLS csynth.xml schema, figures in figures.json) are written into <top>_prj/solution1/syn/report/,
each module file named after the kernel and config struct that firmware/top.cpp actually calls.
Every expected figure is derived from figures.json and plan.json / memory.json.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hwsim import cli
from hwsim.report import synth

FIX = Path(__file__).parent / "fixtures" / "csynth"
FIG = json.loads((FIX / "figures.json").read_text())
METRICS = ("interval", "latency", "bram18", "dsp", "lut", "ff")
TYPES = "beat_ap_fixed_16_6_5_3_0_1u_beat_ap_fixed_16_6_5_3_0_1u"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "fire"
    assert cli.main(["generate", "--model", "fire", "--input-shape", "4x6x6", "-o", str(out)]) == 0
    return out


def calls(project: Path) -> dict:
    """unit -> (kernel, config struct), read from the generated top.cpp: the comment naming the unit,
    then the call (possibly wrapped, e.g. HWSIM_PROCESS(...)) whose last template argument is the struct."""
    text = (project / "firmware" / "top.cpp").read_text()
    found = re.findall(r"^\s*// ([^:\n]+): .*\n[^\n]*?\bhwsim::(\w+)<[^\n]*\b(config_\w+)>\(", text, re.M)
    return {u: (k, s) for u, k, s in found}


def _xml(template: str, module: str, f: dict, instances: str = "") -> str:
    return (FIX / template).read_text().format(
        module=module, instances=instances, latency_best=f["latency"] - 1, latency=f["latency"],
        interval_min=f["interval"] - 1, interval=f["interval"], **{k: f[k] for k in ("bram18", "dsp", "lut", "ff")})


def modules(project: Path) -> dict:
    return {u: f"{k}_{TYPES}_{s}_s" for u, (k, s) in calls(project).items()}


def report_dir(project: Path) -> Path:
    top = re.search(r"^set_top (\w+)", (project / "build_prj.tcl").read_text(), re.M).group(1)
    return project / f"{top}_prj" / "solution1" / "syn" / "report"


@pytest.fixture
def project(generated, tmp_path) -> Path:
    return install(generated, tmp_path / "fire")


def install(generated: Path, proj: Path) -> Path:
    """A copy of the generated project at `proj` with every fixture report in place."""
    shutil.copytree(generated, proj)
    rdir = report_dir(proj)
    rdir.mkdir(parents=True)
    names = modules(proj)
    assert set(names) == set(FIG["units"]), "figures.json must list exactly the plan's units"
    inst = []
    for unit, m in names.items():
        (rdir / f"{m}_csynth.xml").write_text(_xml("module_csynth.xml", m, FIG["units"][unit]))
        inner = ""
        if unit in FIG["children"]:
            c = FIG["children"][unit]
            (rdir / f"{m}{c['suffix']}_csynth.xml").write_text(_xml("module_csynth.xml", m + c["suffix"], c))
            inner = (f"<InstancesList><Instance><InstName>grp_{m}{c['suffix']}_fu_10</InstName>"
                     f"<ModuleName>{m}{c['suffix']}</ModuleName></Instance></InstancesList>")
        inst.append(f"<Instance><InstName>{m}_U0</InstName><ModuleName>{m}</ModuleName>{inner}</Instance>")
    for m, f in FIG["others"].items():
        (rdir / f"{m}_csynth.xml").write_text(_xml("module_csynth.xml", m, f))
        inst.append(f"<Instance><InstName>{m}_U0</InstName><ModuleName>{m}</ModuleName></Instance>")
    top = rdir.parents[2].name[:-len("_prj")]
    text = _xml("csynth.xml", top, FIG["top"], "\n".join(inst))
    (rdir / "csynth.xml").write_text(text)
    (rdir / f"{top}_csynth.xml").write_text(text)
    return proj


def run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _marked(est, hls) -> bool:
    if est is None or hls is None:
        return False
    return hls != est if est == 0 else abs(hls - est) * 4 > est


def expected(project: Path) -> dict:
    """row name -> (est, hls) per METRICS, from plan.json, memory.json and figures.json."""
    plan = json.loads((project / "plan.json").read_text())
    mem = json.loads((project / "memory.json").read_text())
    units, rows = FIG["units"], {}
    for layer in plan["layers"]:
        us = [u["name"] for u in layer["units"]]
        if not us:
            continue
        est = (layer["cycles"], layer.get("latency"),
               sum(m["blocks"] for u in layer["units"] for m in u["memories"]),
               sum(u["dsp"] for u in layer["units"]), sum(u["luts"] for u in layer["units"]), None)
        hls = (max(units[u]["interval"] for u in us), max(units[u]["latency"] for u in us),
               *(sum(units[u][k] for u in us) for k in METRICS[2:]))
        rows[layer["name"]] = (est, hls)
    layer_sum = lambda i: sum(e[i] for e, _ in rows.values())     # noqa: E731
    fifo_est = (None, None, sum(f["blocks"] for l in plan["layers"] for f in l["fifos"]),
                sum(l["dsp"] for l in plan["layers"]) - layer_sum(3), sum(l["luts"] for l in plan["layers"]) - layer_sum(4), None)
    fifo_hls = (None, None, *(FIG["top"][k] - sum(units[u][k] for u in units) for k in METRICS[2:]))
    rows["FIFOs + top"] = (fifo_est, fifo_hls)
    t = plan["timing"] or {}
    rows["total"] = ((plan.get("interval", t.get("interval")), plan.get("latency", t.get("latency")),
                      mem["totals"]["bram18"], mem["totals"]["dsp"], mem["totals"]["luts"], None),
                     tuple(FIG["top"][k] for k in METRICS))
    return rows


def test_struct_names_are_the_generators(generated):
    plan = json.loads((generated / "plan.json").read_text())
    assert synth.structs(plan["calls"]) == {u: s for u, (_, s) in calls(generated).items()}


def test_table_per_layer_and_total(project, capsys):
    code, out, err = run(["report", str(project)], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    want = expected(project)
    assert len(want) == 7        # 5 layers with units, the FIFO row, the total
    marks, rows = set(), []
    for name, (est, hls) in want.items():
        row = next(l for l in lines if l.startswith(name + "  "))
        rows.append(row)
        cells = row[len(name):].split()
        exp = []
        for k, e, h in zip(METRICS, est, hls):
            m = _marked(e, h)
            marks |= {(name, k)} if m else set()
            exp += ["-" if e is None else str(e), "-" if h is None else f"{h}{'!' if m else ''}"]
        assert cells == exp, name
    assert lines[3:3 + len(want)] == rows and lines[3 + len(want)].startswith("! = ")    # no other rows
    assert sum(c.endswith("!") for l in rows for c in l.split()) == len(marks)
    assert 0 < len(marks) < 6 * len(want)
    assert any(l.startswith("! = ") and f"({len(marks)} marked)" in l for l in lines)
    assert "no module report" not in out


def test_marks_where_the_figures_are_off(project, capsys):
    """The figures chosen far off the plan are marked, the close ones are not."""
    code, out, _ = run(["report", str(project), "--format", "json"], capsys)
    body = json.loads(out)
    rows = {r["name"]: r for r in body["layers"] + [body["fifos"], body["total"]]}
    for name, (est, hls) in expected(project).items():
        assert rows[name]["differs"] == [k for k, e, h in zip(METRICS, est, hls) if _marked(e, h)], name
    assert "dsp" in rows["fire.expand3x3"]["differs"]            # 3 DSP against the plan's 1 per mvau


def test_json_output(project, capsys):
    code, out, err = run(["report", str(project), "--format", "json"], capsys)
    assert (code, err) == (0, "")
    body = json.loads(out)
    assert body["schema"] == synth.SCHEMA and body["unmatched_units"] == []
    want = expected(project)
    for r in body["layers"] + [body["fifos"], body["total"]]:
        est, hls = want[r["name"]]
        assert tuple(r["est"][k] for k in METRICS) == est and tuple(r["hls"][k] for k in METRICS) == hls
    names = modules(project)
    exp3 = next(r for r in body["layers"] if r["name"] == "fire.expand3x3")
    assert sorted(exp3["modules"]) == sorted(names[u] for u in ("fire.expand3x3/swu", "fire.expand3x3/mvau"))


def test_markdown_and_output_file(project, capsys, tmp_path):
    out_file = tmp_path / "r.md"
    code, out, err = run(["report", str(project), "--format", "markdown", "-o", str(out_file)], capsys)
    assert (code, err) == (0, "") and str(out_file) in out and len(out.splitlines()) == 1
    text = out_file.read_text()
    assert "| layer | interval est | interval HLS |" in text
    est, hls = expected(project)["total"]
    assert f"| total | {est[0]} |" in text


def test_unit_without_report(project, capsys):
    names = modules(project)
    (report_dir(project) / f"{names['fire.expand3x3/swu']}_csynth.xml").unlink()
    code, out, err = run(["report", str(project), "--format", "json"], capsys)
    body = json.loads(out)
    row = next(r for r in body["layers"] if r["name"] == "fire.expand3x3")   # one of its two units
    assert code == 0 and set(row["hls"].values()) == {None} and body["unmatched_units"] == ["fire.expand3x3/swu"]
    assert set(body["fifos"]["hls"].values()) == {None}
    other = next(r for r in body["layers"] if r["name"] == "fire.concat")
    assert other["hls"]["lut"] == FIG["units"]["fire.concat/concat"]["lut"]
    _, text, _ = run(["report", str(project)], capsys)
    assert "no module report for 1 unit(s): fire.expand3x3/swu" in text


def _one_line_error(argv, capsys, *parts):
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for p in parts:
        assert p in err, err
    return err


def test_missing_report_dir(generated, capsys):
    rdir = report_dir(generated)
    assert not rdir.exists()
    _one_line_error(["report", str(generated)], capsys, str(rdir / "csynth.xml"), "synth=1", "build_prj.tcl")


def test_not_a_project(tmp_path, capsys):
    _one_line_error(["report", str(tmp_path)], capsys, "is not a project written by `hwsim generate`")
    _one_line_error(["report", str(tmp_path / "nope")], capsys, "project folder not found")


def test_output_folder_missing(project, capsys, tmp_path):
    _one_line_error(["report", str(project), "-o", str(tmp_path / "no" / "r.txt")], capsys, "does not exist")


@pytest.mark.parametrize("which", ["top", "module"])
def test_truncated_xml(project, capsys, which):
    names = modules(project)
    path = report_dir(project) / ("csynth.xml" if which == "top" else f"{names['fire.concat/concat']}_csynth.xml")
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    _one_line_error(["report", str(project)], capsys, f"{path}: cannot parse the synthesis report: ", "line ")


@pytest.mark.parametrize("field,tag", [("Interval-max", "Interval-max"), ("LUT", "LUT")])
def test_missing_field(project, capsys, field, tag):
    names = modules(project)
    path = report_dir(project) / f"{names['fire.squeeze1x1/mvau']}_csynth.xml"
    path.write_text(re.sub(rf"<{tag}>[^<]*</{tag}>\n", "", path.read_text(), count=1))
    _one_line_error(["report", str(project)], capsys, str(path), f"has no ", field)


def test_read_csynth_vivado_dsp48e_and_undef(tmp_path):
    f = dict(FIG["units"]["fire.expand3x3/mvau"])
    text = _xml("module_csynth.xml", "m", f).replace("<DSP>", "<DSP48E>").replace("</DSP>", "</DSP48E>")
    text = text.replace(f"<Worst-caseLatency>{f['latency']}<", "<Worst-caseLatency>undef<")
    (tmp_path / "m_csynth.xml").write_text(text)
    r = synth.read_csynth(tmp_path / "m_csynth.xml")
    assert (r.dsp, r.latency, r.interval, r.lut) == (f["dsp"], None, f["interval"], f["lut"])


def test_match_rule():
    st = {"a": "config_a", "a2": "config_a_2", "b": "config_b"}
    mods = ["mvau_t_1u_config_a_s", "mvau_t_1u_config_a_2_s", "mvau_t_1u_config_a_s_Pipeline_L1",
            "split_config_ab_s", "entry_proc", "cast_config_b"]
    assert synth.match(st, mods) == {"a": "mvau_t_1u_config_a_s", "a2": "mvau_t_1u_config_a_2_s", "b": "cast_config_b"}
    # the hierarchy wins over the name: the module nearer the top
    deep = {"mvau_t_1u_config_a_s": 2, "mvau_t_1u_config_a_s_Pipeline_L1": 1}
    assert synth.match(st, mods, deep)["a"] == "mvau_t_1u_config_a_s_Pipeline_L1"


def test_differs_boundary():
    assert not synth.differs(100, 125) and synth.differs(100, 126) and synth.differs(100, 74)
    assert not synth.differs(100, 75) and synth.differs(0, 1) and not synth.differs(0, 0)
    assert not synth.differs(None, 5) and not synth.differs(5, None)
