// hwsim kernels: channel concat, elementwise add, and a stream splitter (fan-out for DATAFLOW).
//
// CONFIG_T for concat: height, width, n_chan1, n_chan2.
//   Per pixel, the n_chan1 values of `a` then the n_chan2 values of `b`, each written as (res_T)v.
// CONFIG_T for add: height, width, n_chan.   Output (res_T)(a + b), the sum exact in ap_fixed.
// CONFIG_T for split: height, width, n_chan. Copies every value unchanged to both outputs.
// Buffering: none (one value at a time).
#ifndef HWSIM_MERGE_H_
#define HWSIM_MERGE_H_

#include "hwsim_common.h"

// Loop labels name the loops in HLS reports; g++ -Wall would call them unused.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace hwsim {

template <class a_T, class b_T, class res_T, typename CONFIG_T>
void concat(hls::stream<a_T> &a, hls::stream<b_T> &b, hls::stream<res_T> &res) {
PixLoop:
    for (unsigned p = 0; p < CONFIG_T::height * CONFIG_T::width; p++) {
    CopyA:
        for (unsigned c = 0; c < CONFIG_T::n_chan1; c++) {
            HWSIM_PRAGMA(HLS PIPELINE II = 1)
            res.write((res_T)a.read());
        }
    CopyB:
        for (unsigned c = 0; c < CONFIG_T::n_chan2; c++) {
            HWSIM_PRAGMA(HLS PIPELINE II = 1)
            res.write((res_T)b.read());
        }
    }
}

template <class a_T, class b_T, class res_T, typename CONFIG_T>
void add(hls::stream<a_T> &a, hls::stream<b_T> &b, hls::stream<res_T> &res) {
AddLoop:
    for (unsigned i = 0; i < CONFIG_T::height * CONFIG_T::width * CONFIG_T::n_chan; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        a_T x = a.read();
        b_T y = b.read();
        res.write((res_T)(x + y));
    }
}

template <class data_T, typename CONFIG_T>
void split(hls::stream<data_T> &data, hls::stream<data_T> &out1, hls::stream<data_T> &out2) {
SplitLoop:
    for (unsigned i = 0; i < CONFIG_T::height * CONFIG_T::width * CONFIG_T::n_chan; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        data_T x = data.read();
        out1.write(x);
        out2.write(x);
    }
}

} // namespace hwsim

#pragma GCC diagnostic pop

#endif
