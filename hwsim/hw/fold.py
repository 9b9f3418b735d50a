"""Folding a network onto a device: the (PE, SIMD) of every layer for the highest frame rate within
the device's resources, or the cheapest design that meets a target (`hwsim fold`).

Algorithm (deterministic):
1. Candidates. Every conv / dense layer may take any pe dividing its outputs and simd dividing its
   input channels; every depthwise conv any pe dividing its channels at simd 1, and at pe = its
   channels also simd KW (one kernel row per cycle: PE first, FINN's rule for depthwise layers;
   offering a kernel row at smaller pe let the per-layer costs pick designs whose whole plan then
   failed on LUTs: MobileNet 0.75-224 on ZCU102 fell from 885.8 to 442.0 fps); every pool, global
   average pool, concat and add any pe dividing its channels.
   Each candidate is costed by building that layer's units exactly as the plan builds them
   (hwsim.hw.pipeline: the same functions, so BRAM18 rounds up per memory, shallow memories go to
   LUTRAM, wide products to DSPs): cycles (its slowest unit), DSP, BRAM18, URAM, LUT.
2. For a bottleneck target T (cycles per image), each layer takes its cheapest candidate whose
   cycles are at most T. "Cheapest" is the sum of the candidate's resources, each divided by what
   the device allows (so a resource counts by its scarcity). The layers' choices are independent:
   a layer's cycles depend on its own folding only. When the costs add up, the cheapest design for
   T is therefore the sum of the per-layer cheapest ones, and it fits if and only if some design
   with bottleneck T fits (for a single binding resource; with several, the weights of any resource
   the sum overruns are raised, up to WEIGHT_ROUNDS times, before T is given up).
3. The whole plan of that folding is built and checked against the limits: this is where the
   parts that do not add up are counted exactly (the FIFOs and converters between layers, which
   depend on both neighbours' widths, and the FIFO depths of hwsim.hw.fifo_depth). The plan is
   first built with every FIFO at one place, a lower bound: a design that does not fit so is
   rejected without the pipeline simulation.
4. Without a target, T is bisected over the achievable cycle counts for the smallest T that fits;
   with a target fps, T = clock / fps and the cheapest design is returned, or the resource that
   makes the target impossible and by how much.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from hwsim.hw import pipeline
from hwsim.hw.plan import NetworkPlan
from hwsim.spec import config as cfg
from hwsim.util.errors import InputError

RESOURCES = ("DSP", "BRAM18", "URAM", "LUT")
WEIGHT_ROUNDS = 6
DEFAULT_UTILIZATION = 90.0


@dataclass(frozen=True)
class Limits:
    """What the design may use: each resource at `utilization` percent of the device's."""
    dsp: int
    bram18: int
    uram: int
    lut: int
    name: str = ""
    available: tuple[int, int, int, int] = (0, 0, 0, 0)
    utilization: float = DEFAULT_UTILIZATION

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.dsp, self.bram18, self.uram, self.lut)


def limits(device=None, dsp=None, bram18=None, lut=None, uram=None,
           utilization: float = DEFAULT_UTILIZATION) -> Limits:
    """Limits from a Device, or from explicit counts (which override the device's)."""
    if not 0 < utilization <= 100:
        raise InputError(f"--utilization must be in (0, 100], got {utilization:g}")
    av = [getattr(device, "dsp", None), getattr(device, "bram18", None), getattr(device, "uram", 0),
          getattr(device, "lut", None)]
    for i, v in enumerate((dsp, bram18, uram, lut)):
        if v is not None:
            av[i] = v
    names = ("--dsp", "--bram18", "--uram", "--lut")
    for n, v in zip(names, av):
        if v is None:
            raise InputError(f"no {n[2:].upper()} count: give {n}" + (f" ({device.name} has none)" if device else ""))
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise InputError(f"{n} must be a non-negative integer, got {v!r}")
    capped = tuple(int(math.floor(v * utilization / 100)) for v in av)
    return Limits(*capped, name=device.name if device is not None else "the limits given",
                  available=tuple(av), utilization=utilization)


