"""The simulator's layers, one function each: (graph, layer, LayerConfig, raw inputs) -> (raw output,
events). Semantics are hwsim.sim.simulate's docstring; conv_fast is the lossless convolution through
sim_conv's exact float32 GEMMs (with the float reference and its statistics when asked),
dwconv_fast the depthwise conv's exact int64 sums over all channels at once; the rest are the
general paths that every fast path is tested against.
"""
from __future__ import annotations

import numpy as np

from hwsim.sim import average as sim_average, conv as sim_conv, narrow as sim_narrow
from hwsim.fixed import FixedType
from hwsim.fixed.fast import div_trunc
from hwsim.fixed.rules import add_type, carrier, product_frac
from hwsim.sim.ops import accumulate_products, exact_matmul, im2col, maxpool
from hwsim.sim.weight_cache import quantized
from hwsim.ir.geometry import far_padding

_INT_MIN = np.iinfo(np.int64).min
_SAT = ("AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM")


def _cast_out(lc, raw, src: FixedType):
    out, n = lc.result.cast_counted(raw, src)
    return out, {"overflows": n}


def _weights(graph, layer, lc):
    w = graph.weights[layer.name]
    wr, n = quantized(w["weight"], lc.weight)
    br = None
    if lc.bias is not None:
        br, nb = quantized(w["bias"], lc.bias)
        n += nb
    return wr, br, n


def _type_bound(t: FixedType, x: np.ndarray) -> int:
    """A bound on |x| for the exactness test: the type's, or the data's when the type's is loose."""
    bound = max(-t.raw_min, t.raw_max)
    return bound if bound < 2 ** 20 else int(np.abs(x).max(initial=0))


def _wraps_exactly(lc) -> bool:
    """Products enter accum_t without rounding and the accumulator wraps (no per-step effect)."""
    acc_t = lc.accum
    return (acc_t.frac >= product_frac(lc.inputs[0], lc.weight) and acc_t.overflow == "AP_WRAP"
            and not acc_t.sat_bits and not acc_t.is_int)


def _saturates_unrounded(lc) -> bool:
    """Products enter a signed, saturating accum_t without rounding: the exact sum is the result
    wherever no product or partial sum can reach the range's edge (checked per layer)."""
    acc_t = lc.accum
    return (acc_t.frac >= product_frac(lc.inputs[0], lc.weight) and acc_t.overflow in _SAT and acc_t.signed
            and not acc_t.sat_bits and not acc_t.is_int)


def _gemm_path(lc) -> bool:
    return lc.accum_lossless or _wraps_exactly(lc) or _saturates_unrounded(lc)


def _dot(cols: np.ndarray, wm: np.ndarray, acc0, lc, xmax: int | None = None):
    """Accumulator values (R, O) and overflow events for rows of input terms `cols` (R, T) and
    weights `wm` (O, T) through an exact GEMM (lossless, wrapping or bounded saturating accum_t),
    or None when a saturating accumulator might overflow (the per-product kernels decide then)."""
    acc_t = lc.accum
    s = acc_t.frac - product_frac(lc.inputs[0], lc.weight)
    total = (exact_matmul(cols, wm.T, xmax) << s) + acc0
    if lc.accum_lossless:
        return total, 0
    if _wraps_exactly(lc):
        # products enter exactly; wrap-around addition is associative, so wrap once at the end
        return acc_t.cast_counted(total, carrier(acc_t.frac))
    # every partial sum is bounded by |acc0| + sum |x*w|: within range, saturation never acts
    bound = (exact_matmul(np.abs(cols), np.abs(wm).T, xmax) << s) + np.abs(acc0)
    return (total, 0) if int(bound.max(initial=0)) <= acc_t.raw_max else None


