"""Chunked evaluation of fixed-point configs and of the float network on one data set.

Float: hwsim.sim.reference (numpy float32). Fixed: hwsim.sim.simulate (bit-accurate), whose
per-layer error statistics come from its fused epilogues. Both run on chunks of `chunk` images
through an executor (hwsim.study.executor), so results never depend on the number of workers. A
config travels to the workers as a Config (picklable) and is cached by `Config.key()`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from hwsim.ir.graph import Graph
from hwsim.spec import config as cfg
from hwsim.study.executor import SerialExecutor
from hwsim.util.errors import InputError


# --- jobs ----------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class NetSpec:
    """A picklable network (Graph holds read-only mappings); rebuilt once per worker process."""
    key: str
    name: str
    layers: tuple
    weights: dict

    @classmethod
    def of(cls, graph: Graph) -> "NetSpec":
        weights = {k: {t: np.asarray(a) for t, a in v.items()} for k, v in graph.weights.items()}
        h = hashlib.sha256(str(graph).encode())
        for k in sorted(weights):
            for t in sorted(weights[k]):
                h.update(weights[k][t].tobytes())
        return cls(h.hexdigest()[:16], graph.name, tuple(graph.layers), weights)

    def graph(self) -> Graph:
        g = _GRAPHS.get(self.key)
        if g is None:
            g = Graph(self.name, self.layers).with_weights(self.weights) if self.weights else \
                Graph(self.name, self.layers)
            _GRAPHS.clear()
            _GRAPHS[self.key] = g
        return g


_GRAPHS: dict[str, Graph] = {}


def _float_logits(ref: np.ndarray) -> np.ndarray:
    return ref.reshape(len(ref), -1).astype(np.float64)


def _job(item):
    """One chunk: float logits (config None) or fixed logits, with per-layer error sums when asked
    (and then also the float logits, which the simulator's reference computed on the way)."""
    net, config, x, with_stats = item
    graph = net.graph()
    if config is None:
        from hwsim.sim.reference import run
        return _float_logits(run(graph, x)), None, None
    from hwsim.sim.simulate import run as sim
    res = sim(graph, x, config, reference=with_stats)     # the simulator's own error statistics
    logits = res.values.reshape(len(x), -1)
    if not with_stats:
        return logits, None, None
    return logits, [(s.sq_error, s.sq_signal, s.max_abs_error, s.overflows, s.saturations, s.accum_overflows,
                     s.min, s.max, s.type) for s in res.stats], _float_logits(res.reference)


def _chunks(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


class Evaluator:
    """Evaluates configs on one data set; float logits and results are cached by Config.key()."""

    def __init__(self, graph: Graph, x: np.ndarray, executor=None, chunk: int = 64):
        if chunk < 1:
            raise InputError(f"chunk must be a positive number of images, got {chunk}")
        self.graph, self.x = graph, np.ascontiguousarray(x, dtype=np.float32)
        self.executor = executor if executor is not None else SerialExecutor(progress=False)
        self.net = NetSpec.of(graph)
        self.slices = _chunks(len(self.x), chunk)
        self._cache: dict[str, tuple] = {}

    def run(self, configs: list, stats: bool = False, label: str | None = None) -> list[tuple]:
        """[(logits (N, K), per-layer rows or None)] for each Config (None = the float network)."""
        for c in configs:
            if c is not None and not isinstance(c, cfg.Config):
                raise TypeError(f"Evaluator.run takes Configs (hwsim.spec.config.load), got {type(c).__name__}")
        keys = [("float" if c is None else c.key()) + ("+stats" if stats else "") for c in configs]
        todo = [k for i, k in enumerate(keys) if k not in self._cache and k not in keys[:i]]
        todo_configs = [configs[keys.index(k)] for k in todo]
        items = [(self.net, c, self.x[s], stats) for c in todo_configs for s in self.slices]
        results = self.executor.map(_job, items, label) if items else []
        n = len(self.slices)
        for j, k in enumerate(todo):
            part = results[j * n:(j + 1) * n]
            logits = np.concatenate([p[0] for p in part])
            rows = _merge_rows([p[1] for p in part]) if stats else None
            self._cache[k] = (logits, rows)
            if part and part[0][2] is not None:      # the float network's logits came with the statistics
                self._cache.setdefault("float", (np.concatenate([p[2] for p in part]), None))
        return [self._cache[k] for k in keys]

    def float_logits(self) -> np.ndarray:
        return self.run([None], label="float reference")[0][0]

    def logits(self, config: cfg.Config) -> np.ndarray:
        return self.run([config])[0][0]


def _merge_rows(parts: list) -> list:
    out = []
    for rows in zip(*parts):
        out.append((sum(r[0] for r in rows), sum(r[1] for r in rows), max(r[2] for r in rows),
                    sum(r[3] for r in rows), sum(r[4] for r in rows), sum(r[5] for r in rows),
                    min(r[6] for r in rows), max(r[7] for r in rows), rows[0][8]))
    return out


# --- metrics -----------------------------------------------------------------------------------
def topk(logits: np.ndarray, y: np.ndarray, k: int) -> float:
    """Fraction of rows whose label is among the k largest logits (ties: lower index first)."""
    order = np.argsort(-logits, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(order == np.asarray(y)[:, None], axis=1)))


def agreement(fixed: np.ndarray, ref: np.ndarray) -> float:
    """Fraction of rows whose top-1 class is the same in both."""
    return float(np.mean(np.argmax(fixed, axis=1) == np.argmax(ref, axis=1)))


def onchip(graph: Graph, config: cfg.Config, device=None, budget=None):
    """hwsim.hw.estimate's stream estimate (the report) for this config."""
    from hwsim.hw import estimate as memory
    kwargs = {} if budget is None else {"budget": budget}
    return memory.estimate(graph, config, "stream", device=device, **kwargs)
