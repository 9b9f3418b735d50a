// hwsim kernels: global average pooling, streamed HWC -> C values.
//
// CONFIG_T:
//   static const unsigned in_height, in_width, n_chan;
//   typedef ... accum_t;
// Arithmetic per channel c: accum_t acc = 0; acc = acc + (accum_t)x for every (h, w) in stream
// order; then acc /= N with N = in_height * in_width as an int; output (res_T)acc.
// `acc /= N` keeps accum_t's fractional bits and truncates the raw mantissa quotient TOWARD ZERO
// (verified in tests/cpp/test_pool.cpp). Output: n_chan values (a 1 x 1 x C map).
// Buffering: n_chan accumulators.
#ifndef HWSIM_GAP_H_
#define HWSIM_GAP_H_

#include "hwsim_common.h"

// Loop labels name the loops in HLS reports; g++ -Wall would call them unused.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace hwsim {

template <class data_T, class res_T, typename CONFIG_T>
void global_avg_pool(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    typedef typename CONFIG_T::accum_t accum_t;
    static const int n_pix = (int)(CONFIG_T::in_height * CONFIG_T::in_width);

    accum_t acc[CONFIG_T::n_chan];
InitLoop:
    for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
        HWSIM_PRAGMA(HLS UNROLL)
        acc[c] = 0;
    }
PixLoop:
    for (int p = 0; p < n_pix; p++) {
    ChanLoop:
        for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            HWSIM_PRAGMA(HLS PIPELINE II = 1)
            acc[c] = acc[c] + (accum_t)data.read();
        }
    }
OutLoop:
    for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        accum_t a = acc[c];
        a /= n_pix;
        res.write((res_T)a);
    }
}

} // namespace hwsim

#pragma GCC diagnostic pop

#endif