def _products(x, wr, acc0, lc, kernel, stride, padding):
    """The per-product accumulation (hls4ml semantics) of a conv: accum_t values NCHW and events."""
    pf = product_frac(lc.inputs[0], lc.weight)
    got = sim_narrow.conv(x, wr, acc0, pf, lc.accum, kernel, stride, padding, lc.accum)
    if got is not None:
        return got[0], got[2]
    cols, oh, ow = im2col(x, kernel, stride, padding)
    acc, ev = accumulate_products(cols, wr.reshape(wr.shape[0], -1), acc0, pf, lc.accum)
    return acc.reshape(x.shape[0], oh, ow, -1).transpose(0, 3, 1, 2), ev


def _acc0(lc, br, outs: int) -> np.ndarray:
    return lc.accum.cast(br, lc.bias) if br is not None else np.zeros(outs, np.int64)


def _conv(graph, layer, lc, ins):
    """The general path (after conv_fast declined)."""
    x = ins[0]
    n = x.shape[0]
    wr, br, w_ovf = _weights(graph, layer, lc)
    acc0 = _acc0(lc, br, wr.shape[0])
    got = None
    if _gemm_path(lc):
        # the GEMM reads float64 columns (exact integers)
        cols, oh, ow = im2col(x.astype(np.float64), layer.kernel, layer.stride, layer.padding)
        got = _dot(cols, wr.reshape(wr.shape[0], -1), acc0, lc, xmax=_type_bound(lc.inputs[0], x))
        if got is not None:
            got = (got[0].reshape(n, oh, ow, -1).transpose(0, 3, 1, 2), got[1])
    if got is None:
        got = _products(x, wr, acc0, lc, layer.kernel, layer.stride, layer.padding)
    out, ev = _cast_out(lc, got[0], lc.accum)
    ev.update(accum_overflows=got[1], weight_overflows=w_ovf)
    return np.ascontiguousarray(out), ev


def conv_fast(graph, layer, lc, x, relu_lc=None, ref=None, dest=None):
    """A conv whose products enter accum_t unrounded (lossless, wrapping, or saturating where that
    provably never acts: `_gemm_path`), and the ReLU after it when `relu_lc` is given, through
    sim_conv's exact float32 path; any other accumulator through sim_narrow's kernels (not with the
    reference). (output, conv events, ReLU events), or None when no fast path applies. With a ReLU
    the output is the ReLU's; the conv's own values exist only in its events. With `ref` (the float
    reference's input) the events also carry the reference's values and statistics. `dest`: views
    that receive the output (sim_conv.conv's; a concat's channels)."""
    if relu_lc is not None and relu_lc.inputs[0] != lc.result:
        return None
    if not _gemm_path(lc):
        return None if ref is not None else _narrow_fast(graph, layer, lc, x, relu_lc)
    accum = "lossless" if lc.accum_lossless else ("wrap" if _wraps_exactly(lc) else "saturate")
    wr, br, w_ovf = _weights(graph, layer, lc)
    tin, acc_t = lc.inputs[0], lc.accum
    acc0 = _acc0(lc, br, wr.shape[0])
    fw = graph.weights[layer.name]
    fref = None if ref is None else (ref, fw["weight"], fw.get("bias"), relu_lc is None)
    fast = sim_conv.conv(x, wr, acc0, acc_t.frac - product_frac(tin, lc.weight), layer.kernel, layer.stride,
                         layer.padding, acc_t, lc.result, relu_lc.result if relu_lc is not None else None, fref,
                         dest, accum)
    if fast is None:
        return None
    out, st = fast[:2]
    conv_ev = {"overflows": st[0], "weight_overflows": w_ovf, "minmax": st[1:3], "count": out.size,
               "accum_overflows": st[6]}
    relu_ev = {"overflows": st[3], "minmax": st[4:6]}
    if ref is not None:
        floats = fast[2]
        conv_ev.update(ref=floats[0], rows=floats[2])
        relu_ev.update(ref=floats[1], rows=floats[3])
    return out, conv_ev, relu_ev


