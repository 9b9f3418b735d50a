"""One function per kernel of templates/kernels (hwsim_swu.h, hwsim_mvau.h, hwsim_dwu.h, hwsim_stream.h): its loop count, memories, multipliers
and CONFIG_T fields, from the geometry and the folding. These are the only formulas of the design;
C simulation counts the kernels' iterations and compares them with `cycles` (hwsim csim).

Streams move beats of `width` values of one channel-last pixel (HWC order, channels split into
C / width beats). Every kernel is one loop with `PIPELINE II=1`, one iteration per cycle:

- swu (sliding window, conv KxK and pools): buffers `rows` = KH + SH input rows of W x C/SIMD words
  of SIMD values, and emits, per output pixel, C/SIMD x KH x KW / TAPS beats in (channel fold, kh,
  kw block) order, TAPS kernel taps of SIMD values per beat (tap-major lanes); TAPS (`taps`) is 1,
  or KW for a depthwise conv at simd KW (one kernel row per beat; the buffer's column dimension is
  then partitioned cyclically into KW banks, memories KW x (SIMD x bits) wide). Padding is
  generated, never stored. Step 0 reads the real rows of the first KH padded rows;
  step s = 1..OH emits output row s-1 (E = OW x C/SIMD x KH x KW/TAPS beats) while it reads the real
  rows of padded rows [(s-1) SH + KH, s SH + KH): the step lasts max(E, reads). cycles = the sum.
  The `taps` field is written only when it is not 1 (the kernel defaults it to 1).
- mvau (matrix-vector, conv and dense): pixels x (F / PE) x (C KH KW / SIMD); PE x SIMD products
  per iteration, in DSPs (hwsim.hw.compute's width rule, or mult_style dsp) or in LUTs (products
  of at most 4 x 8 bits, or mult_style lut). Weights: PE memories of SIMD x weight bits, (F/PE)(C KH KW/SIMD) deep; biases: PE
  memories of F/PE; the input buffer holds one pixel's C KH KW / SIMD words when F/PE > 1.
- dwu (depthwise, finn-hlslib's Vector_Vector_Activate_Batch): reads the sliding window's beats
  (its simd = the dwu's PE, its taps = the dwu's SIMD; (channel fold, kh, kw block) order), SIMD
  taps of PE channels per iteration, SIMD in {1, KW} (one tap, or one kernel row): out pixels x
  (C/PE) x KH KW / SIMD; PE x SIMD multipliers (DSPs by hwsim.hw.compute's rule, as mvau), each lane
  adding its SIMD products in kw order (the simulator's order of additions). Weights: PE memories
  of SIMD x weight bits, (C/PE) KH KW / SIMD deep; biases: PE memories of C/PE; PE accumulators.
  Any other simd is refused (hwsim.hw.pipeline). The `simd` field is written only when it is not 1.
  LUTs: hwsim.hw.luts.dwu_luts.
- conv / dense / dwconv `activation` (CONFIG_T): 0 none, 1 fused ReLU, 2 fused ReLU6.
- pool (max / average over the window beats): out pixels x C/PE x KH KW.
- cast (identity with a type change): pixels x C/PE.
- gap: in pixels x C/PE; C/PE words of PE accumulators.
- concat: pixels x (C1 + C2)/PE.  add and split: pixels x C/PE.
- convert (width converter A -> B values per beat, A and B dividing C): per chunk of L = lcm(A, B)
  values, max(L/A, L/B) iterations: cycles = values / min(A, B).
"""
from __future__ import annotations

import math

from hwsim.hw import luts as L
from hwsim.hw.blocks import map_memory
from hwsim.hw.compute import dsp_per_multiplier
from hwsim.hw.plan import Unit


def _luts(logic: int, mems) -> int:
    return logic + sum(L.memory_luts(m) for m in mems)


def real_rows(lo: int, hi: int, pad: int, n: int) -> int:
    """Input rows (not padding) among padded rows [lo, hi) of an n-row input padded by `pad`."""
    return max(0, min(hi, pad + n) - max(lo, pad))


