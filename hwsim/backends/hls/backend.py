"""The `hls` backend: write a project from the Jinja templates; build and run its g++ C simulation.

The firmware is built once per content: the binary lives in <cache>/csim-<hash>/ where the hash
covers every file under firmware/ and tb/, the compiler, its flags and the ap_types folder, so a
repeated csim on an unchanged project skips g++, also after `generate --force` rewrote the project
with the same files (the demo). <cache> is $HWSIM_CACHE_DIR, else $XDG_CACHE_HOME/hwsim, else
~/.cache/hwsim. Beyond the CACHE_KEEP most recently used builds, those unused for CACHE_IDLE_S
are removed (never a build another process may be using right now). Translation units (top, one per layer's weights, testbench)
compile in parallel, largest first.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from hwsim.util import toolchain as cpp
from hwsim.util.cache import cache_dir
from hwsim.backends import registry as backends
from hwsim.backends.hls.render import render
from hwsim.backends.writer import write_files

STREAM_WARNING = "WARNING: Hls::stream"


def generate(graph, config, folder: Path, tool: str = "vitis") -> None:
    write_files(folder, render(graph, config, tool))


def sources(folder: Path) -> list[Path]:
    """The .cpp files of the C simulation: top, weights, testbench."""
    srcs = [folder / "firmware" / "top.cpp", *sorted((folder / "firmware" / "weights").glob("*.cpp")),
            folder / "tb" / "testbench.cpp"]
    for s in srcs:
        if not s.is_file():
            raise ValueError(f"{folder} is not an hls project: {s.relative_to(folder)} is missing")
    return srcs


BOUNDED_FLAGS = ("-DHWSIM_BOUNDED", "-pthread")
EXIT_DEADLOCK = 4           # the testbench's exit code when the bounded C simulation deadlocks


class DeadlockError(cpp.RunError):
    """The bounded C simulation stopped: every kernel waited (the message names the streams)."""


def _flags(folder: Path, bounded: bool = False) -> list[str]:
    inc = ["-I", str(folder / "firmware" / "kernels" / "bounded"), *BOUNDED_FLAGS] if bounded else []
    return [*cpp.OPT_FLAGS, *inc, "-I", str(folder / "firmware"), "-I", str(folder / "firmware" / "kernels")]


def build_key(folder: Path, bounded: bool = False) -> str:
    h = hashlib.sha256()
    h.update("\0".join([cpp.compiler(), str(cpp.ap_types_dir()), *cpp.STD_FLAGS, *cpp.OPT_FLAGS,
                        *(BOUNDED_FLAGS if bounded else ())]).encode())
    for sub in ("firmware", "tb"):
        for p in sorted((folder / sub).rglob("*")):
            if p.is_file():
                h.update(b"\0" + str(p.relative_to(folder)).encode() + b"\0")
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


CACHE_KEEP = 16
CACHE_IDLE_S = 3600.0


def _prune(cache: Path) -> None:
    """Remove the builds past the CACHE_KEEP most recently used that have been idle CACHE_IDLE_S."""
    import time
    builds = sorted(cache.glob("csim-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in builds[CACHE_KEEP:]:
        if time.time() - old.stat().st_mtime > CACHE_IDLE_S:
            shutil.rmtree(old, ignore_errors=True)


def build(folder: str | Path, jobs: int | None = None, timeout: float = 1800.0, progress: bool = False,
          bounded: bool = False) -> Path:
    """The C-simulation executable of an hls project, compiled unless cached; `jobs` parallel g++
    (default: hwsim.util.threads.workers()). `bounded`: the bounded C simulation
    (templates/kernels/bounded/hls_stream.h: every kernel a thread, every stream at its depth)."""
    from hwsim.util.threads import workers
    jobs = jobs or workers()
    folder = Path(folder).resolve()
    srcs = sources(folder)
    key = build_key(folder, bounded)
    cache = cache_dir()
    out_dir = cache / f"csim-{key}"
    exe = out_dir / "csim"
    if exe.is_file():
        os.utime(out_dir)                  # most recently used: kept longest
        return exe
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".csim-", dir=cache))
    try:
        flags = _flags(folder, bounded)
        order = sorted(srcs, key=lambda s: -s.stat().st_size)
        objs = {s: tmp / f"{i}_{s.stem}.o" for i, s in enumerate(srcs)}
        if progress:
            print(f"csim: compiling {len(srcs)} files with g++ ({jobs} jobs)", file=sys.stderr)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(cpp.compile, [s], objs[s], ["-c", *flags], timeout) for s in order]
            for f in futures:
                f.result()
        cpp.compile([objs[s] for s in srcs], tmp / "csim", list(BOUNDED_FLAGS[1:]) if bounded else [], timeout)
        for o in objs.values():
            o.unlink()
        try:
            os.rename(tmp, out_dir)
        except OSError:                    # another process built the same content meanwhile
            if not exe.is_file():
                raise
        _prune(cache)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return exe


def _pump(stream, sink: list, echo: bool) -> None:
    for line in stream:
        sink.append(line)
        if echo:
            sys.stderr.write(line)
            sys.stderr.flush()


def _write_raw(path: Path, raw: np.ndarray) -> None:
    """Raw mantissas (N, C, H, W) as the testbench reads them: little-endian int64, HWC per image."""
    np.ascontiguousarray(np.asarray(raw, dtype=np.int64).transpose(0, 2, 3, 1)).astype("<i8").tofile(path)


def _run_one(exe: Path, folder: Path, args: list[str], timeout: float, echo: bool) -> None:
    proc = subprocess.Popen([str(exe), *args], cwd=folder, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_lines, err_lines = [], []
    pumps = [threading.Thread(target=_pump, args=(proc.stdout, out_lines, False), daemon=True),
             threading.Thread(target=_pump, args=(proc.stderr, err_lines, echo), daemon=True)]
    for t in pumps:
        t.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise cpp.RunError(f"C simulation timed out after {timeout:g} s") from None
    for t in pumps:
        t.join()
    if proc.returncode == EXIT_DEADLOCK:
        line = next((l.strip() for l in err_lines if l.startswith("tb: deadlock:")), "tb: deadlock")
        raise DeadlockError("bounded C simulation " + line[len("tb: "):])
    if proc.returncode != 0:
        tail = "".join((out_lines + err_lines)[-cpp.MAX_ERROR_LINES:]).rstrip()
        raise cpp.RunError(f"C simulation exited with code {proc.returncode}:\n{tail}")
    warnings = [l.strip() for l in out_lines if STREAM_WARNING in l]
    if warnings:
        raise cpp.RunError(f"C simulation left streams unbalanced ({len(warnings)} warnings): {warnings[0]}")


def _read_counts(path: Path) -> tuple[int, list[int]]:
    lines = path.read_text().split("\n")
    images = int(lines[0].split()[1])
    return images, [int(l.split()[1]) for l in lines[1:] if l.strip()]


def run_csim(request: backends.CsimRequest) -> np.ndarray:
    """Build (cached), run the testbench on request.x_raw; output raw mantissas (N, C, H, W).
    The images are spread over hwsim.util.threads.workers() processes, each on a contiguous share;
    their iteration counts are summed into tb_data/cycles.txt. Leaves tb_data/input.bin (and
    tb_data/expected.bin from request.expected) for `make csim`."""
    from hwsim.util.threads import workers
    folder = Path(request.folder).resolve()
    graph = request.graph
    exe = build(folder, timeout=request.build_timeout, progress=request.progress, bounded=request.bounded)
    n = len(request.x_raw)
    data = folder / "tb_data"
    data.mkdir(exist_ok=True)
    _write_raw(data / "input.bin", request.x_raw)
    if request.expected is not None:
        _write_raw(data / "expected.bin", request.expected)
    (data / "output.bin").unlink(missing_ok=True)
    k = max(1, min(workers(), n))
    bounds = [round(i * n / k) for i in range(k + 1)]
    c, h, w = graph.output_shape
    with tempfile.TemporaryDirectory(prefix=".run-", dir=data) as tmp:
        tmp = Path(tmp)
        jobs = []
        for i in range(k):
            _write_raw(tmp / f"in{i}.bin", request.x_raw[bounds[i]:bounds[i + 1]])
            jobs.append([str(tmp / f"in{i}.bin"), str(tmp / f"out{i}.bin"), "", str(tmp / f"cycles{i}.txt")])
        with ThreadPoolExecutor(max_workers=k) as pool:
            futures = [pool.submit(_run_one, exe, folder, a, request.timeout, request.progress and i == 0)
                       for i, a in enumerate(jobs)]
            for f in futures:
                f.result()
        parts, totals = [], None
        for i in range(k):
            got = np.fromfile(tmp / f"out{i}.bin", dtype="<i8")
            if got.size != (bounds[i + 1] - bounds[i]) * c * h * w:
                raise cpp.RunError(f"C simulation wrote {got.size} values, expected "
                                   f"{(bounds[i + 1] - bounds[i]) * c * h * w}")
            parts.append(got)
            _, counts = _read_counts(tmp / f"cycles{i}.txt")
            totals = counts if totals is None else [a + b for a, b in zip(totals, counts)]
    got = np.concatenate(parts)
    got.astype("<i8").tofile(data / "output.bin")
    (data / "cycles.txt").write_text(f"images {n}\n" + "".join(f"{i} {t}\n" for i, t in enumerate(totals)))
    return got.reshape(n, h, w, c).transpose(0, 3, 1, 2).astype(np.int64)


def cycle_report(folder: str | Path) -> dict:
    """The counted iterations of the last C simulation (tb_data/cycles.txt) against plan.json:
    {'kernels', 'differ': [(unit, counted per image, planned)], 'bottleneck': (layer, unit, cycles)}."""
    import json
    folder = Path(folder)
    plan = json.loads((folder / "plan.json").read_text())
    units = [u for layer in plan["layers"] for u in layer["units"]]
    order = {u["name"]: u for u in units}
    images, counts = _read_counts(folder / "tb_data" / "cycles.txt")
    calls = plan.get("calls") or [u["name"] for u in units]
    if len(counts) != len(calls):
        raise cpp.RunError(f"C simulation counted {len(counts)} kernels, the plan has {len(calls)}")
    differ, per_image = [], {}
    for name, total in zip(calls, counts):
        got = total / images
        per_image[name] = got
        if got != order[name]["cycles"]:
            differ.append((name, got, order[name]["cycles"]))
    top = max(calls, key=lambda n: per_image[n])
    return {"kernels": len(calls), "differ": differ,
            "bottleneck": (order[top]["layer"], top, int(per_image[top]))}


backends.register("hls", generate=generate, csim=run_csim)
