"""FIFO depths from the plans' I/O order (hwsim.hw.io_order, fifo_sim, fifo_depth).

- The event-driven numba simulation equals a plain cycle-by-cycle one written here, on small
  pipelines at several depths: completion, every FIFO's need and occupancy, every unit's ends.
- Every join input's computed minimum is exact: one place less deadlocks, the minimum finishes.
- Under the default policy the modelled interval equals the plans' bottleneck cycles on every zoo
  network, also over more images than the sizing ran.
- Each unit's I/O order moves exactly its streams' beats per image.
- A sizing kept on disk is read back equal; a damaged cache file is ignored and recomputed.
(The same orders against the C++ kernels themselves: tests/test_bounded_csim.py.)
"""
from __future__ import annotations

import numpy as np
import pytest

from hwsim.hw import fifo_depth as FD
from hwsim.hw import fifo_sim, io_order, pipeline
from hwsim.ir import zoo
from hwsim.spec import config as cfg
from hwsim.util.errors import InputError

FIRE = dict(in_channels=12, squeeze=6, expand1x1=8, expand3x3=8, size=7)
FOLD = {"parallel": {"layers": {"fire.squeeze1x1": {"pe": 3, "simd": 4}, "fire.expand1x1": {"pe": 4, "simd": 2},
                                "fire.expand3x3": {"pe": 2, "simd": 3}, "fire.concat": {"pe": 4}}}}
SMALL = {"squeezenet1_0": dict(input_shape=(3, 32, 32), num_classes=10),
         "squeezenet1_1": dict(input_shape=(3, 48, 48), num_classes=10),
         "squeezenet1_0_simple_bypass": dict(input_shape=(3, 32, 32), num_classes=10),
         "squeezenet1_0_complex_bypass": dict(input_shape=(3, 32, 32), num_classes=10),
         "fire": dict(),
         "alexnet": dict(input_shape=(3, 67, 67), num_classes=10),
         "squeezenet_mini": dict(),
         "mobilenet_mini": dict(),
         "mobilenet_v1": dict(alpha=0.25, resolution=32, num_classes=10)}


