"""A built wheel carries what a non-editable install needs: kernel headers, Jinja templates, demo data."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.csim
def test_wheel_contains_templates_and_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("hwsim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for header in (ROOT / "templates" / "kernels").glob("*.h"):
        assert f"hwsim/_templates/kernels/{header.name}" in names
    for tpl in (ROOT / "templates" / "hls").glob("*.j2"):
        assert f"hwsim/_templates/hls/{tpl.name}" in names
    assert "hwsim/data/squeezenet_mini_digits.npz" in names
    assert "hwsim/commands/demo.py" in names and "hwsim/backends/hls/render.py" in names
