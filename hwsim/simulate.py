"""Bit-accurate execution of a Graph under a precision Config.

Every value is a raw int64 mantissa of its layer's result type. The semantics below are exactly what
the C++ kernels in templates/kernels do (tests compare them integer for integer):

- input:   `input_t v = (double)x` (NaN and inf as ap_fixed treats them; NaNs are counted).
- conv / dense: `accum_t acc = (accum_t)bias;` then for each term in (c, kh, kw) order
           `acc += (accum_t)(x * w)` (the exact product cast to accum_t, the exact sum assigned back
           to accum_t); zero padding contributes products of 0; `result_t r = (result_t)acc`.
           With a lossless accumulator none of these casts can round or overflow.
- relu:    `res = (result_t)(x > 0 ? x : 0)`.
- max pool: the exact maximum over the window positions inside the input (padding and the ceil-mode
           overhang are ignored), then cast to the result type.
- avg pool (count_include_pad) and global average pool: `accum_t acc = 0; acc += (accum_t)x` over the
           window in row-major order, then `acc /= n` (truncation toward zero at accum_t's LSB), then
           `(result_t)acc`.
- concat:  each input cast to the result type, channels in input order.
- add:     `(result_t)(a + b)` with the exact ap_fixed sum.
- dropout, flatten: identity (then cast to the result type).

Execution: lossless convolutions run as exact float32 GEMMs with a fused cast epilogue (sim_conv),
and a conv's ReLU is folded into that epilogue when neither the SQNR reference nor `keep` needs the
conv's own output; input quantization and max pooling use one-pass threaded kernels. Whatever a
fast path cannot prove exact or does not cover falls back to the general path (sim_ops, FixedType),
and tests compare the two value for value and statistic for statistic.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import config as cfg, sim_conv
from .sim_weights import quantized
from .fixed import FixedType
from .graph import Graph
from .precision import add_type
from .fixed.fast import div_trunc, quantize_counted
from .sim_ops import accumulate_products, exact_matmul, im2col, maxpool, min_max, squared_error

_SAT = ("AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM")
_INT_MIN = np.iinfo(np.int64).min


@dataclass(frozen=True)
class LayerStats:
    name: str
    kind: str
    type: str
    count: int                 # values produced
    min: float
    max: float
    overflows: int             # values out of the result type's range (before the overflow mode acts)
    saturations: int           # of those, values clamped by a saturating mode
    accum_overflows: int = 0   # overflow events inside the accumulator (explicit accum types)
    nans: int = 0              # NaN inputs (input layer)
    weight_overflows: int = 0  # weights and biases outside their types' ranges
    sqnr_db: float | None = None   # against the float reference, when it was run


@dataclass(frozen=True, eq=False)
class SimResult:
    raw: np.ndarray            # output mantissas, int64, (N, C, H, W)
    type: FixedType            # output type
    stats: tuple[LayerStats, ...]
    outputs: dict = field(default_factory=dict)   # layer -> raw, when run(keep=True)

    @property
    def values(self) -> np.ndarray:
        return self.type.to_float(self.raw)

    def stat(self, name: str) -> LayerStats:
        for s in self.stats:
            if s.name == name:
                return s
        raise KeyError(name)


def check_input(graph: Graph, x) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"input must be numeric, got dtype {arr.dtype}")
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or tuple(arr.shape[1:]) != tuple(graph.input_shape):
        raise ValueError(f"input shape {tuple(np.shape(x))} does not match {graph.name}: expected "
                         f"(N, {', '.join(map(str, graph.input_shape))})")
    return arr


def run(graph: Graph, x, config: cfg.Config | None = None, *, reference: bool = True,
        keep: bool = False) -> SimResult:
    """Run `graph` bit-accurately on NCHW input `x`; stats include SQNR when `reference`."""
    x = check_input(graph, x)
    config = config if config is not None else cfg.load(None, graph)
    if any(l.has_weights for l in graph.layers) and not graph.has_weights:
        raise ValueError(f"{graph.name} has no weights attached")
    refs = None
    if reference:
        from .reference import run_all
        refs = run_all(graph, x.astype(np.float32))
    last_use, uses = {}, {}
    for i, layer in enumerate(graph.layers):
        for s in layer.inputs:
            last_use[s] = i
            uses[s] = uses.get(s, 0) + 1
    vals: dict[str, np.ndarray] = {}
    stats, kept = [], {}
    fused = None            # a ReLU computed together with the conv before it
    for i, layer in enumerate(graph.layers):
        lc = config[layer.name]
        if fused is not None:
            raw, ev = fused
            fused = None
        elif layer.kind == "input":
            raw, ev = _input(lc.result, x)
        else:
            ins = [vals[s] for s in layer.inputs]
            relu = _fusable_relu(graph, i, uses) if (refs is None and not keep) else None
            both = _conv_fast(graph, layer, lc, ins[0], config[relu.name]) if relu is not None else None
            if both is not None:
                out, ev, relu_ev = both
                raw, fused = None, (out, relu_ev)
            else:
                raw, ev = _LAYERS[layer.kind](graph, layer, lc, ins)
        if raw is not None:
            vals[layer.name] = raw
        if keep:
            kept[layer.name] = raw
        stats.append(_stats(layer, lc, raw, ev, refs))
        for s in layer.inputs:
            if last_use[s] == i and s != graph.output.name:
                vals.pop(s, None)
    out_name = graph.output.name
    return SimResult(vals[out_name], config[out_name].result, tuple(stats), kept)


def _fusable_relu(graph: Graph, i: int, uses: dict):
    """The ReLU right after conv layer i when it is that conv's only consumer (else None)."""
    layer = graph.layers[i]
    if layer.kind != "conv" or i + 1 >= len(graph.layers) or uses.get(layer.name) != 1:
        return None
    nxt = graph.layers[i + 1]
    return nxt if nxt.kind == "relu" and nxt.inputs == (layer.name,) else None


