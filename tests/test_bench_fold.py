"""tools/bench_fold.py: FINN's SetFolding over hwsim's plans, and hwsim fold against it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import bench_fold  # noqa: E402
from hwsim.hw import fold, pipeline  # noqa: E402
from hwsim.ir import zoo  # noqa: E402
from hwsim.spec import config as cfg, devices  # noqa: E402

ROOMY = dict(dsp=10**6, bram18=10**6, lut=10**9)


def _net(name):
    g = zoo.build(name, weights=False)
    return g, cfg.load(None, g)


@pytest.mark.parametrize("net", ["squeezenet_mini", "fire"])
def test_setfolding_on_zu3eg_fits_meets_its_target_is_deterministic_and_fold_is_not_slower(net):
    g, c = _net(net)
    d = devices.get("zu3eg")
    lim = fold.limits(d)
    base = bench_fold.SetFolding(g, c, d, lim).fastest()
    strong = bench_fold.SetFolding(g, c, d, lim, pool_window=True).fastest()
    for r in (base, strong):
        assert r.fits and all(u <= l for u, l in zip(r.used, lim.as_tuple()))
        plan = pipeline.build(g, r.config, d)                # costed by the plan itself
        assert fold.plan_usage(plan) == r.used and plan.bottleneck.cycles == r.cycles
    again = bench_fold.SetFolding(g, c, d, lim).fastest()
    assert (again.folding, again.requested, again.target, again.used) == (base.folding, base.requested,
                                                                         base.target, base.used)
    assert strong.cycles <= strong.target
    if base.cycles > base.target:
        # as read: FINN sets a pool's depthwise window to the pool's PE and never checks it against
        # the target, and the window's fill makes it slower than the pool (squeezenet_mini)
        b = base.plan.bottleneck
        assert net == "squeezenet_mini" and b.kind == "swu" and g.layer(b.layer).kind == "maxpool"
        assert base.plan.layer(b.layer).unit("pool").cycles < base.target
    ours = fold.fold(g, c, d, lim)
    assert ours.fits and ours.cycles <= min(base.cycles, strong.cycles)


def test_mvau_walk_is_finns_simd_then_pe_with_the_width_check_after_the_target():
    g, c = _net("fire")
    sf = bench_fold.SetFolding(g, c, None, fold.limits(None, **ROOMY))
    layer, srcs = next((l, s) for l, s in sf.nodes if l.name == "fire.squeeze1x1")
    # 55 x 55 pixels, 96 inputs, 16 outputs: 3025 x (16 / PE) x (96 / SIMD) cycles; 8-bit weights
    assert sf.cycles(layer, srcs, 1, 4)["mvau"] == 1_161_600
    assert sf.cycles(layer, srcs, 1, 6)["mvau"] == 774_400

    def walk(target):
        return next((pe, simd) for n, pe, simd in sf.walk(target) if n == "fire.squeeze1x1")

    assert walk(10**9) == (1, 1)
    assert walk(1_161_601) == (1, 4)              # met strictly below the target
    assert walk(1_161_600) == (1, 6)              # not met at 4: SIMD 6 (48 bits > 36) meets it and is kept
    assert walk(700_000) == (2, 4)                # 6 misses and is too wide: back to 4, then PE
    assert walk(1) == (16, 4)                     # nothing meets: SIMD stays within 36 bits, PE fully parallel


def test_two_pass_relaxation_reruns_at_the_achieved_bottleneck():
    g, c = _net("fire")
    lim = fold.limits(None, **ROOMY)
    one = bench_fold.SetFolding(g, c, None, lim, two_pass_relaxation=False).design(1)
    assert not one.relaxed and one.target == 1 and one.cycles > 1
    two = bench_fold.SetFolding(g, c, None, lim).design(1)
    assert two.relaxed and two.target == one.cycles and two.cycles <= two.target
    assert two.used[0] <= one.used[0]             # the second pass folds no layer more than the bottleneck needs


def test_walk_reads_the_cycles_the_plan_builds():
    g, c = _net("squeezenet_mini")
    d = devices.get("zu3eg")
    sf = bench_fold.SetFolding(g, c, d, fold.limits(d))
    r = sf.design(5_000)
    srcs = dict((l.name, s) for l, s in sf.nodes)
    for name, pe, simd in r.folding:
        lp = r.plan.layer(name)
        assert (lp.pe, lp.simd if simd is not None else None) == (pe, simd)
        walked = sf.cycles(g.layer(name), srcs[name], pe, simd if simd is not None else pe)
        assert {u.kind: u.cycles for u in lp.units if u.kind in walked} == walked