def swu_cycles(h: int, w: int, cf: int, kh: int, kw: int, sh: int, ph: int, oh: int, ow: int,
               taps: int = 1) -> int:
    emit = ow * cf * kh * (kw // taps)
    total = real_rows(0, kh, ph, h) * w * cf
    for s in range(1, oh + 1):
        total += max(emit, real_rows((s - 1) * sh + kh, s * sh + kh, ph, h) * w * cf)
    return total


def swu(name, layer, in_shape, out_hw, kernel, stride, padding, simd, bits, pad_min, device, taps=1) -> Unit:
    c, h, w = in_shape
    oh, ow = out_hw
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    if taps not in (1, kw):
        raise ValueError(f"unit {name}: taps {taps} is not 1 or the kernel width {kw}")
    cf = c // simd
    rows = kh + sh
    if taps == 1:
        mem = map_memory("window buffer", simd * bits, rows * w * cf, "auto", device)
    else:               # the column dimension in `taps` cyclic banks
        mem = map_memory("window buffer", simd * bits, rows * math.ceil(w / taps) * cf, "auto", device,
                         count=taps)
    fields = (("in_height", h), ("in_width", w), ("n_chan", c), ("simd", simd), ("filt_height", kh),
              ("filt_width", kw), ("stride_height", sh), ("stride_width", sw), ("pad_height", ph),
              ("pad_width", pw), ("out_height", oh), ("out_width", ow), ("rows", rows), ("pad_min", pad_min))
    if taps != 1:
        fields += (("taps", taps),)
    return Unit("swu", name, layer, swu_cycles(h, w, cf, kh, kw, sh, ph, oh, ow, taps), (simd,), simd * taps,
                (mem,), fields=fields, luts=_luts(L.swu_luts(simd * taps, bits), (mem,)))


MULT_CODES = {"auto": 0, "dsp": 1, "lut": 2}


ACTIVATIONS = {None: 0, "relu": 1, "relu6": 2}


def _per_multiplier(bits, weight_bits, device, mult_style) -> int:
    per = dsp_per_multiplier(bits, weight_bits, device)
    if mult_style == "lut":
        return 0
    if mult_style == "dsp":
        return max(1, per)
    return per


def mvau(name, layer, pixels, n_in, n_out, simd, pe, bits, weight_storage, bias_bits, accum_bits, activation,
         ram_style, device, mult_style="auto") -> Unit:
    """weight_storage: (entries, entry_bits) of the weight tensor (entries = n_in x n_out unless
    Deep Compression replaces them); bias_bits None without a bias; activation: the code
    (ACTIVATIONS) of the fused activation."""
    sf, nf = n_in // simd, n_out // pe
    entries, entry_bits = weight_storage
    mems = [map_memory("weights", simd * entry_bits, max(1, math.ceil(entries / (pe * simd))), ram_style,
                       device, count=pe)]
    if bias_bits is not None:
        mems.append(map_memory("biases", bias_bits, nf, ram_style, device, count=pe))
    if nf > 1:
        mems.append(map_memory("input buffer", simd * bits, sf, "auto", device))
    mems.append(map_memory("accumulators", accum_bits, 1, "reg", device, count=pe))
    mult = pe * simd
    per = _per_multiplier(bits, entry_bits, device, mult_style)
    fields = (("pixels", pixels), ("n_in", n_in), ("n_out", n_out), ("simd", simd), ("pe", pe), ("sf", sf),
              ("nf", nf), ("activation", activation), ("mult", MULT_CODES[mult_style]))
    logic = L.mvau_luts(pe, simd, bits, entry_bits, accum_bits, per == 0)
    return Unit("mvau", name, layer, pixels * nf * sf, (simd,), pe, tuple(mems), mult, mult * per, fields,
                luts=_luts(logic, mems))


def dwu(name, layer, out_pixels, c, kernel, pe, bits, weight_storage, bias_bits, accum_bits, activation,
        ram_style, device, mult_style="auto", simd=1) -> Unit:
    """The depthwise unit (module doc); weight_storage (entries, entry_bits), entries = C KH KW unless
    Deep Compression replaces them; bias_bits None without a bias; simd: taps per iteration, 1 or KW."""
    kh, kw = kernel
    if simd not in (1, kw):
        raise ValueError(f"unit {name}: simd {simd} is not 1 or the kernel width {kw}")
    taps, cf = kh * kw, c // pe
    entries, entry_bits = weight_storage
    mems = [map_memory("weights", simd * entry_bits, max(1, math.ceil(entries / (pe * simd))), ram_style, device,
                       count=pe)]
    if bias_bits is not None:
        mems.append(map_memory("biases", bias_bits, cf, ram_style, device, count=pe))
    mems.append(map_memory("accumulators", accum_bits, 1, "reg", device, count=pe))
    per = _per_multiplier(bits, entry_bits, device, mult_style)
    fields = (("pixels", out_pixels), ("n_chan", c), ("pe", pe), ("cf", cf), ("taps", taps), ("filt_height", kh),
              ("filt_width", kw), ("activation", activation), ("mult", MULT_CODES[mult_style]))
    if simd != 1:
        fields += (("simd", simd),)
    logic = L.dwu_luts(pe, bits, entry_bits, accum_bits, per == 0, simd)
    mult = pe * simd
    return Unit("dwu", name, layer, out_pixels * cf * (taps // simd), (pe * simd,), pe, tuple(mems), mult,
                mult * per, fields, luts=_luts(logic, mems))


def pool(name, layer, out_pixels, c, taps, pe, bits, acc_bits, average, area, device) -> Unit:
    mem = map_memory("accumulators", acc_bits, 1, "reg", device, count=pe)
    fields = (("pixels", out_pixels), ("n_chan", c), ("pe", pe), ("cf", c // pe), ("taps", taps),
              ("average", average), ("area", area))
    return Unit("pool", name, layer, out_pixels * (c // pe) * taps, (pe,), pe, (mem,), fields=fields,
                luts=L.pool_luts(pe, bits, acc_bits, average))


def cast(name, layer, pixels, c, pe, bits) -> Unit:
    return Unit("cast", name, layer, pixels * (c // pe), (pe,), pe,
                fields=(("pixels", pixels), ("n_chan", c), ("pe", pe), ("cf", c // pe)),
                luts=L.lane_luts("cast", pe, bits))


def gap(name, layer, in_pixels, c, pe, acc_bits, device) -> Unit:
    cf = c // pe
    mem = map_memory("accumulators", pe * acc_bits, cf, "auto", device)
    return Unit("gap", name, layer, in_pixels * cf, (pe,), pe, (mem,),
                fields=(("pixels", in_pixels), ("n_chan", c), ("pe", pe), ("cf", cf)),
                luts=_luts(L.pool_luts(pe, acc_bits, acc_bits, True), (mem,)))


def concat(name, layer, pixels, c1, c2, pe, bits) -> Unit:
    return Unit("concat", name, layer, pixels * (c1 + c2) // pe, (pe, pe), pe,
                fields=(("pixels", pixels), ("n_chan1", c1), ("n_chan2", c2), ("pe", pe),
                        ("cf1", c1 // pe), ("cf2", c2 // pe)), luts=L.lane_luts("concat", pe, bits))


def add(name, layer, pixels, c, pe, bits, activation: int = 0) -> Unit:
    """Elementwise sum of two streams, cast to the add's result type, then its fused activation
    (ACTIVATIONS: a ReLU / ReLU6 that reads only the add, as in a residual block)."""
    return Unit("add", name, layer, pixels * (c // pe), (pe, pe), pe,
                fields=(("pixels", pixels), ("n_chan", c), ("pe", pe), ("cf", c // pe), ("activation", activation)),
                luts=L.lane_luts("add", pe, bits))


def split(name, layer, pixels, c, pe) -> Unit:
    return Unit("split", name, layer, pixels * (c // pe), (pe,), pe,
                fields=(("pixels", pixels), ("n_chan", c), ("pe", pe), ("cf", c // pe)),
                luts=L.lane_luts("split", pe, 0))


def convert(name, layer, pixels, c, a, b, bits, device) -> Unit:
    chunk = math.lcm(a, b)
    chunks = pixels * c // chunk
    mem = map_memory("converter register", bits, chunk, "reg", device)
    return Unit("convert", name, layer, chunks * max(chunk // a, chunk // b), (a,), b, (mem,),
                fields=(("in_pe", a), ("out_pe", b), ("chunk", chunk), ("chunks", chunks),
                        ("reads", chunk // a), ("writes", chunk // b)),
                luts=L.lane_luts("convert", b, bits, chunk))


def fifo(role, width, bits, depth, device):
    """The memory of one stream: depth beats of width x bits (SRL / LUTRAM when small)."""
    return map_memory(role, width * bits, max(1, depth), "auto", device)
