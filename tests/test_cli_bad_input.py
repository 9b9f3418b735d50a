"""Every bad input: exit 2, exactly one line on stderr that names the problem, no traceback, nothing
on stdout and no file left behind (the output folder, the working folder and the file systems are
compared before and after).

The read-only and full-disk cases write to small tmpfs mounts (a read-only remount, and one filled
to the last byte); they are skipped, with the reason, where the test cannot mount (not root, or no
mount permission in a container).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hwsim import cli
from hwsim.ir import zoo
from hwsim.ir.weights import save_npz, state_dict

torch = pytest.importorskip("torch")

# (argv, text the one line must contain); D: bad files, O: an output folder (empty at the start),
# RO / FULL: read-only and full file systems
CASES = [
    # weight files
    ("budget --weights D/rand.pth", "rand.pth: not a PyTorch file"),
    ("budget --weights D/empty.pth", "empty.pth: empty or truncated PyTorch file"),
    ("budget --weights D/model.pth", "save model.state_dict() instead"),
    ("budget --weights D/rand.onnx", "rand.onnx: not an ONNX model"),
    ("budget --weights D/rand.npz", "rand.npz: not an .npz archive"),
    ("budget --weights D/obj.npz", "obj.npz: holds object arrays"),
    ("budget --model squeezenet_mini --weights D/nan.pth", "'features.0.weight' (layer conv1 weight) has 1 NaN"),
    ("generate --model squeezenet_mini --weights D/nan.pth -o O/p", "pass --allow-nonfinite-weights"),
    ("budget --weights D/missing.pth", "weight file not found: "),
    ("budget --weights D/w.txt", "unknown weight file type '.txt'"),
    ("budget --model squeezenet_mini --weights D/mixed.pth", "entry 'a' is of type int, not a tensor"),
    ("budget --weights D/mini.npz", "mini.npz: missing key 'features.7.squeeze.weight' for layer fire5"),
    ("budget --model squeezenet_mini --weights D/wrongshape.npz", "graph expects shape (32, 1, 3, 3)"),
    ("compare --weights D/five.pth --workers 1 --quiet", "out of range for a model with 5 classes"),
    # output paths
    ("budget -o RO/r.txt", "-o RO/r.txt: cannot write in RO/: Read-only file system"),
    ("budget --plot RO/c.png", "--plot RO/c.png: cannot write in RO/: Read-only file system"),
    ("generate --model fire -o RO/p", "cannot write "),
    ("compare --workers 1 --quiet -o RO/r.json", "-o RO/r.json: cannot write in RO/: Read-only"),
    ("compare --sweep 6..7 --plot RO/c.png", "--plot RO/c.png: cannot write in RO/: Read-only"),
    ("tune --budget 1MiB --max-drop 1 -o RO/t.yaml", "-o RO/t.yaml: cannot write in RO/: Read-only"),
    ("demo --output RO/demo", "Read-only file system"),
    ("budget -o FULL/r.txt", "cannot write FULL/r.txt: No space left on device"),
    ("budget --format html -o FULL/r.html --plot O/c.png", "cannot write FULL/r.html: No space left"),
    ("budget --plot FULL/c.png", "cannot write FULL/c.png: No space left on device"),
    ("generate --model fire -o FULL/p", "No space left on device"),
    ("compare --data D/small.npz --workers 1 --quiet -o FULL/r.json", "cannot write FULL/r.json: No space"),
    ("budget -o O/missing/r.txt", "folder O/missing does not exist"),
    ("budget --plot O/missing/c.png", "--plot O/missing/c.png: folder O/missing does not exist"),
    ("budget -o O", "is a folder; give a file name"),
    ("budget --plot O/c.svg", "give a file name ending in .png"),
    ("generate --model fire -o O/missing/p", "folder O/missing does not exist"),
    ("generate --model fire -o O/full", "is not empty (use --force to replace it)"),
    ("generate --model fire -o O/afile", "exists and is not a folder"),
    ("compare -o O/missing/r.json", "folder O/missing does not exist"),
    ("compare --plot O/c.png", "give --sweep A..B as well"),
    ("tune --budget 1MiB --max-drop 1 -o O/t.txt", "name it .yaml or .yml"),
    ("tune --budget 1MiB --max-drop 1 -o O/missing/t.yaml", "folder O/missing does not exist"),
    ("demo --output O/missing/demo", "folder O/missing does not exist"),
    # option values
    ("csim --seed -1 O", "argument --seed: must be a non-negative integer, got '-1'"),
    ("csim --timeout 0 O", "argument --timeout: must be a positive number, got '0'"),
    ("csim --images 0 O", "argument --images: must be a positive integer"),
    ("budget --num-classes 0", "argument --num-classes: must be a positive integer, got '0'"),
    ("budget --num-classes -3", "argument --num-classes: must be a positive integer, got '-3'"),
    ("budget --budget -5MiB", "a value that starts with '-' is written --budget=VALUE"),
    ("budget --budget=-5MiB", "budget '-5MiB' must be positive"),
    ("budget --budget 10apples", "budget '10apples' is not a size"),
    ("budget --weights", "argument --weights: expected one argument"),
    ("budget --weights-off", "unrecognized arguments: --weights-off"),
    ("budget --input-shape 3x227", "expected three positive sizes CxHxW"),
    ("budget --input-shape axbxc", "expected CxHxW"),
    ("budget --input-shape 3x8x8", "squeezenet1_1 with input 3x8x8: "),
    ("budget --model vgg", "unknown model 'vgg'; valid names: squeezenet1_0"),
    ("budget --device nope", "unknown device 'nope'"),
    ("budget --prune 2", "--prune '2': the density must be in (0, 1]"),
    ("budget --model fire --prune table1", "--prune table1 holds SqueezeNet v1.0's layers"),
    ("budget --codebook 0", "argument --codebook: must be a number of bits from 1 to 16"),
    ("budget --clock-mhz 0", "argument --clock-mhz: must be a positive number"),
    ("budget --clock-mhz nan", "argument --clock-mhz: expected a finite number"),
    ("budget --fifo-depth 0", "argument --fifo-depth: must be a positive integer"),
    ("budget --format pdf", "argument --format: invalid choice: 'pdf'"),
    ("budget --arch ring", "argument --arch: invalid choice: 'ring'"),
    ("budget --precision ap_fixed<8>", "--precision"),
    ("budget --weight-type ap_fixed<8,auto", "--weight-type"),
    ("generate --model fire --clock -3 -o O/p", "argument --clock: must be a positive number, got '-3'"),
    ("generate --backend nope", "argument --backend: unknown backend 'nope'; choose one of: hls"),
    ("generate --model fire --io stream -o O/p", "--io applies to --backend hls4ml only"),
    ("generate --model fire --num-classes 3 -o O/p", "fire: a single fire module has no classifier"),
    ("generate --model fire --part '' -o O/p", "--part must be a part name"),
    ("compare --workers 0", "argument --workers: must be a positive integer"),
    ("compare --chunk 0", "argument --chunk: must be a positive integer"),
    ("compare --seed -1", "argument --seed: must be a non-negative integer"),
    ("compare --sweep 1..40", "--sweep '1..40': widths must be between 2 and 32 bits"),
    ("compare --sweep a..b", "--sweep 'a..b': expected A..B"),
    ("compare --split dev", "argument --split: invalid choice: 'dev'"),
    ("compare --num-classes 5", "squeezenet_mini at 1x16x16, 5 classes has no trained weights"),
    ("compare --input-shape 1x24x24", "squeezenet_mini at 1x24x24, 10 classes has no trained weights"),
    ("compare --model squeezenet1_1", "squeezenet1_1 at 3x227x227, 1000 classes has no trained weights"),
    ("compare --data D/missing.npz", "data file not found: D/missing.npz"),
    ("compare --data D/badshape.npz", "images have shape (1, 8, 8), the model expects (1, 16, 16)"),
    ("tune --budget 1MiB --max-drop 150 -o O/t.yaml", "argument --max-drop: must be between 0 and 100"),
    ("tune --max-drop 1 -o O/t.yaml", "one of the arguments --budget --device is required"),
    ("tune --budget 1MiB --max-drop 1 --min-width 1 -o O/t.yaml", "--min-width must be at least 2 bits"),
    ("tune --device nope --max-drop 1 -o O/t.yaml", "unknown device 'nope'"),
    ("tune --budget 1MiB --max-drop 1 --widths 9..3 -o O/t.yaml", "--widths '9..3'"),
    ("csim D/missing_project", "project folder not found: D/missing_project"),
    ("csim O", "is not a generated project: hwsim_project.json is missing"),
    ("csim D/badjson", "hwsim_project.json: invalid JSON"),
    ("budget --config D/missing.yaml", "config file not found: D/missing.yaml"),
    ("budget --config D/bad.yaml", "cannot parse config D/bad.yaml"),
    ("budget --config D/unknown_key.yaml", "unknown key 'precisions' in config"),
    ("budget --config D/badlayer.yaml", "precision.layers: no layer named 'fire99.squeeze1x1'"),
    ("budget --config D/model_args.yaml", "model_args must be a mapping"),
    ("budget --config D/relweights.yaml", "weight file not found: D/sub/missing.npz"),
    ("budget --config D/badrf.yaml", "reuse_factor must be a positive integer"),
    ("budget --config D/badclock.yaml", "hardware.clock_mhz must be a positive number"),
    ("demo --images 0", "argument --images: must be a positive integer"),
]


def _mount(path: Path, size: str) -> str | None:
    path.mkdir()
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                           capture_output=True, text=True)
    except OSError as e:
        return f"cannot run mount: {e}"
    return None if r.returncode == 0 else f"cannot mount a tmpfs here: {r.stderr.strip() or r.returncode}"


def _fill(path: Path) -> None:
    """Write until the file system is full, to the last byte."""
    with open(path, "wb", buffering=0) as f:
        for chunk in (4096, 1):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError:
                pass


@pytest.fixture(scope="module")
def mounts(tmp_path_factory):
    """{'RO': path or None, 'FULL': path or None, 'why': skip reasons}; unmounted afterwards."""
    root = tmp_path_factory.mktemp("fs")
    out, why, done = {}, {}, []
    try:
        for key, size in (("RO", "64k"), ("FULL", "64k")):
            p = root / key.lower()
            reason = _mount(p, size)
            if reason is None:
                done.append(p)
                if key == "RO":
                    subprocess.run(["mount", "-o", "remount,ro", str(p)], check=True)
                else:
                    _fill(p / "filler")
            out[key], why[key] = (p if reason is None else None), reason
        yield {**out, "why": why}
    finally:
        for p in done:
            subprocess.run(["umount", str(p)], check=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(0)
    (d / "rand.pth").write_bytes(rng.bytes(1000))
    (d / "empty.pth").write_bytes(b"")
    torch.save(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1)), d / "model.pth")
    (d / "rand.onnx").write_bytes(rng.bytes(1000))
    (d / "rand.npz").write_bytes(rng.bytes(1000))
    np.savez(d / "obj.npz", a=np.array([{"x": 1}], dtype=object))
    (d / "w.txt").write_text("weights")
    torch.save({"a": 1, "b": torch.zeros(2)}, d / "mixed.pth")
    mini = zoo.build("squeezenet_mini")
    save_npz(mini, d / "mini.npz")
    sd = {k: torch.tensor(v) for k, v in state_dict(mini).items()}
    bad = dict(sd)
    bad["features.0.weight"] = bad["features.0.weight"].clone()
    bad["features.0.weight"][0, 0, 0, 0] = float("nan")
    torch.save(bad, d / "nan.pth")
    np.savez(d / "wrongshape.npz", **{k: (v[:, :, :2] if k == "features.0.weight" else v)
                                      for k, v in state_dict(mini).items()})
    torch.save({k: torch.tensor(v) for k, v in state_dict(zoo.build("squeezenet_mini", num_classes=5)).items()},
               d / "five.pth")
    x = np.random.default_rng(1).random((20, 1, 16, 16)).astype(np.float32)
    np.savez(d / "small.npz", x=x, y=np.arange(20) % 10)
    np.savez(d / "badshape.npz", x=x[:, :, :8, :8], y=np.arange(20) % 10)
    (d / "badjson").mkdir()
    (d / "badjson" / "hwsim_project.json").write_text("{not json")
    configs = {
        "bad.yaml": "precision: [unclosed\n",
        "unknown_key.yaml": "precisions: {}\n",
        "badlayer.yaml": "precision:\n  layers:\n    fire99.squeeze1x1: {result: ap_fixed<8,3>}\n",
        "model_args.yaml": "model_args: 3\n",
        "relweights.yaml": "model: squeezenet_mini\nweights: sub/missing.npz\n",
        "badrf.yaml": "parallel:\n  default: {reuse_factor: 0}\n",
        "badclock.yaml": "hardware: {clock_mhz: -1}\n",
    }
    for name, text in configs.items():
        (d / name).write_text(text)
    return d


def _tree(*roots) -> dict:
    out = {}
    for root in roots:
        if root is not None:
            for p in Path(root).rglob("*"):
                out[str(p)] = p.stat().st_size if p.is_file() else -1
    return out


@pytest.mark.parametrize("argv,expect", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(argv, expect, files, mounts, tmp_path, monkeypatch, capsys):
    for key in ("RO", "FULL"):
        if f" {key}/" in f" {argv}" and mounts[key] is None:
            pytest.skip(f"{key} case: {mounts['why'][key]}")
    out = tmp_path / "out"
    out.mkdir()
    (out / "full").mkdir()
    (out / "full" / "x").write_text("x")
    (out / "afile").write_text("a file")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HWSIM_CACHE_DIR", str(tmp_path / "cache"))
    subst = {"D": files, "O": out, "RO": mounts["RO"], "FULL": mounts["FULL"]}

    def expand(token: str) -> str:
        head, sep, rest = token.partition("/")
        return str(subst[head]) + sep + rest if head in subst and subst[head] is not None else token
    args = [expand(t.strip("'")) for t in argv.split()]
    expect = " ".join(expand(t) for t in expect.split(" ")).replace("/: ", ": ")
    before = _tree(out, work, mounts["RO"], mounts["FULL"])
    try:
        code = cli.main(args)
    except SystemExit as e:
        code = e.code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured.err
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert expect in lines[0]
    assert lines[0].startswith("hwsim") and ": error: " in lines[0]
    assert captured.out == ""
    assert _tree(out, work, mounts["RO"], mounts["FULL"]) == before


def test_at_least_60_cases_and_each_is_distinct():
    assert len(CASES) >= 60 and len({c[0] for c in CASES}) == len(CASES)


def test_internal_errors_are_not_reported_as_bad_input(monkeypatch, capsys):
    """A bug (here a ValueError from inside the estimate) prints its traceback and exits 70."""
    from hwsim.hw import estimate as memory

    def broken(*a, **k):
        raise ValueError("an internal bug")
    monkeypatch.setattr(memory, "estimate", broken)
    assert cli.main(["budget"]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "Traceback" in err and "ValueError: an internal bug" in err and "internal error" in err


def test_generate_into_the_current_folder(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "e"
    empty.mkdir()
    monkeypatch.chdir(empty)
    monkeypatch.setenv("HWSIM_CACHE_DIR", str(tmp_path / "cache"))
    assert cli.main(["generate", "--model", "fire", "--input-shape", "4x5x5", "-o", "."]) == 0
    first = sorted(p.name for p in empty.iterdir())
    assert "hwsim_project.json" in first and not [n for n in first if n.startswith(".")]
    assert cli.main(["generate", "--model", "fire", "--input-shape", "4x5x5", "-o", "."]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert cli.main(["generate", "--model", "fire", "--input-shape", "4x6x6", "-o", ".", "--force"]) == 0
    assert sorted(p.name for p in empty.iterdir()) == first and os.getcwd() == str(empty)
    doc = json.loads((empty / "hwsim_project.json").read_text())
    assert doc["model_args"]["input_shape"] == [4, 6, 6]


@pytest.mark.parametrize("delay", [0.3, 0.8])
def test_ctrl_c_is_one_line(delay, tmp_path):
    """Ctrl-C while the command is still importing or already running: `hwsim: interrupted`, 130."""
    import signal
    import time
    env = {**os.environ, "HWSIM_CACHE_DIR": str(tmp_path / "c")}
    p = subprocess.Popen([sys.executable, "-c", "import sys; from hwsim.cli import main; sys.exit(main())",
                          "compare", "--workers", "1", "--quiet", "--sweep", "4..16"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                         env=env, start_new_session=True)
    time.sleep(delay)
    os.killpg(p.pid, signal.SIGINT)          # what the terminal does: the whole process group
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert err.strip().splitlines()[-1] == "hwsim: interrupted" and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err


_EXTENSION_IMPORT = """
import os, signal, sys
from hwsim.commands import {command} as mod
def run(args):                      # what numpy's import does with a Ctrl-C inside its C init
    if {interrupt}:
        try:
            os.kill(os.getpid(), signal.SIGINT)
        except KeyboardInterrupt:
            raise ImportError("an extension failed to import") from None
    raise ImportError("an extension failed to import")
