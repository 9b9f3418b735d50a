"""The I/O order of every kernel: at which iteration of its pipelined loop a unit reads or writes a
beat, and on which stream, exactly as the C++ loops of templates/kernels do it.

`order(unit)` -> `Order(ports, pattern, period)`: `ports` lists the unit's streams in the order the
kernel's loop body touches them (its inputs, then its outputs: every kernel reads before it writes,
and reads / writes its streams in argument order); `pattern[i, p]` is True when iteration i
performs the operation on port p. The pattern repeats with `period` iterations (`unit.cycles` is a
multiple of it; the sliding window's period is its whole image). Iterations of one image are
followed by the next image's, the kernels keeping no state across images.

tests/test_fifo_sim.py checks these orders against the kernels themselves: the bounded C
simulation (templates/kernels/bounded/hls_stream.h) can trace every read and write with the
iteration it happened in.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.hw.plan import Unit
from hwsim.hw.units import real_rows


@dataclass(frozen=True)
class Order:
    ports: tuple[tuple[str, bool], ...]   # (stream name, is_write) in loop-body order
    pattern: np.ndarray                   # bool [period, len(ports)]

    @property
    def period(self) -> int:
        return int(self.pattern.shape[0])


def _swu(f) -> np.ndarray:
    cf = f["n_chan"] // f["simd"]
    row_words = f["in_width"] * cf
    kh, sh, ph, h = f["filt_height"], f["stride_height"], f["pad_height"], f["in_height"]
    emit = f["out_width"] * cf * kh * (f["filt_width"] // f.get("taps", 1))
    blocks = []
    first = real_rows(0, kh, ph, h) * row_words
    if first:
        blocks.append(np.stack([np.ones(first, bool), np.zeros(first, bool)], axis=1))
    for s in range(1, f["out_height"] + 1):
        reads = real_rows((s - 1) * sh + kh, s * sh + kh, ph, h) * row_words
        n = max(reads, emit)
        k = np.arange(n)
        blocks.append(np.stack([k < reads, k < emit], axis=1))
    return np.concatenate(blocks)


def _mvau(f) -> np.ndarray:
    sf, nf = f["sf"], f["nf"]
    k = np.arange(nf * sf)
    return np.stack([k < sf, k % sf == sf - 1], axis=1)


def _pool(f) -> np.ndarray:
    n = f["taps"] // f.get("simd", 1)     # a dwu: simd taps (1 or a kernel row) per iteration
    k = np.arange(n)
    return np.stack([np.ones(n, bool), k == n - 1], axis=1)


def _gap(f) -> np.ndarray:
    n = f["pixels"] * f["cf"]
    k = np.arange(n)
    return np.stack([np.ones(n, bool), k >= n - f["cf"]], axis=1)


def _concat(f) -> np.ndarray:
    k = np.arange(f["cf1"] + f["cf2"])
    return np.stack([k < f["cf1"], k >= f["cf1"], np.ones(len(k), bool)], axis=1)


def _convert(f) -> np.ndarray:
    a, b, reads, writes = f["in_pe"], f["out_pe"], f["reads"], f["writes"]
    rows = []
    r = w = 0
    for _ in range(max(reads, writes)):       # the C++ loop body, one chunk
        rd = r < reads and (a <= b or r * a < (w + 1) * b)
        if rd:
            r += 1
        wr = w < writes and (w + 1) * b <= r * a
        if wr:
            w += 1
        rows.append((rd, wr))
    return np.array(rows, bool)


def _every(n_ports: int) -> np.ndarray:
    return np.ones((1, n_ports), bool)


def order(unit: Unit) -> Order:
    f = dict(unit.fields)
    kind = unit.kind
    if kind == "swu":
        pat = _swu(f)
    elif kind == "mvau":
        pat = _mvau(f)
    elif kind in ("pool", "dwu"):          # one read per iteration, a write at each channel fold's last one
        pat = _pool(f)
    elif kind == "gap":
        pat = _gap(f)
    elif kind == "concat":
        pat = _concat(f)
    elif kind == "convert":
        pat = _convert(f)
    elif kind in ("cast", "add", "split"):
        pat = _every(len(unit.inputs) + len(unit.outputs))
    else:
        raise ValueError(f"unit {unit.name}: no I/O order for kind {kind!r}")
    ports = tuple((s, False) for s in unit.inputs) + tuple((s, True) for s in unit.outputs)
    if pat.shape[1] != len(ports):
        raise ValueError(f"unit {unit.name}: {pat.shape[1]} operations per iteration, {len(ports)} streams")
    if unit.cycles % pat.shape[0]:
        raise ValueError(f"unit {unit.name}: {unit.cycles} cycles is not a multiple of its period {pat.shape[0]}")
    return Order(ports, pat)


def beats(o: Order, cycles: int) -> dict[str, int]:
    """Beats per image on each port (a check against the plan's streams)."""
    reps = cycles // o.period
    return {name: int(o.pattern[:, p].sum()) * reps for p, (name, _) in enumerate(o.ports)}
