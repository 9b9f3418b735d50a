"""Pluggable executors for evaluation jobs: in-process, local processes, or a Dask cluster.

An executor has one method, `map(fn, items, label=None) -> list`: `fn(item)` for every item, results
in item order. `fn` must be a module-level function and items picklable (they travel to other
processes or machines). A progress bar goes to stderr while jobs finish (`Progress`; off with
`progress=False`). Choose with `make(scheduler=None, workers=None)`:

- `SerialExecutor`: in this process (workers == 1, and what tests use for exact reproducibility);
- `LocalExecutor`: concurrent.futures.ProcessPoolExecutor over `workers` processes (default: the
  number of cores this process may use), started lazily and reused across `map` calls; each worker
  simulates with cores // workers threads, so the processes do not oversubscribe the cores;
- `DaskExecutor`: a `distributed.Client` connected to `scheduler` (an address such as
  `tcp://10.0.0.5:8786`, or a Client / LocalCluster object), so jobs can run on many machines.

Results never depend on the executor: each job is a pure function of its item.
"""
from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from hwsim.util import supervise, threads
from hwsim.util.errors import InputError


class Progress:
    """A dependency-free progress bar on a text stream: `label [#####.....] 12/40`."""

    def __init__(self, total: int, label: str = "", stream=None, enabled: bool = True, width: int = 30):
        self.total, self.label, self.width = max(int(total), 0), label, width
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and self.total > 0
        self.done = 0
        self._last = 0.0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, n: int = 1) -> None:
        self.done = min(self.done + n, self.total)
        if not self.enabled:
            return
        now = time.monotonic()
        if self.done < self.total and now - self._last < (0.1 if self._tty else 5.0):
            return
        self._last = now
        self.stream.write(("\r" if self._tty else "") + self.render() + ("" if self._tty else "\n"))
        self.stream.flush()

    def render(self) -> str:
        filled = self.width * self.done // self.total if self.total else self.width
        return f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}"

    def close(self) -> None:
        if self.enabled and self._tty:
            self.stream.write("\n")
            self.stream.flush()


class SerialExecutor:
    """Runs every job in this process, in order."""
    name = "serial"
    workers = 1

    def __init__(self, progress: bool = True, stream=None):
        self.progress, self.stream = progress, stream

    def map(self, fn, items, label: str | None = None) -> list:
        items = list(items)
        bar = Progress(len(items), label or "evaluating", self.stream, self.progress)
        out = []
        label = label or "evaluating"
        with supervise.stage(label):
            for i, item in enumerate(items):
                supervise.set_stage(f"{label} (job {i + 1} of {len(items)})")
                out.append(fn(item))
                bar.update()
        bar.close()
        return out

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LocalExecutor(SerialExecutor):
    """A process pool on this machine (concurrent.futures)."""
    name = "processes"

    def __init__(self, workers: int | None = None, progress: bool = True, stream=None):
        super().__init__(progress, stream)
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise InputError(f"workers must be a positive integer, got {workers!r}")
        self.workers = workers or threads.cores()
        self._pool = None

    def map(self, fn, items, label: str | None = None) -> list:
        items = list(items)
        if len(items) <= 1:
            return SerialExecutor.map(self, fn, items, label)
        if self._pool is None:
            # the workers share the cores: each simulates with its share of threads
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_share_cores,
                                             initargs=(max(1, threads.cores() // self.workers),))
        bar = Progress(len(items), label or "evaluating", self.stream, self.progress)
        futures = {self._pool.submit(fn, item): i for i, item in enumerate(items)}
        procs = list((getattr(self._pool, "_processes", None) or {}).values())
        out = [None] * len(items)
        try:
            with supervise.stage(f"{label or 'evaluating'} ({self.workers} worker processes)"):
                for fut in as_completed(futures):
                    out[futures[fut]] = fut.result()
                    bar.update()
        except BrokenProcessPool:
            self.close()
            codes = sorted({p.exitcode for p in procs if p.exitcode not in (None, 0)})
            # the pool terminates the survivors (SIGTERM): name the one that died first
            codes = [c for c in codes if c != -15] or codes
            raise supervise.NativeCrash(
                f"a worker process died ({', '.join(map(_exit_text, codes)) or 'no exit code'}) while "
                f"{label or 'evaluating'}; no output was written") from None
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
        finally:
            bar.close()
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _exit_text(code: int) -> str:
    """A worker's exit code as multiprocessing reports it: -N for signal N."""
    if code < 0:
        import signal
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit {code}"


def _share_cores(threads_per_worker: int) -> None:
    threads.limit_workers(threads_per_worker)


class DaskExecutor(SerialExecutor):
    """Jobs on a Dask distributed cluster."""
    name = "dask"

    def __init__(self, scheduler, progress: bool = True, stream=None, timeout: float = 10):
        super().__init__(progress, stream)
        try:
            from distributed import Client
        except ImportError:
            raise ImportError("--scheduler needs Dask distributed (pip install distributed)") from None
        self._own = not isinstance(scheduler, Client)
        if not self._own:
            self.client = scheduler
        else:
            try:
                self.client = Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError) as e:
                raise InputError(f"cannot connect to the Dask scheduler at {scheduler}: "
                                 f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, fn, items, label: str | None = None) -> list:
        from distributed import as_completed as dask_completed
        items = list(items)
        bar = Progress(len(items), label or "evaluating", self.stream, self.progress)
        futures = [self.client.submit(fn, item, pure=False) for item in items]
        index = {f.key: i for i, f in enumerate(futures)}
        out = [None] * len(items)
        try:
            for fut in dask_completed(futures):
                out[index[fut.key]] = fut.result()
                bar.update()
        finally:
            bar.close()
        return out

    def close(self) -> None:
        if self._own:
            self.client.close()


def make(scheduler=None, workers: int | None = None, progress: bool = True, stream=None):
    """An executor: Dask when `scheduler` is given, else local processes (serial when workers == 1)."""
    if scheduler is not None:
        return DaskExecutor(scheduler, progress, stream)
    if workers == 1:
        return SerialExecutor(progress, stream)
    return LocalExecutor(workers, progress, stream)
