"""Precision search: per-layer weight and activation widths that minimise on-chip memory subject to
an accuracy drop on validation data and a memory budget (`search`).

Types come from observed ranges (hwsim.study.calibrate: integer bits from the largest magnitude,
the rounding policy of hwsim.spec.config), so shaving a bit always removes a fractional bit.

A config is acceptable when, on the validation images, both its top-1 drop from float and the share
of images whose top-1 class differs from float's are at most `max_drop` percentage points. The second
condition implies the first and is the one that matters: a plain accuracy drop lets the search trade
lost images for lucky ones, which does not carry over to unseen data.

Search (deterministic: fixed order, no randomness):
1. global start: every activation and weight at one width W (raised, per type, to `min_width` and
   to its integer bits), W = widths[0], widths[1], ... until a width is acceptable: the start;
2. greedy shaving: knobs (each typed layer's result width, each weighted layer's weight width) are
   ordered by the on-chip bits one bit less would save (largest first); knobs that save less than
   `min_saving` of the start's on-chip bits per bit are left alone (they cost evaluations and save
   nothing worth having); for each other knob in turn, a binary search finds the fewest bits that
   stay acceptable with every other knob as it is, and keeps them. A knob never goes below
   `min_width` nor below its integer bits: shaving stops at zero fractional bits.
Every evaluated config is a point (on-chip bits, validation top-1); `pareto` keeps the ones no other
point beats on both. Memory is hwsim.hw.estimate's stream estimate (`onchip_bits`).

Precision and folding together (`hwsim tune --objective fps`): the same search runs (its candidate
set is the one the bits objective evaluates, so no extra simulation), then `fold_points` folds every
evaluated precision onto the device as `hwsim fold` does (hwsim.hw.fold: the fastest folding within
`utilization` percent of every resource), each on the config that would be written (the user's
`hardware` and `parallel.ram_style`, so the clock and FIFOs are the ones `hwsim budget` reads);
a precision no folding fits is infeasible (fps 0). `fastest` picks the accepted precision (within
the drop) with the highest folded fps, ties to fewer on-chip bits of the folded design (the folding
splits memories per PE, so these are what `hwsim budget` reports, not the search's figure at the
default folding), then the label (deterministic);
`fps_front` keeps the points no other beats on both fps and validation top-1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.spec import config as cfg
from hwsim.fixed.rules import integer_bits
from hwsim.ir.graph import Graph
from hwsim.study.calibrate import Ranges, calibrate, precision_doc, typed_layers
from hwsim.study.evaluate import Evaluator, agreement, onchip, topk
from hwsim.util.errors import InputError

DEFAULT_WIDTHS = tuple(range(4, 17))


# --- search --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Point:
    """One evaluated config."""
    label: str
    onchip_bits: int
    top1: float                  # on the validation data
    agreement: float             # top-1 agreement with float on the validation data
    act: tuple                   # ((layer, width), ...)
    weight: tuple

    def to_dict(self) -> dict:
        return {"label": self.label, "onchip_bits": self.onchip_bits, "top1": self.top1,
                "agreement": self.agreement, "act": dict(self.act), "weight": dict(self.weight)}


@dataclass(frozen=True, eq=False)
class Search:
    float_top1: float            # validation
    max_drop: float              # percentage points
    start_width: int | None      # None when no uniform width met the drop
    best: Point                  # the chosen config
    points: tuple[Point, ...]    # every evaluated config
    graph: Graph
    ranges: Ranges               # observed on the validation images

    @property
    def precision(self) -> dict:
        """The chosen `precision` section."""
        return precision_doc(self.graph, self.ranges, dict(self.best.act), dict(self.best.weight))

    @property
    def evaluations(self) -> int:
        return len(self.points)

    @property
    def meets_drop(self) -> bool:
        return meets(self.float_top1, self.best, self.max_drop)

    def pareto(self) -> list[Point]:
        return pareto(self.points)


def meets(float_top1: float, point: "Point", max_drop: float) -> bool:
    """Are the top-1 drop and the disagreement with float, in percentage points, both at most
    max_drop (1e-9 slack for the float division)?"""
    return (100.0 * (float_top1 - point.top1) <= max_drop + 1e-9
            and 100.0 * (1.0 - point.agreement) <= max_drop + 1e-9)


def pareto(points) -> list[Point]:
    """Points no other point beats on both axes (fewer bits and at least as accurate), by memory."""
    front, best = [], -1.0
    for p in sorted(points, key=lambda p: (p.onchip_bits, -p.top1)):
        if p.top1 > best:
            front.append(p)
            best = p.top1
    return front


def check_max_drop(max_drop, name: str = "max drop") -> None:
    """ValueError unless `max_drop` is a number of percentage points from 0 to 100."""
    if not (isinstance(max_drop, (int, float)) and 0 <= max_drop <= 100):
        raise InputError(f"{name} must be between 0 and 100 percentage points, got {max_drop!r}")


class _Problem:
    """What the search evaluates against: validation data, the float reference, observed ranges, and
    caches of configs and their on-chip bits; every evaluated config is kept as a Point."""

    def __init__(self, graph: Graph, x_val, y_val, max_drop: float, min_width: int, executor, chunk: int):
        self.graph, self.max_drop, self.min_width = graph, max_drop, min_width
        self.y = np.asarray(y_val)
        self.ranges = calibrate(graph, x_val)
        self.ev = Evaluator(graph, x_val, executor, chunk)
        self.ref = self.ev.float_logits()
        self.ref_top1 = topk(self.ref, self.y, 1)
        self.acts = typed_layers(graph)
        self.wts = [l.name for l in graph.layers if l.has_weights]
        self.points: list[Point] = []
        self._configs: dict = {}
        self._bits: dict = {}

    def config(self, a: dict, w: dict) -> cfg.Config:
        key = (tuple(a.values()), tuple(w.values()))
        if key not in self._configs:
            doc = {"precision": precision_doc(self.graph, self.ranges, a, w)}
            self._configs[key] = cfg.load(doc, self.graph)
        return self._configs[key]

    def memory(self, a: dict, w: dict) -> int:
        key = (tuple(a.values()), tuple(w.values()))
        if key not in self._bits:
            self._bits[key] = onchip(self.graph, self.config(a, w)).totals.onchip_bits
        return self._bits[key]

    def evaluate(self, label: str, a: dict, w: dict, progress: str) -> Point:
        logits = self.ev.run([self.config(a, w)], label=progress)[0][0]
        p = Point(label, self.memory(a, w), topk(logits, self.y, 1), agreement(logits, self.ref),
                  tuple(a.items()), tuple(w.items()))
        self.points.append(p)
        return p

    def lowest(self, kind: str, name: str) -> int:
        rng = self.ranges.act if kind == "act" else self.ranges.weight
        return max(self.min_width, integer_bits(rng[name]))

    def acceptable(self, p: Point) -> bool:
        return meets(self.ref_top1, p, self.max_drop)


def search(graph: Graph, x_val, y_val, max_drop: float, widths=DEFAULT_WIDTHS, min_width: int = 2,
           executor=None, chunk: int = 64, log=None, min_saving: float = 0.001) -> Search:
    """The search of the module doc on validation images `x_val` with labels `y_val`."""
    check_max_drop(max_drop)
    widths = sorted({int(w) for w in widths})
    if not widths or widths[0] < 2:
        raise InputError(f"widths must be integers >= 2, got {widths}")
    if min_width < 2:
        raise InputError(f"min_width must be at least 2, got {min_width}")
    say = log or (lambda msg: None)
    pb = _Problem(graph, x_val, y_val, max_drop, min_width, executor, chunk)
    start, start_width, uniform = _uniform_start(pb, widths)
    if start is None:
        best = max(uniform, key=lambda p: (p.agreement, p.top1, -p.onchip_bits))
        say(f"no uniform width is within the drop (best: top-1 {100 * best.top1:.2f}% vs float "
            f"{100 * pb.ref_top1:.2f}%, agreement {100 * best.agreement:.2f}%)")
        return Search(pb.ref_top1, max_drop, None, best, tuple(pb.points), graph, pb.ranges)
    say(f"start: all {start_width} bits, {start.onchip_bits:,} on-chip bits, "
        f"val top-1 {100 * start.top1:.2f}%, agreement {100 * start.agreement:.2f}%")
    best = _shave(pb, start, min_saving, say)
    best = Point("tuned", best.onchip_bits, best.top1, best.agreement, best.act, best.weight)
    return Search(pb.ref_top1, max_drop, start_width, best, tuple(pb.points), graph, pb.ranges)


def _uniform_start(pb: _Problem, widths) -> tuple[Point | None, int | None, list[Point]]:
    """Step 1: the first uniform width that is acceptable (None if none is), and every uniform point."""
    uniform = []
    for n in widths:
        ua = {k: max(n, pb.lowest("act", k)) for k in pb.acts}
        uw = {k: max(n, pb.lowest("weight", k)) for k in pb.wts}
        p = pb.evaluate(f"uniform {n}", ua, uw, f"uniform {n} bits")
        uniform.append(p)
        if pb.acceptable(p):
            return p, n, uniform
    return None, None, uniform


def _shave(pb: _Problem, start: Point, min_saving: float, say) -> Point:
    """Step 2: knob by knob, largest saving first, the fewest bits that stay acceptable."""
    a, w = dict(start.act), dict(start.weight)
    best = start
    knobs = [("act", n) for n in pb.acts] + [("weight", n) for n in pb.wts]

    def with_width(kind, name, bits):
        na, nw = dict(a), dict(w)
        (na if kind == "act" else nw)[name] = bits
        return na, nw

    def saving(k):
        kind, name = k
        cur = (a if kind == "act" else w)[name]
        return pb.memory(a, w) - pb.memory(*with_width(kind, name, cur - 1)) if cur > pb.lowest(kind, name) else 0
    order = sorted(range(len(knobs)), key=lambda i: (-saving(knobs[i]), i))
    floor = max(1, min_saving * start.onchip_bits)
    for i in order:
        kind, name = knobs[i]
        if saving(knobs[i]) < floor:
            continue
        lo, hi = pb.lowest(kind, name), (a if kind == "act" else w)[name]
        found = None
        while lo < hi:
            mid = (lo + hi) // 2
            p = pb.evaluate(f"{kind} {name} {mid}", *with_width(kind, name, mid), f"{kind} {name} {mid} bits")
            if pb.acceptable(p):
                hi, found = mid, p
            else:
                lo = mid + 1
        if found is not None and found.onchip_bits < best.onchip_bits:
            a, w = dict(found.act), dict(found.weight)
            best = found
            say(f"{kind} {name}: {hi} bits, {best.onchip_bits:,} on-chip bits, val top-1 {100 * best.top1:.2f}%, "
                f"agreement {100 * best.agreement:.2f}%")
    return best


# --- output --------------------------------------------------------------------------------------
def document(precision: dict, model: str | None = None, model_args: dict | None = None,
             weights: str | None = None, base: dict | None = None, device: str | None = None) -> dict:
    """A config document with the tuned `precision`; `parallel` and `hardware` come from `base`
    (the user's config), `hardware.device` from `device`; model, model_args and weights make
    `--config FILE` alone rebuild the net."""
    doc: dict = {}
    if model:
        doc["model"] = model
    if model_args:
        doc["model_args"] = {k: list(v) if isinstance(v, tuple) else v for k, v in model_args.items()}
    if weights:
        doc["weights"] = weights
    doc["precision"] = precision
    base = base or {}
    if base.get("parallel"):
        doc["parallel"] = base["parallel"]
    hw = dict(base.get("hardware") or {})
    if device:
        hw["device"] = device
    if hw:
        doc["hardware"] = hw
    return doc


def to_yaml(doc: dict, comments=()) -> str:
    """YAML text of a config document, with `# ` comment lines first; types are quoted."""
    import yaml
    body = yaml.safe_dump(cfg.plain(doc), sort_keys=False, default_flow_style=False, width=120)
    head = "".join(f"# {c}\n" for c in comments)
    return head + cfg.quote_types(body)


# --- precision and folding together (--objective fps) -------------------------------------------
@dataclass(frozen=True)
class Folded:
    point: Point
    fps: float                   # of the fastest folding on the device (0 when none fits)
    result: object               # hwsim.hw.fold.Result, or None
    onchip_bits: int | None = None   # of the folded design (hwsim budget's figure); None: point's

    @property
    def bits(self) -> int:
        return self.point.onchip_bits if self.onchip_bits is None else self.onchip_bits


def fold_points(search: Search, device, utilization: float = 90.0, base: dict | None = None) -> list[Folded]:
    """Every evaluated precision folded onto `device` (hwsim.hw.fold): its fastest design's fps.
    Each is folded on the document `document` writes for it with `base` (the user's config: its
    `hardware`, e.g. clock_mhz and fifo_depth, and `parallel` ram_style carry over); the same
    precision evaluated twice is folded once."""
    from hwsim.hw import fold
    from hwsim.study.evaluate import onchip as folded_onchip
    lim = fold.limits(device, utilization=utilization)
    out, seen = [], {}
    for p in search.points:
        key = (p.act, p.weight)
        if key not in seen:
            doc = document(precision_doc(search.graph, search.ranges, dict(p.act), dict(p.weight)),
                           base=base, device=device.name)
            c = cfg.load(doc, search.graph)
            r = fold.fold(search.graph, c, device, lim)
            if r is not None and r.fits:
                clock = float(r.config.hardware.get("clock_mhz", 200.0))
                seen[key] = (clock * 1e6 / r.cycles, r,
                             folded_onchip(search.graph, r.config, device).totals.onchip_bits)
            else:
                seen[key] = (0.0, None, None)
        out.append(Folded(p, *seen[key]))
    return out


def fastest(search: Search, folded: list[Folded]) -> Folded | None:
    """The accepted precision (within the drop) whose folding is fastest; ties: fewer on-chip bits
    (of the folded design), then the label."""
    ok = [f for f in folded if f.result is not None and meets(search.float_top1, f.point, search.max_drop)]
    return max(ok, key=lambda f: (f.fps, -f.bits, f.point.label)) if ok else None


def fps_front(folded: list[Folded]) -> list[Folded]:
    """Folded points no other point beats on both fps and validation top-1 (infeasible ones left out)."""
    front, best = [], -1.0
    for f in sorted((f for f in folded if f.result is not None), key=lambda f: (-f.fps, -f.point.top1)):
        if f.point.top1 > best:
            front.append(f)
            best = f.point.top1
    return front
