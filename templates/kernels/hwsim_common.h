// hwsim kernels: common casting helpers.
//
// Conventions shared by every kernel header in this folder:
// - Streams carry ONE scalar per element. A feature map of C x H x W travels in row-major (h, w)
//   order with the channels innermost (HWC): element index (h * W + w) * C + c.
// - A kernel call consumes one whole image from each input stream and writes one whole image.
// - All sizes and types come from CONFIG_T; all loops have bounds fixed by CONFIG_T.
// - Weights and biases arrive as arrays of a plain integer type holding the RAW two's-complement bits
//   of the fixed-point value (the low W bits are used); raw_to<T>() turns them into T.
// - Weight layout: PyTorch (out, in, kh, kw) flattened; biases (out,).
// Synthesizable for Vitis HLS / Vivado HLS: no dynamic allocation, no recursion, no STL, no virtuals.
#ifndef HWSIM_COMMON_H_
#define HWSIM_COMMON_H_

#include "ap_fixed.h"
#include "ap_int.h"
#include "hls_stream.h"

// HLS pragmas are written HWSIM_PRAGMA(HLS ...): they reach the HLS compiler (which defines
// __SYNTHESIS__) and vanish for g++, whose -Wall would otherwise reject them as unknown pragmas.
#ifndef HWSIM_PRAGMA
#ifdef __SYNTHESIS__
#define HWSIM_PRAGMA(x) _Pragma(#x)
#else
#define HWSIM_PRAGMA(x)
#endif
#endif

namespace hwsim {

// Fixed-point value of type T whose W = T::width bits are the low bits of `raw`.
template <class T, class raw_T> inline T raw_to(raw_T raw) {
    HWSIM_PRAGMA(HLS INLINE)
    T v = 0;
    v.range(T::width - 1, 0) = raw;
    return v;
}

// Output cast of a conv / dense accumulator:
//   result_t r = (result_t)acc;  out = relu ? (r > 0 ? (res_T)r : (res_T)0) : (res_T)r.
template <class res_T, class result_T, bool relu, class accum_T> inline res_T cast_result(const accum_T &acc) {
    HWSIM_PRAGMA(HLS INLINE)
    result_T r = (result_T)acc;
    if (relu) {
        return r > 0 ? (res_T)r : (res_T)0;
    }
    return (res_T)r;
}

// Slot of input row `row` in a circular buffer of K rows, given that row `cur` sits in slot
// `cur_slot`; requires cur - K < row <= cur. Avoids a modulo by a non power of two.
template <unsigned K> inline unsigned ring_slot(unsigned cur_slot, unsigned cur, unsigned row) {
    HWSIM_PRAGMA(HLS INLINE)
    unsigned s = cur_slot + K - (cur - row);
    return s >= K ? s - K : s;
}

// Last input row (clipped to [0, n - 1]) that output row `o` of a window k / stride s / pad p reads.
inline unsigned last_needed_row(unsigned o, unsigned k, unsigned s, unsigned p, unsigned n) {
    HWSIM_PRAGMA(HLS INLINE)
    int last = (int)(o * s + k) - (int)p - 1;
    if (last < 0) {
        return 0;
    }
    return last >= (int)n ? n - 1 : (unsigned)last;
}

} // namespace hwsim

#endif
