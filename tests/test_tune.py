"""Precision search: integer bits from ranges, config documents, the Pareto front, the search's
guarantees (checked by direct simulation), the YAML it writes, and `hwsim tune` end to end."""
import argparse
import os

import numpy as np
import pytest
import yaml

from hwsim.study import calibrate, data, evaluate, tune
from hwsim.spec import config as cfg
from hwsim.hw import estimate as memory
from hwsim.fixed import rules as precision
from hwsim.sim import simulate
from hwsim.ir import zoo
from hwsim.cli import main
from hwsim.commands import common
from hwsim.fixed import FixedType


@pytest.fixture(scope="module")
def net():
    return zoo.load_weights(zoo.build("squeezenet_mini"), data.demo_path())


@pytest.fixture(scope="module")
def val():
    ds = data.digits("val")
    return data.Dataset("val[:64]", ds.x[:64], ds.y[:64], ds.classes)


def test_integer_bits_is_the_fewest_that_hold_the_range():
    assert [precision.integer_bits(m) for m in (1.0, 0.9, 0.5, 0.49, 3.3, 4.0, 71.35)] == [2, 1, 1, 0, 3, 4, 8]
    assert precision.integer_bits(0.0) == 1 and precision.integer_bits(float("nan")) == 1
    for m in np.random.default_rng(0).uniform(0.01, 200, 200):
        i = precision.integer_bits(float(m))
        assert m < 2.0 ** (i - 1)                 # fits a signed ap_fixed<W, i>
        assert not m < 2.0 ** (i - 2)             # one integer bit fewer would not


def test_precision_doc_types(net, val):
    ranges = calibrate.calibrate(net, val.x)
    acts = dict.fromkeys(calibrate.typed_layers(net), 8)
    acts["conv1"] = 5
    c = cfg.load({"precision": calibrate.precision_doc(net, ranges, acts, 6)}, net)
    assert c.input == FixedType(8, precision.integer_bits(ranges.act["input"]), True, "AP_RND_CONV", "AP_SAT")
    conv1 = c["conv1"]
    assert conv1.result == FixedType(5, precision.integer_bits(ranges.act["conv1"]), True, "AP_TRN", "AP_SAT")
    assert conv1.weight.width == 6 and conv1.weight.integer == precision.integer_bits(ranges.weight["conv1"])
    assert conv1.bias.width == 5 and conv1.accum_lossless
    assert c["conv1.relu"].result == conv1.result and c["pool1"].result == conv1.result
    assert c["fire2.concat"].result.width == 8
    assert ranges.weight["conv1"] == pytest.approx(float(np.abs(net.weights["conv1"]["weight"]).max()))


def _pt(bits, top1, agree=1.0):
    return tune.Point(f"p{bits}", bits, top1, agree, (), ())


def test_pareto_and_meets_by_hand():
    pts = [_pt(10, 0.5), _pt(20, 0.9), _pt(15, 0.4), _pt(30, 0.9), _pt(25, 0.95), _pt(10, 0.6)]
    assert [(p.onchip_bits, p.top1) for p in tune.pareto(pts)] == [(10, 0.6), (20, 0.9), (25, 0.95)]
    assert tune.meets(0.98, _pt(1, 0.97, 0.99), 1.0)
    assert not tune.meets(0.98, _pt(1, 0.96, 0.99), 1.0)       # top-1 drop 2 points
    assert not tune.meets(0.98, _pt(1, 0.98, 0.97), 1.0)       # same accuracy, 3% disagree


def test_search_result_is_acceptable_cheaper_and_deterministic(net, val):
    kw = dict(widths=range(5, 11), min_saving=0.02)
    s = tune.search(net, val.x, val.y, 2.0, **kw)
    config = cfg.load({"precision": s.precision}, net)
    # check the claims with the simulator and the memory model directly
    fixed = simulate.run(net, val.x, config, reference=False).values.reshape(len(val), -1)
    ref = evaluate.Evaluator(net, val.x).float_logits()
    assert s.best.top1 == evaluate.topk(fixed, val.y, 1)
    assert 100 * (1 - evaluate.agreement(fixed, ref)) <= 2.0
    assert 100 * (s.float_top1 - s.best.top1) <= 2.0 and s.meets_drop
    assert s.best.onchip_bits == memory.estimate(net, config).totals.onchip_bits
    start = next(p for p in s.points if p.label == f"uniform {s.start_width}")
    assert s.best.onchip_bits < start.onchip_bits
    assert all(not tune.meets(s.float_top1, p, 2.0) for p in s.points
               if p.label.startswith("uniform ") and int(p.label.split()[1]) < s.start_width)
    ranges = calibrate.calibrate(net, val.x)
    for kind, widths in (("act", s.best.act), ("weight", s.best.weight)):
        for name, bits in widths:
            assert bits >= precision.integer_bits((ranges.act if kind == "act" else ranges.weight)[name])
    assert s.precision == calibrate.precision_doc(net, calibrate.calibrate(net, val.x), dict(s.best.act), dict(s.best.weight))
    again = tune.search(net, val.x, val.y, 2.0, **kw)
    assert again.precision == s.precision and len(again.points) == len(s.points)


