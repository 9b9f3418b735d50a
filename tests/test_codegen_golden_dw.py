"""Golden files for a tiny MobileNet-style project (tests/golden/mobilenet_tiny/): conv + ReLU6,
a stride-2 depthwise conv with pe 2 + ReLU6, a pointwise conv + ReLU6, a depthwise conv without
bias, global average pool, dense. As tests/test_codegen_golden.py: the rendered project (minus the
kernel copies) equals the stored files byte for byte; refresh with

    HWSIM_UPDATE_GOLDEN=1 pytest tests/test_codegen_golden_dw.py
"""
from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from hwsim.backends.hls import render
from hwsim.ir import zoo
from hwsim.ir.graph import Conv2d, Dense, DepthwiseConv2d, Flatten, GlobalAvgPool, Graph, Input, ReLU6
from hwsim.spec import config as cfg

from codegen_helpers import with_random_biases

GOLDEN = Path(__file__).parent / "golden" / "mobilenet_tiny"
UPDATE = os.environ.get("HWSIM_UPDATE_GOLDEN") == "1"
CONFIG = {
    "precision": {"input": "ap_fixed<8,3>",
                  "layers": {"dw1.relu": {"result": "ap_ufixed<8,3,AP_RND,AP_SAT>"}}},
    "parallel": {"layers": {"dw1": {"pe": 2}, "pw1": {"pe": 2, "simd": 2}}},
    "hardware": {"part": "xczu3eg-sbva484-1-e", "clock_mhz": 200},
}


def graph():
    layers = (Input("input", (), shape=(2, 6, 6)),
              Conv2d("c1", ("input",), out_channels=4, kernel=3, padding=1), ReLU6("c1.relu", ("c1",)),
              DepthwiseConv2d("dw1", ("c1.relu",), kernel=3, stride=2, padding=1), ReLU6("dw1.relu", ("dw1",)),
              Conv2d("pw1", ("dw1.relu",), out_channels=6, kernel=1), ReLU6("pw1.relu", ("pw1",)),
              DepthwiseConv2d("dw2", ("pw1.relu",), kernel=3, padding=1, bias=False),
              GlobalAvgPool("pool", ("dw2",)), Flatten("flat", ("pool",)), Dense("fc", ("flat",), out_features=3))
    return with_random_biases(zoo.he_init(Graph("mobilenet_tiny", layers), seed=4), seed=5)


def rendered() -> dict[str, str]:
    g = graph()
    files = render(g, cfg.load(CONFIG, g))
    return {k: v for k, v in files.items() if not k.startswith("firmware/kernels/")}


def test_mobilenet_tiny_matches_golden_files():
    files = rendered()
    assert files == rendered()                       # deterministic within a run too
    if UPDATE:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, text in files.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_bytes(text.encode())
        pytest.skip(f"golden files rewritten in {GOLDEN}")
    stored = {str(p.relative_to(GOLDEN)): p.read_bytes().decode() for p in sorted(GOLDEN.rglob("*")) if p.is_file()}
    assert sorted(stored) == sorted(files), "file lists differ (HWSIM_UPDATE_GOLDEN=1 to refresh)"
    for rel in sorted(files):
        if files[rel] != stored[rel]:
            diff = "".join(difflib.unified_diff(stored[rel].splitlines(True), files[rel].splitlines(True),
                                                f"golden/{rel}", f"rendered/{rel}"))
            pytest.fail(f"{rel} differs from its golden file (HWSIM_UPDATE_GOLDEN=1 to refresh):\n{diff}")


@pytest.mark.csim
def test_mobilenet_tiny_csim_bit_exact(tmp_path):
    """The golden project C-simulates bit-exactly, cycles as planned (the dwconv without bias too)."""
    from hwsim.backends import registry as backends, writer
    from hwsim.backends.csim import random_inputs
    from hwsim.backends.hls.backend import run_csim
    from hwsim.backends.hls.lint import lint
    from hwsim.sim import simulate
    import numpy as np
    g = graph()
    c = cfg.load(CONFIG, g)
    out = writer.write_project(tmp_path / "p", render(g, c))
    assert lint(out) == []
    x, x_raw = random_inputs(g, c, 3, 5)
    expected = simulate.run(g, x, c, reference=False).raw
    got = run_csim(backends.CsimRequest(out, g, c, x_raw, progress=False))
    assert np.array_equal(got, expected) and len(np.unique(expected)) > 2
