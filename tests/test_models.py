"""`hwsim models` (hwsim.study.models, hwsim.report.models): the network comparison on a device.

Every figure in a row is checked against the module that owns it (the graph's counts, the budget
estimate, hwsim fold, the simulator on digits), so the comparison reports what the other commands
report; and bad network lists are one-line errors."""
from __future__ import annotations

import json

import pytest

from hwsim import cli
from hwsim.hw import estimate, fold
from hwsim.ir import zoo
from hwsim.spec import config as cfg, devices
from hwsim.study import models
from hwsim.util.errors import InputError


@pytest.fixture(scope="module")
def small():
    nets = [models.parse(s) for s in ("squeezenet_mini", "mobilenet_v1:0.25-32")]
    return models.compare(nets, devices.get("zu3eg"), digits=False)


def test_rows_agree_with_budget_and_fold(small):
    dev = devices.get("zu3eg")
    for row, (name, kw) in zip(small.rows, (("squeezenet_mini", {}), ("mobilenet_v1", {"alpha": 0.25, "resolution": 32}))):
        g = zoo.build(name, weights=False, **kw)
        c = cfg.load(None, g)
        e = estimate.estimate(g, c, device=dev)
        r = fold.fold(g, c, dev, fold.limits(dev))
        assert (row.params, row.macs) == (g.params(), g.macs())
        assert (row.weight_bits, row.onchip_bits, row.design_fits) == (e.totals.weight_bits, e.totals.onchip_bits,
                                                                        e.fits_device)
        assert r.fits and row.fps == pytest.approx(200e6 / r.cycles) and (row.dsp, row.bram18) == r.used[:2]
        assert row.bottleneck == r.plan.bottleneck.layer


def test_renderings(small, tmp_path):
    text = models_report().render(small, "table")
    assert "mobilenet_v1:0.25-32" in text and "zu3eg" in text.lower()
    md = models_report().render(small, "md")
    assert md.count("\n| ") >= 3
    d = json.loads(models_report().render(small, "json"))
    assert d["schema"] == "hwsim.models/1" and [n["net"] for n in d["networks"]] == ["squeezenet_mini",
                                                                                      "mobilenet_v1:0.25-32"]
    png = models_report().plot_png(small)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def models_report():
    from hwsim.report import models as report
    return report


@pytest.mark.parametrize("spec,msg", [
    ("resnet50", "unknown model 'resnet50'"),
    ("squeezenet1_1:0.5-160", "only mobilenet_v1 takes ALPHA-RESOLUTION"),
    ("mobilenet_v1:0.3-160", "alpha must be one of"),
    ("mobilenet_v1:half", "expected mobilenet_v1:ALPHA-RESOLUTION"),
])
def test_bad_network_specs(spec, msg):
    with pytest.raises(InputError, match=msg):
        models.parse(spec)


def test_cli_bad_input_is_one_line(capsys, tmp_path):
    assert cli.main(["models", "--nets", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown model 'nope'" in err
    assert cli.main(["models", "--device", "nodevice"]) == 2
    assert cli.main(["models", "--nets", "fire", "--plot", str(tmp_path / "x.jpg")]) == 2
    assert not list(tmp_path.iterdir())


def test_help_lists_equal_the_library():
    from hwsim.commands import models as cmd
    from hwsim.report import models as report
    assert cmd.FORMATS == report.FORMATS
    assert tuple(cmd.DEFAULT_NETS.split(",")) == models.DEFAULT_NETS


def test_alpha_option_is_mobilenet_only(capsys):
    assert cli.main(["budget", "--model", "squeezenet1_1", "--alpha", "0.5"]) == 2
    assert "--alpha is mobilenet_v1's width multiplier" in capsys.readouterr().err
    assert cli.main(["budget", "--model", "mobilenet_v1", "--alpha", "0.3"]) == 2
    assert "alpha must be one of 1.0, 0.75, 0.5, 0.25" in capsys.readouterr().err


def test_onnx_networks_take_part_like_zoo_ones(tmp_path, capsys):
    """An ONNX file (and one with a free batch, at net.onnx:CxHxW) takes part like a zoo network:
    its counts are those of the zoo network it was exported from, and its hardware figures are its
    own budget and fold (the export writes the global average pool as an AveragePool over the whole
    map, a windowed pool in hardware, so the designs differ there)."""
    import torch
    from hwsim.backends.hls4ml.torch_export import to_torch
    g = zoo.build("squeezenet_mini")
    fixed, free = tmp_path / "mini.onnx", tmp_path / "free.onnx"
    x = torch.zeros((1,) + g.input_shape)
    torch.onnx.export(to_torch(g), (x,), str(fixed), dynamo=False)
    torch.onnx.export(to_torch(g), (x,), str(free), dynamo=False, input_names=["x"],
                      dynamic_axes={"x": {0: "batch"}})
    specs = ["squeezenet_mini", str(fixed), f"{free}:1x16x16"]
    c = models.compare([models.parse(s) for s in specs], devices.get("zu3eg"), digits=False)
    zoo_row, *onnx_rows = c.rows
    from hwsim.ir.onnx_graph import import_onnx
    h = import_onnx(str(fixed)).graph
    hc = cfg.load(None, h)
    dev = devices.get("zu3eg")
    e, r = estimate.estimate(h, hc, device=dev), fold.fold(h, hc, dev, fold.limits(dev))
    for row in onnx_rows:
        assert (row.params, row.macs, row.weight_bits) == (zoo_row.params, zoo_row.macs, zoo_row.weight_bits)
        assert (row.onchip_bits, row.design_fits) == (e.totals.onchip_bits, e.fits_device)
        assert row.fps == pytest.approx(200e6 / r.cycles) and (row.dsp, row.bram18) == r.used[:2]
    assert [r.net for r in c.rows] == specs
    with pytest.raises(InputError, match="expected PATH.onnx:CxHxW"):
        models.parse(f"{free}:16x16")
    assert cli.main(["models", "--nets", str(free), "--no-digits"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("[1/1]") and len(err) == 2          # the progress line, then the error
    assert err[1].startswith("hwsim models: error: ") and err[1].endswith(f"give --nets {free}:CxHxW")
