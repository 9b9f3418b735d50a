"""The public API in hwsim/__init__.py: every name is the library's own object, `import hwsim` loads
none of the packages, and the documented example runs."""
import subprocess
import sys

import numpy as np
import pytest

import hwsim


def test_import_hwsim_loads_no_package():
    code = "import sys, hwsim; print(sorted(m for m in sys.modules if m.startswith('hwsim.') or m == 'numpy'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", sorted(hwsim._API))
def test_each_name_is_the_library_object(name):
    import importlib
    module, attr = hwsim._API[name]
    assert getattr(hwsim, name) is getattr(importlib.import_module(module), attr)


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'simulator'"):
        hwsim.simulator


def test_the_documented_example_runs(tmp_path):
    graph = hwsim.build("fire", in_channels=4, squeeze=2, expand1x1=3, expand3x3=3, size=5)
    config = hwsim.load_config(None, graph)
    report = hwsim.estimate(graph, config)
    assert report.totals.onchip_bits > 0
    x = np.random.default_rng(0).standard_normal((2,) + graph.input_shape)
    result = hwsim.simulate(graph, x, config)
    assert result.raw.shape == (2, 6, 5, 5) and result.stats[-1].name == "fire.concat"
    files = hwsim.render(graph, config)
    assert "firmware/myproject.cpp" in files or any(p.endswith(".cpp") for p in files)
    out = hwsim.generate(graph, config, tmp_path / "p", {"in_channels": 4, "squeeze": 2, "expand1x1": 3,
                                                        "expand3x3": 3, "size": 5})
    assert (out / "hwsim_project.json").is_file()