@pytest.fixture(autouse=True, scope="module")
def _fresh_sizing_cache(tmp_path_factory):
    """The sizings are computed here, not read from an earlier run's disk cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("HWSIM_CACHE_DIR", str(tmp_path_factory.mktemp("hwsim-cache")))
    FD._CACHE.clear()
    yield
    mp.undo()
    FD._CACHE.clear()


def _plan(name, doc=None, **kwargs):
    g = zoo.build(name, **kwargs)
    return pipeline.build(g, cfg.load(doc or {}, g))


def _net(plan):
    st = {s.name: s for s in plan.streams}
    return FD.net(plan.units, st, plan.input_stream, plan.output_stream)


def _naive(plan, depth, images):
    """Cycle by cycle, every unit every cycle, on the counts at the cycle's start."""
    orders = [io_order.order(u) for u in plan.units]
    names = [s.name for s in plan.streams]
    idx = {n: i for i, n in enumerate(names)}
    inp, out = idx[plan.input_stream], idx[plan.output_stream]
    in_beats, out_beats = plan.stream(plan.input_stream).beats, plan.stream(plan.output_stream).beats
    count = [0] * len(names)
    need = [0] * len(names)
    occ = [0] * len(names)
    it = [0] * len(plan.units)
    pp = [0] * len(plan.units)
    ends = [[-1] * images for _ in plan.units]
    sent = got = cyc = 0
    done_at = [-1] * images
    while True:
        delta = [0] * len(names)
        moved = False
        if sent < in_beats * images and count[inp] < depth[inp]:
            need[inp] = max(need[inp], count[inp] + 1)
            delta[inp] += 1
            sent += 1
            moved = True
        for k, (u, o) in enumerate(zip(plan.units, orders)):
            if it[k] >= u.cycles * images:
                continue
            row = o.pattern[(it[k] % u.cycles) % o.period]
            p, stuck = pp[k], False
            while p < len(o.ports):
                if row[p]:
                    s = idx[o.ports[p][0]]
                    if o.ports[p][1]:
                        if count[s] >= depth[s]:
                            stuck = True
                            break
                        need[s] = max(need[s], count[s] + 1)
                        delta[s] += 1
                    else:
                        if count[s] <= 0:
                            stuck = True
                            break
                        delta[s] -= 1
                    moved = True
                p += 1
            if stuck:
                pp[k] = p
                continue
            pp[k] = 0
            moved = True
            if (it[k] + 1) % u.cycles == 0:
                ends[k][it[k] // u.cycles] = cyc
            it[k] += 1
        if got < out_beats * images and count[out] > 0:
            delta[out] -= 1
            got += 1
            moved = True
            if got % out_beats == 0:
                done_at[got // out_beats - 1] = cyc
        for s, d in enumerate(delta):
            count[s] += d
            occ[s] = max(occ[s], count[s])
        cyc += 1
        if got == out_beats * images and all(i >= u.cycles * images for i, u in zip(it, plan.units)):
            return fifo_sim.DONE, done_at, need, occ, ends
        if not moved:
            return fifo_sim.DEADLOCK, done_at, need, occ, ends


@pytest.mark.parametrize("doc", [None, FOLD], ids=["pe1", "folded"])
@pytest.mark.parametrize("depths", ["declared", "minimum", "ones", "mixed"])
def test_event_simulation_equals_the_cycle_by_cycle_one(doc, depths):
    plan = _plan("fire", doc, **FIRE)
    nt, names = _net(plan)
    t = plan.timing
    d = {"declared": [t.depth[n] for n in names], "minimum": [t.minimum[n] for n in names],
         "ones": [1] * len(names), "mixed": [1 + (i * 7) % 5 for i in range(len(names))]}[depths]
    r = fifo_sim.run(nt, d, 2)
    status, done_at, need, occ, ends = _naive(plan, d, 2)
    assert r.status == status
    if status == fifo_sim.DONE:
        assert list(r.out_done) == done_at
        assert list(r.need) == need and list(r.occupancy) == occ
        assert r.ends.tolist() == ends
    assert depths != "ones" or status == fifo_sim.DEADLOCK     # the fast branch needs more than 1


JOIN_NETS = [("fire", None, FIRE), ("fire", FOLD, FIRE), ("squeezenet_mini", None, {}),
             ("squeezenet1_0_complex_bypass", None, SMALL["squeezenet1_0_complex_bypass"]),
             ("squeezenet1_0_simple_bypass", None, SMALL["squeezenet1_0_simple_bypass"])]


@pytest.mark.parametrize("name,doc,kwargs", JOIN_NETS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(JOIN_NETS)])
def test_every_join_minimum_is_exact(name, doc, kwargs):
    plan = _plan(name, doc, **kwargs)
    nt, names = _net(plan)
    t = plan.timing
    base = np.array([t.minimum[n] for n in names])
    assert fifo_sim.run(nt, base, 1).status == fifo_sim.DONE
    joins = [i for i, n in enumerate(names) if plan.stream(n).role == "join" and t.minimum[n] > 1]
    assert joins
    for i in joins:
        d = base.copy()
        d[i] -= 1
        r = fifo_sim.run(nt, d, 1)
        assert r.status == fifo_sim.DEADLOCK, names[i]
        full = {names[s] for u, s in enumerate(r.blocked_stream) if s >= 0 and r.blocked_write[u]}
        assert names[i] in full
    # the chains' FIFOs never need more than one place
    assert all(t.minimum[n] == 1 for n in names if plan.stream(n).role == "fifo")


@pytest.mark.parametrize("name", sorted(SMALL))
def test_interval_is_the_bottleneck_on_every_zoo_network(name):
    plan = _plan(name, **SMALL[name])
    t = plan.timing
    assert t.interval == plan.bottleneck.cycles == t.bottleneck
    assert t.latency > plan.bottleneck.cycles
    nt, names = _net(plan)
    r = fifo_sim.run(nt, [t.depth[n] for n in names], 5)
    assert r.status == fifo_sim.DONE and set(np.diff(r.out_done)) == {plan.bottleneck.cycles}
    assert all(t.depth[n] >= max(2, t.minimum[n]) for n in names)


def test_interval_is_the_bottleneck_at_a_folding():
    from hwsim.hw import fold
    from hwsim.spec import devices
    g = zoo.build("squeezenet_mini")
    r = fold.fold(g, cfg.load(None, g), devices.get("zu3eg"))
    plan = pipeline.build(g, cfg.load({"parallel": r.doc["parallel"]}, g))
    assert plan.timing.interval == plan.bottleneck.cycles


def test_interval_is_the_bottleneck_on_mobilenet_folded():
    """Depthwise units at pe > 1 (their sliding windows at simd = pe) keep the bottleneck rate."""
    from hwsim.hw import fold
    from hwsim.spec import devices
    g = zoo.build("mobilenet_mini")
    r = fold.fold(g, cfg.load(None, g), devices.get("zu3eg"))
    plan = pipeline.build(g, cfg.load({"parallel": r.doc["parallel"]}, g))
    assert any(u.kind == "dwu" and u.field("pe") > 1 for u in plan.units)
    assert plan.timing.interval == plan.bottleneck.cycles


def test_interval_is_the_bottleneck_with_depthwise_kernel_rows():
    """Depthwise layers at simd = KW (one kernel row per cycle) and pe > 1 keep the bottleneck rate,
    and their units' I/O orders move the streams' beats."""
    g = zoo.build("mobilenet_mini")
    layers = {l.name: {"pe": 2, "simd": 3} for l in g.layers if l.kind == "dwconv"}
    plan = pipeline.build(g, cfg.load({"parallel": {"layers": layers}}, g))
    assert sum(u.kind == "dwu" and u.field("simd") == 3 for u in plan.units) == len(layers) > 0
    assert plan.timing.interval == plan.bottleneck.cycles
    for u in plan.units:
        for s, n in io_order.beats(io_order.order(u), u.cycles).items():
            assert n == plan.stream(s).beats, (u.name, s)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_io_orders_move_the_streams_beats(name):
    plan = _plan(name, **SMALL[name])
    for u in plan.units:
        o = io_order.order(u)
        for s, n in io_order.beats(o, u.cycles).items():
            assert n == plan.stream(s).beats, (u.name, s)


def test_policy_minimum_and_fixed_depths():
    g = zoo.build("fire", **FIRE)
    plan = pipeline.build(g, cfg.load({"hardware": {"fifo_policy": "minimum"}}, g))
    assert all(s.depth == plan.timing.minimum[s.name] for s in plan.streams)
    join = next(s for s in plan.streams if s.role == "join" and plan.timing.minimum[s.name] > 1)
    fixed = pipeline.build(g, cfg.load({"hardware": {"fifo_depths": {join.name: join.depth + 5}}}, g))
    assert fixed.stream(join.name).depth == join.depth + 5


@pytest.mark.parametrize("hw,msg", [
    ({"fifo_policy": "fast"}, "hardware.fifo_policy must be one of rate, minimum"),
    ({"fifo_depths": {"nope": 4}}, "hardware.fifo_depths: no stream named 'nope'"),
    ({"fifo_depths": {"input": 0}}, "hardware.fifo_depths.input must be a positive integer"),
    ({"fifo_depths": [1]}, "hardware.fifo_depths must map stream names"),
])
def test_bad_fifo_settings_are_one_line_errors(hw, msg):
    g = zoo.build("fire", **FIRE)
    with pytest.raises(InputError, match=msg.replace("(", r"\(")):
        pipeline.build(g, cfg.load({"hardware": hw}, g))


def test_depths_that_deadlock_are_refused_in_one_line():
    g = zoo.build("fire", **FIRE)
    plan = pipeline.build(g, cfg.load({"hardware": {"fifo_policy": "minimum"}}, g))
    join = next(s for s in plan.streams if s.role == "join" and plan.timing.minimum[s.name] > 1)
    doc = {"hardware": {"fifo_policy": "minimum", "fifo_depths": {join.name: plan.timing.minimum[join.name] - 1}}}
    with pytest.raises(InputError) as e:
        pipeline.build(g, cfg.load(doc, g))
    assert "deadlocks" in str(e.value) and join.name in str(e.value) and "\n" not in str(e.value)


def test_sizings_are_kept_on_disk_and_a_damaged_file_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("HWSIM_CACHE_DIR", str(tmp_path))
    g = zoo.build("fire", **FIRE)
    doc = cfg.load(FOLD, g)
    FD._CACHE.clear()
    first = pipeline.build(g, doc).timing
    files = list((tmp_path / "fifo").glob("*.json"))
    assert len(files) == 1
    FD._CACHE.clear()
    calls = []
    real = FD._size
    monkeypatch.setattr(FD, "_size", lambda *a: calls.append(1) or real(*a))
    assert pipeline.build(g, doc).timing == first and calls == []      # read from disk
    files[0].write_text('{"depth": {"x": ')                             # truncated
    FD._CACHE.clear()
    assert pipeline.build(g, doc).timing == first and calls == [1]     # recomputed, rewritten
    FD._CACHE.clear()
    assert pipeline.build(g, doc).timing == first and calls == [1]
