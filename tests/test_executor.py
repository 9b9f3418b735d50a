"""Executors: order of results, the progress bar, and bit-identical evaluations in process, across
local processes and on a loopback Dask cluster."""
import io
import math

import numpy as np
import pytest

from hwsim.spec import config as cfg
from hwsim.study import calibrate, data, evaluate, executor
from hwsim.util import threads
from hwsim.ir import zoo
from hwsim.cli import main


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_text():
    out = _Tty()
    bar = executor.Progress(4, "eval", out, width=8)
    for _ in range(4):
        bar.update()
    bar.close()
    assert bar.render() == "eval [########] 4/4"
    text = out.getvalue()
    assert text.startswith("\r") and text.endswith("eval [########] 4/4\n")
    assert "eval [##......] 1/4" in text           # the first update is always drawn
    quiet = io.StringIO()
    bar = executor.Progress(3, "x", quiet, enabled=False)
    bar.update(3)
    bar.close()
    assert quiet.getvalue() == ""


def test_progress_bar_without_a_terminal_prints_whole_lines():
    out = io.StringIO()
    bar = executor.Progress(2, "eval", out, width=4)
    bar.update()
    bar.update()
    assert out.getvalue().splitlines() == ["eval [##..] 1/2", "eval [####] 2/2"]


def test_serial_and_process_pool_keep_item_order():
    items = list(range(12, 0, -1))
    expected = [math.factorial(i) for i in items]
    with executor.make(workers=1, progress=False) as ex:
        assert isinstance(ex, executor.SerialExecutor) and ex.map(math.factorial, items) == expected
    with executor.make(workers=2, progress=False) as ex:
        assert isinstance(ex, executor.LocalExecutor)
        assert ex.map(math.factorial, items) == expected
        assert ex.map(math.factorial, items[:3]) == expected[:3]     # the pool is reused
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        executor.LocalExecutor(0)


def test_job_errors_reach_the_caller():
    with executor.make(workers=2, progress=False) as ex:
        with pytest.raises(ValueError):
            ex.map(math.factorial, [3, -1, 4])


@pytest.fixture(scope="module")
def workload():
    net = zoo.load_weights(zoo.build("squeezenet_mini"), data.demo_path())
    x = data.digits("test").x[:40]
    config = cfg.load({"precision": calibrate.precision_doc(net, calibrate.calibrate(net, x), 7, 7)}, net)
    serial = evaluate.Evaluator(net, x, chunk=40).run([None, config])
    return net, x, config, serial


def test_process_pool_evaluation_is_bit_identical(workload):
    net, x, config, serial = workload
    with executor.make(workers=2, progress=False) as ex:
        got = evaluate.Evaluator(net, x, ex, chunk=9).run([None, config])
    for (a, _), (b, _) in zip(got, serial):
        assert np.array_equal(a, b)


@pytest.fixture(scope="module")
def cluster():
    import distributed
    with distributed.LocalCluster(n_workers=1, processes=False, protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as c:
        yield c


def test_dask_evaluation_is_bit_identical(workload, cluster):
    net, x, config, serial = workload
    stream = io.StringIO()
    with executor.make(cluster.scheduler_address, stream=stream) as ex:
        assert isinstance(ex, executor.DaskExecutor) and ex.workers == 1
        assert ex.map(math.factorial, [5, 3, 4]) == [120, 6, 24]
        got = evaluate.Evaluator(net, x, ex, chunk=16).run([None, config], label="dask")
    for (a, _), (b, _) in zip(got, serial):
        assert np.array_equal(a, b)
    assert stream.getvalue().splitlines()[-1] == "dask [" + "#" * 30 + "] 6/6"


def test_cli_compare_on_a_dask_scheduler(cluster, tmp_path):
    ds = data.digits("test")
    np.savez(tmp_path / "d.npz", x=ds.x[:30], y=ds.y[:30])
    out = tmp_path / "r.json"
    assert main(["compare", "--data", str(tmp_path / "d.npz"), "--scheduler", cluster.scheduler_address,
                 "--quiet", "-o", str(out)]) == 0
    local = tmp_path / "l.json"
    assert main(["compare", "--data", str(tmp_path / "d.npz"), "--workers", "1", "--quiet", "-o", str(local)]) == 0
    assert out.read_text() == local.read_text()


def test_unreachable_scheduler_is_a_one_line_error():
    with pytest.raises(ValueError, match="cannot connect to the Dask scheduler at tcp://127.0.0.1:9"):
        executor.DaskExecutor("tcp://127.0.0.1:9", timeout=1)


def _thread_budget(_):
    import numba

    from hwsim.util import threads
    return threads.workers(), numba.get_num_threads()


@pytest.mark.parametrize("cpus,workers", [(2, 2), (4, 2), (3, 3)])
def test_worker_processes_share_the_cores(cpus, workers, monkeypatch):
    """Each of N worker processes simulates with cpus // N threads (hwsim's pool and numba's), not
    with every core: (2, 2) and (3, 3) give one thread where an unlimited process would take two."""
    import os

    import numba
    monkeypatch.setattr(threads, "cores", lambda: cpus)
    with executor.LocalExecutor(workers=workers, progress=False) as ex:
        got = set(ex.map(_thread_budget, range(4)))
    share = cpus // workers
    cores = min(numba.config.NUMBA_NUM_THREADS, len(os.sched_getaffinity(0)))
    assert got == {(min(share, cores), min(share, numba.config.NUMBA_NUM_THREADS))}