def _input(t: FixedType, x: np.ndarray):
    fast = quantize_counted(t, x)
    if fast is not None:      # finite input: no NaNs
        return fast[0], {"nans": 0, "overflows": fast[1], "minmax": fast[2:]}
    return t.quantize(x), {"nans": int(np.isnan(x).sum()) if x.dtype.kind == "f" else 0,
                           "overflows": t.quantize_overflows(x)}


def _stats(layer, lc, raw, ev, refs) -> LayerStats:
    ovf = int(ev.get("overflows", 0))
    sqnr = None
    if refs is not None:
        err, sig = squared_error(raw, refs[layer.name], lc.result.frac)
        sqnr = math.inf if err == 0 else (10 * math.log10(sig / err) if sig > 0 else -math.inf)
    count = ev["count"] if raw is None else raw.size
    mm = ev.get("minmax") or (min_max(raw) if raw.size else (0, 0))
    lo, hi = lc.result.to_float(np.array(mm))
    return LayerStats(layer.name, layer.kind, str(lc.result), int(count), float(lo), float(hi),
                      ovf, ovf if lc.result.overflow in _SAT else 0,
                      int(ev.get("accum_overflows", 0)), int(ev.get("nans", 0)),
                      int(ev.get("weight_overflows", 0)), sqnr)


def _cast_out(lc, raw, src: FixedType):
    out, n = lc.result.cast_counted(raw, src)
    return out, {"overflows": n}


# --- layers ------------------------------------------------------------------------------------
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
    return (acc_t.frac >= lc.inputs[0].frac + lc.weight.frac and acc_t.overflow == "AP_WRAP"
            and not acc_t.sat_bits and not acc_t.is_int)


def _dot(cols: np.ndarray, wm: np.ndarray, br, lc, xmax: int | None = None) -> tuple[np.ndarray, int]:
    """Accumulator values (R, O) for rows of input terms `cols` (R, T) and weights `wm` (O, T)."""
    tin, acc_t = lc.inputs[0], lc.accum
    pf = tin.frac + lc.weight.frac
    acc0 = acc_t.cast(br, lc.bias) if br is not None else np.zeros(wm.shape[0], np.int64)
    if lc.accum_lossless:
        return (exact_matmul(cols, wm.T, xmax) << (acc_t.frac - pf)) + acc0, 0
    if _wraps_exactly(lc):
        # products enter exactly; wrap-around addition is associative, so wrap once at the end
        total = (exact_matmul(cols, wm.T, xmax) << (acc_t.frac - pf)) + acc0
        out, n = acc_t.cast_counted(total, FixedType(62, 62 - acc_t.frac))
        return out, n
    return accumulate_products(cols, wm, acc0, pf, acc_t)


