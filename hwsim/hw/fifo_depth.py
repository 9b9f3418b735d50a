"""FIFO depths, decided in one place: from the plans' I/O order (hwsim.hw.io_order) and a
cycle-level simulation of the pipeline with bounded FIFOs (hwsim.hw.fifo_sim).

`size(units, streams, ...)` -> `Sizing`:
1. The smallest deadlock-free depths. Every FIFO that is not an input of a join (concat / add) has
   minimum 1: on a chain a FIFO of one place never deadlocks. With those at 1, one image runs with
   the joins' inputs starting at 1 place, and whenever nothing can move, the most-upstream join input
   whose writer waits for a place while the join waits for its other input gets one place more
   (fifo_sim.run's `grow`). The depths reached are each join input's minimum: one place less and
   the design deadlocks (tests/test_fifo_depth.py checks it by rerunning, and the bounded C
   simulation on the generated C++).
2. Declared depths. Policy "minimum": the minima. Policy "rate" (the default): two images run
   with every FIFO deep and the source paced to one image per bottleneck period (so that no unit
   runs ahead of the steady state: an unpaced source lets the units before the bottleneck fill
   FIFOs with a whole image, the overestimate of sizing by deep-FIFO simulation); each FIFO takes
   the most it was asked to hold there (max over writes of count + 1), at least `hardware.fifo_depth`
   (default 2) and its minimum. Those depths reproduce that paced run write for write, so they keep
   the bottleneck rate; they are not the smallest that do.
3. Three images at the declared depths with the source unpaced (one beat per cycle, as a DMA that
   is never late) give each FIFO's largest occupancy, the interval between the second and third
   image (the bottleneck cycles under policy "rate": tests/test_fifo_depth.py checks it on every
   zoo network) and the latency of the first image: from
   the cycle the source offers its first beat to the cycle the sink takes the last one, plus 1.
   These are estimates of a model in which every kernel moves one iteration per cycle with no
   pipeline latency of its own; the depths, being about order only, are exact for the C++ kernels.
Depths given by the user (`hardware.fifo_depths: {stream: depth}`) are kept as they are.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.hw import fifo_sim, io_order
from hwsim.util.errors import InputError

POLICIES = ("rate", "minimum")        # hwsim.spec.hardware.FIFO_POLICIES
DEEP = 1 << 40
RATE_IMAGES = 3
PACED_IMAGES = 2


@dataclass(frozen=True)
class Sizing:
    depth: dict           # stream -> declared depth
    minimum: dict         # stream -> smallest deadlock-free depth (the others at their minimum)
    occupancy: dict       # stream -> most beats held at the declared depths
    interval: int         # modelled cycles between images in steady state
    latency: int          # modelled cycles of the first image
    bottleneck: int       # the plan's bottleneck cycles
    span: dict            # unit -> (first, last) cycle of the first image
    policy: str

    def to_dict(self) -> dict:
        return {"policy": self.policy, "interval": self.interval, "latency": self.latency,
                "bottleneck_cycles": self.bottleneck,
                "fifos": {s: {"depth": d, "minimum": self.minimum[s], "occupancy": self.occupancy[s]}
                          for s, d in self.depth.items()}}


class Deadlock(ValueError):
    pass


def net(units, streams: dict, input_stream: str, output_stream: str) -> tuple[fifo_sim.Net, list[str]]:
    names = list(streams)
    idx = {n: i for i, n in enumerate(names)}
    uidx = {u.name: i for i, u in enumerate(units)}
    cycles, period, pat_off, nports, port_off = [], [], [], [], []
    port_stream, port_write, pats = [], [], []
    off = poff = 0
    for u in units:
        o = io_order.order(u)
        cycles.append(u.cycles)
        period.append(o.period)
        pat_off.append(off)
        nports.append(len(o.ports))
        port_off.append(poff)
        for name, w in o.ports:
            port_stream.append(idx[name])
            port_write.append(w)
        pats.append(o.pattern.reshape(-1))
        off += o.pattern.size
        poff += len(o.ports)
    writer = np.array([uidx.get(streams[n].producer, -1) for n in names], np.int64)
    reader = np.array([uidx.get(streams[n].consumer, -1) for n in names], np.int64)
    i64 = lambda v: np.array(v, np.int64)
    return fifo_sim.Net(i64(cycles), i64(period), i64(pat_off), i64(nports), i64(port_off), i64(port_stream),
                        np.array(port_write, np.bool_), np.concatenate(pats).astype(np.bool_), writer, reader,
                        idx[input_stream], idx[output_stream], streams[input_stream].beats,
                        streams[output_stream].beats), names


def _blocked(r: fifo_sim.Run, names, units) -> str:
    full = sorted({names[s] for u, s in enumerate(r.blocked_stream) if s >= 0 and r.blocked_write[u]})
    empty = sorted({names[s] for u, s in enumerate(r.blocked_stream) if s >= 0 and not r.blocked_write[u]})
    return f"full: {', '.join(full) or '-'}; empty: {', '.join(empty) or '-'}"


def size(units, streams: dict, input_stream: str, output_stream: str, floor: int = 2, policy: str = "rate",
         fixed: dict | None = None) -> Sizing:
    """The sizing of a pipeline (module doc), kept in memory for the process and on disk
    (<hwsim cache>/fifo/<key>.json, hwsim.util.cache), keyed by everything it depends on: the units'
    kinds, fields and streams, the policy, and the source of the modules that decide it."""
    key = (tuple((u.name, u.kind, u.cycles, u.fields, u.inputs, u.outputs) for u in units),
           tuple((s.name, s.producer, s.consumer, s.beats) for s in streams.values()),
           input_stream, output_stream, floor, policy, tuple(sorted((fixed or {}).items())))
    if key not in _CACHE:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = _from_disk(key) or _to_disk(key, _size(units, streams, input_stream, output_stream, floor,
                                                              policy, fixed))
    return _CACHE[key]


_CACHE: dict = {}
CACHE_SIZE = 256
DISK_KEEP = 512          # sizings kept on disk; the least recently used beyond are removed


def _disk_path(key):
    import hashlib
    from pathlib import Path
    from hwsim.util.cache import cache_dir
    h = hashlib.sha256(repr(key).encode())
    here = Path(__file__).parent
    for mod in ("fifo_depth.py", "fifo_sim.py", "io_order.py"):
        h.update((here / mod).read_bytes())
    return cache_dir() / "fifo" / f"{h.hexdigest()[:24]}.json"


def _from_disk(key) -> Sizing | None:
    import json
    try:
        p = _disk_path(key)
        d = json.loads(p.read_text())
        p.touch()
        d["span"] = {k: tuple(v) for k, v in d["span"].items()}
        return Sizing(**d)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _to_disk(key, sz: Sizing) -> Sizing:
    """Written atomically; a cache that cannot be written is no error."""
    import json
    import os
    import tempfile
    try:
        p = _disk_path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(sz.__dict__, f)
        os.replace(tmp, p)
        old = sorted(p.parent.glob("*.json"), key=lambda q: q.stat().st_mtime, reverse=True)[DISK_KEEP:]
        for q in old:
            q.unlink(missing_ok=True)
    except OSError:
        pass
    return sz


def _size(units, streams, input_stream, output_stream, floor, policy, fixed) -> Sizing:
    if policy not in POLICIES:
        raise InputError(f"hardware.fifo_policy must be one of {', '.join(POLICIES)}, got {policy!r}")
    fixed = dict(fixed or {})
    for s, d in fixed.items():
        if s not in streams:
            raise InputError(f"hardware.fifo_depths: no stream named {s!r} (see plan.json's streams)")
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise InputError(f"hardware.fifo_depths.{s} must be a positive integer, got {d!r}")
    nt, names = net(units, streams, input_stream, output_stream)
    kind = {u.name: u.kind for u in units}
    join_in = np.array([streams[s].consumer in kind and kind[streams[s].consumer] in ("concat", "add")
                        and s not in fixed for s in names], np.bool_)
    rank = np.array([_topo(units, streams[s].consumer) for s in names], np.int64)
    start = np.array([fixed.get(s, 1) for s in names], np.int64)
    r = fifo_sim.run(nt, start, 1, grow=join_in, rank=rank)
    if r.status != fifo_sim.DONE:
        raise Deadlock(f"the pipeline deadlocks whatever the join depths ({_blocked(r, names, units)})")
    minimum = {s: int(r.depth[i]) for i, s in enumerate(names)}
    bott = max(u.cycles for u in units)
    if policy == "minimum":
        depth = np.array([minimum[s] for s in names], np.int64)
    else:
        paced = fifo_sim.run(nt, np.array([fixed.get(s, DEEP) for s in names], np.int64), PACED_IMAGES,
                             pace=bott)
        if paced.status != fifo_sim.DONE:
            raise Deadlock(f"the pipeline does not finish with deep FIFOs ({_blocked(paced, names, units)})")
        depth = np.array([fixed.get(s, max(floor, minimum[s], int(paced.need[i]))) for i, s in enumerate(names)],
                         np.int64)
    r = fifo_sim.run(nt, depth, RATE_IMAGES)
    if r.status != fifo_sim.DONE:
        raise Deadlock(f"the pipeline deadlocks at the declared depths ({_blocked(r, names, units)})")
    interval = int(r.out_done[-1] - r.out_done[-2])
    span = {u.name: (int(r.first[i]), int(r.last[i])) for i, u in enumerate(units)}
    return Sizing({s: int(depth[i]) for i, s in enumerate(names)}, minimum,
                  {s: int(r.occupancy[i]) for i, s in enumerate(names)}, interval, int(r.out_done[0]) + 1,
                  bott, span, policy)


def _topo(units, name) -> int:
    for i, u in enumerate(units):
        if u.name == name:
            return i
    return len(units)