@dataclass(frozen=True)
class Choice:
    layer: str
    pe: int
    simd: int | None
    cycles: int
    cost: tuple[int, int, int, int]      # DSP, BRAM18, URAM, LUT of its units
    mult_style: str | None = None        # conv / dense: where the products go (auto or lut)


@dataclass(frozen=True)
class Result:
    target: int                           # the bottleneck target T the choices meet
    choices: tuple[Choice, ...]
    plan: NetworkPlan
    config: cfg.Config
    doc: dict
    used: tuple[int, int, int, int]
    limits: Limits
    fits: bool
    evaluated: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def cycles(self) -> int:
        return self.plan.bottleneck.cycles

    def over(self) -> list[tuple[str, int, int]]:
        return [(r, u, l) for r, u, l in zip(RESOURCES, self.used, self.limits.as_tuple()) if u > l]


def plan_usage(plan: NetworkPlan) -> tuple[int, int, int, int]:
    mems = [m for p in plan.layers for m in p.memories]
    return (sum(p.dsp for p in plan.layers), sum(m.blocks for m in mems), sum(m.uram for m in mems),
            sum(p.luts for p in plan.layers))


class _Candidates:
    """Every layer's foldings, costed with the plan's own unit builders."""

    def __init__(self, graph, config, device):
        self.g, self.cfg, self.dev = graph, config, device
        self.b = pipeline._Builder(graph, config, device, int(config.hardware.get("fifo_depth", 2)), None)
        self.b._structure()
        self.options: dict[str, list[Choice]] = {}
        for layer, srcs in self.b.nodes:
            self.options[layer.name] = self._options(layer, srcs)

    def _options(self, layer, srcs) -> list[Choice]:
        b = self.b
        chans = [b.sshape[s][0] for s in srcs]
        out_c = b.sshape[b.owner[layer.name]][0]
        out = []
        if layer.kind in ("conv", "dense"):
            lc = self.cfg[layer.name]
            sat = pipeline.order_sensitive(lc) and layer.kind == "conv" and tuple(layer.kernel) != (1, 1)
            styles = ["auto"] if lc.mult_style != "auto" else ["auto", "lut"]
            for pe in pipeline.divisors(out_c):
                for simd in pipeline.divisors(chans[0]):
                    if sat and simd > 1:
                        continue
                    for style in styles:
                        out.append(self._cost(layer, srcs, pe, simd, style if lc.mult_style == "auto" else None))
        elif layer.kind == "dwconv":
            lc = self.cfg[layer.name]
            styles = ["auto"] if lc.mult_style != "auto" else ["auto", "lut"]
            direct = (tuple(layer.kernel) == (1, 1) and tuple(layer.stride) == (1, 1)
                      and tuple(layer.padding) == (0, 0))
            simds = [1] if direct else pipeline.dw_simds(layer.kernel[1])
            for pe in pipeline.divisors(chans[0]):
                # PE first (FINN's rule for depthwise layers): a kernel row per cycle only once every
                # channel has its lane, where it is the one way to go faster
                for simd in (simds if pe == chans[0] else [1]):
                    for style in styles:
                        out.append(self._cost(layer, srcs, pe, simd, style if lc.mult_style == "auto" else None))
        elif not layer.wiring:
            g = math.gcd(*chans)
            for pe in pipeline.divisors(g):
                out.append(self._cost(layer, srcs, pe, None))
        else:                                   # a type cast: keeps the width that arrives
            return []
        out.sort(key=lambda c: (c.cycles, c.cost))
        return out

    def _cost(self, layer, srcs, pe, simd, mult_style=None) -> Choice:
        units = self.b._compute_units(layer, srcs, pe, simd if simd is not None else pe, mult_style)
        mems = [m for u in units for m in u.memories]
        cost = (sum(u.dsp for u in units), sum(m.blocks for m in mems), sum(m.uram for m in mems),
                sum(u.luts for u in units))
        return Choice(layer.name, pe, simd, max(u.cycles for u in units), cost, mult_style)


def _key(c: Choice, weights):
    return (sum(w * x for w, x in zip(weights, c.cost)), c.cycles, c.pe, c.simd or 0, c.mult_style or "")


