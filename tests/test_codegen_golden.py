"""Golden files for a small fire-module project (tests/golden/fire_small/).

The rendered project (minus the kernel header copies, which test_codegen checks against
templates/kernels) must equal the stored files byte for byte. After an intended change of the
generator, refresh them with:

    HWSIM_UPDATE_GOLDEN=1 pytest tests/test_codegen_golden.py
"""
from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from hwsim.spec import config as cfg
from hwsim.backends.hls import render

from codegen_helpers import build

GOLDEN = Path(__file__).parent / "golden" / "fire_small"
UPDATE = os.environ.get("HWSIM_UPDATE_GOLDEN") == "1"
CONFIG = {
    "precision": {"input": "ap_fixed<10,4>",
                  "default": {"weight": "ap_fixed<6,1,AP_RND_CONV,AP_SAT>"},
                  "layers": {"fire.squeeze1x1": {"accum": "ap_fixed<16,6,AP_RND,AP_SAT>"},
                             "fire.concat": {"result": "ap_fixed<12,5,AP_RND,AP_SAT>"}}},
    "parallel": {"layers": {"fire.expand3x3": {"ram_style": "bram"}}},
    "hardware": {"part": "xc7z020clg400-1", "clock_mhz": 125},
}


def rendered() -> dict[str, str]:
    g = build("fire", seed=3, in_channels=4, squeeze=2, expand1x1=3, expand3x3=3, size=4)
    files = render(g, cfg.load(CONFIG, g))
    return {k: v for k, v in files.items() if not k.startswith("firmware/kernels/")}


def test_fire_small_matches_golden_files():
    files = rendered()
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
