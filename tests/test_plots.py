"""Accuracy plots: the Pareto plot's accuracy axis spans the band that matters."""
import struct

from hwsim.report import plots
from hwsim.study import tune


def test_band_spans_target_to_best_and_ignores_collapsed_configs():
    lo, hi = plots.accuracy_band([10.0, 35.0, 96.1, 98.6, 99.0], chosen=97.8, float_top1=98.33, max_drop=1.0)
    assert lo == 95.0 and 99.0 < hi <= 100.5
    lo, hi = plots.accuracy_band([50.0, 60.0], chosen=60.0, float_top1=70.0, max_drop=20.0)
    assert lo <= 50.0 and hi > 70.0
    assert plots.accuracy_band([100.0], chosen=100.0, float_top1=100.0, max_drop=0.0)[0] == 99.0


def test_pareto_plot_counts_the_configs_below_the_band(tmp_path):
    pts = [tune.Point(f"p{i}", 1000 * (i + 1), v, v, (), ()) for i, v in enumerate((0.1, 0.2, 0.96, 0.975, 0.99))]
    out = plots.pareto_plot(pts, pts, pts[3], tmp_path / "p.png", 0.9833, 1.0, None, "t")
    png = (tmp_path / "p.png").read_bytes()
    assert out.endswith("p.png") and png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24])[0] > 800     # room for the legend beside the axes
    assert [p.name for p in tmp_path.iterdir()] == ["p.png"]
