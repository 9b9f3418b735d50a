// hwsim kernels: the depthwise unit of depthwise convolutions (one pipelined loop), after
// finn-hlslib's Vector_Vector_Activate_Batch: PE channel lanes, one window beat (PE channels of SIMD
// kernel taps: one tap, or one whole kernel row) per iteration, the output beat at the last one.
//
// CONFIG_T:
//   static const unsigned pixels;        output pixels per image
//   static const unsigned n_chan, pe, cf;  channels; channels in parallel; n_chan / pe
//   static const unsigned taps;          kernel taps KH x KW
//   static const unsigned filt_height, filt_width;
//   static const unsigned activation;    fused activation: 0 none, 1 ReLU, 2 ReLU6 (cast_result)
//   static const unsigned mult;          0 the tool's choice, 1 DSPs, 2 LUTs (hwsim_mvau.h's multiply)
//   static const unsigned counter;       index of this call's iteration counter
//   static const unsigned simd;          optional, default 1 (simd_of): kernel taps per iteration,
//                                        1 or filt_width (one kernel row kh: taps kw = 0 .. KW-1)
//   typedef ... weight_t, bias_t, accum_t, result_t, weight_raw_t, bias_raw_t;
// weights[p][f * taps + t]: the weight of channel f * pe + p at tap t = kh * KW + kw (raw bits); with
// SIMD = KW the generator reshapes dim 2 cyclically by KW, so that one word holds the KW weights of
// one kernel row (PE memories of KW x weight bits, CF x KH deep).
// biases[p][f]: the bias of channel f * pe + p (zeros for a layer without bias).
//
// The input is the sliding window's beats of SIMD x PE values (tap-major: lane j * PE + p is channel
// f * PE + p at tap t * SIMD + j) in (channel fold, kh, kw block) order per output pixel
// (hwsim_swu.h with simd = pe, taps = SIMD). The loop runs pixels x cf x taps / SIMD iterations;
// iteration (pixel, f, t) reads one beat and each lane p adds its SIMD products one after the other:
//   a = (t == 0 ? (accum_t)bias : acc[p]); for j: a = a + (accum_t)(x[j * PE + p] * w[tap t SIMD + j])
// -- the simulator's order (kh, kw row-major), one addition at a time, so that a narrow saturating
// accumulator gives the same bits -- and at the iteration's last t writes one beat of PE outputs,
// result_t r = (result_t)acc, the fused activation and the cast to res_T (cast_result).
#ifndef HWSIM_DWU_H_
#define HWSIM_DWU_H_

#include "hwsim_common.h"
#include "hwsim_mvau.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace hwsim {

template <class data_T, class res_T, typename CONFIG_T>
void dwu(hls::stream<data_T> &in, hls::stream<res_T> &out,
         const typename CONFIG_T::weight_raw_t weights[CONFIG_T::pe][CONFIG_T::cf * CONFIG_T::taps],
         const typename CONFIG_T::bias_raw_t biases[CONFIG_T::pe][CONFIG_T::cf]) {
    typedef typename CONFIG_T::accum_t accum_t;
    static const unsigned PE = CONFIG_T::pe;
    static const unsigned CF = CONFIG_T::cf;
    static const unsigned TAPS = CONFIG_T::taps;
    static const unsigned SIMD = simd_of<CONFIG_T>::value;
    static const unsigned ITERS = TAPS / SIMD;            // iterations per channel fold
    static const unsigned long TOTAL = (unsigned long)CONFIG_T::pixels * CF * ITERS;
    static_assert(SIMD == 1 || SIMD == CONFIG_T::filt_width, "dwu: simd must be 1 or filt_width");
    static_assert(data_T::size == PE * SIMD && res_T::size == PE, "dwu: beats of pe x simd values in, pe out");
    static_assert(CF * PE == CONFIG_T::n_chan, "dwu: pe must divide the channels");
    static_assert(TAPS == CONFIG_T::filt_height * CONFIG_T::filt_width, "dwu: taps = KH x KW");
    static_assert(CONFIG_T::counter < MAX_KERNELS, "counter out of range");

    accum_t acc[PE];
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = acc complete)
    unsigned t = 0, f = 0;
Depthwise:
    for (unsigned long i = 0; i < TOTAL; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        HWSIM_COUNT(CONFIG_T::counter);
        const data_T x = in.read();
        const unsigned tile = f * TAPS + t * SIMD;
    Lanes:
        for (unsigned p = 0; p < PE; p++) {
            HWSIM_PRAGMA(HLS UNROLL)
            accum_t a = t == 0 ? (accum_t)raw_to<typename CONFIG_T::bias_t>(biases[p][f]) : acc[p];
        Taps:
            for (unsigned j = 0; j < SIMD; j++) {
                HWSIM_PRAGMA(HLS UNROLL)
                a = a + (accum_t)multiply<CONFIG_T::mult>::run(
                            x[j * PE + p], raw_to<typename CONFIG_T::weight_t>(weights[p][tile + j]));
            }
            acc[p] = a;
        }
        if (t == ITERS - 1) {
            res_T y;
        Outputs:
            for (unsigned p = 0; p < PE; p++) {
                HWSIM_PRAGMA(HLS UNROLL)
                y[p] = cast_result<typename res_T::value_type, typename CONFIG_T::result_t, CONFIG_T::activation>(acc[p]);
            }
            out.write(y);
        }
        if (++t == ITERS) {
            t = 0;
            f = f + 1 == CF ? 0 : f + 1;
        }
    }
}

} // namespace hwsim

#pragma GCC diagnostic pop

#endif
