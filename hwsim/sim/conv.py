"""Fast path of the simulator's lossless convolution: exact float32 GEMMs and a fused epilogue.

A float32 sum of integers is exact, in any order and with or without FMA, while the sum of the
magnitudes of its terms stays at or below 2**24: every partial sum is then an integer of at most 24
bits. The weight columns are therefore cut into chunks such that, for every output channel, the
sum over the chunk of |w| * max|x read by that column| is at most 2**24. Each chunk is one float32
GEMM (exact); the epilogue sums the chunk results in int64, adds the bias, casts to the result type
(hwsim.fixed.fast's row rules), counts overflows, tracks min/max and writes NCHW directly. A ReLU that
follows the conv can be applied in the same pass.

`conv` returns None when the fast path does not apply (wide operands, exotic result types); the
caller then uses the general float64 path in sim_ops. Both are tested against an int64 convolution.
"""
from __future__ import annotations

import numba
import numpy as np

from hwsim.fixed import FixedType
from hwsim.sim import reference_conv as sim_float, weight_cache
from hwsim.fixed.fast import cast_row, rules
from hwsim.fixed.rules import carrier
from hwsim.sim.ops import row_error, storage
from hwsim.util.threads import parallel_map, scratch, single_threaded_blas, split
from hwsim.ir.geometry import out_hw

F32_EXACT = float(2 ** 24)
MAX_CHUNKS = 64


def column_chunks(wabs_t: np.ndarray, rowmax: np.ndarray) -> list[int] | None:
    """Column boundaries [0, b1, ..., K] such that, for every output o, each chunk's sum of the
    bounds |w[o, t]| * max|x| of column t is at most 2**24, each chunk as long as it can be (wabs_t:
    |weights| (K, O); rowmax: max |x| per column), in one pass over the weights. None when one
    column exceeds it, or more than MAX_CHUNKS chunks would be needed."""
    cuts = np.empty(MAX_CHUNKS + 1, np.int64)
    k = _column_chunks(wabs_t, np.ascontiguousarray(rowmax, np.int64), cuts)
    return None if k < 0 else [int(v) for v in cuts[:k + 1]]


@numba.njit(cache=True, nogil=True)
def _column_chunks(wabs_t, rowmax, cuts):
    """Greedy chunks of the columns t (rows of wabs_t): a chunk ends before the first column that
    would take some output's sum of wabs_t[t, o] * rowmax[t] past 2**24. Writes the boundaries to
    cuts and returns the number of chunks, or -1 (a column alone exceeds 2**24, or too many)."""
    k, outs = wabs_t.shape
    lim = np.int64(F32_EXACT)
    s = np.zeros(outs, np.int64)
    cuts[0] = 0
    n = 0
    for t in range(k):
        r = rowmax[t]
        over = False
        for o in range(outs):
            v = wabs_t[t, o] * r
            if v > lim:
                return -1
            over |= s[o] + v > lim
        if over:                  # column t starts a new chunk
            n += 1
            if n >= MAX_CHUNKS:
                return -1
            cuts[n] = t
            for o in range(outs):
                s[o] = wabs_t[t, o] * r
        else:
            for o in range(outs):
                s[o] += wabs_t[t, o] * r
    if k > 0:
        n += 1
        cuts[n] = k
    return n


