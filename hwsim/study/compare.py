"""Fixed-point vs float accuracy on labelled data: `compare(graph, config, data) -> Report`.

Float: hwsim.sim.reference (numpy float32). Fixed: hwsim.sim.simulate (bit-accurate). Both run on chunks of
`chunk` images through an executor (hwsim.study.executor), so results never depend on the number of
workers. Per layer, SQNR = 10 log10(sum ref^2 / sum (ref - fixed)^2) over the whole data set, of the
layer's output against the float network's output at the same layer (errors accumulate along the
net); max abs error, overflows and saturations are totals over the data set. The worst layers are the
`WORST` lowest-SQNR layers among those with their own result type (input, conv, dense, pools that
average, add, concat) plus every layer that overflowed.

`sweep` sets every activation and weight to one width W, with integer bits from observed ranges
(hwsim.study.tune.precision_doc documents the rule and the rounding modes).
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np

from hwsim.spec import config as cfg
from hwsim.report import tables
from hwsim.report.tables import FORMATS
from hwsim.study.executor import SerialExecutor
from hwsim.ir.graph import Graph
from hwsim.util.errors import InputError

WORST = 3


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


def _job(item):
    """One chunk: float logits (doc None) or fixed logits, with per-layer error sums when asked."""
    net, doc, x, with_stats = item
    graph = net.graph()
    if doc is None:
        from hwsim.sim.reference import run
        return run(graph, x).reshape(len(x), -1).astype(np.float64), None
    from hwsim.sim.simulate import run as sim
    config = cfg.load(doc, graph)
    res = sim(graph, x, config, reference=with_stats)     # the simulator's own error statistics
    logits = res.values.reshape(len(x), -1)
    if not with_stats:
        return logits, None
    return logits, [(s.sq_error, s.sq_signal, s.max_abs_error, s.overflows, s.saturations, s.accum_overflows,
                     s.min, s.max, s.type) for s in res.stats]


def _chunks(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


class Evaluator:
    """Evaluates configs on one data set; float logits and results are cached by config text."""

    def __init__(self, graph: Graph, x: np.ndarray, executor=None, chunk: int = 64):
        if chunk < 1:
            raise InputError(f"chunk must be a positive number of images, got {chunk}")
        self.graph, self.x = graph, np.ascontiguousarray(x, dtype=np.float32)
        self.executor = executor if executor is not None else SerialExecutor(progress=False)
        self.net = NetSpec.of(graph)
        self.slices = _chunks(len(self.x), chunk)
        self._cache: dict[str, tuple] = {}

    def run(self, docs: list, stats: bool = False, label: str | None = None) -> list[tuple]:
        """[(logits (N, K), per-layer rows or None)] for each doc (None = the float network)."""
        keys = [json.dumps(d, sort_keys=True) + ("+stats" if stats else "") for d in docs]
        todo = [k for i, k in enumerate(keys) if k not in self._cache and k not in keys[:i]]
        docs_todo = [docs[keys.index(k)] for k in todo]
        items = [(self.net, d, self.x[s], stats) for d in docs_todo for s in self.slices]
        results = self.executor.map(_job, items, label) if items else []
        n = len(self.slices)
        for j, k in enumerate(todo):
            part = results[j * n:(j + 1) * n]
            logits = np.concatenate([p[0] for p in part])
            rows = _merge_rows([p[1] for p in part]) if stats else None
            self._cache[k] = (logits, rows)
        return [self._cache[k] for k in keys]

    def float_logits(self) -> np.ndarray:
        return self.run([None], label="float reference")[0][0]

    def logits(self, doc: dict) -> np.ndarray:
        return self.run([doc])[0][0]


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


# --- report --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerReport:
    name: str
    kind: str
    type: str
    sqnr_db: float | None        # inf when exact; None when the float layer is all zeros
    max_abs_err: float
    overflows: int
    saturations: int
    accum_overflows: int
    min: float
    max: float
    worst: bool = False

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["exact"] = self.sqnr_db == math.inf
        if d["exact"]:
            d["sqnr_db"] = None
        return d


@dataclass(frozen=True)
class SweepPoint:
    width: int
    fixed_top1: float
    fixed_top5: float | None
    agreement: float
    onchip_bits: int
    weight_bits: int
    activation_bits: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Report:
    model: str
    data: str
    samples: int
    num_classes: int
    precision: str               # a short description of the fixed-point config
    float_top1: float
    fixed_top1: float
    float_top5: float | None     # None with fewer than 5 classes
    fixed_top5: float | None
    agreement: float
    layers: tuple[LayerReport, ...]
    onchip_bits: int | None = None
    sweep: tuple[SweepPoint, ...] = ()

    @property
    def worst(self) -> list[str]:
        return [l.name for l in self.layers if l.worst]

    def to_dict(self) -> dict:
        d = {"schema": "hwsim.compare/1"}
        d.update({k: v for k, v in self.__dict__.items() if k not in ("layers", "sweep")})
        d["worst_layers"] = self.worst
        d["layers"] = [l.to_dict() for l in self.layers]
        d["sweep"] = [p.to_dict() for p in self.sweep]
        return d


def _layer_reports(graph: Graph, rows: list) -> tuple[LayerReport, ...]:
    out = []
    for layer, r in zip(graph.layers, rows):
        err2, sig2 = r[0], r[1]
        sqnr = math.inf if err2 == 0 else (10 * math.log10(sig2 / err2) if sig2 > 0 else None)
        out.append(LayerReport(layer.name, layer.kind, r[8], sqnr, r[2], int(r[3]), int(r[4]),
                               int(r[5]), r[6], r[7]))
    ranked = sorted((l for l, layer in zip(out, graph.layers) if not layer.passes_type and l.sqnr_db is not None and l.sqnr_db != math.inf),
                    key=lambda l: l.sqnr_db)
    worst = {l.name for l in ranked[:WORST]} | {l.name for l in out if l.overflows or l.accum_overflows}
    return tuple(LayerReport(**{**l.__dict__, "worst": l.name in worst}) for l in out)


def describe(config: cfg.Config) -> str:
    """A short text for a config: the distinct result and weight types it uses."""
    res = sorted({str(lc.result) for lc in config.layers.values()})
    wts = sorted({str(lc.weight) for lc in config.layers.values() if lc.weight is not None})
    def short(ts):
        return ts[0] if len(ts) == 1 else f"{len(ts)} types"
    return f"input {config.input}; results {short(res)}; weights {short(wts)}"


def compare(graph: Graph, config: cfg.Config, data, executor=None, chunk: int = 64,
            sweep_widths=None, calib_x=None) -> Report:
    """Float vs fixed on `data` (a hwsim.study.data.Dataset); with `sweep_widths` also a width sweep
    (ranges observed on `calib_x`, default the data itself)."""
    ev = Evaluator(graph, data.x, executor, chunk)
    ref = ev.float_logits()
    logits, rows = ev.run([cfg.to_document(config)], stats=True, label="fixed point")[0]
    k = logits.shape[1]
    t5 = k >= 5
    points = ()
    if sweep_widths:
        from hwsim.study.tune import calibrate
        points = sweep(graph, data, sweep_widths, ev, calibrate(graph, data.x if calib_x is None else calib_x))
    return Report(graph.name, data.name, len(data), k, describe(config), topk(ref, data.y, 1),
                  topk(logits, data.y, 1), topk(ref, data.y, 5) if t5 else None,
                  topk(logits, data.y, 5) if t5 else None, agreement(logits, ref),
                  _layer_reports(graph, rows), onchip(graph, config).totals.onchip_bits, points)


def sweep(graph: Graph, data, widths, ev: "Evaluator", ranges) -> tuple[SweepPoint, ...]:
    """Accuracy and on-chip memory with every activation and weight at each width (module doc);
    `ranges` from hwsim.study.tune.calibrate."""
    from hwsim.study.tune import precision_doc
    widths = [int(w) for w in widths]
    docs = [{"precision": precision_doc(graph, ranges, w, w)} for w in widths]
    ref = ev.float_logits()
    results = ev.run(docs, label=f"sweep {widths[0]}..{widths[-1]} bits")
    points = []
    for w, d, (logits, _) in zip(widths, docs, results):
        totals = onchip(graph, cfg.load(d, graph)).totals
        t5 = topk(logits, data.y, 5) if logits.shape[1] >= 5 else None
        points.append(SweepPoint(w, topk(logits, data.y, 1), t5, agreement(logits, ref),
                                 totals.onchip_bits, totals.weight_bits, totals.activation_bits))
    return tuple(points)


# --- rendering -----------------------------------------------------------------------------------


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.2f}%"


def _db(v) -> str:
    return "-" if v is None else ("exact" if v == math.inf else f"{v:.1f}")


def _rows(report: Report) -> tuple[list[str], list[list[str]], list[bool]]:
    head = ["layer", "kind", "type", "SQNR dB", "max |err|", "overflows", "saturations", "min", "max"]
    rows = [[l.name, l.kind, l.type, _db(l.sqnr_db), f"{l.max_abs_err:.4g}", str(l.overflows),
             str(l.saturations), f"{l.min:.4g}", f"{l.max:.4g}"] for l in report.layers]
    return head, rows, [l.worst for l in report.layers]


def _sweep_rows(report: Report) -> tuple[list[str], list[list[str]]]:
    head = ["bits", "top-1", "top-5", "agreement", "on-chip bits", "on-chip"]
    from hwsim.spec.units import format_bits
    return head, [[str(p.width), _pct(p.fixed_top1), _pct(p.fixed_top5), _pct(p.agreement),
                   f"{p.onchip_bits:,}", format_bits(p.onchip_bits)] for p in report.sweep]


def _summary(report: Report) -> list[tuple[str, str, str]]:
    out = [("top-1", _pct(report.float_top1), _pct(report.fixed_top1))]
    if report.float_top5 is not None:
        out.append(("top-5", _pct(report.float_top5), _pct(report.fixed_top5)))
    return out


def _title(report: Report) -> list[str]:
    from hwsim.spec.units import format_bits
    lines = [f"{report.model} on {report.data}: {report.samples} images, {report.num_classes} classes",
             f"fixed point: {report.precision}"]
    if report.onchip_bits is not None:
        lines.append(f"on-chip memory (stream): {report.onchip_bits:,} bits ({format_bits(report.onchip_bits)})")
    lines.append(f"top-1 agreement fixed vs float: {_pct(report.agreement)}")
    return lines


def _text_table(head, rows, marks=None) -> list[str]:
    widths = tables.column_widths(head, rows)
    out = ["  " + tables.text_row(head, widths, 3)]
    for i, r in enumerate(rows):
        out.append(("* " if marks and marks[i] else "  ") + tables.text_row(r, widths, 3))
    return out


def render(report: Report, fmt: str = "table") -> str:
    """The report as `table` (plain text), `json`, `md` (Markdown) or `html`."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"
    head, rows, marks = _rows(report)
    shead, srows = _sweep_rows(report)
    worst = ", ".join(report.worst) or "none"
    if fmt == "table":
        out = _title(report) + [""] + _text_table(["", "float", "fixed"], [list(r) for r in _summary(report)])
        out += [""] + _text_table(head, rows, marks) + [f"* worst layers: {worst}"]
        if srows:
            out += ["", "bit-width sweep (all activations and weights):"] + _text_table(shead, srows)
        return "\n".join(out) + "\n"
    if fmt == "md":
        def md(h, rs, bold=None):
            return [tables.md_row(h), tables.md_rule(len(h))] + [
                tables.md_row([f"**{c}**" for c in r] if bold and bold[i] else r) for i, r in enumerate(rs)]
        out = [f"## {_title(report)[0]}", ""] + [f"- {l}" for l in _title(report)[1:]] + [""]
        out += md(["", "float", "fixed"], [list(r) for r in _summary(report)]) + [""]
        out += md(head, rows, marks) + ["", f"Worst layers (bold): {worst}"]
        if srows:
            out += ["", "### Bit-width sweep", ""] + md(shead, srows)
        return "\n".join(out) + "\n"
    import html as h

    def table(hd, rs, bold=None):
        return (["<table>", tables.html_row(hd, "th")]
                + [tables.html_row(r, attrs=' class="worst"' if bold and bold[i] else "") for i, r in enumerate(rs)]
                + ["</table>"])
    title = _title(report)
    out = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">",
           f"<title>{h.escape(title[0])}</title>",
           "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:right}"
           "tr.worst{background:#fdd;font-weight:bold}</style></head><body>",
           f"<h2>{h.escape(title[0])}</h2>"] + [f"<p>{h.escape(l)}</p>" for l in title[1:]]
    out += table(["", "float", "fixed"], [list(r) for r in _summary(report)])
    out += ["<h3>Layers</h3>"] + table(head, rows, marks) + [f"<p>Worst layers (highlighted): {h.escape(worst)}</p>"]
    if srows:
        out += ["<h3>Bit-width sweep</h3>"] + table(shead, srows)
    return "\n".join(out + ["</body></html>"]) + "\n"
