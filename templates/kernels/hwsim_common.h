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

#include <stdint.h>

#include "ap_fixed.h"
#include "ap_int.h"
#include "hls_stream.h"

// Loop labels name the loops in HLS reports; g++ -Wall would call them unused.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

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

// Raw mantissa of the W-bit value v, sign-extended when S (signed type): the inverse of raw_to.
template <unsigned W, bool S, class T> inline int64_t raw_of(const T &v) {
    uint64_t u = v.range(W - 1, 0).to_uint64();
    if (S && ((u >> (W - 1)) & 1)) {
        return (int64_t)u - ((int64_t)1 << W);
    }
    return (int64_t)u;
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

// Sliding windows (conv2d and the pools) walk the zero-padded image in row-major order, one padded
// position (y, x) at a time: positions inside the image read C values from the stream, padding
// positions contribute zeros without reading. The walk covers every input position and every window
// (a ceil-mode pool's last window may end past the padding): `window_extent` rows and columns.
constexpr unsigned window_extent(unsigned n, unsigned pad, unsigned out, unsigned k, unsigned s) {
    return pad + n > (out - 1) * s + k ? pad + n : (out - 1) * s + k;
}

// Line-buffer rows of a KH-tall window: KH - 1 (one unused row when KH == 1).
constexpr unsigned line_rows(unsigned kh) { return kh > 1 ? kh - 1 : 1; }

// Shift value v of channel c at padded column x into the window (hls4ml's line-buffer scheme):
//   line[k][x * C + c], k = 0 .. KH-2, holds padded rows y-KH+1 .. y-1 of column x (oldest first);
//   win[(kh * KW + kw) * C + c] holds the KH x KW x C window whose bottom-right corner is (y, x).
// The column (line rows + v) moves up one row in the line buffer and enters the window on the right.
template <class T, unsigned KH, unsigned KW, unsigned WE, unsigned C>
inline void window_push(T line[line_rows(KH)][WE * C], T win[KH * KW * C], unsigned x, unsigned c, const T &v) {
    HWSIM_PRAGMA(HLS INLINE)
    T col[KH];
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = col complete)
    col[KH - 1] = v;
ReadColumn:
    for (unsigned k = 0; k + 1 < KH; k++) {
        HWSIM_PRAGMA(HLS UNROLL)
        col[k] = line[k][x * C + c];
    }
ShiftColumn:
    for (unsigned k = 0; k + 1 < KH; k++) {
        HWSIM_PRAGMA(HLS UNROLL)
        line[k][x * C + c] = col[k + 1];
    }
ShiftWindow:
    for (unsigned kh = 0; kh < KH; kh++) {
        HWSIM_PRAGMA(HLS UNROLL)
        for (unsigned kw = 0; kw + 1 < KW; kw++) {
            HWSIM_PRAGMA(HLS UNROLL)
            win[(kh * KW + kw) * C + c] = win[(kh * KW + kw + 1) * C + c];
        }
        win[(kh * KW + KW - 1) * C + c] = col[kh];
    }
}

} // namespace hwsim

#pragma GCC diagnostic pop

#endif