@numba.njit(cache=True, nogil=True)
def _epilogue(g, acc0, s1, wrap, wrap_rules, cast1, relu, cast2, start, stop, out):
    """v = cast1(sum_i g[i, oc, col - start] << s1 + acc0[oc]) for the positions col = (n, pos) in
    [start, stop), the accumulator first wrapped into accum_t by wrap_rules when `wrap`;
    out[n, oc, pos] = v, or cast2(max(v, 0)) when `relu`. Returns the overflow count, min and max of
    v, then the same for the ReLU values, then the accumulator values that wrapped."""
    chunks, outs, length = g.shape
    p = out.shape[2]
    acc = np.empty(length, np.int64)
    val = np.empty(length, np.int64)
    st = np.array([0, cast1[4], cast1[3], 0, cast2[4], cast2[3], 0], np.int64)
    for oc in range(outs):
        for t in range(length):      # exact float32 integers below 2**24: int32 converts them
            acc[t] = np.int32(g[0, oc, t])
        for i in range(1, chunks):
            for t in range(length):
                acc[t] += np.int32(g[i, oc, t])
        for t in range(length):
            acc[t] = (acc[t] << s1) + acc0[oc]
        if wrap:
            c, _, _ = cast_row(acc, acc, wrap_rules)
            st[6] += c
        c, mn, mx = cast_row(acc, val, cast1)
        st[0] += c
        st[1] = min(st[1], mn)
        st[2] = max(st[2], mx)
        if relu:
            for t in range(length):
                acc[t] = max(val[t], 0)
            c, mn, mx = cast_row(acc, val, cast2)
            st[3] += c
            st[4] = min(st[4], mn)
            st[5] = max(st[5], mx)
        for b in range(start // p, (stop - 1) // p + 1):
            p0 = max(start, b * p) - b * p
            p1 = min(stop, (b + 1) * p) - b * p
            out[b, oc, p0:p1] = val[b * p + p0 - start:b * p + p1 - start]
    return st


@numba.njit(cache=True, nogil=True)
def _epilogue_ref(g, off, acc0, s1, wrap, wrap_rules, cast1, relu, cast2, start, stop, out, gf, bias,
                  has_bias, ow, scales, rows, ref_out, ref_relu):
    """_epilogue for one tile [start, stop) of whole output rows of one image (columns off.. of g),
    together with the float reference y = gf[oc, t] (+ bias[oc]), written to ref_out when that is
    not empty; with `relu` out and ref_relu get the ReLU's values, else out gets the conv's. The
    error statistics of each output row (sim_ops.row_error, the function error_rows runs) go to
    rows[0], rows[1] (the conv's, scale scales[0]) and rows[2], rows[3] (the ReLU's), (N, O, OH),
    while the row is in cache. Returns (the counts as _epilogue, the conv's max error, the ReLU's)."""
    chunks, outs = g.shape[0], g.shape[1]
    length = stop - start
    p = out.shape[2]
    b = start // p                       # a tile lies inside one image
    q0 = start - b * p                   # its first position in the image
    y0 = q0 // ow
    nrows = length // ow
    acc = np.empty(length, np.int64)
    val = np.empty(length, np.int64)
    val2 = np.empty(length, np.int64)
    y = np.empty(length, np.float32)
    yr = np.empty(length, np.float32)
    keep = ref_out.shape[0] > 0
    st = np.array([0, cast1[4], cast1[3], 0, cast2[4], cast2[3], 0], np.int64)
    m1 = 0.0
    m2 = 0.0
    for oc in range(outs):
        g0 = g[0, oc, off:off + length]
        for t in range(length):
            acc[t] = np.int32(g0[t])
        for i in range(1, chunks):
            gi = g[i, oc, off:off + length]
            for t in range(length):
                acc[t] += np.int32(gi[t])
        for t in range(length):
            acc[t] = (acc[t] << s1) + acc0[oc]
        if wrap:
            c, _, _ = cast_row(acc, acc, wrap_rules)
            st[6] += c
        c, mn, mx = cast_row(acc, val, cast1)
        st[0] += c
        st[1] = min(st[1], mn)
        st[2] = max(st[2], mx)
        gr = gf[oc]
        bo = bias[oc]
        if has_bias:
            for t in range(length):
                y[t] = gr[t] + bo
        else:
            for t in range(length):
                y[t] = gr[t]
        for r in range(nrows):
            e, sg, mr = row_error(val[r * ow:(r + 1) * ow], y[r * ow:(r + 1) * ow], scales[0])
            rows[0][b, oc, y0 + r] = e
            rows[1][b, oc, y0 + r] = sg
            m1 = max(m1, mr)
        if keep:
            ro = ref_out[b, oc, q0:q0 + length]
            for t in range(length):
                ro[t] = y[t]
        ob = out[b, oc, q0:q0 + length]
        if relu:
            for t in range(length):
                acc[t] = max(val[t], 0)
            c, mn, mx = cast_row(acc, val2, cast2)
            st[3] += c
            st[4] = min(st[4], mn)
            st[5] = max(st[5], mx)
            rr = ref_relu[b, oc, q0:q0 + length]
            for t in range(length):
                v = y[t]
                yr[t] = v if (v >= 0 or v != v) else np.float32(0)
                rr[t] = yr[t]
                ob[t] = val2[t]
            for r in range(nrows):
                e, sg, mr = row_error(val2[r * ow:(r + 1) * ow], yr[r * ow:(r + 1) * ow], scales[1])
                rows[2][b, oc, y0 + r] = e
                rows[3][b, oc, y0 + r] = sg
                m2 = max(m2, mr)
        else:
            for t in range(length):
                ob[t] = val[t]
    return st, m1, m2


def _gemm_weights(wr: np.ndarray):
    """What the GEMM path reads of raw weights (O, ...): the (O, K) matrix as float32 (exact below
    2**24), |w| transposed (K, O) for the chunk bounds, and max |w|. Cached per weight array."""
    wm = wr.reshape(wr.shape[0], -1)
    wabs_t = np.ascontiguousarray(np.abs(wm).T)
    return wm.astype(np.float32), wabs_t, int(wabs_t.max(initial=0))


def _never_saturates(wabs_t, rowmax, acc0, s1: int, acc_t: FixedType) -> bool:
    """Whether every partial sum of every output stays inside acc_t's range: |acc0| + (sum over the
    terms of |w| * max |x| of the term's column) << s1 bounds them all (wabs_t: |w| as (K, O)). The
    products are below 2**48 (both factors below 2**24), so an int64 sum of fewer than 2**13 of them
    is exact."""
    if wabs_t.shape[0] >= 2 ** 13:
        return False
    per = rowmax @ wabs_t
    if int(per.max(initial=0)).bit_length() + s1 > 62:
        return False
    return int(((per << s1) + np.abs(acc0)).max(initial=0)) <= acc_t.raw_max


def conv(x: np.ndarray, wr: np.ndarray, acc0: np.ndarray, s1: int, kernel, stride, padding,
         acc_t: FixedType, out_t: FixedType, relu_t: FixedType | None = None, ref=None, dest=None,
         accum: str = "lossless"):
    """Conv of raw NCHW `x` with raw weights `wr` (O, C, KH, KW) whose products enter accum_t
    unrounded: the accumulator is (sum x*w) << s1 + acc0 in acc_t, then cast to out_t; with
    `relu_t`, a following ReLU (`(relu_t)max(v, 0)`) is applied too and only its output is returned.
    Returns (out, stats) with stats = [overflows, min, max] of the conv values, then of the ReLU
    values, then the accumulator overflow events; or None when the fast path does not apply.

    `accum` says what acc_t does to the exact sum: "lossless" (nothing, by construction); "wrap"
    (AP_WRAP: wrap-around addition is associative, so one wrap of the exact sum equals a wrap at
    every step, and the events are the outputs whose sum left the range); "saturate" (a saturating
    acc_t: exact while |acc0| + sum |x*w| stays inside the range for every output, checked per job
    from the columns' max |x|, so no step can saturate and there are no events; None otherwise).

    With `ref` = (float32 input, float weight, float bias or None, keep the conv's float output) the
    float reference's conv (sim_float's tiles and GEMMs) runs in the same shares and the epilogue
    compares the two: a third item (float conv output or None, float ReLU output or None,
    (err, sig, max error) of the conv, the same of the ReLU or None), with sim_ops.error_rows' rows.

    With `dest` = (raw (N, O, OH*OW), float values or None, err (N, O, OH), sig) views (hwsim.sim.dest:
    a concat's channels), the returned output (the ReLU's, with `relu_t`), its float values and its
    error rows are written there instead of into new arrays.

    The output positions are split among worker threads (whole tiles with `ref`); each runs im2col,
    single-threaded BLAS GEMMs and the epilogue on its slice (one thread pool, no idle BLAS threads
    spinning)."""
    cast1 = rules(acc_t, out_t)
    cast2 = rules(out_t, relu_t) if relu_t is not None else cast1
    wrap = accum == "wrap"
    wrap_rules = rules(carrier(acc_t.frac), acc_t) if wrap else cast1
    if cast1 is None or cast2 is None or wrap_rules is None or s1 < 0 or x.size == 0 or acc_t.width > 62:
        return None
    x = np.ascontiguousarray(x)
    wm = wr.reshape(wr.shape[0], -1)
    w32, wabs_t, wmax = weight_cache.derived(wr, "gemm", _gemm_weights)
    if wmax >= F32_EXACT:
        return None
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = out_hw(h, w, kernel, stride, padding)
    out = dest[0] if dest is not None else np.empty((n, wm.shape[0], oh * ow), storage(relu_t or out_t))
    acc0 = acc0.astype(np.int64)
    relu = relu_t is not None
    if ref is None:
        cuts = split(n * oh * ow, sim_float.MIN_SHARE, sim_float.MAX_SHARE)
    else:
        tl = sim_float.tiles(n, oh, ow)
        groups = sim_float.shares(tl, sim_float.MIN_SHARE, sim_float.MAX_SHARE)
        cuts = [(tl[a][0], tl[b - 1][1]) for a, b in groups]
        xf = np.ascontiguousarray(ref[0], np.float32)
        wf, bias, has_bias = sim_float.prepare(ref[1], ref[2])
        shape3 = (n, wm.shape[0], oh * ow)
        none = np.empty((0, 0, 1), np.float32)
        ref_out = np.empty(shape3, np.float32) if (ref[3] or not relu) else none
        ref_relu = np.empty(shape3, np.float32) if relu else none
        rows = [np.empty((n, wm.shape[0], oh)) for _ in range(4 if relu else 2)]
        if dest is not None:         # the output's float values and rows go to the concat's buffers
            if relu:
                ref_relu, rows[2], rows[3] = dest[1:]
            else:
                ref_out, rows[0], rows[1] = dest[1:]
        rows_t = tuple(rows) if relu else (rows[0], rows[1], rows[0], rows[1])
        scales = np.array([2.0 ** -out_t.frac, 2.0 ** -(relu_t.frac if relu else out_t.frac)])
        geom = (kernel, stride, padding)

    def fixed_gemm(start, stop):
        """The exact float32 GEMMs of positions [start, stop): (chunks, O, stop - start), or None."""
        cols = scratch(0, (wm.shape[1], stop - start))
        rowmax = np.empty(wm.shape[1], np.int64)
        sim_float.im2col(x, kh, kw, sh, sw, ph, pw, oh, ow, start, stop, cols, rowmax)
        bounds = column_chunks(wabs_t, rowmax) if rowmax.max(initial=0) < F32_EXACT else None
        if bounds is None or (accum == "saturate" and not _never_saturates(wabs_t, rowmax, acc0, s1, acc_t)):
            return None
        g = scratch(1, (len(bounds) - 1, wm.shape[0], stop - start))
        for j, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            np.matmul(w32[:, a:b], cols[a:b], out=g[j])
        return g

    def part(i):
        start, stop = cuts[i]
        if ref is None:
            g = fixed_gemm(start, stop)
            return None if g is None else (_epilogue(g, acc0, s1, wrap, wrap_rules, cast1, relu, cast2, start, stop, out), 0.0, 0.0)
        # the share's exact GEMMs, then tile by tile the float GEMM and the epilogue (per-tile exact
        # GEMMs measured slower: more calls for the same work)
        g = fixed_gemm(start, stop)
        if g is None:
            return None
        st, m1, m2 = np.zeros(7, np.int64), 0.0, 0.0
        for j, (t0, t1) in enumerate(tl[groups[i][0]:groups[i][1]]):
            gf = sim_float.tile_gemm(xf, wf, geom, oh, ow, t0, t1)
            s, e1, e2 = _epilogue_ref(g, t0 - start, acc0, s1, wrap, wrap_rules, cast1, relu, cast2, t0, t1, out, gf,
                                      bias, has_bias, ow, scales, rows_t, ref_out, ref_relu)
            st = s if j == 0 else np.array([st[0] + s[0], min(st[1], s[1]), max(st[2], s[2]),
                                            st[3] + s[3], min(st[4], s[4]), max(st[5], s[5]), st[6] + s[6]])
            m1, m2 = max(m1, e1), max(m2, e2)
        return st, m1, m2

    with single_threaded_blas():
        parts = parallel_map(part, len(cuts))
    if any(p is None for p in parts):
        return None
    st = np.array([p[0] for p in parts])
    stats = [int(st[:, 0].sum()), int(st[:, 1].min()), int(st[:, 2].max()),
             int(st[:, 3].sum()), int(st[:, 4].min()), int(st[:, 5].max()), int(st[:, 6].sum())]
    out = out.reshape(n, -1, oh, ow)
    if ref is None:
        return out, stats
    shape = (n, wm.shape[0], oh, ow)
    floats = (ref_out.reshape(shape) if ref_out.shape[0] else None,
              ref_relu.reshape(shape) if relu else None,
              (rows[0], rows[1], max(p[1] for p in parts)),
              (rows[2], rows[3], max(p[2] for p in parts)) if relu else None)
    return out, stats, floats
