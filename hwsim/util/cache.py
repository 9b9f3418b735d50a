"""hwsim's on-disk cache folder: $HWSIM_CACHE_DIR, else $XDG_CACHE_HOME/hwsim, else ~/.cache/hwsim.
C-simulation builds (hwsim.backends.hls.backend) and FIFO sizings (hwsim.hw.fifo_depth) live there."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    if os.environ.get("HWSIM_CACHE_DIR"):
        return Path(os.environ["HWSIM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hwsim"
