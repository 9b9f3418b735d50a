"""`hwsim fold` (hwsim.hw.fold): the fastest folding within a device, the cheapest for a target,
exact totals from the whole plan, and the one-line verdicts."""
from __future__ import annotations

import pytest
import yaml

from hwsim import cli
from hwsim.hw import estimate, fold
from hwsim.ir import zoo
from hwsim.spec import config as cfg, devices


@pytest.fixture(scope="module")
def sq11():
    g = zoo.build("squeezenet1_1", weights=False)
    return g, cfg.load(None, g)


@pytest.fixture(scope="module")
def on_zcu102(sq11):
    g, c = sq11
    return fold.fold(g, c, devices.get("zcu102"))


def test_squeezenet11_on_zcu102_reaches_1000_fps_within_90_percent(sq11, on_zcu102):
    g, c = sq11
    r = on_zcu102
    assert r.fits and all(u <= 0.9 * a for u, a in zip(r.used, r.limits.available))
    fps = 200e6 / r.cycles
    roofline = 2520 * 200e6 / g.macs()              # 1,300 fps: beyond it only with LUT multipliers
    assert fps >= 1000 and round(roofline) == 1300


def test_the_totals_are_the_whole_plans_not_the_sum_of_the_layer_choices(sq11, on_zcu102):
    """BRAM rounds up per memory, and the FIFOs and converters between layers depend on both
    neighbours: the verdict comes from the plan of the whole folded network, as budget sees it."""
    g, _ = sq11
    r = on_zcu102
    rep = estimate.estimate(g, r.config, device="zcu102")
    assert r.used == (rep.totals.dsp, rep.totals.bram18, rep.totals.uram, rep.totals.luts)
    summed = fold._total(r.choices)
    assert summed != r.used and all(s <= u for s, u in zip(summed, r.used))
    assert rep.fits_device


def test_deterministic(sq11, on_zcu102):
    g, c = sq11
    again = fold.fold(g, c, devices.get("zcu102"))
    assert again.doc == on_zcu102.doc and again.used == on_zcu102.used


def test_target_fps_gives_a_cheaper_design_that_meets_it(sq11, on_zcu102):
    g, c = sq11
    r = fold.fold(g, c, devices.get("zcu102"), target_fps=400)
    assert r.fits and 200e6 / r.cycles >= 400
    assert r.used[0] < on_zcu102.used[0] and r.used[3] < on_zcu102.used[3]


def test_a_target_beyond_the_widest_folding_is_out_of_reach(sq11):
    g, c = sq11
    with pytest.raises(fold.OutOfReach, match=r"conv1 takes 115,602 at its widest folding"):
        fold.fold(g, c, devices.get("u250"), target_fps=10_000)


def test_cli_writes_a_config_budget_accepts(tmp_path, capsys):
    out = tmp_path / "f.yaml"
    assert cli.main(["fold", "--model", "squeezenet_mini", "--device", "zu3eg", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    last = text.strip().splitlines()[-1]
    assert last.startswith("FOLDED: ") and "bottleneck" in last and "DSP " in last and "LUT " in last
    doc = yaml.safe_load(out.read_text())
    assert doc["model"] == "squeezenet_mini" and doc["hardware"]["device"] == "ZU3EG"
    assert cli.main(["budget", "--config", str(out), "--device", "zu3eg"]) == 0
    fps = last.split()[1]
    assert f"-> {fps} frames/s" in capsys.readouterr().out


def test_cli_does_not_fit_names_the_resource_and_what_fits(tmp_path, capsys):
    assert cli.main(["fold", "--device", "zynq7020", "-o", str(tmp_path / "f.yaml")]) == 3
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("DOES NOT FIT: squeezenet1_1 at its slowest folding needs BRAM18 ")
    assert "(90% of Zynq-7020's 280)" in last and "fits: " in last and "ZU9EG" in last
    assert not (tmp_path / "f.yaml").exists()


def test_cli_impossible_target_names_the_resource(tmp_path, capsys):
    assert cli.main(["fold", "--device", "zcu102", "--target-fps", "1500", "-o", str(tmp_path / "f.yaml")]) == 3
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("IMPOSSIBLE: 1500 fps needs ") and "over by" in last


@pytest.mark.parametrize("argv,msg", [
    (["fold"], "give --device NAME"),
    (["fold", "--device", "zcu999"], "unknown device"),
    (["fold", "--device", "arria10"], "no LUT count: give --lut"),
    (["fold", "--device", "zcu102", "--utilization", "120"], "--utilization must be in (0, 100]"),
    (["fold", "--device", "zcu102", "--plot", "x.svg"], "give a file name ending in .png"),
])
def test_bad_input_is_one_line_and_exit_2(argv, msg, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and msg in err


def test_explicit_limits_without_a_device(sq11):
    g, c = sq11
    lim = fold.limits(None, dsp=400, bram18=1500, lut=100_000, utilization=100)
    r = fold.fold(g, c, None, lim)
    assert r.fits and r.used[0] <= 400 and r.used[1] <= 1500 and r.used[3] <= 100_000


def test_plot_sweeps_the_cap_and_draws_the_roofline(tmp_path, capsys):
    png = tmp_path / "fold.png"
    assert cli.main(["fold", "--model", "squeezenet_mini", "--device", "zu3eg", "-o", str(tmp_path / "f.yaml"),
                     "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    g = zoo.build("squeezenet_mini", weights=False)
    pts = fold.sweep(g, cfg.load(None, g), devices.get("zu3eg"), fold.limits(devices.get("zu3eg")))
    fps = [p[3] for p in pts]
    assert len(pts) >= 5 and fps == sorted(fps)            # a larger cap never folds slower
