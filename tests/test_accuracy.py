"""Fixed vs float comparison: metrics, the chunked evaluator against direct simulation, the report,
its renderings, the sweep, and `hwsim compare` end to end."""
import json
import math
import pickle

import numpy as np
import pytest

from hwsim.study import calibrate, compare as accuracy, data, evaluate
from hwsim.report import accuracy as accuracy_report
from hwsim.spec import config as cfg
from hwsim.hw import estimate as memory
from hwsim.sim import reference, simulate
from hwsim.ir import zoo
from hwsim.cli import main


@pytest.fixture(scope="module")
def net():
    return zoo.load_weights(zoo.build("squeezenet_mini"), data.demo_path())


@pytest.fixture(scope="module")
def small():
    ds = data.digits("test")
    return data.Dataset("digits:test[:48]", ds.x[:48], ds.y[:48], ds.classes)


def test_topk_and_agreement_by_hand():
    logits = np.array([[0.1, 0.9, 0.0], [0.5, 0.5, 0.2], [0.3, 0.2, 0.1]])
    y = np.array([1, 1, 2])
    assert evaluate.topk(logits, y, 1) == pytest.approx(1 / 3)       # the tie goes to class 0
    assert evaluate.topk(logits, y, 2) == pytest.approx(2 / 3)
    assert evaluate.topk(logits, y, 3) == 1.0
    other = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    assert evaluate.agreement(logits, other) == pytest.approx(2 / 3)


def test_config_doc_resolves_to_the_same_types(net):
    mixed = cfg.load({"precision": {"default": {"accum": "ap_fixed<20,8>"},
                                    "layers": {"fire2.expand3x3": {"result": "ap_fixed<10,4>"}}}}, net)
    for c in (cfg.load(None, net), mixed):
        again = cfg.load(cfg.to_document(c), net)
        assert again.to_dict() == c.to_dict()


def test_netspec_pickles_and_rebuilds(net):
    spec = pickle.loads(pickle.dumps(evaluate.NetSpec.of(net)))
    g = spec.graph()
    assert str(g) == str(net)
    for name, arrs in net.weights.items():
        assert all(np.array_equal(arrs[k], g.weights[name][k]) for k in arrs)
    assert evaluate.NetSpec.of(zoo.build("squeezenet_mini")).key != spec.key


def test_evaluator_matches_direct_simulation_for_any_chunking(net, small):
    config = cfg.load({"precision": calibrate.precision_doc(net, calibrate.calibrate(net, small.x), 7, 6)}, net)
    direct = simulate.run(net, small.x, config, reference=False).values.reshape(len(small), -1)
    for chunk in (48, 7):
        ev = evaluate.Evaluator(net, small.x, chunk=chunk)
        assert np.array_equal(ev.logits(config), direct)
        np.testing.assert_array_equal(ev.float_logits(),
                                      reference.run(net, small.x).reshape(len(small), -1))


def test_compare_statistics_match_the_simulator(net, small):
    # a narrow result type on conv10 overflows, so the counts are not all zero
    config = cfg.load({"precision": {"layers": {"conv10": {"result": "ap_fixed<8,3,AP_TRN,AP_SAT>"}}}}, net)
    rep = accuracy.compare(net, config, small, chunk=len(small))
    sim = simulate.run(net, small.x, config, reference=True)
    ref = reference.run(net, small.x).reshape(len(small), -1)
    fixed = sim.values.reshape(len(small), -1)
    assert rep.float_top1 == evaluate.topk(ref, small.y, 1)
    assert rep.fixed_top1 == evaluate.topk(fixed, small.y, 1)
    assert rep.fixed_top5 == evaluate.topk(fixed, small.y, 5)
    assert rep.agreement == evaluate.agreement(fixed, ref)
    assert [l.name for l in rep.layers] == net.names()
    for ours, theirs in zip(rep.layers, sim.stats):
        assert (ours.overflows, ours.saturations, ours.type) == (theirs.overflows, theirs.saturations, theirs.type)
        if theirs.sqnr_db in (math.inf, None):
            assert ours.sqnr_db == theirs.sqnr_db
        else:
            assert ours.sqnr_db == pytest.approx(theirs.sqnr_db, rel=1e-9)
    assert rep.layers[-3].name == "conv10" and rep.layers[-3].overflows > 0 and rep.layers[-3].worst
    assert rep.onchip_bits == memory.estimate(net, config).totals.onchip_bits
    # chunking changes only the order of float sums in the SQNR
    again = accuracy.compare(net, config, small, chunk=5)
    assert again.fixed_top1 == rep.fixed_top1 and again.agreement == rep.agreement
    for a, b in zip(again.layers, rep.layers):
        assert a.overflows == b.overflows and a.max_abs_err == b.max_abs_err


def test_worst_layers_are_the_lowest_sqnr_typed_layers(net, small):
    rep = accuracy.compare(net, cfg.load(None, net), small)
    own = {l.name for l in net.layers if not l.passes_type}     # layers with their own result type
    assert own == {l.name for l in net.layers if l.kind in ("input", "conv", "dense", "gap", "avgpool", "add", "concat")}
    typed = [l for l in rep.layers if l.name in own and l.sqnr_db not in (None, math.inf)]
    lowest = sorted(typed, key=lambda l: l.sqnr_db)[:accuracy.WORST]
    assert {l.name for l in lowest} <= set(rep.worst)
    assert all(l.name in own or l.overflows or l.accum_overflows for l in rep.layers if l.worst)


