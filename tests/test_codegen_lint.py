"""Synthesizability lint: a generated project is clean; each rule catches a small bad source."""
from __future__ import annotations

import pytest

from hwsim.spec import config as cfg
from hwsim.backends.hls import render
from hwsim.backends import writer
from hwsim.backends.hls.lint import lint

from codegen_helpers import build

TCL = "set_top top\n"
GOOD_TOP = """#include "hls_stream.h"
#define HWSIM_PRAGMA(x)
static const unsigned N = 4;
template <unsigned K> int sum(const int a[K]) {
    int s = 0;
    for (unsigned i = 0; i + 1 < K; i++) {
        s += a[i];
    }
    return s;
}
void top(hls::stream<int> &in, hls::stream<int> &out) {
    HWSIM_PRAGMA(HLS INTERFACE axis port = in)
    HWSIM_PRAGMA(HLS INTERFACE axis port = out)
    HWSIM_PRAGMA(HLS DATAFLOW)
    int buf[N];
    for (unsigned i = 0; i < N * 2 / 2; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        buf[i] = in.read();
    }
    out.write(sum<N>(buf));
}
"""


def _project(tmp_path, top: str, extra: dict | None = None):
    files = {"build_prj.tcl": TCL, "firmware/top.cpp": top, **(extra or {})}
    return writer.write_project(tmp_path / "p", files)


def test_generated_project_is_clean(tmp_path):
    g = build("fire", in_channels=4, squeeze=2, expand1x1=3, expand3x3=3, size=4)
    c = cfg.load({"parallel": {"default": {"ram_style": "bram"}}}, g)
    out = writer.write_project(tmp_path / "fire", render(g, c))
    assert lint(out) == []


def test_good_source_is_clean(tmp_path):
    assert lint(_project(tmp_path, GOOD_TOP)) == []


def _bad(old, new):
    assert old in GOOD_TOP
    return GOOD_TOP.replace(old, new, 1)


@pytest.mark.parametrize("top, message", [
    (_bad("int buf[N];", "int *buf = new int[N];"), "dynamic allocation (new)"),
    (_bad("int buf[N];", "int *buf = (int *)malloc(N * sizeof(int));"), "dynamic allocation (malloc)"),
    (_bad("int buf[N];", "std::vector<int> buf(N);"), "standard container std::vector"),
    (_bad('#include "hls_stream.h"', '#include "hls_stream.h"\n#include <map>'), "standard container"),
    (_bad("template <unsigned K> int sum", "struct B { virtual int f() { return 0; } };\ntemplate <unsigned K> int sum"),
     "virtual functions"),
    (_bad("    return s;\n}", "    return s + fact(s);\n}\nint fact(int n) { return n > 1 ? n * fact(n - 1) : 1; }"),
     "recursion: function fact calls itself"),
    (_bad("for (unsigned i = 0; i < N * 2 / 2; i++) {", "unsigned i = 0;\n    while (i < N) {"), "while / do loop"),
    (_bad("i < N * 2 / 2", "i < (unsigned)in.size()"), "uses in, which is not a constant"),
    (_bad("i + 1 < K; i++", "i + 1 < K; i *= 2"), "step 'i *= 2'"),
    (_bad("HLS PIPELINE II = 1", "HLS PIPELINED II = 1"), "unknown pragma: HLS PIPELINED"),
    (_bad("int buf[N];", "int buf[N];\n#pragma omp parallel"), "unknown pragma: #pragma omp"),
    (_bad("int buf[N];", "int buf[N];\n#pragma HLS PIPELINE_ALL"), "unknown pragma: #pragma HLS PIPELINE_ALL"),
    (_bad("HWSIM_PRAGMA(HLS INTERFACE axis port = out)", ""), "port out of top has no INTERFACE pragma"),
    (_bad("int s = 0;", "int s = 0;\n    int unused = 1;"), "g++ -Wall -Werror"),
])
def test_each_rule_catches_a_violation(tmp_path, top, message):
    problems = lint(_project(tmp_path, top))
    assert any(message in p for p in problems), problems


def test_missing_top_and_firmware(tmp_path):
    assert "no set_top" in lint(writer.write_project(tmp_path / "a", {"firmware/top.cpp": GOOD_TOP}))[0]
    assert "no firmware/" in lint(writer.write_project(tmp_path / "b", {"x.txt": ""}))[0]
    renamed = lint(writer.write_project(tmp_path / "c", {"build_prj.tcl": "set_top other\n",
                                                         "firmware/top.cpp": GOOD_TOP}))
    assert any("other (set_top) is not defined" in p for p in renamed)
