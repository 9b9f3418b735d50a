"""Long commands survive a crash in native code: hwsim.util.supervise runs them in a forked child and
turns a death by signal into one line naming the stage; worker processes that die are reported the
same way."""
from __future__ import annotations

import ctypes
import os
import signal

import numpy as np
import pytest

from hwsim import cli
from hwsim.study import executor
from hwsim.util import supervise


def _abort_in(stage_name):
    with supervise.stage(stage_name):
        os.abort()


def test_results_exceptions_and_output_come_back_from_the_child(capsys):
    assert supervise.call(lambda: np.arange(5).sum() + os.getpid()) != np.arange(5).sum() + os.getpid()

    def talk():
        print("to stdout")
        print("to stderr", file=__import__("sys").stderr)
        return {"a": np.arange(3)}
    out = supervise.call(talk)
    assert out["a"].tolist() == [0, 1, 2]
    cap = capsys.readouterr()
    assert cap.out == "to stdout\n" and cap.err == "to stderr\n"

    def fail():
        raise FileNotFoundError("no such weights: w.pth")
    with pytest.raises(FileNotFoundError, match="no such weights: w.pth"):
        supervise.call(fail)
    with pytest.raises(KeyboardInterrupt):
        supervise.call(lambda: (_ for _ in ()).throw(KeyboardInterrupt()))


def test_a_large_result_does_not_deadlock():
    big = supervise.call(lambda: np.ones(3_000_000))     # far past a pipe's buffer
    assert big.shape == (3_000_000,) and big.sum() == 3_000_000


@pytest.mark.parametrize("how,sig", [("abort", "SIGABRT"), ("segv", "SIGSEGV")])
def test_a_native_crash_names_the_signal_and_the_stage(how, sig):
    def crash():
        with supervise.stage("simulating fire (3 images)"):
            if how == "abort":
                os.abort()
            ctypes.string_at(0)                 # reads address 0: a segmentation fault
    with pytest.raises(supervise.NativeCrash) as e:
        supervise.call(crash, "hwsim csim")
    msg = str(e.value)
    assert msg == f"hwsim csim crashed in native code ({sig}) while simulating fire (3 images); no output was written"
    assert supervise.current_stage() == ""       # the parent's own stage is untouched


def test_the_command_line_reports_a_crash_in_one_line(monkeypatch, capsys, tmp_path):
    """`hwsim compare` whose evaluation dies in native code: exit 70, one line, no report written."""
    from hwsim.study import compare as accuracy
    monkeypatch.setattr(accuracy, "compare", lambda *a, **k: _abort_in("fixed point (job 2 of 3)"))
    out = tmp_path / "report.json"
    code = cli.main(["compare", "--workers", "1", "--quiet", "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == supervise.EXIT_CRASH
    assert err == ["hwsim compare: error: hwsim compare crashed in native code (SIGABRT) while "
                   "fixed point (job 2 of 3); no output was written"]
    assert list(tmp_path.iterdir()) == []


def _die(i):
    if i == 2:
        os.kill(os.getpid(), signal.SIGSEGV)
    return i


def test_a_worker_process_that_dies_is_reported_with_the_job_label():
    with executor.LocalExecutor(2, progress=False) as ex:
        with pytest.raises(supervise.NativeCrash, match=r"a worker process died \(SIGSEGV\) while fixed point"):
            ex.map(_die, range(4), label="fixed point")


def test_the_serial_executor_names_the_job_it_is_in():
    seen = []
    executor.SerialExecutor(progress=False).map(lambda i: seen.append(supervise.current_stage()), range(2), "sweep")
    assert seen == ["sweep (job 1 of 2)", "sweep (job 2 of 2)"]
    assert supervise.current_stage() == ""
