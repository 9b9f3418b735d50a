"""Concat outputs written in place: a conv whose (fused ReLU's) output only a concat reads, and that
the concat takes unchanged (its input type is the concat's result type, so the cast is the identity),
writes its values straight into its channels of the concat's buffer, and with the float reference
its float values and its error rows too. The concat then fills only what no kernel wrote (casting
those inputs) and returns the buffer: no copy of the map, and no pass over it for min/max.

The values are the concat's by construction (the same values at the same places); tests compare
runs with this (simulate.FUSED) and without, value for value and statistic for statistic.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwsim.fixed import FixedType
from hwsim.ir.graph import Graph
from hwsim.sim.ops import storage


@dataclass(frozen=True)
class Slot:
    """Channels [c0, c0 + channels) of concat `concat`'s output."""
    concat: str
    c0: int
    channels: int


def slots(graph: Graph, config) -> dict[str, Slot]:
    """Layer name -> its Slot, for each concat input that can be written in place: read by that
    concat only, once, and unchanged by the concat's cast."""
    readers: dict[str, list[str]] = {}
    for layer in graph.layers:
        for s in layer.inputs:
            readers.setdefault(s, []).append(layer.name)
    out = {}
    for layer in graph.layers:
        if layer.kind != "concat":
            continue
        lc = config[layer.name]
        c0 = 0
        for s, t in zip(layer.inputs, lc.inputs):
            ch = graph.shape(s)[0]
            if readers[s] == [layer.name] and t == lc.result and s != graph.output.name:
                out[s] = Slot(layer.name, c0, ch)
            c0 += ch
        # an input listed twice is read twice: never in place
    return out


@dataclass
class Buffer:
    """A concat's output being filled: raw int64 (N, C, H, W); with the reference, float32 values and
    error rows (N, C, H); `done` maps each input written in place to its (min, max, max error)."""
    raw: np.ndarray
    ref: np.ndarray | None
    err: np.ndarray | None
    sig: np.ndarray | None
    done: dict = field(default_factory=dict)

    def views(self, slot: Slot):
        """(raw (N, ch, H*W), ref (N, ch, H*W) or None, err (N, ch, H), sig) of the slot's channels."""
        n, c, h, w = self.raw.shape
        sl = slice(slot.c0, slot.c0 + slot.channels)
        raw = self.raw.reshape(n, c, h * w)[:, sl]
        if self.ref is None:
            return raw, None, None, None
        return raw, self.ref.reshape(n, c, h * w)[:, sl], self.err[:, sl], self.sig[:, sl]


def buffer(graph: Graph, name: str, n: int, reference: bool, t: FixedType) -> Buffer:
    """The buffers of concat `name` (result type `t`) for a batch of n."""
    c, h, w = graph.shape(name)
    raw = np.empty((n, c, h, w), storage(t))
    if not reference:
        return Buffer(raw, None, None, None)
    return Buffer(raw, np.empty((n, c, h, w), np.float32), np.empty((n, c, h)), np.empty((n, c, h)))
