"""Threads of the simulator's fast kernels: one shared pool of worker threads running numba
kernels that release the GIL, BLAS limited to one thread inside them (so no idle BLAS or OpenMP
threads spin while the others work), and per-thread scratch buffers reused between layers."""
from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache

import numba
import numpy as np

SCRATCH_KEEP = 64 << 20     # bytes of scratch a worker thread keeps between calls
_POOL: list = []
_LIMIT: list = []           # [n] after limit_workers(n)
_LOCAL = threading.local()


def _forget_pool() -> None:
    """A forked child has none of the parent's threads: start a new pool when it needs one."""
    _POOL.clear()


os.register_at_fork(after_in_child=_forget_pool)


def cores() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0))


def numba_threads() -> int:
    """NUMBA_NUM_THREADS: the size of numba's own pool, which also caps hwsim's."""
    return numba.config.NUMBA_NUM_THREADS


def workers() -> int:
    """Worker threads: the cores this process may use (NUMBA_NUM_THREADS and limit_workers cap it)."""
    n = max(1, min(numba_threads(), cores()))
    return min(n, _LIMIT[0]) if _LIMIT else n


def limit_workers(n: int) -> None:
    """Use at most n threads in this process, for hwsim's pool and numba's parallel loops: for
    worker processes that share the machine's cores."""
    _LIMIT[:] = [max(1, int(n))]
    if _POOL:
        _POOL.pop().shutdown(wait=False)
    numba.set_num_threads(min(_LIMIT[0], numba.config.NUMBA_NUM_THREADS))


def parallel_map(fn, n_jobs: int) -> list:
    """[fn(i) for i in range(n_jobs)], run on the shared pool."""
    if n_jobs <= 1:
        return [fn(0)] if n_jobs == 1 else []
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(workers(), thread_name_prefix="hwsim"))
    return list(_POOL[0].map(fn, range(n_jobs)))


def split(total: int, min_size: int = 1, max_size: int | None = None) -> list[tuple[int, int]]:
    """[start, stop) ranges covering range(total): one per worker, each at least min_size long; with
    max_size, more ranges when needed to keep each at most about max_size long (the pool hands
    them out in turn, and a small range's buffers stay in cache)."""
    jobs = max(1, min(workers(), total // max(1, min_size)))
    if max_size:
        jobs = max(jobs, min(-(-total // max_size), total))
    cuts = [total * i // jobs for i in range(jobs + 1)]
    return list(zip(cuts[:-1], cuts[1:]))


def scratch(slot: int, shape) -> np.ndarray:
    """A float32 array of `shape` from this thread's reusable buffer `slot` (contents are garbage).
    Fresh pages fault on first touch; reusing them keeps GEMMs at their in-cache speed."""
    size = math.prod(shape)          # (np.prod costs more than the rest of this function)
    bufs = getattr(_LOCAL, "bufs", None)
    if bufs is None:
        bufs = _LOCAL.bufs = {}
    buf = bufs.get(slot)
    if buf is None or buf.size < size:
        buf = np.empty(size, np.float32)
        if buf.nbytes <= SCRATCH_KEEP:
            bufs[slot] = buf
    return buf[:size].reshape(shape)


@lru_cache(maxsize=1)
def _controller():
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController()


@contextmanager
def single_threaded_blas():
    """Limit the BLAS libraries numpy loaded to one thread inside the block (restored after)."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
