"""Compile an hls4ml project and run its C simulation in a child process.

    python -m hwsim.backends.hls4ml.runner PROJECT_DIR INPUT.npy OUTPUT.npy N_OUT

The child runs the project's own `build_lib.sh` (what hls4ml's `ModelGraph.compile()` runs after
writing the project) unless the library is newer than every source, loads
`firmware/<project>-<stamp>.so` and calls `<project>_double` once per image, as
`ModelGraph.predict()` does for float64 input: inputs are converted with
`nnet::convert_data<double, input_t>` and outputs with `.to_double()`, both exact for the types
hwsim uses. INPUT.npy holds (N, ...) float64 images in hls4ml's layout (channels last); OUTPUT.npy
receives (N, N_OUT) float64. A C++ assert inside the model aborts the child only: `predict()` in the
parent turns that into a RuntimeError carrying the assert's message.
"""
from __future__ import annotations

import ctypes
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

BUILD_TIMEOUT = 1800


def _stamp(project: Path) -> tuple[str, str]:
    script = project / "build_lib.sh"
    if not script.is_file():
        raise ValueError(f"{project}: no build_lib.sh, not an hls4ml project")
    text = script.read_text()
    name = re.search(r"^PROJECT=(\S+)", text, re.M)
    stamp = re.search(r"^LIB_STAMP=(\S+)", text, re.M)
    if not name or not stamp:
        raise ValueError(f"{script}: PROJECT / LIB_STAMP not found")
    return name.group(1), stamp.group(1)


def library(project: Path) -> Path:
    """Path of the compiled C-sim library (built by build_lib.sh when missing or stale)."""
    name, stamp = _stamp(project)
    lib = project / "firmware" / f"{name}-{stamp}.so"
    sources = [p for p in (project / "firmware").rglob("*") if p.suffix in (".h", ".cpp", ".txt")]
    sources.append(project / f"{name}_bridge.cpp")
    if lib.is_file() and lib.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
        return lib
    for old in (project / "firmware").glob(f"{name}-*.so"):
        old.unlink()      # compile() leaves one library per stamp; keep only the current one
    done = subprocess.run(["bash", "build_lib.sh"], cwd=project, capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT)
    if done.returncode != 0:
        errs = [l for l in (done.stdout + done.stderr).splitlines() if "error" in l]
        raise RuntimeError(f"hls4ml project {project} failed to compile: "
                           f"{errs[0] if errs else done.stderr.strip()[-300:]}")
    return lib


def run_images(project: Path, x: np.ndarray, n_out: int) -> np.ndarray:
    """In this process: compile if needed, then the C-sim on each image. Returns (N, n_out)."""
    name, _ = _stamp(project)
    lib = ctypes.cdll.LoadLibrary(str(library(project)))
    top = getattr(lib, f"{name}_double")
    ptr = np.ctypeslib.ndpointer(ctypes.c_double, flags="C_CONTIGUOUS")
    top.restype, top.argtypes = None, [ptr, ptr]
    out = np.zeros((x.shape[0], n_out), np.float64)
    for i in range(x.shape[0]):
        y = np.zeros(n_out, np.float64)
        top(np.ascontiguousarray(x[i], dtype=np.float64).ravel(), y)
        out[i] = y
    return out


def predict(project, x: np.ndarray, n_out: int, timeout: float = BUILD_TIMEOUT) -> np.ndarray:
    """Compile and run the hls4ml C-sim of `project` in a child process; (N, n_out) float64."""
    project = Path(project)
    _stamp(project)
    with tempfile.TemporaryDirectory(prefix="hwsim_hls4ml_") as tmp:
        xin, yout = Path(tmp) / "x.npy", Path(tmp) / "y.npy"
        np.save(xin, np.ascontiguousarray(x, dtype=np.float64))
        cmd = [sys.executable, "-m", "hwsim.backends.hls4ml.runner", str(project), str(xin), str(yout), str(n_out)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)     # the child and the g++ it started
            proc.communicate()
            raise RuntimeError(f"hls4ml C-sim of {project} ran past {timeout:.0f} s") from None
        done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
        if done.returncode != 0:
            raise RuntimeError(_failure(project, done))
        return np.load(yout)


def _failure(project, done) -> str:
    lines = [l for l in done.stderr.splitlines() if l.strip()]
    asserts = [l for l in lines if "Assertion" in l or "assert" in l]
    detail = (asserts or lines or ["no output"])[-1].strip()
    if done.returncode < 0:
        sig = signal.Signals(-done.returncode).name
        return f"hls4ml C-sim of {project} was killed by {sig}: {detail}"
    return f"hls4ml C-sim of {project} failed (exit {done.returncode}): {detail}"


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 4:
        print("usage: python -m hwsim.backends.hls4ml.runner PROJECT_DIR INPUT.npy OUTPUT.npy N_OUT", file=sys.stderr)
        return 2
    project, xin, yout = Path(args[0]), args[1], args[2]
    try:
        y = run_images(project, np.load(xin), int(args[3]))
    except (ValueError, RuntimeError, OSError) as e:
        print(f"hls4ml_runner: {e}", file=sys.stderr)
        return 1
    np.save(yout, y)
    return 0


if __name__ == "__main__":
    sys.exit(main())
