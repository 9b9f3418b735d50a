"""The float reference's convolution on the simulator's machinery: a threaded float32 im2col, one
single-threaded float32 BLAS GEMM per tile and an epilogue that adds the bias, applies a following
ReLU and writes NCHW.

Tiles make the float values independent of how work is shared: a tile is a run of whole output rows
of one image, fixed by the layer's output shape alone (never by the batch, the worker count or a
share's boundaries), and every tile is one GEMM of the same shape wherever it runs. The simulator's
fused statistics (sim_conv) compute the same tiles with the same GEMM calls, so the float values they
compare against equal reference.run's bit for bit.
"""
from __future__ import annotations

import numba
import numpy as np

from hwsim.util import threads
from hwsim.util.threads import parallel_map, scratch, single_threaded_blas
from hwsim.ir.geometry import out_hw

TILE = 2048          # output positions per tile at most, in whole rows (tests lower it)
MIN_SHARE = 256      # output positions per worker share at the least, float and fixed convs (tests lower it)
MAX_SHARE = 8192     # and at most about this many when there is more work (buffers stay in cache)


def tiles(n: int, oh: int, ow: int) -> list[tuple[int, int]]:
    """[start, stop) output positions (n, y, x) of each tile: whole rows of one image, at most
    max(TILE, ow) positions."""
    per = max(1, min(oh, TILE // ow))
    return [(b * oh * ow + y * ow, b * oh * ow + min(y + per, oh) * ow)
            for b in range(n) for y in range(0, oh, per)]


def shares(tile_list: list[tuple[int, int]], min_positions: int, max_positions: int) -> list[tuple[int, int]]:
    """Tile index ranges [a, b): at least one per worker when each then has min_positions positions,
    and more when needed to keep them near max_positions."""
    k = len(tile_list)
    if not k:
        return []
    total = tile_list[-1][1] - tile_list[0][0]
    jobs = max(1, min(threads.workers(), k, total // max(1, min_positions)))
    jobs = min(k, max(jobs, -(-total // max_positions)))
    bounds = [k * i // jobs for i in range(jobs + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


@numba.njit(cache=True, nogil=True)
def im2col(x, kh, kw, sh, sw, ph, pw, oh, ow, start, stop, out, rowmax=None):
    """out[(c, i, j), col - start] = x[n, c, y*sh - ph + i, x*sw - pw + j] (0 outside), float32, for
    the output positions col = (n, y, x) in [start, stop) (a range may start inside a row). Every
    im2col of the simulator is this one.

    With `rowmax` (integer x: sim_conv's exact GEMMs) rowmax[row] = max |x| read for that row, and
    the values pass through int32 (a vector conversion on AVX2), which is exact when rowmax is below
    2**24; the caller checks that before using `out`. Each output row's run of positions inside the
    input is a slice of the source and destination rows, indexed from 0, so the loops vectorize
    (with stride 1 the source is a contiguous slice too)."""
    n, c, h, w = x.shape
    p = oh * ow
    for row in range(c * kh * kw):
        m = np.int64(0)
        ci = row // (kh * kw)
        i = (row // kw) % kh
        j = row % kw
        xa = max(0, -((j - pw) // sw))                 # first output column reading ix >= 0
        xb = min(ow, (w - 1 + pw - j) // sw + 1)       # one past the last reading ix < w
        dst = out[row]
        for b in range(start // p, (stop - 1) // p + 1):
            p0 = max(start, b * p) - b * p
            p1 = min(stop, (b + 1) * p) - b * p
            for y in range(p0 // ow, (p1 - 1) // ow + 1):
                x0 = max(p0 - y * ow, 0)
                x1 = min(p1 - y * ow, ow)
                # column of output x = xx is base + xx; base < 0 when this range starts mid-row,
                # and x0 >= -base then: every slice below starts at base + x0 >= 0 or later (a
                # negative slice start would wrap around)
                base = b * p + y * ow - start
                iy = y * sh - ph + i
                if iy < 0 or iy >= h:
                    dst[base + x0:base + x1] = 0
                    continue
                lo, hi = max(x0, xa), min(x1, xb)
                if lo > x0:
                    dst[base + x0:base + min(lo, x1)] = 0
                if hi > lo:
                    d = dst[base + lo:base + hi]
                    src = x[b, ci, iy]
                    if rowmax is None:
                        if sw == 1:                      # lo - pw + j >= 0 as lo >= xa
                            d[:] = src[lo - pw + j:hi - pw + j]
                        else:
                            for t in range(hi - lo):
                                d[t] = src[(lo + t) * sw - pw + j]
                    elif sw == 1:
                        s = src[lo - pw + j:hi - pw + j]
                        for t in range(hi - lo):
                            v = s[t]
                            a = v if v >= 0 else -v
                            m = a if a > m else m
                            d[t] = np.float32(np.int32(v))
                    else:
                        for t in range(hi - lo):
                            v = src[(lo + t) * sw - pw + j]
                            a = v if v >= 0 else -v
                            m = a if a > m else m
                            d[t] = np.float32(np.int32(v))
                if x1 > max(x0, xb):
                    dst[base + max(x0, xb):base + x1] = 0
        if rowmax is not None:
            rowmax[row] = m


@numba.njit(cache=True, nogil=True)
def _bias_relu(g, bias, has_bias, relu, start, stop, out, out_relu):
    """y = g[oc, col - start] (+ bias[oc]) for the positions col = (n, pos) in [start, stop):
    out[n, oc, pos] = y when out is not empty, out_relu[n, oc, pos] = max(y, 0) with `relu`."""
    outs = g.shape[0]
    p = out_relu.shape[2] if relu else out.shape[2]
    keep = out.shape[0] > 0
    for oc in range(outs):
        for b in range(start // p, (stop - 1) // p + 1):
            p0 = max(start, b * p) - b * p
            p1 = min(stop, (b + 1) * p) - b * p
            gr = g[oc, b * p + p0 - start:b * p + p1 - start]    # starts at max(start, b*p) - start >= 0
            bo = bias[oc] if has_bias else np.float32(0)
            if keep:
                o = out[b, oc, p0:p1]
                if has_bias:
                    for t in range(p1 - p0):
                        o[t] = gr[t] + bo
                else:
                    o[:] = gr
            if relu:
                r = out_relu[b, oc, p0:p1]
                for t in range(p1 - p0):
                    y = gr[t] + bo if has_bias else gr[t]
                    r[t] = y if (y >= 0 or y != y) else np.float32(0)


def prepare(w: np.ndarray, b):
    """(weights as a float32 (O, C*KH*KW) matrix, float32 bias or zeros, whether there is a bias)."""
    wm = np.ascontiguousarray(w, np.float32).reshape(w.shape[0], -1)
    has = b is not None
    return wm, (np.ascontiguousarray(b, np.float32) if has else np.zeros(wm.shape[0], np.float32)), has


def tile_gemm(x, wm, geom, oh, ow, start, stop, slot: int = 2) -> np.ndarray:
    """The float32 GEMM of one tile (whole rows of one image): (O, stop - start) in a reusable
    scratch buffer. Every caller of the float convolution goes through here, so equal tiles give
    equal values."""
    (kh, kw), (sh, sw), (ph, pw) = geom
    if (kh, kw, sh, sw, ph, pw) == (1, 1, 1, 1, 0, 0):
        # a pointwise conv's columns are the input itself: the tile's positions of its image (a
        # strided view, which BLAS reads in place)
        b, q0 = divmod(start, oh * ow)
        cols = x[b].reshape(x.shape[1], oh * ow)[:, q0:q0 + stop - start]
    else:
        cols = scratch(slot, (wm.shape[1], stop - start))
        im2col(x, kh, kw, sh, sw, ph, pw, oh, ow, start, stop, cols)
    g = scratch(slot + 1, (wm.shape[0], stop - start))
    np.matmul(wm, cols, out=g)
    return g


def conv(x: np.ndarray, w: np.ndarray, b, kernel, stride, padding, relu: bool = False,
         keep_conv: bool = True):
    """Float32 convolution of NCHW x: (conv output or None, ReLU output or None). With `relu` the
    ReLU after it is computed in the same pass; `keep_conv=False` then skips the conv's own output."""
    x = np.ascontiguousarray(x, np.float32)
    wm, bias, has = prepare(w, b)
    n, c, h, wd = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = out_hw(h, wd, kernel, stride, padding)
    o = wm.shape[0]
    out = np.empty((n, o, oh * ow), np.float32) if (keep_conv or not relu) else np.empty((0, 0, 1), np.float32)
    out_relu = np.empty((n, o, oh * ow), np.float32) if relu else np.empty((0, 0, 1), np.float32)
    tl = tiles(n, oh, ow)
    geom = (kernel, stride, padding)

    def part(i):
        a, z = cuts[i]
        for start, stop in tl[a:z]:
            g = tile_gemm(x, wm, geom, oh, ow, start, stop)
            _bias_relu(g, bias, has, relu, start, stop, out, out_relu)

    cuts = shares(tl, MIN_SHARE, MAX_SHARE)
    with single_threaded_blas():
        parallel_map(part, len(cuts))
    shape = (n, o, oh, ow)
    return (out.reshape(shape) if out.shape[0] else None), (out_relu.reshape(shape) if relu else None)
