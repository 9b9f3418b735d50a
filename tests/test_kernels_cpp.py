"""The hand-written HLS kernels (templates/kernels/*.h): C++ unit tests, syntax and synthesizability lint.

Each tests/cpp/test_*.cpp checks kernels against a naive ap_fixed reference written in that file and
prints "N passed, M failed"; here each is compiled with g++ -std=c++14 -O1 and run.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from hwsim.util import toolchain as cpp

CPP_TESTS = Path(__file__).resolve().parent / "cpp"
KERNELS = cpp.kernels_dir()
HEADERS = sorted(KERNELS.glob("*.h"))
# -Wuninitialized / -Wmaybe-uninitialized fire inside the ap_types headers themselves at -O1
# (their constructors leave the mantissa unset before a bit-level write); everything else is an error.
TEST_FLAGS = ["-O1", "-Wall", "-Werror", "-Wno-uninitialized", "-Wno-maybe-uninitialized", "-I", str(KERNELS)]
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)

# Directives accepted by Vivado HLS / Vitis HLS that the kernels may use.
KNOWN_PRAGMAS = {"PIPELINE", "UNROLL", "INLINE", "ARRAY_PARTITION", "ARRAY_RESHAPE", "DATAFLOW", "STREAM",
                 "LOOP_TRIPCOUNT", "LOOP_FLATTEN", "RESOURCE", "BIND_STORAGE", "BIND_OP", "INTERFACE", "DEPENDENCE",
                 "ALLOCATION"}
FORBIDDEN = {
    r"\bnew\b": "dynamic allocation",
    r"\b(malloc|calloc|realloc|free)\s*\(": "dynamic allocation",
    r"\bdelete\b": "dynamic allocation",
    r"\bvirtual\b": "virtual function",
    r"\bstd::": "STL use",
    r"#include\s*<(vector|map|list|deque|set|string|memory|iostream|algorithm)>": "STL header",
    r"\bwhile\s*\(": "loop without a constant bound",
    r"#pragma\s+HLS": "raw HLS pragma (g++ -Wall rejects it: write HWSIM_PRAGMA(HLS ...))",
}


def test_headers_exist():
    names = {h.name for h in HEADERS}
    assert {"hwsim_common.h", "hwsim_swu.h", "hwsim_mvau.h", "hwsim_dwu.h", "hwsim_stream.h"} <= names
    assert not names & {"hwsim_conv.h", "hwsim_pool.h", "hwsim_gap.h", "hwsim_merge.h"}  # the removed kernels


@pytest.mark.parametrize("header", HEADERS, ids=lambda p: p.name)
def test_header_compiles_with_wall_werror(header):
    cpp.compile(header, None, ["-Wall", "-Werror", "-I", str(KERNELS)], timeout=60)


def _code(text: str) -> str:
    """Source without // comments (the lint looks at code only)."""
    return re.sub(r"//[^\n]*", "", text)


@pytest.mark.parametrize("header", HEADERS, ids=lambda p: p.name)
def test_header_is_synthesizable_style(header):
    code = _code(header.read_text())
    for pattern, why in FORBIDDEN.items():
        hit = re.search(pattern, code)
        assert hit is None, f"{header.name}: {why}: {hit.group(0)!r}"
    for directive in re.findall(r"HWSIM_PRAGMA\(HLS\s+(\w+)", code):
        assert directive in KNOWN_PRAGMAS, f"{header.name}: unknown HLS pragma {directive}"


def test_lint_catches_forbidden_code():
    code = _code("int *p = new int[4]; // new in a comment is fine\nstd::vector<int> v;")
    assert re.search(r"\bnew\b", code) and re.search(r"\bstd::", code)
    assert not re.search(r"\bnew\b", _code("// allocate nothing new here"))


CPP_SOURCES = sorted(CPP_TESTS.glob("test_*.cpp"))


@pytest.mark.csim
@pytest.mark.parametrize("source", CPP_SOURCES, ids=lambda p: p.stem)
def test_kernel_cpp(source, tmp_path):
    exe = cpp.compile(source, tmp_path / source.stem, TEST_FLAGS, timeout=240)
    out = cpp.run(exe, timeout=60)
    assert "read while empty" not in out, out
    found = SUMMARY.findall(out)
    assert len(found) == 1, f"no summary line in output:\n{out}"
    passed, failed = map(int, found[0])
    assert failed == 0, out
    assert passed >= 6, out


def test_cpp_sources_present():
    assert {p.stem for p in CPP_SOURCES} >= {"test_swu", "test_mvau", "test_dwu", "test_stream"}


# --- hwsim.util.toolchain helper -------------------------------------------------------------------------

def test_ap_types_dir_has_headers():
    folder = cpp.ap_types_dir()
    for name in ("ap_fixed.h", "ap_int.h", "hls_stream.h", "ap_shift_reg.h"):
        assert (folder / name).is_file()


def test_compile_error_is_short_and_names_the_error(tmp_path):
    src = tmp_path / "bad.cpp"
    src.write_text("#include \"ap_fixed.h\"\nint main() { ap_fixed<8, 3> x = undefined_name; return 0; }\n"
                   + "".join(f"int f{i}() {{ return missing{i}; }}\n" for i in range(40)))
    with pytest.raises(cpp.CompileError) as info:
        cpp.compile(src, tmp_path / "bad", timeout=60)
    msg = str(info.value)
    assert "undefined_name" in msg and "bad.cpp" in msg
    assert len(msg.splitlines()) <= cpp.MAX_ERROR_LINES + 1


def test_compile_and_run_roundtrip(tmp_path):
    src = tmp_path / "ok.cpp"
    src.write_text("#include <cstdio>\n#include \"ap_fixed.h\"\n"
                   "int main(int argc, char **argv) { ap_fixed<8, 3, AP_RND> x = 1.30; "
                   "std::printf(\"%s %d\\n\", x.to_string(10).c_str(), argc); return 0; }\n")
    exe = cpp.compile([src], tmp_path / "ok", ["-O0"], timeout=60)
    assert cpp.run(exe, ["a", "b"], timeout=30).split() == ["1.3125", "3"]


def test_run_reports_exit_code_and_timeout(tmp_path):
    src = tmp_path / "slow.cpp"
    src.write_text("#include <cstdio>\n#include <cstdlib>\n"
                   "int main(int argc, char **) { if (argc > 1) { std::puts(\"boom\"); return 3; }"
                   " volatile unsigned long i = 0; for (;;) i++; }\n")
    exe = cpp.compile(src, tmp_path / "slow", timeout=60)
    with pytest.raises(cpp.RunError, match="code 3"):
        cpp.run(exe, ["x"], timeout=30)
    with pytest.raises(cpp.RunError, match="timed out"):
        cpp.run(exe, timeout=0.5)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        cpp.compile(tmp_path / "missing.cpp", tmp_path / "x")
    with pytest.raises(ValueError, match="no source"):
        cpp.compile([], tmp_path / "x")
    with pytest.raises(TypeError, match="extra_flags"):
        cpp.compile(HEADERS[0], None, "-Wall")
    with pytest.raises(ValueError, match="timeout"):
        cpp.compile(HEADERS[0], None, timeout=0)
    with pytest.raises(ValueError, match="not found"):
        cpp.run(tmp_path / "missing")
