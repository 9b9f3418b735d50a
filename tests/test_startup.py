"""Start-up: `hwsim --help` and the commands' --help import none of the heavy packages (the option
lists they show come from light modules: hwsim.backends.options, hwsim.report.tables,
hwsim.hw.estimate). A budget itself sizes the FIFOs by simulating the pipeline (hwsim.hw.fifo_sim):
it imports numpy and numba (and numba's yaml), nothing else heavy. Times are measured in
tools/bench_startup.py, not here."""
import subprocess
import sys

import pytest

HEAVY = ("numpy", "numba", "matplotlib", "jinja2", "torch", "onnx", "yaml", "sklearn")
PROBE = """import sys, io, contextlib
from hwsim.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main({argv!r})
    except SystemExit as e:
        code = e.code
print(code, *[m for m in {heavy!r} if m in sys.modules])
"""


SIZING = ["numpy", "numba", "yaml"]


@pytest.mark.parametrize("argv,allowed", [(["--help"], []), (["budget"], SIZING), (["budget", "--help"], []),
                                          (["generate", "--help"], []),
                                          (["budget", "--model", "fire", "--format", "json"], SIZING)])
def test_light_commands_import_no_heavy_package(argv, allowed):
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "0" and [m for m in out[1:] if m not in allowed] == [], \
        f"hwsim {' '.join(argv)}: exit {out[0]}, imported {out[1:]}"


def test_the_backend_option_names_every_backend():
    from hwsim.backends import registry as backends
    from hwsim.cli import build_parser
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["generate"]
    help_text = next(a.help for a in sub._actions if a.dest == "backend")
    assert all(b in help_text for b in backends.generators())   # --backend's help names every backend


@pytest.mark.parametrize("command,model,weights", [
    ("compare", "squeezenet_mini", "the shipped digits weights"), ("tune", "squeezenet_mini", "the shipped digits weights"),
    ("generate", "squeezenet1_1", "seeded He initialisation"), ("budget", "squeezenet1_1", "the estimate needs only shapes")])
def test_help_names_each_commands_own_defaults(command, model, weights):
    from hwsim.cli import build_parser
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    text = " ".join(sub.format_help().split())
    assert f"(default: {model};" in text and weights in text
