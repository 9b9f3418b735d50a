"""The C-simulation build cache lives outside the project: a regenerated, identical project
(`generate --force`, as the demo does) reuses the build; other content builds anew; old builds are
pruned to CACHE_KEEP once idle."""
import pytest

from hwsim import cli
from hwsim.backends.hls import backend as hls_backend

pytestmark = pytest.mark.csim


def test_regenerated_identical_project_reuses_the_build(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("HWSIM_CACHE_DIR", str(cache))
    out = tmp_path / "p"
    gen = ["generate", "--model", "fire", "--input-shape", "4x5x5", "-o", str(out), "--force"]
    assert cli.main(gen) == 0
    exe = hls_backend.build(out)
    assert exe.parent.parent == cache and not (out / "build").exists()
    stamp = exe.stat().st_mtime_ns
    assert cli.main(gen) == 0                                  # the project folder is replaced
    assert hls_backend.build(out) == exe and exe.stat().st_mtime_ns == stamp
    assert cli.main(["generate", "--model", "fire", "--input-shape", "4x6x6", "-o", str(out), "--force"]) == 0
    other = hls_backend.build(out)
    assert other != exe and sorted(p.name for p in cache.glob("csim-*")) == sorted([exe.parent.name, other.parent.name])


def test_prune_keeps_the_most_recent_and_any_in_use(tmp_path, monkeypatch):
    import os
    monkeypatch.setattr(hls_backend, "CACHE_KEEP", 1)
    for i in range(4):                          # idle for decades
        d = tmp_path / f"csim-{i}"
        d.mkdir()
        os.utime(d, (1000 + i, 1000 + i))
    for name in ("csim-8", "csim-9"):           # used a moment ago (perhaps by another process)
        (tmp_path / name).mkdir()
    hls_backend._prune(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csim-8", "csim-9"]
