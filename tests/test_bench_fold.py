"""tools/bench_fold.py: the SetFolding baseline over hwsim's plans, and hwsim fold against it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import bench_fold  # noqa: E402
from hwsim.hw import fold  # noqa: E402
from hwsim.ir import zoo  # noqa: E402
from hwsim.spec import config as cfg, devices  # noqa: E402


@pytest.mark.parametrize("net", ["squeezenet_mini", "fire"])
def test_setfolding_fits_is_deterministic_and_fold_is_at_least_as_fast(net):
    g = zoo.build(net, weights=False)
    c = cfg.load(None, g)
    d = devices.get("zu3eg")
    lim = fold.limits(d)
    base = bench_fold.SetFolding(g, c, d, lim).fastest()
    again = bench_fold.SetFolding(g, c, d, lim).fastest()
    assert base.fits and base.doc == again.doc
    assert base.cycles <= max(ch.cycles for ch in base.choices)
    for ch in base.choices:                     # FINN's mvau_wwidth_max: simd x weight bits <= 36
        if ch.simd is not None:
            assert ch.simd * c[ch.layer].weight.width <= bench_fold.MVAU_WWIDTH_MAX or ch.simd == 1
    ours = fold.fold(g, c, d, lim)
    assert ours.cycles <= base.cycles


def test_setfolding_walks_simd_before_pe():
    g = zoo.build("fire", weights=False)
    c = cfg.load(None, g)
    sf = bench_fold.SetFolding(g, c, None, fold.limits(None, dsp=10_000, bram18=10_000, lut=10**7))
    slow = sf._walk("fire.expand3x3", 10**12)
    assert (slow.pe, slow.simd) == (1, 1)
    some = sf._walk("fire.expand3x3", slow.cycles // 3)
    assert some.simd > 1 and some.pe == 1            # SIMD grew first, within 36 / 8 bits = 4