def _conv(graph, layer, lc, ins):
    x = ins[0]
    n = x.shape[0]
    fast = _conv_fast(graph, layer, lc, x)
    if fast is not None:
        return fast[:2]
    wr, br, w_ovf = _weights(graph, layer, lc)
    exact = lc.accum_lossless or _wraps_exactly(lc)
    # the GEMM paths read float64 columns (exact integers); the per-product loop reads int64
    cols, oh, ow = im2col(x.astype(np.float64) if exact else x, layer.kernel, layer.stride, layer.padding)
    acc, acc_ev = _dot(cols, wr.reshape(wr.shape[0], -1), br, lc, xmax=_type_bound(lc.inputs[0], x))
    acc = acc.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2)
    out, ev = _cast_out(lc, acc, lc.accum)
    ev.update(accum_overflows=acc_ev, weight_overflows=w_ovf)
    return np.ascontiguousarray(out), ev


def _conv_fast(graph, layer, lc, x, relu_lc=None):
    """A lossless conv (and the ReLU after it, when `relu_lc` is given) through sim_conv's exact
    float32 path: (output, conv events, ReLU events), or None when that path does not apply. With
    a ReLU the output is the ReLU's; the conv's own values exist only in its events."""
    if not lc.accum_lossless or (relu_lc is not None and relu_lc.inputs[0] != lc.result):
        return None
    wr, br, w_ovf = _weights(graph, layer, lc)
    tin, acc_t = lc.inputs[0], lc.accum
    acc0 = acc_t.cast(br, lc.bias) if br is not None else np.zeros(wr.shape[0], np.int64)
    fast = sim_conv.conv(x, wr, acc0, acc_t.frac - tin.frac - lc.weight.frac, layer.kernel, layer.stride,
                         layer.padding, acc_t, lc.result, relu_lc.result if relu_lc is not None else None)
    if fast is None:
        return None
    out, st = fast
    return (out, {"overflows": st[0], "weight_overflows": w_ovf, "minmax": st[1:3], "count": out.size},
            {"overflows": st[3], "minmax": st[4:6]})


def _dense(graph, layer, lc, ins):
    x = ins[0]
    wr, br, w_ovf = _weights(graph, layer, lc)
    x2 = x.reshape(x.shape[0], -1)
    acc, acc_ev = _dot(x2.astype(np.float64) if (lc.accum_lossless or _wraps_exactly(lc)) else x2,
                       wr, br, lc, xmax=_type_bound(lc.inputs[0], x))
    out, ev = _cast_out(lc, acc[:, :, None, None], lc.accum)
    ev.update(accum_overflows=acc_ev, weight_overflows=w_ovf)
    return out, ev


def _relu(graph, layer, lc, ins):
    return _cast_out(lc, np.maximum(ins[0], 0), lc.inputs[0])


def _windows(x, kernel, stride, padding, out_hw, fill):
    """View (N, C, OH, OW, KH, KW) of x padded with `fill` (left/top padding plus ceil overhang)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = out_hw
    bottom = max(0, (oh - 1) * sh + kh - h - ph)
    right = max(0, (ow - 1) * sw + kw - w - pw)
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


def _sum_in_accum(terms, tin: FixedType, acc_t: FixedType, lossless: bool) -> tuple[np.ndarray, int]:
    """`accum_t acc = 0; acc += (accum_t)x` over terms (a list of equally shaped raw arrays)."""
    if lossless:
        total = np.zeros(terms[0].shape, np.int64)
        for t in terms:
            total += t
        return total << (acc_t.frac - tin.frac), 0
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
    win = _windows(ins[0], layer.kernel, layer.stride, layer.padding, (oh, ow), 0)
    kh, kw = layer.kernel
    terms = [win[..., i, j] for i in range(kh) for j in range(kw)]
    return _average(lc, terms, kh * kw)


def _gap(graph, layer, lc, ins):
    x = ins[0]
    h, w = x.shape[2:]
    terms = [x[:, :, i:i + 1, j:j + 1] for i in range(h) for j in range(w)]
    return _average(lc, terms, h * w)


def _average(lc, terms, n):
    acc, acc_ev = _sum_in_accum(terms, lc.inputs[0], lc.accum, lc.accum_lossless)
    out, ev = _cast_out(lc, div_trunc(acc, n), lc.accum)
    ev["accum_overflows"] = acc_ev
    return out, ev


def _concat(graph, layer, lc, ins):
    parts, n = [], 0
    for raw, t in zip(ins, lc.inputs):
        part, k = lc.result.cast_counted(raw, t)
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


_LAYERS = {"conv": _conv, "dense": _dense, "relu": _relu, "maxpool": _maxpool, "avgpool": _avgpool,
           "gap": _gap, "concat": _concat, "add": _add, "dropout": _identity, "flatten": _flatten}
