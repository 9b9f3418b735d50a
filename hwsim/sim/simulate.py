"""Bit-accurate execution of a Graph under a precision Config.

Every value is a raw integer mantissa of its layer's result type (int64 in the results; between
layers int32 where the type's width allows, sim_ops.storage). The semantics below are exactly what
the C++ kernels in templates/kernels do (tests compare them integer for integer):

- input:   `input_t v = (double)x` (NaN and inf as ap_fixed treats them; NaNs are counted).
- conv / dense: `accum_t acc = (accum_t)bias;` then for each term in (c, kh, kw) order
           `acc += (accum_t)(x * w)` (the exact product cast to accum_t, the exact sum assigned back
           to accum_t); zero padding contributes products of 0; `result_t r = (result_t)acc`.
           With a lossless accumulator none of these casts can round or overflow. A dense layer
           over a flattened CxHxW map adds its terms in stream order (h, w, c), as the hardware
           reads them (hwsim.hw.pipeline); the order matters only for a saturating accum_t.
- dwconv (depthwise, groups = channels): the conv's rule with one input channel per output
           channel. For each channel c and output pixel: `accum_t acc = (accum_t)bias[c];` then for
           kh, for kw (row-major) `acc += (accum_t)(x[c, y*sh - ph + kh, x*sw - pw + kw] *
           w[c, kh, kw])` (the exact product cast to accum_t, the exact sum assigned back to
           accum_t; padding contributes products of 0); `result_t r = (result_t)acc`. A lossless
           accum_t is sized for KH x KW products. Events are counted as for a conv: a saturating
           (or otherwise per-step) accum_t counts every product cast and every sum that leaves its
           range; a plain wrapping one (the products entering it exactly or rounded) counts the
           outputs whose exact sum left its range.
- relu:    `res = (result_t)(x > 0 ? x : 0)`.
- relu6:   `res = (result_t)(x > 0 ? (x < 6 ? x : 6) : 0)` on the value in its input type, the
           comparisons exact (raw against 6 << frac; 6 is exact even for a type with frac < 0);
           when 6 is outside the input type's range the clip never acts. Then the cast to its
           result type (by default its input type: passes_type). Never fused into the conv before
           it (only a ReLU is): it runs as its own layer.
- max pool: the exact maximum over the window positions inside the input (padding and the ceil-mode
           overhang are ignored), then cast to the result type.
- avg pool (count_include_pad) and global average pool: `accum_t acc = 0; acc += (accum_t)x` over the
           window in row-major order, then `acc /= n` (truncation toward zero at accum_t's LSB), then
           `(result_t)acc`.
- concat:  each input cast to the result type, channels in input order.
- add:     `(result_t)(a + b)` with the exact ap_fixed sum.
- dropout, flatten: identity (then cast to the result type).

Execution: lossless convolutions, and those whose products enter an explicit accum_t unrounded
(wrapping, or saturating where a bound proves it never acts), run as exact float32 GEMMs with a fused
cast epilogue (sim_conv), other explicit accumulators through sim_narrow's exact kernels, and a
conv's ReLU is folded into the epilogue when `keep` does not need the conv's own output; a conv whose
output only a concat reads writes into the concat's buffer (hwsim.sim.dest); a depthwise conv whose accumulator is
lossless, wraps exactly or provably never saturates sums all channels' taps at once in exact int64
(layers.dwconv_fast; the general path runs the conv's general path channel by channel); input
quantization, max pooling and average pools with an explicit accum_t (hwsim.sim.average) use
one-pass threaded kernels. With `reference` the float reference (hwsim.sim.reference) runs layer by
layer beside it, and the fast kernels produce its values and the error statistics of each output
row as they produce the fixed-point values (FUSED; sim_ops.error_rows otherwise). Whatever a fast
path cannot prove exact or does not cover falls back to the general path (sim_ops, FixedType), and
tests compare the two value for value and statistic for statistic.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hwsim.spec import config as cfg
from hwsim.fixed import FixedType
from hwsim.fixed.fast import quantize_counted
from hwsim.ir.graph import Graph
from hwsim.sim import dest as _dest
from hwsim.sim.layers import LAYERS, concat_part, conv_fast as _conv_fast, dwconv_fast as _dwconv_fast
from hwsim.sim.ops import error_rows, maxpool, min_max, total, wide

_SAT = ("AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM")


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
    sqnr_db: float | None = None   # against the float reference, when it was run: 10 log10(signal/error)
    sq_error: float | None = None  # sum of (reference - value)**2 (rows in order, then over rows)
    sq_signal: float | None = None  # sum of reference**2, the same way
    max_abs_error: float | None = None   # max |reference - value|


@dataclass(frozen=True, eq=False)
class SimResult:
    raw: np.ndarray            # output mantissas, int64, (N, C, H, W)
    type: FixedType            # output type
    stats: tuple[LayerStats, ...]
    outputs: dict = field(default_factory=dict)   # layer -> raw, when run(keep=True)
    reference: np.ndarray | None = None   # the float reference's output (float32), when run(reference=True):
    # reference.run's values bit for bit (the same tiles and GEMMs), so callers need not run it again

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
    last_use, uses = {}, {}
    for i, layer in enumerate(graph.layers):
        for s in layer.inputs:
            last_use[s] = i
            uses[s] = uses.get(s, 0) + 1
    vals: dict[str, np.ndarray] = {}
    refs: dict = {}             # the float reference's values, when `reference`
    rows: dict = {}             # error_rows' figures of each layer, for a concat of unchanged inputs
    stats, kept = [], {}
    fused = None            # a ReLU computed together with the conv before it
    slots = _dest.slots(graph, config) if FUSED and x.shape[0] else {}
    bufs: dict[str, _dest.Buffer] = {}     # concat outputs being written in place (hwsim.sim.dest)
    for i, layer in enumerate(graph.layers):
        lc = config[layer.name]
        if fused is not None:
            raw, ev = fused
            fused = None
        elif layer.kind == "input":
            raw, ev = _input(lc.result, x)
            if reference:
                ev["ref"] = x.astype(np.float32)
        elif layer.kind == "concat" and FUSED:
            buf = bufs.pop(layer.name, None) or _dest.buffer(graph, layer.name, x.shape[0], reference, lc.result)
            raw, ev = _concat_into(buf, layer, lc, [vals[s] for s in layer.inputs],
                                   [refs[s] for s in layer.inputs] if reference else None, rows)
        else:
            ins = [vals[s] for s in layer.inputs]
            rins = [refs[s] for s in layer.inputs] if reference else None
            relu = _fusable_relu(graph, i, uses) if not (keep or (reference and not FUSED)) else None
            slot = slots.get(relu.name if relu is not None else layer.name) if layer.kind == "conv" else None
            views = None
            if slot is not None:
                if slot.concat not in bufs:
                    bufs[slot.concat] = _dest.buffer(graph, slot.concat, x.shape[0], reference,
                                                     config[slot.concat].result)
                views = bufs[slot.concat].views(slot)
            raw, ev, fused = _layer(graph, layer, lc, ins, rins, config[relu.name] if relu is not None else None,
                                    views)
        if reference:
            ev = _with_reference(graph, layer, lc, raw, ev, [refs[s] for s in layer.inputs], rows)
            refs[layer.name] = ev["ref"]
            rows[layer.name] = ev["rows"]
        if raw is not None:
            vals[layer.name] = raw
            slot = slots.get(layer.name)
            if slot is not None and slot.concat in bufs and np.may_share_memory(raw, bufs[slot.concat].raw):
                # written in place: the concat takes these channels as they are
                bufs[slot.concat].done[layer.name] = (tuple(ev["minmax"]), ev["rows"][2] if reference else 0.0)
        if keep:
            kept[layer.name] = wide(raw)
        stats.append(_stats(layer, lc, raw, ev))
        for s in layer.inputs:
            if last_use[s] == i and s != graph.output.name:
                for d in (vals, refs, rows):
                    d.pop(s, None)
    out_name = graph.output.name
    return SimResult(wide(vals[out_name]), config[out_name].result, tuple(stats), kept,
                     np.ascontiguousarray(refs[out_name], np.float32) if reference else None)


FUSED = True    # statistics from the kernels' epilogues; False runs the two-pass path (tests compare)


def _layer(graph, layer, lc, ins, rins, relu_lc, views=None):
    """(raw, events, the fused ReLU's (raw, events) or None) of one layer; with the float
    reference's inputs `rins` (and FUSED), the fast kernels also give its values and statistics.
    `views`: a concat's channels for a conv's output (hwsim.sim.dest), used when its fast path runs."""
    fuse_ref = rins is not None and FUSED
    if layer.kind == "conv":
        fast = _conv_fast(graph, layer, lc, ins[0], relu_lc, rins[0] if fuse_ref else None, views)
        if fast is not None:
            out, ev, relu_ev = fast
            return (None, ev, (out, relu_ev)) if relu_lc is not None else (out, ev, None)
    if layer.kind == "maxpool":
        _, oh, ow = graph.shape(layer.name)
        fast = maxpool(ins[0], layer.kernel, layer.stride, layer.padding, (oh, ow), lc.inputs[0], lc.result,
                       ref=rins[0] if fuse_ref else None)
        if fast is not None:
            ev = {"overflows": fast[1][0], "minmax": tuple(fast[1][1:])}
            if fuse_ref:
                ev.update(ref=fast[2][0], rows=fast[2][1])
            return fast[0], ev, None
    ins = [wide(v) for v in ins]       # what follows reads int64 (sim_ops.storage)
    if layer.kind == "dwconv":
        fast = _dwconv_fast(graph, layer, lc, ins[0])
        if fast is not None:
            return fast[0], fast[1], None
    raw, ev = LAYERS[layer.kind](graph, layer, lc, ins)
    return raw, ev, None


def _concat_into(buf, layer, lc, ins, rins, rows):
    """A concat (FUSED) into its buffer, which some inputs may have been written into in place
    (hwsim.sim.dest): the other inputs are cast into their channels (with the reference, their float values too, and their
    error rows: those of the input when its type is the result's, else a pass of error_rows on the
    cast values; rows are per (n, c, y), so these equal error_rows over the whole output)."""
    c0, overflows, lo, hi, max_err = 0, 0, None, None, 0.0
    for k, (s, raw, t) in enumerate(zip(layer.inputs, ins, lc.inputs)):
        ch = raw.shape[1]
        sl = slice(c0, c0 + ch)
        if s in buf.done:
            (mn, mx), err = buf.done[s]
        else:
            part, cnt = concat_part(lc, raw if t == lc.result else wide(raw), t)
            buf.raw[:, sl] = part
            overflows += cnt
            mn, mx = min_max(part) if part.size else (lo, hi)
            if rins is not None:
                buf.ref[:, sl] = rins[k]
                r = rows[s] if t == lc.result else error_rows(part, rins[k], lc.result.frac)
                buf.err[:, sl], buf.sig[:, sl], err = r
            else:
                err = 0.0
        if mn is not None:
            lo, hi = (mn, mx) if lo is None else (min(lo, mn), max(hi, mx))
        max_err = max(max_err, err)
        c0 += ch
    ev = {"overflows": overflows, "minmax": (lo, hi)}
    if rins is not None:
        ev.update(ref=buf.ref, rows=(buf.err, buf.sig, max_err))
    return buf.raw, ev


def _with_reference(graph, layer, lc, raw, ev, rins, rows):
    """ev with the float reference's values ("ref") and the error statistics ("rows"): those a fast
    kernel produced, else the reference's layer and a pass of sim_ops.error_rows. A concat or
    dropout that passes its inputs through unchanged takes its inputs' rows (FUSED)."""
    if "ref" not in ev:
        from hwsim.sim import reference as fref
        ev["ref"] = fref.apply(graph, layer, rins)
    if "rows" not in ev:
        (src,) = layer.inputs if layer.kind == "dropout" else (None,)
        if FUSED and src in rows and lc.inputs[0] == lc.result:
            ev["rows"] = rows[src]        # a dropout passes its input through unchanged
        else:
            ev["rows"] = error_rows(raw, ev["ref"], lc.result.frac)
    return ev


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


def _stats(layer, lc, raw, ev) -> LayerStats:
    ovf = int(ev.get("overflows", 0))
    sqnr = err = sig = maxerr = None
    if "rows" in ev:
        err, sig, maxerr = total(ev["rows"][0]), total(ev["rows"][1]), ev["rows"][2]
        sqnr = math.inf if err == 0 else (10 * math.log10(sig / err) if sig > 0 else -math.inf)
    count = ev["count"] if raw is None else raw.size
    mm = ev.get("minmax") or (min_max(raw) if raw.size else (0, 0))
    lo, hi = lc.result.to_float(np.array(mm))
    return LayerStats(layer.name, layer.kind, str(lc.result), int(count), float(lo), float(hi),
                      ovf, ovf if lc.result.overflow in _SAT else 0,
                      int(ev.get("accum_overflows", 0)), int(ev.get("nans", 0)),
                      int(ev.get("weight_overflows", 0)), sqnr, err, sig, maxerr)