def _pareto(options: list[Choice]) -> list[Choice]:
    """The options no other option beats or equals on every resource (ties: the first kept)."""
    out = []
    for c in sorted(options, key=lambda c: (c.cost, c.cycles, c.pe, c.simd or 0, c.mult_style or "")):
        if not any(all(a <= b for a, b in zip(d.cost, c.cost)) for d in out):
            out.append(c)
    return out


def _total(choices) -> tuple[int, int, int, int]:
    t = [0, 0, 0, 0]
    for c in choices:
        for i, x in enumerate(c.cost):
            t[i] += x
    return tuple(t)


def _repair(current: dict, sets: dict, budget) -> None:
    """While a resource is over `budget`, move the layer whose alternative saves the most of the
    resources that are over per unit of headroom it spends on the others (a greedy knapsack step)."""
    for _ in range(10 * len(current) + 10):
        tot = _total(current.values())
        over = [i for i in range(4) if tot[i] > budget[i]]
        if not over:
            return
        best, best_score = None, None
        for name, cur in current.items():
            for alt in sets[name]:
                d = [a - b for a, b in zip(alt.cost, cur.cost)]
                gain = sum(-d[i] / max(1, budget[i]) for i in over)
                if gain <= 0:
                    continue
                spend = sum(max(0, d[i]) / max(1, budget[i] - tot[i]) for i in range(4) if i not in over)
                if any(i not in over and tot[i] + d[i] > budget[i] for i in range(4)):
                    spend += 1e6
                score = (spend / gain, name, alt.pe, alt.simd or 0, alt.mult_style or "")
                if best_score is None or score < best_score:
                    best, best_score = (name, alt), score
        if best is None:
            return
        current[best[0]] = best[1]


class Folder:
    def __init__(self, graph, config, device, lim: Limits):
        self.g, self.cfg, self.dev, self.lim = graph, config, device, lim
        self.cands = _Candidates(graph, config, device)
        self.evaluated = 0

    def floor_cycles(self) -> int:
        """The fastest any layer can be made: the bottleneck at full parallelism."""
        return max(opts[0].cycles for opts in self.cands.options.values() if opts)

    def ceiling_cycles(self) -> int:
        return max(max(c.cycles for c in opts) for opts in self.cands.options.values() if opts)

    def targets(self) -> list[int]:
        return sorted({c.cycles for opts in self.cands.options.values() for c in opts
                       if c.cycles >= self.floor_cycles()})

    def at(self, target: int, repair: bool = True) -> Result | None:
        """The cheapest folding whose layers all meet `target` cycles (None when a layer cannot)."""
        lim = self.lim.as_tuple()
        weights = [1.0 / l if l else 1e9 for l in lim]
        sets = {}
        for name, opts in self.cands.options.items():
            if not opts:
                continue
            ok = _pareto([c for c in opts if c.cycles <= target])
            if not ok:
                return None
            sets[name] = ok
        current = {n: min(ok, key=lambda c: _key(c, weights)) for n, ok in sets.items()}
        overhead = (0, 0, 0, 0)           # what the plan adds beyond the layers' units (FIFOs, converters)
        res = None
        for _ in range(3 if repair else 1):
            budget = tuple(l - o for l, o in zip(lim, overhead))
            if repair:
                _repair(current, sets, budget)
            res = self._build(target, list(current.values()))
            if res.fits:
                return res
            summed = _total(current.values())
            overhead = tuple(max(o, u - s) for o, u, s in zip(overhead, res.used, summed))
        return res

    def _build(self, target, choices) -> Result:
        self.evaluated += 1
        doc = dict(cfg._plain_doc(self.cfg.source)) if self.cfg.source else {}
        par = dict(doc.get("parallel") or {})
        layers = {k: dict(v) for k, v in (par.get("layers") or {}).items()}
        default = {k: v for k, v in (par.get("default") or {}).items() if k == "ram_style"}
        for c in choices:
            entry = {k: v for k, v in layers.get(c.layer, {}).items() if k == "ram_style"}
            entry["pe"] = c.pe
            if c.simd is not None:
                entry["simd"] = c.simd
            if c.mult_style == "lut":
                entry["mult_style"] = "lut"
            layers[c.layer] = entry
        doc["parallel"] = {**({"default": default} if default else {}), "layers": layers}
        config = _with_types(cfg.load(doc, self.g), self.cfg)
        plan = pipeline.build(self.g, config, self.dev, size_fifos=False)     # FIFOs at 1: a lower bound
        used = plan_usage(plan)
        fits = all(u <= l for u, l in zip(used, self.lim.as_tuple()))
        if fits:                                 # only then is the pipeline simulated for its depths
            plan = pipeline.build(self.g, config, self.dev)
            used = plan_usage(plan)
            fits = all(u <= l for u, l in zip(used, self.lim.as_tuple()))
        return Result(target, tuple(choices), plan, config, doc, used, self.lim, fits, self.evaluated)

    def fastest(self) -> Result:
        """The smallest bottleneck target that fits (bisection over the achievable cycle counts)."""
        ts = self.targets()
        lo, hi = 0, len(ts) - 1
        best = self.at(ts[hi])
        if best is None or not best.fits:
            return self.at(ts[hi], repair=False)     # the verdict: the cheapest slowest design as it is
        while lo < hi:
            mid = (lo + hi) // 2
            r = self.at(ts[mid])
            if r is not None and r.fits:
                best, hi = r, mid
            else:
                lo = mid + 1
        return best


