"""The bounded C simulation (hwsim csim --bounded): every kernel a thread, every stream at its depth.

- Every zoo network C-simulated in CI, at two foldings, runs bounded at the generated depths:
  tests/test_csim.py::test_network_bit_exact (mixed and wide).
- Joins: the design at the computed minima finishes; one place less on a join input deadlocks, and
  the one-line report names that stream as full (the C++ kernels agree with hwsim.hw.fifo_depth).
- The kernels' reads and writes, traced with the iteration of their loop, are those of
  hwsim.hw.io_order.
- Under __SYNTHESIS__ the dataflow region's code is the same as without the bounded macros.
"""
from __future__ import annotations

import re
import subprocess
from collections import defaultdict

import numpy as np
import pytest

from hwsim.backends import project
from hwsim.backends.csim import compare
from hwsim.backends.hls.backend import DeadlockError
from hwsim.backends.project import generate_project
from hwsim.hw import io_order, pipeline
from hwsim.spec import config as cfg
from hwsim.util import toolchain as cpp

from codegen_helpers import build
from test_csim import NET_CASES

pytestmark = pytest.mark.csim

NETS = NET_CASES


def _project(tmp_path, name, kwargs, doc):
    g = build(name, **kwargs)
    c = cfg.load(doc, g)
    out = generate_project(g, c, tmp_path / name, kwargs)
    return g, c, out


def _patch_depth(out, ident, depth):
    top = out / "firmware" / "top.cpp"
    text = top.read_text()
    new, n = re.subn(rf"HWSIM_STREAM_DEPTH\({ident}, \d+\)", f"HWSIM_STREAM_DEPTH({ident}, {depth})", text)
    assert n == 1
    top.write_text(new)


def _idents(out) -> dict:
    """plan stream name -> C++ stream name, from top.cpp's declarations."""
    top = (out / "firmware" / "top.cpp").read_text()
    return {plan: cxx for cxx, plan in re.findall(r'hls::stream<.*?> (\w+)\("\w+"\); // stream ([^:]+(?::[a-z]+\d*)?):', top)}


JOINS = [("squeezenet_mini", {}), ("squeezenet1_0_complex_bypass", NET_CASES["squeezenet1_0_complex_bypass"])]


@pytest.mark.parametrize("name,kwargs", JOINS)
def test_one_place_less_than_the_minimum_deadlocks(tmp_path, name, kwargs):
    g, c, out = _project(tmp_path, name, kwargs, {"hardware": {"fifo_policy": "minimum"}})
    plan = pipeline.build(g, c)
    res = compare(project.read(out), images=1, seed=3, progress=False, bounded=True)
    assert res["mismatches"] == 0
    ids = _idents(out)
    joins = [s for s in plan.streams if s.role == "join" and plan.timing.minimum[s.name] > 1]
    assert len(joins) >= 3
    for s in joins[:3]:
        m = plan.timing.minimum[s.name]
        _patch_depth(out, ids[s.name], m - 1)
        with pytest.raises(DeadlockError) as e:
            compare(project.read(out), images=1, seed=3, progress=False, bounded=True)
        msg = str(e.value)
        assert "\n" not in msg and "deadlock" in msg
        full = msg.split("full: ")[1].split(";")[0].split(", ")
        assert ids[s.name] in full, msg
        _patch_depth(out, ids[s.name], m)


