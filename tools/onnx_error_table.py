"""The table of malformed and unsupported ONNX files and what hwsim says about them: each case of
tests/onnx_cases.py (ERROR_CASES, the ones tests/test_onnx_errors.py checks) is written to a temporary
folder and run through `hwsim budget --model CASE.onnx` in-process (with --input-shape where the case
gives one); prints a Markdown table case -> exit code -> the one line on stderr (the folder left out
of the path).
Usage: .venv/bin/python tools/onnx_error_table.py
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests"))

from hwsim import cli  # noqa: E402
from onnx_cases import ERROR_CASES  # noqa: E402


def rows(folder: str):
    for case in ERROR_CASES:
        path = os.path.join(folder, f"{case.id}.onnx")
        case.build(path)
        argv = ["budget", "--model", path]
        if case.input_shape:
            argv += ["--input-shape", "x".join(map(str, case.input_shape))]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
        message = err.getvalue().strip().replace(folder + os.sep, "")
        yield case.id + (f" (--input-shape {argv[-1]})" if case.input_shape else ""), code, message


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        print("| case | exit | message |")
        print("|---|---|---|")
        for case, code, message in rows(folder):
            text = message.replace("|", "\\|").replace("\n", " / ")
            print(f"| {case} | {code} | `{text}` |" if "`" not in text else f"| {case} | {code} | {text} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
