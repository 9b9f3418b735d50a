"""SqueezeNet against MobileNet on one device, in hardware terms (`hwsim models`).

For each network (a zoo name, with mobilenet_v1's width multiplier and resolution, or an ONNX
file, its QONNX types under the config's as everywhere):
- parameters and MACs (hwsim.ir.graph);
- the weights' bits at the precision, and whether they fit the device's on-chip memory (its
  BRAM18 / M20K and URAM capacity in bits, before any mapping loss);
- the on-chip bits of the whole streamed design at pe = simd = 1 (weights, line buffers, FIFOs:
  hwsim.hw.estimate) and whether that design fits the device;
- the design `hwsim fold` finds (hwsim.hw.fold): frames per second at the clock, its bottleneck,
  DSPs and their share of the device's, BRAM18 and LUTs; or that no folding fits.
And for the two mini networks on the digits data (their shipped weights, tools/train_demo.py):
float and fixed-point top-1 at the precision, with the same hardware figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hwsim.util.errors import InputError

DEFAULT_NETS = ("squeezenet1_0", "squeezenet1_1", "mobilenet_v1:1.0-224", "mobilenet_v1:0.75-224",
                "mobilenet_v1:0.5-224", "mobilenet_v1:0.5-160", "mobilenet_v1:0.25-224", "mobilenet_v1:0.25-128")
MINI_NETS = ("squeezenet_mini", "mobilenet_mini")


@dataclass(frozen=True)
class Net:
    """One network to compare: `spec` as given, the zoo name and its builder kwargs."""
    spec: str
    name: str
    kwargs: tuple = ()

    @property
    def label(self) -> str:
        return self.spec


def parse(spec: str) -> Net:
    """`name`, `mobilenet_v1:ALPHA-RESOLUTION` (e.g. mobilenet_v1:0.5-160), or the path of an ONNX
    file, `net.onnx` or `net.onnx:CxHxW` for a file with free dimensions."""
    from hwsim.ir import zoo
    from hwsim.ir.onnx_graph import is_onnx_path
    text = spec.strip()
    path, _, shape = text.rpartition(":") if not is_onnx_path(text) and ".onnx:" in text.lower() else (text, "", "")
    if is_onnx_path(path):
        if not shape:
            return Net(text, path)
        try:
            dims = tuple(int(v) for v in shape.lower().split("x"))
        except ValueError:
            dims = ()
        if len(dims) != 3 or min(dims) < 1:
            raise InputError(f"--nets {spec!r}: expected PATH.onnx:CxHxW, e.g. net.onnx:3x224x224")
        return Net(text, path, (("input_shape", dims),))
    name, _, args = text.partition(":")
    if name not in zoo.names():
        raise InputError(f"--nets {spec!r}: unknown model {name!r}; valid names: {', '.join(zoo.names())}")
    if not args:
        return Net(text, name)
    if name != "mobilenet_v1":
        raise InputError(f"--nets {spec!r}: only mobilenet_v1 takes ALPHA-RESOLUTION (e.g. mobilenet_v1:0.5-160)")
    try:
        a, r = args.split("-")
        alpha, res = float(a), int(r)
    except ValueError:
        raise InputError(f"--nets {spec!r}: expected mobilenet_v1:ALPHA-RESOLUTION, e.g. mobilenet_v1:0.5-160") from None
    if alpha not in zoo.MOBILENET_ALPHAS or res < 1:
        raise InputError(f"--nets {spec!r}: alpha must be one of {', '.join(map(str, zoo.MOBILENET_ALPHAS))} "
                         "and the resolution a positive int")
    return Net(text, name, (("alpha", alpha), ("resolution", res)))


@dataclass(frozen=True)
class Row:
    net: str
    input_shape: tuple[int, int, int]
    params: int
    macs: int
    weight_bits: int
    weights_fit: bool            # weight bits <= the device's on-chip block capacity
    onchip_bits: int             # the pe = simd = 1 design: every memory
    design_fits: bool            # that design fits the device (BRAM18, URAM, DSP, LUT)
    fps: float | None            # the folded design's; None when no folding fits
    bottleneck: str
    dsp: int
    bram18: int
    lut: int
    float_top1: float | None = None
    fixed_top1: float | None = None

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["input_shape"] = list(self.input_shape)
        return d


@dataclass(frozen=True)
class Comparison:
    device: object
    clock_mhz: float
    utilization: float
    precision: str
    rows: tuple[Row, ...]
    digits: tuple[Row, ...] = field(default=())

    def to_dict(self) -> dict:
        return {"schema": "hwsim.models/1", "device": self.device.name, "clock_mhz": self.clock_mhz,
                "utilization": self.utilization, "precision": self.precision,
                "device_dsp": self.device.dsp, "device_bram18": self.device.bram18,
                "device_onchip_bits": self.device.block_total_bits + self.device.uram_total_bits,
                "networks": [r.to_dict() for r in self.rows], "digits": [r.to_dict() for r in self.digits]}


def _hardware(graph, config, device, utilization):
    from hwsim.hw import estimate as est, fold as hw_fold
    e = est.estimate(graph, config, device=device)
    capacity = device.block_total_bits + device.uram_total_bits
    r = hw_fold.fold(graph, config, device, hw_fold.limits(device, utilization=utilization))
    dsp, bram, _, lut = r.used
    fps = config.hardware.get("clock_mhz", 200.0) * 1e6 / r.cycles if r.fits else None
    return dict(params=graph.params(), macs=graph.macs(), weight_bits=e.totals.weight_bits,
                weights_fit=e.totals.weight_bits <= capacity, onchip_bits=e.totals.onchip_bits,
                design_fits=e.fits_device, fps=fps, bottleneck=r.plan.bottleneck.layer if r.fits else "-",
                dsp=dsp if r.fits else 0, bram18=bram if r.fits else 0, lut=lut if r.fits else 0)


def _accuracy(graph, config) -> tuple[float, float]:
    """(float, fixed) top-1 on the digits test split."""
    import numpy as np
    from hwsim.sim import reference, simulate
    from hwsim.study import data
    ds = data.digits("test", graph.input_shape)
    ref = reference.run(graph, ds.x).reshape(len(ds), -1)
    fixed = simulate.run(graph, ds.x, config, reference=False).values.reshape(len(ds), -1)
    return float(np.mean(ref.argmax(1) == ds.y)), float(np.mean(fixed.argmax(1) == ds.y))


def compare(nets, device, doc: dict | None = None, utilization: float = 90.0, digits: bool = True,
            progress=None, precision: str | None = None, weight_type: str | None = None) -> Comparison:
    """The comparison of `nets` (Net) on `device` under the config document `doc` (its precision
    and hardware sections; `precision` / `weight_type` as `hwsim budget`'s options); `digits` adds
    the mini networks with their shipped weights. progress(text) reports each step."""
    from hwsim.ir import zoo
    from hwsim.ir.onnx_graph import import_onnx, is_onnx_path
    from hwsim.ir.weights import load_weights
    from hwsim.spec import config as cfg
    from hwsim.spec.imported import with_file_precision
    from hwsim.study import data
    doc = dict(doc or {})
    say = progress or (lambda text: None)
    rows, minis = [], []
    jobs = [(n, False) for n in nets] + ([(Net(m, m), True) for m in MINI_NETS] if digits else [])
    for i, (net, mini) in enumerate(jobs, 1):
        say(f"[{i}/{len(jobs)}] {net.label}: budget and fold on {device.name}" + (", digits accuracy" if mini else ""))
        if mini:
            path = data.shipped_weights(net.name)
            if path is None:
                raise InputError(f"{net.name}: no shipped digits weights in hwsim/data (tools/train_demo.py --model {net.name})")
            graph = load_weights(zoo.build(net.name, weights=False), path)
            config = cfg.load(doc, graph, precision=precision, weight_type=weight_type)
        elif is_onnx_path(net.name):
            try:
                imported = import_onnx(net.name, dict(net.kwargs).get("input_shape"))
            except InputError as e:     # --nets has no --input-shape: the shape goes after the path
                raise InputError(str(e).replace("give --input-shape CxHxW", f"give --nets {net.name}:CxHxW")) from None
            graph = imported.graph
            config = cfg.load(with_file_precision(doc, imported.precision), graph, precision=precision,
                              weight_type=weight_type)
        else:
            graph = zoo.build(net.name, weights=False, **dict(net.kwargs))
            config = cfg.load(doc, graph, precision=precision, weight_type=weight_type)
        hw = _hardware(graph, config, device, utilization)
        acc = _accuracy(graph, config) if mini else (None, None)
        row = Row(net.label, tuple(graph.input_shape), float_top1=acc[0], fixed_top1=acc[1], **hw)
        (minis if mini else rows).append(row)
    from hwsim.study.compare import describe
    probe = cfg.load(doc, zoo.build("fire", weights=False), precision=precision,
                     weight_type=None if weight_type and "auto" in weight_type else weight_type)
    clock = float(probe.hardware.get("clock_mhz", 200.0))
    return Comparison(device, clock, utilization, describe(probe), tuple(rows), tuple(minis))