def test_sixteen_bit_activations_agree_with_float(net):
    """Acceptance: 16-bit activations, lossless accumulators, on the whole digits test split."""
    test = data.digits("test")
    ranges = calibrate.calibrate(net, data.digits("val").x)
    for config in (cfg.load(None, net),    # results ap_fixed<16,6>, weights ap_fixed<8,1>
                   cfg.load({"precision": calibrate.precision_doc(net, ranges, 16, 16)}, net)):
        ev = evaluate.Evaluator(net, test.x, chunk=len(test))
        assert evaluate.agreement(ev.logits(config), ev.float_logits()) >= 0.995


def test_sweep_points(net, small):
    ev = evaluate.Evaluator(net, small.x)
    ranges = calibrate.calibrate(net, small.x)
    points = accuracy.sweep(net, small, [4, 8, 16], ev, ranges)
    assert [p.width for p in points] == [4, 8, 16]
    bits = [p.onchip_bits for p in points]
    assert bits[0] < bits[1] < bits[2]
    c8 = cfg.load({"precision": calibrate.precision_doc(net, ranges, 8, 8)}, net)
    assert points[1].onchip_bits == memory.estimate(net, c8).totals.onchip_bits
    direct = simulate.run(net, small.x, c8, reference=False).values.reshape(len(small), -1)
    assert points[1].fixed_top1 == evaluate.topk(direct, small.y, 1)


def test_render_formats(net, small):
    rep = accuracy.compare(net, cfg.load(None, net), small)
    d = json.loads(accuracy_report.render(rep, "json"))
    for key in ("float_top1", "fixed_top1", "agreement", "layers", "worst_layers"):
        assert key in d
    assert {"name", "sqnr_db", "overflows"} <= set(d["layers"][0])
    assert d["layers"][0]["exact"] is True and d["layers"][0]["sqnr_db"] is None   # digits are exact at 16,6
    table = accuracy_report.render(rep, "table")
    worst = rep.worst[0]
    assert any(line.startswith("* " + worst) for line in table.splitlines())
    md = accuracy_report.render(rep, "md")
    assert f"| **{worst}** |" in md
    html = accuracy_report.render(rep, "html")
    assert html.startswith("<!DOCTYPE html>") and '<tr class="worst"><td>' + worst in html
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        accuracy_report.render(rep, "pdf")


def test_cli_compare_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["compare", "--workers", "1", "--quiet", "-o", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["model"] == "squeezenet_mini" and d["samples"] == 360
    assert d["float_top1"] >= 0.95 and d["agreement"] >= 0.995


def test_cli_compare_sweep_plot_with_npz(tmp_path, capsys):
    ds = data.digits("val")
    np.savez(tmp_path / "d.npz", x=ds.x[:20], y=ds.y[:20])
    png = tmp_path / "s.png"
    rc = main(["compare", "--data", str(tmp_path / "d.npz"), "--sweep", "6..7", "--plot", str(png),
               "--format", "md", "--workers", "1", "--quiet"])
    assert rc == 0 and png.stat().st_size > 1000
    assert "### Bit-width sweep" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--data", "/nonexistent/folder"], "data not found: /nonexistent/folder"),
    (["--plot", "x.png"], "--plot draws the bit-width sweep"),
    (["--sweep", "16..4"], "--sweep '16..4'"),
    (["--num-classes", "5"], "squeezenet_mini at 1x16x16, 5 classes has no trained weights"),
    (["--data", "{tmp}/small.npz"], "images have shape (1, 8, 8), the model expects (1, 16, 16)"),
    (["--data", "{tmp}/small.npz", "--input-shape", "1x8x8", "--num-classes", "2"],
     "squeezenet_mini at 1x8x8, 2 classes has no trained weights"),
])
def test_cli_compare_bad_input(argv, message, tmp_path, capsys):
    ds = data.digits("val", (1, 8, 8))
    np.savez(tmp_path / "small.npz", x=ds.x[:10], y=ds.y[:10])
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(["compare", "--workers", "1", "--quiet"] + argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_a_statistics_run_gives_the_float_logits_without_a_second_float_run(net, small, monkeypatch):
    """compare runs the fixed-point network with the reference beside it: the float logits it caches
    equal reference.run's bit for bit, for any chunking, and no float-only job runs."""
    config = cfg.load(None, net)
    jobs = []
    f = evaluate._job
    monkeypatch.setattr(evaluate, "_job", lambda item: (jobs.append(item[1] is None), f(item))[1])
    want = reference.run(net, small.x).reshape(len(small), -1)
    for chunk in (len(small), 7):
        ev = evaluate.Evaluator(net, small.x, chunk=chunk)
        ev.run([config], stats=True)
        np.testing.assert_array_equal(ev.float_logits(), want)
    assert jobs and not any(jobs)