def test_search_reports_when_nothing_meets_the_drop(net, val):
    s = tune.search(net, val.x, val.y, 0.0, widths=[4])
    assert s.start_width is None and not s.meets_drop


@pytest.mark.parametrize("kwargs, message", [
    ({"max_drop": -1}, "max drop must be between 0 and 100"),
    ({"max_drop": 1, "widths": [1, 4]}, "widths must be integers >= 2"),
    ({"max_drop": 1, "min_width": 1}, "min_width must be at least 2"),
])
def test_search_rejects_bad_arguments(net, val, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tune.search(net, val.x, val.y, **kwargs)


def test_document_round_trips_through_yaml_and_the_cli_resolver(net, val, tmp_path):
    prec = calibrate.precision_doc(net, calibrate.calibrate(net, val.x), 7, 6)
    doc = tune.document(prec, "squeezenet_mini", {"num_classes": 10, "input_shape": (1, 16, 16)},
                        data.demo_path(), {"parallel": {"default": {"reuse_factor": "auto"}}}, "zcu102")
    path = tmp_path / "t.yaml"
    path.write_text(tune.to_yaml(doc, ["a comment"]))
    assert yaml.safe_load(path.read_text())["hardware"] == {"device": "zcu102"}
    args = argparse.Namespace(config=str(path), model=None, input_shape=None, num_classes=None,
                              weights=None, precision=None)
    graph, config = common.resolve(args)
    assert str(graph) == str(net)
    assert all(np.array_equal(net.weights[k]["weight"], graph.weights[k]["weight"]) for k in net.weights)
    par = {"default": {"reuse_factor": "auto"}}
    assert config.to_dict()["layers"] == cfg.load({"precision": prec, "parallel": par}, net).to_dict()["layers"]


@pytest.fixture(scope="module")
def small_npz(tmp_path_factory):
    ds = data.digits("val")
    p = tmp_path_factory.mktemp("tune") / "d.npz"
    np.savez(p, x=ds.x[:60], y=ds.y[:60])
    return str(p)


def test_cli_tune_writes_a_config_that_fits_and_loads(small_npz, tmp_path, capsys):
    out = tmp_path / "tuned.yaml"
    rc = main(["tune", "--budget", "64KiB", "--max-drop", "5", "--data", small_npz, "--widths", "6..9",
               "--workers", "1", "--quiet", "-o", str(out)])
    assert rc == 0
    assert (tmp_path / "tuned_pareto.png").stat().st_size > 1000
    text = capsys.readouterr().out
    assert "after (tuned)" in text and "test drop" in text
    args = argparse.Namespace(config=str(out), model=None, input_shape=None, num_classes=None,
                              weights=None, precision=None)
    graph, config = common.resolve(args)
    assert memory.estimate(graph, config).totals.onchip_bits <= 64 * 1024 * 8
    assert main(["budget", "--config", str(out)]) == 0
    stored = cfg.read(str(out))["weights"]
    assert not os.path.isabs(stored)                       # relative to the YAML's folder
    assert os.path.samefile(tmp_path / stored, data.demo_path())


def test_cli_tune_exit_codes_and_errors(small_npz, tmp_path, capsys):
    out = str(tmp_path / "t.yaml")
    base = ["tune", "--data", small_npz, "--workers", "1", "--quiet", "-o", out]
    assert main(base + ["--budget", "1KiB", "--max-drop", "100", "--widths", "8", "--min-width", "8"]) == 3
    assert "does not fit" in capsys.readouterr().err
    assert main(base + ["--budget", "1MiB", "--max-drop", "0", "--widths", "4"]) == 1
    assert "no config meets the drop" in capsys.readouterr().err
    for extra, msg in ((["--budget", "lots", "--max-drop", "1"], "budget 'lots' is not a size"),
                       (["--device", "nosuchfpga", "--max-drop", "1"], "nosuchfpga"),
                       (["--budget", "1MiB", "--max-drop", "101"], "--max-drop: must be between 0 and 100")):
        try:
            code = main(base + extra)
        except SystemExit as e:          # argument errors exit from the parser
            code = e.code
        assert code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and msg in err[0]
    assert main(["tune", "--budget", "1MiB", "--max-drop", "1", "-o", str(tmp_path / "t.txt")]) == 2
    assert "name it .yaml" in capsys.readouterr().err


def test_cli_tune_objective_fps_folds_the_candidates(small_npz, tmp_path, capsys):
    base = tmp_path / "base.yaml"          # the user's hardware section: the clock the fps follows
    base.write_text("hardware:\n  clock_mhz: 250\n")
    out = tmp_path / "fast.yaml"
    rc = main(["tune", "--config", str(base), "--device", "zu3eg", "--objective", "fps", "--max-drop", "5",
               "--data", small_npz, "--widths", "6..8", "--workers", "1", "--quiet", "-o", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    line = next(l for l in text.splitlines() if l.startswith("fastest folding on ZU3EG at 250 MHz"))
    fps = line.split("after ")[1].split(" fps")[0]
    assert "folded fps" in text and next(l for l in text.splitlines() if l.startswith("after (tuned)")).endswith(fps)
    doc = yaml.safe_load(out.read_text())
    assert doc["precision"]["layers"] and doc["parallel"]["layers"] and doc["hardware"]["device"] == "ZU3EG"
    assert doc["hardware"]["clock_mhz"] == 250
    assert all("pe" in v for v in doc["parallel"]["layers"].values())
    assert (tmp_path / "fast_pareto.png").stat().st_size > 1000
    for extra in ([], ["--device", "zu3eg"]):
        assert main(["budget", "--config", str(out)] + extra) == 0
        assert f"-> {fps} frames/s" in capsys.readouterr().out


def test_cli_tune_objective_fps_exits_3_when_no_precision_folds(small_npz, tmp_path, capsys, monkeypatch):
    real = tune.fold_points
    monkeypatch.setattr(tune, "fold_points", lambda s, d, **kw: real(s, d, **{**kw, "utilization": 1.0}))
    out = tmp_path / "t.yaml"
    assert main(["tune", "--device", "zu3eg", "--objective", "fps", "--max-drop", "100", "--widths", "8",
                 "--min-width", "8", "--data", small_npz, "--workers", "1", "--quiet", "-o", str(out)]) == 3
    cap = capsys.readouterr()
    assert "no precision within the drop folds onto the device ZU3EG" in cap.err
    assert "no accepted precision folds onto the device" in cap.out


def test_fold_points_fold_each_precision_once_on_the_written_config(net, val):
    from hwsim.hw import fold
    from hwsim.spec import devices
    s = tune.search(net, val.x, val.y, 100.0, widths=[8], min_width=8)
    dev = devices.get("zu3eg")
    twice = tune.Search(s.float_top1, s.max_drop, 8, s.best, s.points * 2, s.graph, s.ranges)
    got = tune.fold_points(twice, dev, base={"hardware": {"clock_mhz": 100}})
    assert len(got) == 2 and got[0].result is got[1].result and got[0].fps == got[1].fps > 0
    doc = tune.document(s.precision, base={"hardware": {"clock_mhz": 100}}, device="ZU3EG")
    r = fold.fold(net, cfg.load(doc, net), dev, fold.limits(dev, utilization=90))
    assert got[0].fps == pytest.approx(100e6 / r.cycles)
    assert got[0].result.doc["parallel"] == r.doc["parallel"] and got[0].result.doc["precision"] == s.precision
    assert got[0].onchip_bits == evaluate.onchip(net, r.config, dev).totals.onchip_bits


def test_objective_fps_needs_a_device(tmp_path, capsys):
    assert main(["tune", "--budget", "1MiB", "--objective", "fps", "--max-drop", "1", "-o",
                 str(tmp_path / "x.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--objective fps folds every candidate onto a device" in err


def test_fastest_prefers_fps_then_fewer_bits():
    from hwsim.study.tune import Folded, Point, Search, fastest
    pts = [Point(str(i), bits, 0.9, 0.95, (), ()) for i, bits in enumerate((300, 200, 100))]
    s = Search(0.9, 10.0, 8, pts[0], tuple(pts), None, None)
    res = object()
    folded = [Folded(pts[0], 500.0, res), Folded(pts[1], 700.0, res), Folded(pts[2], 700.0, res)]
    assert fastest(s, folded).point is pts[2]
    assert fastest(s, [Folded(pts[0], 0.0, None)]) is None
    # ties go to the folded design's bits where known (the folding splits memories per PE)
    folded = [Folded(pts[1], 700.0, res, 150), Folded(pts[2], 700.0, res, 160)]
    assert fastest(s, folded).point is pts[1]