def _narrow_fast(graph, layer, lc, x, relu_lc):
    """conv_fast for an accumulator that rounds each product: sim_narrow with the cast (and ReLU)
    in its epilogue."""
    wr, br, w_ovf = _weights(graph, layer, lc)
    got = sim_narrow.conv(x, wr, _acc0(lc, br, wr.shape[0]), product_frac(lc.inputs[0], lc.weight), lc.accum,
                          layer.kernel, layer.stride, layer.padding, lc.result,
                          relu_lc.result if relu_lc is not None else None)
    if got is None:
        return None
    out, st, events = got
    return (out, {"overflows": st[0], "weight_overflows": w_ovf, "minmax": tuple(st[1:3]), "count": out.size,
                  "accum_overflows": events}, {"overflows": st[3], "minmax": tuple(st[4:6])})


def stream_order(graph, layer):
    """Permutation from PyTorch's flatten order (c, h, w) of a dense layer's input map to the stream
    order (h, w, c), or None for a 1x1 map."""
    src = layer.inputs[0]
    while graph.layer(src).wiring:
        src = graph.layer(src).inputs[0]
    c, h, w = graph.shape(src)
    if h * w == 1:
        return None
    return np.arange(c * h * w).reshape(c, h, w).transpose(1, 2, 0).ravel()


def _dense(graph, layer, lc, ins):
    x = ins[0]
    wr, br, w_ovf = _weights(graph, layer, lc)
    acc0 = _acc0(lc, br, wr.shape[0])
    x2 = x.reshape(x.shape[0], -1)
    order = stream_order(graph, layer)
    if order is not None:             # add in the hardware's (h, w, c) order (hwsim.sim.simulate doc)
        x2, wr = x2[:, order], wr[:, order]
    got = _dot(x2.astype(np.float64), wr, acc0, lc, xmax=_type_bound(lc.inputs[0], x)) if _gemm_path(lc) else None
    if got is None:
        acc, events = _products(x2[:, :, None, None], wr[:, :, None, None], acc0, lc, (1, 1), (1, 1), (0, 0))
    else:
        acc, events = got[0][:, :, None, None], got[1]
    out, ev = _cast_out(lc, acc, lc.accum)
    ev.update(accum_overflows=events, weight_overflows=w_ovf)
    return out, ev


def _relu(graph, layer, lc, ins):
    return _cast_out(lc, np.maximum(ins[0], 0), lc.inputs[0])


def _relu6(graph, layer, lc, ins):
    """`(result_t)(x > 0 ? (x < 6 ? x : 6) : 0)`, the comparisons exact on the value in its input
    type (6 in raw units is 6 << frac; a type with frac < 0 is widened to frac 0 first, so 6 is
    exact; when 6 is beyond the type's range the clip never acts)."""
    tin = lc.inputs[0]
    x = ins[0]
    if tin.frac < 0:
        src = carrier(0)
        x = x << (-tin.frac)
    else:
        src = tin
    six = 6 << src.frac
    if six > src.raw_max:             # 6 is beyond every value of the type: only the ReLU acts
        return _cast_out(lc, np.maximum(x, 0), src)
    return _cast_out(lc, np.clip(x, 0, six), src)


def _dw_sum(x, wr, layer, out_hw):
    """The exact int64 sums of a depthwise conv: out[n, c, y, x] = sum over (kh, kw) of
    x[n, c, y*sh - ph + kh, x*sw - pw + kw] * wr[c, 0, kh, kw] (zero padding). The caller bounds
    the values below 2**62."""
    win = _windows(np.ascontiguousarray(x, np.int64), layer.kernel, layer.stride, layer.padding, out_hw, 0)
    kh, kw = layer.kernel
    w = np.asarray(wr, np.int64).reshape(wr.shape[0], kh, kw)
    total = np.zeros(win.shape[:4], np.int64)
    for i in range(kh):
        for j in range(kw):
            total += win[..., i, j] * w[None, :, i, j, None, None]
    return total


def _dw_bound(xmax: int, wr, acc0, s: int) -> int:
    """A bound on |partial sums| of every output: max|x| * sum|w| << s + |acc0| (Python ints)."""
    wsum = np.abs(wr).reshape(wr.shape[0], -1).sum(axis=1)
    return max(((xmax * int(a)) << s) + abs(int(b)) for a, b in zip(wsum, acc0)) if wr.shape[0] else 0


