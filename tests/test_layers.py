"""The package layers are enforced: `lint-imports` keeps the contracts in pyproject.toml on the real
tree, and fails on a copy of it with one planted import that goes the wrong way or closes a cycle."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), str(root / "pyproject.toml"), "--no-cache"], cwd=root,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "tree"
    shutil.copytree(ROOT / "hwsim", dst / "hwsim", ignore=shutil.ignore_patterns("__pycache__", "*.nb[ic]", "data"))
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    return dst


def test_the_tree_keeps_the_contracts():
    res = _lint(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 kept, 0 broken" in res.stdout


@pytest.mark.parametrize("module,planted,broken", [
    ("hwsim/ir/graph.py", "import hwsim.commands.budget", "hwsim.ir is not allowed to import hwsim.commands"),
    ("hwsim/sim/simulate.py", "import hwsim.hw.estimate", "hwsim.sim is not allowed to import hwsim.hw"),
    ("hwsim/fixed/rules.py", "import hwsim.spec.config", "hwsim.fixed is not allowed to import hwsim.spec"),
    ("hwsim/study/executor.py", "import hwsim.study.compare", "No cycles are allowed in hwsim.study"),
])
def test_a_planted_bad_import_breaks_a_contract(tmp_path, module, planted, broken):
    tree = _copy(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{planted}  # planted by the test\n")
    res = _lint(tree)
    assert res.returncode != 0 and broken in res.stdout, res.stdout + res.stderr