def fold(graph, config, device=None, lim: Limits | None = None, target_fps: float | None = None) -> Result:
    """Fold `graph` (module doc). With target_fps: the cheapest design meeting it."""
    lim = lim if lim is not None else limits(device)
    f = Folder(graph, config, device, lim)
    clock = float(config.hardware.get("clock_mhz", 200.0))
    if target_fps is not None:
        if not target_fps > 0:
            raise InputError(f"--target-fps must be positive, got {target_fps:g}")
        target = int(clock * 1e6 // target_fps)
        r = f.at(target)
        if r is None:
            fastest = f.floor_cycles()
            slow = max((opts[0] for opts in f.cands.options.values() if opts), key=lambda c: c.cycles)
            raise OutOfReach(f"{target_fps:g} fps needs at most {target:,} cycles per image; {slow.layer} takes "
                             f"{fastest:,} at its widest folding ({clock * 1e6 / fastest:,.1f} fps at {clock:g} MHz)")
        return r
    return f.fastest()


def _with_types(new: cfg.Config, old: cfg.Config) -> cfg.Config:
    """`new`'s folding with `old`'s resolved types: a config loaded with --precision / --weight-type
    keeps them (the document alone does not carry them)."""
    from dataclasses import replace
    from types import MappingProxyType
    layers = {n: replace(lc, inputs=old[n].inputs, result=old[n].result, weight=old[n].weight, bias=old[n].bias,
                         accum=old[n].accum, accum_lossless=old[n].accum_lossless)
              for n, lc in new.layers.items()}
    return cfg.Config(old.input, MappingProxyType(layers), new.hardware, new.source)


class OutOfReach(InputError):
    """The target needs fewer cycles than the widest folding of some layer gives."""


def fitting_devices(graph, config, utilization: float = DEFAULT_UTILIZATION) -> list[str]:
    """Catalog devices on which some folding of `graph` fits (tried at its slowest folding)."""
    from hwsim.spec import devices
    out = []
    for d in devices.DEVICES:
        if d.lut is None:
            continue
        f = Folder(graph, config, d, limits(d, utilization=utilization))
        r = f.at(f.ceiling_cycles())
        if r is not None and r.fits:
            out.append(d.name)
    return out


def sweep(graph, config, device, lim: Limits, caps=(10, 20, 30, 40, 50, 60, 70, 80, 90, 100)):
    """[(cap %, DSP used, LUT used, fps)] of the fastest folding as every resource's cap sweeps."""
    clock = float(config.hardware.get("clock_mhz", 200.0))
    out = []
    for cap in caps:
        scaled = Limits(*(int(a * cap / 100) for a in lim.available), name=lim.name, available=lim.available,
                        utilization=cap)
        r = Folder(graph, config, device, scaled).fastest()
        if r is not None and r.fits:
            out.append((cap, r.used[0], r.used[3], clock * 1e6 / r.cycles))
    return out