def dwconv_fast(graph, layer, lc, x):
    """A depthwise conv whose products enter accum_t exactly and whose accumulator is lossless,
    wraps, or saturates without ever reaching its range's edge (the conv's `_gemm_path` cases):
    exact int64 sums over the taps of all channels at once, then (for a wrapping accum_t) one wrap
    and the cast. (raw, events), or None when those cases do not hold (the general path decides)."""
    if not _gemm_path(lc) or x.size == 0:
        return None
    acc_t = lc.accum
    s = acc_t.frac - product_frac(lc.inputs[0], lc.weight)
    wr, br, w_ovf = _weights(graph, layer, lc)
    acc0 = _acc0(lc, br, wr.shape[0])
    xmax = int(np.abs(x).max(initial=0))
    if _dw_bound(xmax, wr, acc0, s) >= 2 ** 62:
        return None
    _, oh, ow = graph.shape(layer.name)
    total = (_dw_sum(x, wr, layer, (oh, ow)) << s) + acc0[None, :, None, None]
    if lc.accum_lossless:
        acc, events = total, 0
    elif _wraps_exactly(lc):
        # wrap-around addition is associative: one wrap of the exact sum equals a wrap per step
        acc, events = acc_t.cast_counted(total, carrier(acc_t.frac))
    else:
        # a saturating accum_t: exact while no partial sum can reach the range's edge
        bound = (_dw_sum(np.abs(x), np.abs(wr), layer, (oh, ow)) << s) + np.abs(acc0)[None, :, None, None]
        if int(bound.max(initial=0)) > acc_t.raw_max:
            return None
        acc, events = total, 0
    out, ev = _cast_out(lc, acc, acc_t)
    ev.update(accum_overflows=events, weight_overflows=w_ovf)
    return np.ascontiguousarray(out), ev


def _dwconv(graph, layer, lc, ins):
    """The general path of a depthwise conv: channel by channel, the conv's general path (an exact
    GEMM when `_gemm_path` holds and proves exact, else the per-product kernels) on that channel
    with its own kernel. A depthwise conv is the conv's rule with one input channel per output
    channel, so its values and events are the conv's by construction."""
    x = ins[0]
    n = x.shape[0]
    wr, br, w_ovf = _weights(graph, layer, lc)
    acc0 = _acc0(lc, br, wr.shape[0])
    c, oh, ow = graph.shape(layer.name)
    acc = np.empty((n, c, oh, ow), np.int64)
    events = 0
    xmax = _type_bound(lc.inputs[0], x)
    for ci in range(c):
        xc = np.ascontiguousarray(x[:, ci:ci + 1])
        wc = wr[ci:ci + 1]
        got = None
        if _gemm_path(lc):
            cols, _, _ = im2col(xc.astype(np.float64), layer.kernel, layer.stride, layer.padding)
            got = _dot(cols, wc.reshape(1, -1), acc0[ci:ci + 1], lc, xmax=xmax)
            if got is not None:
                got = (got[0].reshape(n, oh, ow, 1).transpose(0, 3, 1, 2), got[1])
        if got is None:
            got = _products(xc, wc, acc0[ci:ci + 1], lc, layer.kernel, layer.stride, layer.padding)
        acc[:, ci:ci + 1] = got[0]
        events += int(got[1])
    out, ev = _cast_out(lc, acc, lc.accum)
    ev.update(accum_overflows=events, weight_overflows=w_ovf)
    return np.ascontiguousarray(out), ev


