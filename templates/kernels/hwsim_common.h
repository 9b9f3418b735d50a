// hwsim kernels: common casting helpers.
//
// Conventions shared by every kernel header in this folder:
// - Streams carry beats: hwsim::beat<T, N> holds N values. A feature map of C x H x W travels in
//   row-major (h, w) order with the channels innermost (HWC), each pixel as C / N beats of N
//   consecutive channels: value (h * W + w) * C + c is lane c % N of beat ((h * W + w) * C + c) / N.
// - A kernel call consumes one whole image from each input stream and writes one whole image.
// - Every kernel is ONE pipelined loop (PIPELINE II=1) whose body runs once per clock: arrays are
//   indexed in it by unrolled constants or by one counter per memory port. In C simulation (never
//   under __SYNTHESIS__) each iteration increments the kernel's counter, cycle_counts()[counter],
//   so the testbench can compare the iterations with the plan (hwsim.hw.units).
// - All sizes and types come from CONFIG_T.
// - Weights and biases arrive as arrays of a plain integer type holding the RAW two's-complement bits
//   of the fixed-point value (the low W bits are used); raw_to<T>() turns them into T.
// - Weight layout: hwsim_mvau.h (PE memories of SIMD-value words, terms in arrival order);
//   hwsim_dwu.h (PE memories of one weight per word, (channel fold, kh, kw) order).
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
// N values of type T moved together: one stream beat.
template <class T, unsigned N> struct beat {
    typedef T value_type;
    static const unsigned size = N;
    T v[N];
    T &operator[](unsigned i) { return v[i]; }
    const T &operator[](unsigned i) const { return v[i]; }
};

// Optional CONFIG_T fields that default to 1 when the struct does not declare them (the generator
// writes them only when they differ from 1, so that existing projects keep their code):
// taps_of<C>::value is C::taps (the sliding window's kernel taps per beat), simd_of<C>::value is
// C::simd (the depthwise unit's kernel taps per iteration).
template <class> struct void_of { typedef void type; };
template <class C, class = void> struct taps_of { static const unsigned value = 1; };
template <class C> struct taps_of<C, typename void_of<decltype(C::taps)>::type> {
    static const unsigned value = C::taps;
};
template <class C, class = void> struct simd_of { static const unsigned value = 1; };
template <class C> struct simd_of<C, typename void_of<decltype(C::simd)>::type> {
    static const unsigned value = C::simd;
};

// Iteration counters of the C simulation, one per kernel call site (CONFIG_T::counter).
static const unsigned MAX_KERNELS = 4096;
#ifndef __SYNTHESIS__
inline unsigned long long *cycle_counts() {
    static unsigned long long counts[MAX_KERNELS] = {0};
    return counts;
}
#ifndef HWSIM_COUNT
#define HWSIM_COUNT(id) (::hwsim::cycle_counts()[(id)]++)
#endif
#else
#define HWSIM_COUNT(id)
#endif

// The dataflow region's kernel calls and stream depths (top.cpp). Here a call is the call and the
// depth is the STREAM pragma's alone; the bounded C simulation (bounded/hls_stream.h, defined
// before this) runs each call in a thread and bounds each stream at its depth.
#ifndef HWSIM_PROCESS
#define HWSIM_PROCESS(...) __VA_ARGS__
#define HWSIM_STREAM_DEPTH(s, n)
#define HWSIM_DATAFLOW_END()
#endif

// (ap_fixed_base::setBits keeps the low W bits of its argument; a negative raw value converts to
// its two's complement first, so the low W bits are the same. About 3x faster in C simulation than
// a range assignment, the same bits: tests/cpp/test_stream.cpp checks every W against it.)
template <class T, class raw_T> inline T raw_to(raw_T raw) {
    HWSIM_PRAGMA(HLS INLINE)
    static_assert(T::width <= 64, "raw_to: at most 64 bits");
    T v;
    v.setBits((ap_ulong)(long long)raw);
    return v;
}

// The smallest value of T (max pooling pads with it): the lone sign bit if T is signed, else 0.
template <class T> inline T lowest() {
    HWSIM_PRAGMA(HLS INLINE)
    T v = 0;
    v[T::width - 1] = 1;
    return v < 0 ? v : T(0);
}

// Raw mantissa of the W-bit value v, sign-extended when S (signed type): the inverse of raw_to.
template <unsigned W, bool S, class T> inline int64_t raw_of(const T &v) {
    uint64_t u = v.range(W - 1, 0).to_uint64();
    if (S && ((u >> (W - 1)) & 1)) {
        return (int64_t)u - ((int64_t)1 << W);
    }
    return (int64_t)u;
}

// Fused activations (CONFIG_T::activation): 0 none, 1 ReLU, 2 ReLU6.
static const unsigned ACT_NONE = 0, ACT_RELU = 1, ACT_RELU6 = 2;

// Output cast of a conv / dense / depthwise accumulator, then the fused activation on the value in
// result_t (the simulator's: the activation reads its input type, the layer's result type):
//   result_t r = (result_t)acc;
//   ACT_NONE:  (res_T)r
//   ACT_RELU:  r > 0 ? (res_T)r : (res_T)0
//   ACT_RELU6: r > 0 ? (r < 6 ? (res_T)r : (res_T)6) : (res_T)0
template <class res_T, class result_T, unsigned act, class accum_T> inline res_T cast_result(const accum_T &acc) {
    HWSIM_PRAGMA(HLS INLINE)
    static_assert(act <= ACT_RELU6, "cast_result: activation code 0, 1 or 2");
    result_T r = (result_T)acc;
    if (act == ACT_RELU) {
        return r > 0 ? (res_T)r : (res_T)0;
    }
    if (act == ACT_RELU6) {
        return r > 0 ? (r < 6 ? (res_T)r : (res_T)6) : (res_T)0;
    }
    return (res_T)r;
}

} // namespace hwsim

#pragma GCC diagnostic pop

#endif
