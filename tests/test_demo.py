"""`hwsim demo` (what `make demo` runs): every step succeeds and the reports exist."""
import json

import pytest

from hwsim import cli


@pytest.mark.csim
def test_demo_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    assert cli.main(["demo", "-o", str(out), "--images", "3"]) == 0
    text = capsys.readouterr().out
    from hwsim.hw import estimate
    from hwsim.ir import zoo
    from hwsim.spec.units import format_bits
    onchip = estimate.estimate(zoo.build("squeezenet1_1", weights=False)).totals.onchip_bits
    assert f"FITS: {format_bits(onchip)} of 10 MiB" in text              # the budget step's verdict
    assert "csim: 3 images, 30 values, 0 mismatches" in text
    assert "cycles: 26 kernels, 0 differ from the plan" in text
    for name in ("budget.html", "budget.png", "compare.html", "compare.png"):
        assert (out / name).stat().st_size > 1000, name
    project = json.loads((out / "squeezenet_mini_hls" / "hwsim_project.json").read_text())
    assert project["model"] == "squeezenet_mini" and project["backend"] == "hls"


def test_demo_help_lists_the_steps(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["demo", "--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for step in ("1. budget", "2. compare", "3. generate", "4. csim"):
        assert step in text