mod.run = run
from hwsim.cli import main
sys.exit(main(["{command}"]))
"""


@pytest.mark.parametrize("command", ["compare", "budget"])      # supervised, and not
@pytest.mark.parametrize("interrupt", [True, False])
def test_ctrl_c_that_an_import_turns_into_an_error_is_still_an_interrupt(command, interrupt, tmp_path):
    """Ctrl-C landing in a C extension's import comes back as an ImportError: that is still
    `hwsim: interrupted`, 130. The same ImportError with no Ctrl-C is an internal error."""
    code = _EXTENSION_IMPORT.format(command=command, interrupt=interrupt)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                       env={**os.environ, "HWSIM_CACHE_DIR": str(tmp_path / "c")}, timeout=120)
    if interrupt:
        assert p.returncode == 130 and p.stderr.strip() == "hwsim: interrupted", p.stderr
    else:
        assert p.returncode == 70 and "ImportError: an extension failed to import" in p.stderr, p.stderr


def test_default_values_keep_the_demo_weights_and_config_weights_are_relative(tmp_path):
    """`compare --num-classes 10` / `--input-shape 1x16x16` are the defaults: the trained demo
    weights stay. A config's weights path is relative to the config file."""
    import argparse
    from hwsim.study import data
    from hwsim.commands import common
    base = dict(config=None, model=None, input_shape=None, num_classes=None, weights=None)
    for extra in ({"num_classes": 10}, {"input_shape": (1, 16, 16)}, {}):
        spec = common.model_spec(argparse.Namespace(**{**base, **extra}), "squeezenet_mini",
                                 data.demo_path(), trained=True)
        assert spec.weights == data.demo_path()
    (tmp_path / "w").mkdir()
    save_npz(zoo.build("squeezenet_mini", seed=2), tmp_path / "w" / "m.npz")
    (tmp_path / "c.yaml").write_text("model: squeezenet_mini\nweights: w/m.npz\n")
    args = argparse.Namespace(**{**base, "config": str(tmp_path / "c.yaml")})
    graph, _ = common.resolve(args)
    assert np.array_equal(graph.weights["conv1"]["weight"], zoo.build("squeezenet_mini", seed=2).weights["conv1"]["weight"])


def test_class_count_follows_the_weight_file(tmp_path, capsys):
    save_npz(zoo.build("squeezenet_mini", num_classes=7), tmp_path / "seven.npz")
    assert cli.main(["budget", "--model", "squeezenet_mini", "--weights", str(tmp_path / "seven.npz"),
                     "--format", "json"]) == 0
    import json as _json
    layers = {l["name"]: l for l in _json.loads(capsys.readouterr().out)["layers"]}
    assert layers["conv10"]["shape"][0] == 7


def test_allowed_nonfinite_weights_reach_the_project(files, tmp_path, monkeypatch):
    """--allow-nonfinite-weights: generate writes them, and csim's project reader accepts them."""
    from hwsim.backends import project
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "p"
    assert cli.main(["generate", "--model", "squeezenet_mini", "--weights", str(files / "nan.pth"),
                     "--allow-nonfinite-weights", "-o", str(out)]) == 0
    proj = project.read(out)
    assert np.isnan(proj.graph.weights["conv1"]["weight"]).sum() == 1
