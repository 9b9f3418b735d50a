"""Fixed-point vs float accuracy on labelled data: `compare(graph, config, data) -> Report`
(evaluation in hwsim.study.evaluate; rendering in hwsim.report.accuracy).

Per layer, SQNR = 10 log10(sum ref^2 / sum (ref - fixed)^2) over the whole data set, of the
layer's output against the float network's output at the same layer (errors accumulate along the
net); max abs error, overflows and saturations are totals over the data set. The worst layers are the
`WORST` lowest-SQNR layers among those with their own result type (input, conv, dense, pools that
average, add, concat) plus every layer that overflowed.

`sweep` sets every activation and weight to one width W, with integer bits from observed ranges
(hwsim.study.calibrate documents the rule and the rounding modes).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from hwsim.ir.graph import Graph
from hwsim.spec import config as cfg
from hwsim.study.calibrate import calibrate, precision_doc
from hwsim.study.evaluate import Evaluator, agreement, onchip, topk

WORST = 3


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
    logits, rows = ev.run([config], stats=True, label="fixed point")[0]
    ref = ev.float_logits()          # computed by the run above, beside the fixed-point network
    k = logits.shape[1]
    t5 = k >= 5
    points = ()
    if sweep_widths:
        points = sweep(graph, data, sweep_widths, ev, calibrate(graph, data.x if calib_x is None else calib_x))
    return Report(graph.name, data.name, len(data), k, describe(config), topk(ref, data.y, 1),
                  topk(logits, data.y, 1), topk(ref, data.y, 5) if t5 else None,
                  topk(logits, data.y, 5) if t5 else None, agreement(logits, ref),
                  _layer_reports(graph, rows), onchip(graph, config).totals.onchip_bits, points)


def sweep(graph: Graph, data, widths, ev: "Evaluator", ranges) -> tuple[SweepPoint, ...]:
    """Accuracy and on-chip memory with every activation and weight at each width (module doc);
    `ranges` from hwsim.study.calibrate.calibrate."""
    widths = [int(w) for w in widths]
    configs = [cfg.load({"precision": precision_doc(graph, ranges, w, w)}, graph) for w in widths]
    ref = ev.float_logits()
    results = ev.run(configs, label=f"sweep {widths[0]}..{widths[-1]} bits")
    points = []
    for w, c, (logits, _) in zip(widths, configs, results):
        totals = onchip(graph, c).totals
        t5 = topk(logits, data.y, 5) if logits.shape[1] >= 5 else None
        points.append(SweepPoint(w, topk(logits, data.y, 1), t5, agreement(logits, ref),
                                 totals.onchip_bits, totals.weight_bits, totals.activation_bits))
    return tuple(points)