def _windows(x, kernel, stride, padding, out_hw, fill):
    """View (N, C, OH, OW, KH, KW) of x padded with `fill` (left/top padding plus ceil overhang)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = out_hw
    bottom, right = far_padding(h, w, (oh, ow), kernel, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, bottom), (pw, right)), constant_values=fill)
    s = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (n, c, oh, ow, kh, kw), (s[0], s[1], s[2] * sh, s[3] * sw, s[2], s[3]), writeable=False)


def _maxpool(graph, layer, lc, ins):
    _, oh, ow = graph.shape(layer.name)
    fast = maxpool(ins[0], layer.kernel, layer.stride, layer.padding, (oh, ow), lc.inputs[0], lc.result)
    if fast is not None:
        return fast[0], {"overflows": fast[1][0], "minmax": tuple(fast[1][1:])}
    win = _windows(ins[0], layer.kernel, layer.stride, layer.padding, (oh, ow), _INT_MIN)
    kh, kw = layer.kernel
    out = win[..., 0, 0].copy()
    for i in range(kh):
        for j in range(kw):
            if i or j:
                np.maximum(out, win[..., i, j], out=out)
    return _cast_out(lc, out, lc.inputs[0])


def _sum_in_accum(terms, tin: FixedType, acc_t: FixedType) -> tuple[np.ndarray, int]:
    """`accum_t acc = 0; acc += (accum_t)x` over terms (a list of equally shaped raw arrays) for an
    explicit accum_t: sim_average's numba kernel; this loop is its reference and covers what it
    does not."""
    fast = sim_average.sum_in_accum(terms, tin, acc_t)
    if fast is not None:
        return fast
    st = add_type(acc_t, acc_t)
    acc = np.zeros(terms[0].shape, np.int64)
    events = 0
    for t in terms:
        events += int(acc_t.overflows(t, tin).sum())
        s = acc + (acc_t.cast(t, tin) << (st.frac - acc_t.frac))
        events += int(acc_t.overflows(s, st).sum())
        acc = acc_t.cast(s, st)
    return acc, events


def _avgpool(graph, layer, lc, ins):
    _, oh, ow = graph.shape(layer.name)
    return _average(lc, _windows(ins[0], layer.kernel, layer.stride, layer.padding, (oh, ow), 0))


def _gap(graph, layer, lc, ins):
    n, c, h, w = ins[0].shape
    return _average(lc, ins[0].reshape(n, c, 1, 1, h, w))


def _average(lc, win):
    """The average over the last two axes of `win` (N, C, OH, OW, KH, KW), the window's terms in
    row-major order: a lossless accum_t holds their exact sum (an int64 sum, any order), an explicit
    one accumulates them in that order (_sum_in_accum); then acc / n, cast to the result type."""
    kh, kw = win.shape[-2:]
    if lc.accum_lossless:
        acc, acc_ev = win.sum(axis=(-2, -1)) << (lc.accum.frac - lc.inputs[0].frac), 0
    else:
        acc, acc_ev = _sum_in_accum([win[..., i, j] for i in range(kh) for j in range(kw)], lc.inputs[0], lc.accum)
    out, ev = _cast_out(lc, div_trunc(acc, kh * kw), lc.accum)
    ev["accum_overflows"] = acc_ev
    return out, ev


def concat_part(lc, raw, t: FixedType):
    """One concat input cast to the result type: (values, overflows). A raw value of the result type
    itself is in range: its cast is the identity."""
    return (raw, 0) if t == lc.result else lc.result.cast_counted(raw, t)


def _concat(graph, layer, lc, ins):
    parts, n = [], 0
    for raw, t in zip(ins, lc.inputs):
        part, k = concat_part(lc, raw, t)
        parts.append(part)
        n += k
    return np.concatenate(parts, axis=1), {"overflows": n}


def _add(graph, layer, lc, ins):
    (a, b), (ta, tb) = ins, lc.inputs
    st = add_type(ta, tb)
    total = (a << (st.frac - ta.frac)) + (b << (st.frac - tb.frac))
    return _cast_out(lc, total, st)


def _identity(graph, layer, lc, ins):
    return _cast_out(lc, ins[0], lc.inputs[0])


def _flatten(graph, layer, lc, ins):
    x = ins[0]
    return _cast_out(lc, x.reshape(x.shape[0], -1, 1, 1), lc.inputs[0])


LAYERS = {"conv": _conv, "dwconv": _dwconv, "dense": _dense, "relu": _relu, "relu6": _relu6, "maxpool": _maxpool,
          "avgpool": _avgpool, "gap": _gap, "concat": _concat, "add": _add, "dropout": _identity, "flatten": _flatten}
