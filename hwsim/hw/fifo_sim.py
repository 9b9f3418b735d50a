"""A cycle-level simulation of the whole dataflow pipeline with bounded FIFOs (numba).

Every unit executes its loop in order, one iteration per cycle at best. An iteration performs its
operations in loop-body order (hwsim.hw.io_order): a read needs a beat that was in the FIFO at the
start of the cycle, a write needs a free place at the start of the cycle; an operation that cannot
proceed stalls the unit there, keeping the operations already done (as the blocking reads and
writes of the bounded C simulation do), and the iteration ends in the cycle of its last operation.
The top-level input is a source writing one beat per cycle (or, with `pace` P, beat k of the run no
earlier than cycle k P / beats per image: one image per P cycles); the output is a sink reading one
per cycle. Every cycle is decided on the FIFO counts at its start, so each cycle is a legal
interleaving of blocking reads and writes: whether the pipeline deadlocks is the same as for the
bounded C simulation, whose kernels read and write in the same data-independent order.

`run` returns when every image has left the sink, on a deadlock (a cycle in which nothing moved),
or after `max_cycles`. With `grow` set, a deadlock on a growable FIFO is not the end: the
most-upstream growable FIFO whose writer waits for a place while its reader waits for another
input gets one place more, and the run goes on. The depths granted so are the smallest that avoid
that deadlock (writes into the FIFO are delayed until nothing else can move), which is how
hwsim.hw.fifo_depth finds the minimum of every join's input.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

DONE, DEADLOCK, TIMEOUT = 0, 1, 2


@dataclass(frozen=True)
class Net:
    """The pipeline as flat arrays (hwsim.hw.fifo_depth.net builds it from a NetworkPlan)."""
    cycles: np.ndarray       # int64 [U] iterations per image
    period: np.ndarray       # int64 [U]
    pat_off: np.ndarray      # int64 [U] offset of the unit's pattern in `pattern`
    nports: np.ndarray       # int64 [U]
    port_off: np.ndarray     # int64 [U]
    port_stream: np.ndarray  # int64 [P]
    port_write: np.ndarray   # bool [P]
    pattern: np.ndarray      # bool, unit u's pattern is [period, nports] at pat_off
    writer: np.ndarray       # int64 [S] unit writing the stream (-1: the source)
    reader: np.ndarray       # int64 [S] unit reading it (-1: the sink)
    in_stream: int
    out_stream: int
    in_beats: int            # beats per image
    out_beats: int


@dataclass(frozen=True)
class Run:
    status: int              # DONE | DEADLOCK | TIMEOUT
    cycles: int              # cycles simulated
    out_done: np.ndarray     # int64 [images] cycle in which the image's last output beat left
    need: np.ndarray         # int64 [S] the depth each FIFO needed: max over writes of (count + 1)
    occupancy: np.ndarray    # int64 [S] the most beats it held at the end of a cycle
    depth: np.ndarray        # int64 [S] depths at the end (grown ones included)
    first: np.ndarray        # int64 [U] first cycle of image 0 in which the unit moved
    last: np.ndarray         # int64 [U] cycle in which the unit ended image 0
    blocked_stream: np.ndarray   # int64 [U] at the end: the stream a unit waits on, -1 if none
    blocked_write: np.ndarray    # bool [U] ... waiting for a place (True) or for a beat (False)
    ends: np.ndarray         # int64 [U, images] cycle in which each unit ended each image


@numba.njit(cache=True)
def _free_after(pattern, pat_off, period, nports):
    """free[pat_off[u] // nports[u] + j]: iterations after pattern position j (cyclic) with no operation."""
    n_u = period.shape[0]
    total = 0
    for u in range(n_u):
        total += period[u]
    free = np.zeros(total, np.int64)
    off = 0
    for u in range(n_u):
        n, k = period[u], nports[u]
        io = np.zeros(n, np.bool_)
        for j in range(n):
            for p in range(k):
                if pattern[pat_off[u] + j * k + p]:
                    io[j] = True
        nxt = -1                       # the next position with I/O, scanning backwards twice (cyclic)
        for rep in range(2):
            for j in range(n - 1, -1, -1):
                if nxt >= 0:
                    free[off + j] = (nxt - j - 1) % n if nxt != j else n - 1
                if io[j]:
                    nxt = j
        if nxt < 0:                    # no I/O at all: every iteration is free
            for j in range(n):
                free[off + j] = n - 1
        off += n
    return free


@numba.njit(cache=True)
def _push(heap_t, heap_u, n, t, u):
    i = n
    heap_t[i] = t
    heap_u[i] = u
    while i > 0:
        p = (i - 1) // 2
        if heap_t[p] <= heap_t[i]:
            break
        heap_t[p], heap_t[i] = heap_t[i], heap_t[p]
        heap_u[p], heap_u[i] = heap_u[i], heap_u[p]
        i = p
    return n + 1


@numba.njit(cache=True)
def _pop(heap_t, heap_u, n):
    n -= 1
    heap_t[0] = heap_t[n]
    heap_u[0] = heap_u[n]
    i = 0
    while True:
        l, r, m = 2 * i + 1, 2 * i + 2, i
        if l < n and heap_t[l] < heap_t[m]:
            m = l
        if r < n and heap_t[r] < heap_t[m]:
            m = r
        if m == i:
            break
        heap_t[m], heap_t[i] = heap_t[i], heap_t[m]
        heap_u[m], heap_u[i] = heap_u[i], heap_u[m]
        i = m
    return n


@numba.njit(cache=True)
def _run(cycles, period, pat_off, nports, port_off, port_stream, port_write, pattern, writer, reader,
         in_s, out_s, in_beats, out_beats, depth, grow, rank, images, max_cycles, pace):
    """Event-driven: a unit is visited only in the cycles where it may move: the cycle after its
    last iteration (a run of iterations without I/O is crossed at once, the unit waiting in a heap
    of timers) or the cycle after a change of the stream it waits on. A cycle is decided on the
    counts at its start and its changes are applied at its end, so the order of visits in a cycle
    does not matter."""
    n_u = cycles.shape[0]
    n_s = depth.shape[0]
    INF = np.int64(1) << 62
    free = _free_after(pattern, pat_off, period, nports)
    foff = np.zeros(n_u, np.int64)
    for u in range(1, n_u):
        foff[u] = foff[u - 1] + period[u - 1]
    count = np.zeros(n_s, np.int64)
    delta = np.zeros(n_s, np.int64)
    touched = np.zeros(n_s, np.bool_)
    tlist = np.zeros(n_s, np.int64)
    need = np.zeros(n_s, np.int64)
    occ = np.zeros(n_s, np.int64)
    it = np.zeros(n_u, np.int64)
    pp = np.zeros(n_u, np.int64)
    bs = np.full(n_u, -1, np.int64)
    bw = np.zeros(n_u, np.bool_)
    first = np.full(n_u, -1, np.int64)
    last = np.full(n_u, -1, np.int64)
    out_done = np.full(images, -1, np.int64)
    ends = np.full((n_u, images), -1, np.int64)
    cur = np.arange(n_u).astype(np.int64)      # units to visit this cycle
    n_cur = n_u
    nxt_l = np.zeros(n_u, np.int64)            # ... next cycle
    n_nxt = 0
    queued = np.zeros(n_u, np.bool_)           # in nxt_l
    heap_t = np.zeros(n_u + 1, np.int64)
    heap_u = np.zeros(n_u + 1, np.int64)
    n_heap = 0
    total_in = in_beats * images
    total_out = out_beats * images
    sent = 0
    got = 0
    src_wake = np.int64(0)
    snk_wake = INF
    left = n_u
    cyc = np.int64(0)
    status = 2
    while True:
        if cyc >= max_cycles:
            status = 2
            break
        nts = 0
        if sent < total_in and src_wake == cyc:
            if count[in_s] < depth[in_s]:
                need[in_s] = max(need[in_s], count[in_s] + 1)
                delta[in_s] += 1
                sent += 1
                src_wake = cyc + 1
                if pace > 0:           # beat k no earlier than cycle k * pace / in_beats
                    src_wake = max(src_wake, (sent * pace) // in_beats)
                touched[in_s] = True
                tlist[nts] = in_s
                nts += 1
            else:
                src_wake = INF
        while n_heap > 0 and heap_t[0] == cyc:
            cur[n_cur] = heap_u[0]
            n_cur += 1
            n_heap = _pop(heap_t, heap_u, n_heap)
        for q in range(n_cur):
            u = cur[q]
            j = (it[u] % cycles[u]) % period[u]
            base = pat_off[u] + j * nports[u]
            p = pp[u]
            stuck = False
            while p < nports[u]:
                if pattern[base + p]:
                    s = port_stream[port_off[u] + p]
                    if port_write[port_off[u] + p]:
                        if count[s] >= depth[s]:
                            stuck = True
                            bw[u] = True
                            break
                        need[s] = max(need[s], count[s] + 1)
                        delta[s] += 1
                    else:
                        if count[s] <= 0:
                            stuck = True
                            bw[u] = False
                            break
                        delta[s] -= 1
                    if not touched[s]:
                        touched[s] = True
                        tlist[nts] = s
                        nts += 1
                    if first[u] < 0:
                        first[u] = cyc
                p += 1
            if stuck:
                bs[u] = port_stream[port_off[u] + p]
                pp[u] = p
                continue
            pp[u] = 0
            bs[u] = -1
            if first[u] < 0:
                first[u] = cyc
            k = free[foff[u] + j]
            end = cycles[u] * images
            if it[u] + 1 + k > end:
                k = end - it[u] - 1
            img = it[u] // cycles[u]
            if (it[u] + k) // cycles[u] > img or (it[u] + 1 + k) % cycles[u] == 0:
                ends[u, img] = cyc + (cycles[u] - 1 - it[u] % cycles[u])
                if img == 0:
                    last[u] = ends[u, 0]
            it[u] += 1 + k
            if it[u] >= end:
                left -= 1
            elif k == 0:
                nxt_l[n_nxt] = u
                n_nxt += 1
                queued[u] = True
            else:
                n_heap = _push(heap_t, heap_u, n_heap, cyc + 1 + k, u)
        if got < total_out and snk_wake == cyc:
            if count[out_s] > 0:
                delta[out_s] -= 1
                got += 1
                snk_wake = cyc + 1
                if got % out_beats == 0:
                    out_done[got // out_beats - 1] = cyc
                if not touched[out_s]:
                    touched[out_s] = True
                    tlist[nts] = out_s
                    nts += 1
            else:
                snk_wake = INF
        for q in range(nts):
            s = tlist[q]
            touched[s] = False
            count[s] += delta[s]
            delta[s] = 0
            if count[s] > occ[s]:
                occ[s] = count[s]
            w, r = writer[s], reader[s]
            if w >= 0:
                if bs[w] == s and not queued[w]:
                    nxt_l[n_nxt] = w
                    n_nxt += 1
                    queued[w] = True
            elif src_wake == INF:
                src_wake = cyc + 1
                if pace > 0:
                    src_wake = max(src_wake, (sent * pace) // in_beats)
            if r >= 0:
                if bs[r] == s and not queued[r]:
                    nxt_l[n_nxt] = r
                    n_nxt += 1
                    queued[r] = True
            elif snk_wake == INF:
                snk_wake = cyc + 1
        if left == 0 and got >= total_out:
            status = 0
            cyc += 1
            break
        for q in range(n_nxt):                 # next cycle's visits
            cur[q] = nxt_l[q]
            queued[nxt_l[q]] = False
        n_cur = n_nxt
        n_nxt = 0
        nt = INF
        if n_cur > 0:
            nt = cyc + 1
        if n_heap > 0 and heap_t[0] < nt:
            nt = heap_t[0]
        if sent < total_in and src_wake < nt:
            nt = src_wake
        if got < total_out and snk_wake < nt:
            nt = snk_wake
        if nt == INF:
            pick = -1                  # nothing can move: grow a join input, or stop
            for s in range(n_s):
                if grow[s] and count[s] >= depth[s]:
                    w, r = writer[s], reader[s]
                    if w >= 0 and bs[w] == s and bw[w] and r >= 0 and bs[r] >= 0 and bs[r] != s and not bw[r]:
                        if pick < 0 or rank[s] < rank[pick]:
                            pick = s
            if pick < 0:
                status = 1
                break
            depth[pick] += 1
            cur[0] = writer[pick]
            n_cur = 1
            nt = cyc + 1
        cyc = nt
    return status, cyc, out_done, need, occ, depth, first, last, bs, bw, ends


def run(net: Net, depth, images: int = 1, grow=None, rank=None, max_cycles: int | None = None,
        pace: int = 0) -> Run:
    depth = np.array(depth, dtype=np.int64)
    n_s = depth.shape[0]
    grow = np.zeros(n_s, np.bool_) if grow is None else np.asarray(grow, np.bool_)
    rank = np.arange(n_s, dtype=np.int64) if rank is None else np.asarray(rank, np.int64)
    if max_cycles is None:
        max_cycles = int((4 * net.cycles.sum() + net.in_beats + net.out_beats) * images + (1 << 20))
    st, cyc, out_done, need, occ, dep, first, last, bs, bw, ends = _run(
        net.cycles, net.period, net.pat_off, net.nports, net.port_off, net.port_stream, net.port_write,
        net.pattern, net.writer, net.reader, net.in_stream, net.out_stream, net.in_beats, net.out_beats,
        depth, grow, rank, images, max_cycles, pace)
    return Run(int(st), int(cyc), out_done, need, occ, dep, first, last, bs, bw, ends)