def _traced_io_orders(tmp_path, monkeypatch, name, kw, doc, images):
    g, c, out = _project(tmp_path, name, kw, doc)
    plan = pipeline.build(g, c)
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("HWSIM_TRACE", str(trace))
    monkeypatch.setattr("hwsim.util.threads.workers", lambda: 1)    # one testbench process, one trace
    res = compare(project.read(out), images=images, seed=3, progress=False, bounded=True)
    assert res["mismatches"] == 0
    ids = {v: k for k, v in _idents(out).items()}
    ids.update({"tb_input": plan.input_stream, "tb_output": plan.output_stream})
    seen = defaultdict(list)
    for line in trace.read_text().splitlines():
        s, op, i = line.split()
        seen[(ids[s], op)].append(int(i))
    for u in plan.units:
        o = io_order.order(u)
        for p, (s, write) in enumerate(o.ports):
            pat = np.tile(o.pattern[:, p], u.cycles // o.period * images)
            assert seen[(s, "w" if write else "r")] == list(np.nonzero(pat)[0]), (u.name, s)
    return plan


def test_kernel_reads_and_writes_follow_the_io_order(tmp_path, monkeypatch):
    kw = dict(in_channels=12, squeeze=6, expand1x1=8, expand3x3=8, size=7)
    doc = {"parallel": {"layers": {"fire.squeeze1x1": {"pe": 3, "simd": 4}, "fire.expand1x1": {"pe": 4, "simd": 2},
                                   "fire.expand3x3": {"pe": 2, "simd": 3}, "fire.concat": {"pe": 4}}}}
    plan = _traced_io_orders(tmp_path, monkeypatch, "fire", kw, doc, 2)
    assert {"swu", "mvau", "convert", "split", "concat"} <= {u.kind for u in plan.units}


def test_depthwise_reads_and_writes_follow_the_io_order(tmp_path, monkeypatch):
    """The depthwise unit and its sliding window at simd = pe (stride 1 and 2), traced."""
    doc = {"parallel": {"layers": {"conv_dw2": {"pe": 4}, "conv_dw3": {"pe": 2}, "conv_pw2": {"pe": 4, "simd": 4}}}}
    plan = _traced_io_orders(tmp_path, monkeypatch, "mobilenet_mini", {}, doc, 1)
    assert plan.layer("conv_dw2").unit("dwu").field("pe") == 4


def test_depthwise_one_kernel_row_per_cycle_follows_the_io_order(tmp_path, monkeypatch):
    """The depthwise unit and its sliding window at simd = KW (one kernel row per beat), traced."""
    doc = {"parallel": {"layers": {"conv_dw2": {"pe": 4, "simd": 3}, "conv_dw3": {"pe": 2, "simd": 3},
                                   "conv_dw4": {"pe": 1, "simd": 3}, "conv_pw2": {"pe": 4, "simd": 4}}}}
    plan = _traced_io_orders(tmp_path, monkeypatch, "mobilenet_mini", {}, doc, 1)
    assert plan.layer("conv_dw2").unit("dwu").field("simd") == 3
    assert plan.layer("conv_dw3").unit("swu").field("taps") == 3


def test_synthesized_region_is_unchanged_by_the_bounded_macros(tmp_path):
    """Preprocessed under __SYNTHESIS__ (hwsim_common.h's macros and top.cpp, their #includes left
    out: the open-source ap_types refuse __SYNTHESIS__), the region is the plain calls with their
    pragmas: HWSIM_PROCESS(x) is x, the depth and join macros vanish."""
    g, c, out = _project(tmp_path, "fire", NETS["fire"], None)
    strip = lambda t: "\n".join(l for l in t.splitlines() if not l.startswith("#include"))
    src = tmp_path / "region.cpp"
    src.write_text(strip((out / "firmware" / "kernels" / "hwsim_common.h").read_text()) + "\n"
                   + strip((out / "firmware" / "top.cpp").read_text()))
    text = subprocess.run([cpp.compiler(), "-E", "-P", "-D__SYNTHESIS__", str(src)], capture_output=True,
                          text=True, check=True).stdout
    body = text[text.rindex("void "):]
    assert "bounded" not in body and "set_depth" not in body and "spawn" not in body and "HWSIM_" not in body
    calls = re.findall(r"hwsim::\w+<[^;]*>\([^;]*\);", body)
    plan = pipeline.build(g, c)
    assert len(calls) == len(plan.units)
    assert body.count("pragma HLS STREAM") == len(plan.streams) - 2


@pytest.mark.parametrize("target", ["csim", "csim-bounded"])
def test_generated_makefile_runs_both_c_simulations(tmp_path, target):
    """`make csim` and `make csim-bounded` in the project, on the inputs `hwsim csim` left."""
    import shutil
    import sys
    if shutil.which("make") is None:
        pytest.fail("make is not installed")
    g, c, out = _project(tmp_path, "fire", NETS["fire"], None)
    compare(project.read(out), images=1, seed=3, progress=False)
    run = subprocess.run(["make", "-s", target, f"PYTHON={sys.executable}"], cwd=out, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "0 mismatches" in run.stdout
