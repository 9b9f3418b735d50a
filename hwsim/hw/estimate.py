"""On-chip memory budget of a network: `estimate(graph, config, arch, device, budget, ...)`.

Every row is read off the layer's hardware plan (hwsim.hw.pipeline, hwsim.hw.units): the design
`hwsim generate` writes. Its folding (PE, SIMD), its units' cycles (the iterations of their
pipelined loops per image, which C simulation counts), multipliers (PE x SIMD per matrix-vector
unit), DSPs (hwsim.hw.compute.dsp_per_multiplier) and memories: PE weight memories of SIMD x
weight-bits words, biases, input buffers, sliding-window buffers, accumulators, converter registers
and the FIFOs of the streams it reads, each mapped by hwsim.hw.blocks. With Deep Compression
(`prune`, `codebook_bits`) the entries of hwsim.hw.compression replace the weights in the same
memory shape (modelled only: `generate` writes dense weights).

stream architecture: every layer is its own stage and all run concurrently: DSPs and memories add
up, the throughput is set by the slowest unit (the bottleneck): fps = clock / its cycles.
layer architecture (a model, not generated): one engine sized for the largest layer runs the layers
in turn: DSPs = the largest layer's; cycles = the sum of the layers' plan cycles; feature maps live
in one pool (hwsim.hw.activations: liveness). Every figure is an estimate made before synthesis.

Budget: the on-chip bits (weights unless `weights="offchip"`, plus activations) against `budget` (a
size text such as '10MiB', or an int number of bits; default 10 MiB = 83,886,080 bits). With a device,
block (BRAM18 or M20K), URAM and DSP counts are checked separately against the device's: a network
that fits a budget in bits can still need more blocks than the device has, because each memory
rounds up to whole blocks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from hwsim.spec import config as cfg
from hwsim.spec import devices as dev
from hwsim.ir.graph import Graph
from hwsim.hw import pipeline
from hwsim.hw.activations import feature_pool, layer_liveness
from hwsim.hw.blocks import MemoryMap, map_memory
from hwsim.hw.compression import Compression, make as make_compression, tensor_storage
from hwsim.spec.units import DEFAULT_BUDGET, parse_size
from hwsim.util.errors import InputError

ARCHS = ("stream", "layer")
WEIGHTS = ("onchip", "offchip")


@dataclass(frozen=True)
class LayerBudget:
    name: str
    kind: str
    shape: tuple[int, int, int]
    params: int
    stored_params: int          # after pruning (= params without it)
    weight_bits: int            # weights + biases (+ index and codebook with compression)
    activation_bits: int        # stream: this stage's buffers; layer: live feature maps at this step
    bram18: int                 # BRAM18 blocks (M20K on Intel devices), on-chip memories only
    uram: int
    lutram_bits: int
    reg_bits: int
    reuse_factor: int
    multipliers: int
    dsp: int
    cycles: int
    memories: tuple[MemoryMap, ...] = ()
    pe: int = 1
    simd: int = 1
    in_values_per_beat: int = 1
    out_values_per_beat: int = 1
    units: tuple = ()              # the plan's units, as dicts (kind, name, cycles, fields, memories)
    luts: int = 0                  # LUT estimate (hwsim.hw.luts): logic and LUTRAM of its units and FIFOs

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "shape": list(self.shape), "params": self.params,
                "stored_params": self.stored_params, "weight_bits": self.weight_bits,
                "activation_bits": self.activation_bits, "bram18": self.bram18, "uram": self.uram,
                "lutram_bits": self.lutram_bits, "reg_bits": self.reg_bits,
                "reuse_factor": self.reuse_factor, "multipliers": self.multipliers, "dsp": self.dsp,
                "cycles": self.cycles, "luts": self.luts, "pe": self.pe, "simd": self.simd,
                "in_values_per_beat": self.in_values_per_beat, "out_values_per_beat": self.out_values_per_beat,
                "memories": [m.to_dict() for m in self.memories], "units": list(self.units)}


@dataclass(frozen=True)
class Totals:
    params: int
    stored_params: int
    weight_bits: int
    activation_bits: int
    onchip_bits: int
    allocated_bits: int         # physical capacity the memories occupy (blocks rounded up)
    bram18: int
    uram: int
    lutram_bits: int
    reg_bits: int
    multipliers: int
    dsp: int
    cycles: int                 # per image: bottleneck stage (stream) or sum (layer)
    luts: int = 0               # LUT estimate: sum of the stages (stream) or the largest (layer)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Check:
    resource: str
    used: int
    available: int

    @property
    def ok(self) -> bool:
        return self.used <= self.available

    def to_dict(self) -> dict:
        return {"resource": self.resource, "used": self.used, "available": self.available, "ok": self.ok}


@dataclass(frozen=True)
class BudgetReport:
    model: str
    input_shape: tuple[int, int, int]
    arch: str
    weights: str
    budget_bits: int
    layers: tuple[LayerBudget, ...]
    totals: Totals
    device: dev.Device | None
    checks: tuple[Check, ...]
    clock_mhz: float
    fifo_depth: int
    bottleneck: str
    compression: Compression | None
    extra_memories: tuple[MemoryMap, ...] = ()    # layer architecture: the feature-map pool
    interval: int | None = None    # modelled cycles between images (hwsim.hw.fifo_depth); stream only
    latency: int | None = None     # modelled cycles of the first image (an estimate)

    @property
    def block_kind(self) -> str:
        return self.device.block_kind if self.device is not None else "BRAM18"

    @property
    def fits_budget(self) -> bool:
        return self.totals.onchip_bits <= self.budget_bits

    @property
    def fits_device(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def fits(self) -> bool:
        return self.fits_budget and self.fits_device

    @property
    def fps(self) -> float:
        return self.clock_mhz * 1e6 / self.totals.cycles if self.totals.cycles else 0.0

    def layer(self, name: str) -> LayerBudget:
        for l in self.layers:
            if l.name == name:
                return l
        raise KeyError(f"no layer named {name!r} in the report")

    def to_dict(self) -> dict:
        return {
            "schema": "hwsim.budget/1", "model": self.model, "input_shape": list(self.input_shape),
            "arch": self.arch, "weights": self.weights, "block_kind": self.block_kind,
            "budget_bits": self.budget_bits, "fits": self.fits, "fits_budget": self.fits_budget,
            "fits_device": self.fits_device,
            "device": None if self.device is None else {**self.device.to_dict(),
                                                        "checks": [c.to_dict() for c in self.checks]},
            "compression": None if self.compression is None else self.compression.to_dict(),
            "estimate": {"clock_mhz": self.clock_mhz, "cycles_per_image": self.totals.cycles,
                         "fps": round(self.fps, 3), "bottleneck": self.bottleneck,
                         "fifo_depth": self.fifo_depth, "modelled_interval": self.interval,
                         "latency_cycles": self.latency,
                         "latency_ms": None if self.latency is None else round(self.latency / (self.clock_mhz * 1e3), 6)},
            "totals": self.totals.to_dict(),
            "layers": [l.to_dict() for l in self.layers],
            "extra_memories": [m.to_dict() for m in self.extra_memories],
        }


def _budget_bits(budget) -> int:
    if isinstance(budget, bool):
        raise InputError(f"budget must be a size text or a number of bits, got {budget!r}")
    if isinstance(budget, int):
        if budget <= 0:
            raise InputError(f"budget must be positive, got {budget} bits")
        return budget
    return parse_size(budget)


WEIGHT_ROLES = ("weights", "biases", "codebook")


def _storage(graph, config, comp):
    """weight_storage for hwsim.hw.pipeline (Deep Compression entries), or None without compression."""
    if comp is None:
        return None

    def storage(name):
        layer = graph.layer(name)
        n_w = math.prod(graph.weight_shapes(layer)["weight"])
        st = tensor_storage(n_w, config[name].weight.width, comp.density(name), comp)
        return st.entries, st.entry_bits
    return storage


def _weight_bits(graph, layer, lc, comp, device) -> tuple[int, int, list[MemoryMap]]:
    """(stored params, weight bits, extra memories: the codebook) of one conv / dense layer."""
    shapes = graph.weight_shapes(layer)
    n_w = math.prod(shapes["weight"])
    ww = lc.weight.width
    extra = []
    if comp is None:
        stored, bits = n_w, n_w * ww
    else:
        st = tensor_storage(n_w, ww, comp.density(layer.name), comp)
        stored, bits = st.nnz, st.bits
        if st.codebook_bits:
            extra.append(map_memory("codebook", ww, st.codebook_bits // ww, "auto", device))
    if "bias" in shapes:
        n_b = shapes["bias"][0]
        stored += n_b
        bits += n_b * lc.bias.width
    return stored, bits, extra


def _sum(mems, attr) -> int:
    return sum(getattr(m, attr) for m in mems)


def estimate(graph: Graph, config: cfg.Config | None = None, arch: str = "stream", device=None,
             budget=DEFAULT_BUDGET, weights: str = "onchip", prune=None, codebook_bits: int | None = None,
             index_bits: int = 4) -> BudgetReport:
    """The on-chip memory and compute estimate of `graph` under `config` (module doc).

    arch: 'stream' or 'layer'. device: a name, alias or Device (default: config hardware.device).
    weights: 'onchip' or 'offchip' (count on-chip buffers only). prune: None, a density, 'table1'
    or {layer: density}; codebook_bits: shared-weight codebook width (hwsim.hw.compression).
    """
    if not isinstance(graph, Graph):
        raise TypeError(f"estimate needs a Graph, got {type(graph).__name__}")
    if arch not in ARCHS:
        raise InputError(f"arch {arch!r} is not one of {', '.join(ARCHS)}")
    if weights not in WEIGHTS:
        raise InputError(f"weights {weights!r} is not one of {', '.join(WEIGHTS)}")
    config = cfg.load(None, graph) if config is None else config
    if device is None:
        device = config.hardware.get("device")
    device = dev.get(device) if device is not None else None
    budget_bits = _budget_bits(budget)
    weight_layers = [l.name for l in graph.layers if l.has_weights]
    comp = make_compression(weight_layers, prune, codebook_bits, index_bits)
    fifo_depth = int(config.hardware.get("fifo_depth", pipeline.DEFAULT_FIFO_DEPTH))
    clock = float(config.hardware.get("clock_mhz", 200.0))
    rows, net = _layer_rows(graph, config, arch, weights, comp, device, fifo_depth)
    totals, extra = _totals(rows, arch, weights, device)
    bottleneck = max(rows, key=lambda r: r.cycles).name
    checks: tuple[Check, ...] = ()
    if device is not None:
        checks = (Check(device.block_kind, totals.bram18, device.bram18),
                  Check("URAM", totals.uram, device.uram), Check("DSP", totals.dsp, device.dsp))
        if device.lut is not None:
            checks += (Check("LUT", totals.luts, device.lut),)
    return BudgetReport(graph.name, graph.input_shape, arch, weights, budget_bits, tuple(rows), totals,
                        device, checks, clock, fifo_depth, bottleneck, comp, extra,
                        net.interval if arch == "stream" else None, net.latency if arch == "stream" else None)


def _layer_rows(graph, config, arch, weights, comp, device, fifo_depth):
    """One row per layer, from its hardware plan (hwsim.hw.pipeline): folding, cycles, multipliers,
    DSPs and every memory (weights unless offchip; the stream architecture's FIFOs, windows and
    accumulators, or the layer architecture's live feature-map bits)."""
    net = pipeline.build(graph, config, device, fifo_depth, _storage(graph, config, comp))
    if arch == "layer":
        live_bits, _ = layer_liveness(graph, config)
    rows = []
    for layer, plan in zip(graph.layers, net.layers):
        lc = config[layer.name]
        stored = bits_w = 0
        extra: list[MemoryMap] = []
        if layer.has_weights:
            stored, bits_w, extra = _weight_bits(graph, layer, lc, comp, device)
        mems = [m for m in plan.memories if m.role in WEIGHT_ROLES] + extra if weights == "onchip" else []
        if arch == "stream":
            amems = [m for m in plan.memories if m.role not in WEIGHT_ROLES]
            mems.extend(amems)
            act_bits = _sum(amems, "bits")
        else:
            act_bits = live_bits[layer.name]
        rf = lc.reuse_factor if layer.has_weights else 1
        rows.append(LayerBudget(
            layer.name, layer.kind, graph.shape(layer.name), graph.params(layer), stored, bits_w, act_bits,
            _sum(mems, "blocks"), _sum(mems, "uram"), _sum(mems, "lutram_bits"), _sum(mems, "reg_bits"),
            rf, plan.multipliers, plan.dsp, plan.cycles, tuple(mems), plan.pe, plan.simd, plan.in_width,
            plan.out_width, tuple(u.to_dict() for u in plan.units), plan.luts))
    return rows, net


def _totals(rows, arch, weights, device) -> tuple[Totals, tuple[MemoryMap, ...]]:
    """The network's totals: a pipeline adds its stages and runs at its slowest; one engine reuses
    a pool of feature-map memory and adds its layers' cycles."""
    extra: tuple[MemoryMap, ...] = ()
    if arch == "stream":
        act_total = sum(r.activation_bits for r in rows)
        dsp_total = sum(r.dsp for r in rows)
        cyc = max(r.cycles for r in rows)
    else:
        act_total = max(r.activation_bits for r in rows)
        extra = (feature_pool(act_total, device),)
        dsp_total = max(r.dsp for r in rows)
        cyc = sum(r.cycles for r in rows)
    all_mems = [m for r in rows for m in r.memories] + list(extra)
    weight_total = sum(r.weight_bits for r in rows)
    onchip = act_total + (weight_total if weights == "onchip" else 0)
    totals = Totals(
        params=sum(r.params for r in rows), stored_params=sum(r.stored_params for r in rows),
        weight_bits=weight_total, activation_bits=act_total, onchip_bits=onchip,
        allocated_bits=_sum(all_mems, "allocated_bits"), bram18=_sum(all_mems, "blocks"),
        uram=_sum(all_mems, "uram"), lutram_bits=_sum(all_mems, "lutram_bits"),
        reg_bits=_sum(all_mems, "reg_bits"),
        multipliers=(sum if arch == "stream" else max)(r.multipliers for r in rows),
        dsp=dsp_total, cycles=cyc, luts=(sum if arch == "stream" else max)(r.luts for r in rows))
    return totals, extra

