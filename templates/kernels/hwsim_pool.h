// hwsim kernels: max and average pooling, KxK, stride S, padding P, streamed HWC.
//
// CONFIG_T:
//   static const unsigned in_height, in_width, n_chan;
//   static const unsigned pool_height, pool_width, stride_height, stride_width, pad_height, pad_width;
//   static const bool ceil_mode;                          (max pool only; average pool: false)
//   static const unsigned out_height, out_width;          PyTorch's output size, see pool_out_size()
//   typedef ... accum_t;                                  (average pool only)
//
// Max pool: the maximum over the in-range positions of the window only (padding and positions past
// the bottom / right edge in ceil mode are ignored, never read as zero), compared exactly in data_T,
// then (res_T)max. Overlapping windows (pool > stride, e.g. SqueezeNet's 3x3/2) are supported.
//
// Average pool (count_include_pad, floor mode): accum_t acc = 0; acc = acc + (accum_t)x for each
// in-range position (a padding position adds 0); then acc /= N with N = pool_height * pool_width
// as an int; output (res_T)acc.
// Verified rule for `acc /= N` (ap_fixed divided by a C int, see tests/cpp/test_pool.cpp): the
// quotient keeps accum_t's fractional bits and is the integer division of acc's raw mantissa by N,
// truncated TOWARD ZERO (C semantics), whatever accum_t's quantization mode; it always fits accum_t.
//
// Buffering: a ring of pool_height input rows of W * C words (as in hwsim_conv.h); input row ih is
// read whole, then every output row whose last needed input row (clipped to H - 1) is ih is emitted.
#ifndef HWSIM_POOL_H_
#define HWSIM_POOL_H_

#include "hwsim_common.h"

// Loop labels name the loops in HLS reports; g++ -Wall would call them unused.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace hwsim {

// PyTorch's pooling output size (ceil mode: the last window must start inside input + left padding).
constexpr unsigned pool_out_size(unsigned n, unsigned k, unsigned s, unsigned p, bool ceil_mode) {
    return (ceil_mode ? (n + 2 * p - k + s - 1) / s + 1 : (n + 2 * p - k) / s + 1) -
           ((ceil_mode && ((n + 2 * p - k + s - 1) / s) * s >= n + p) ? 1 : 0);
}

template <typename CONFIG_T> inline void check_pool_config() {
    static_assert(CONFIG_T::stride_height >= 1 && CONFIG_T::stride_width >= 1, "stride must be >= 1");
    static_assert(2 * CONFIG_T::pad_height <= CONFIG_T::pool_height && 2 * CONFIG_T::pad_width <= CONFIG_T::pool_width,
                  "pad should be at most half of the pool size");
    static_assert(CONFIG_T::in_height + 2 * CONFIG_T::pad_height >= CONFIG_T::pool_height &&
                      CONFIG_T::in_width + 2 * CONFIG_T::pad_width >= CONFIG_T::pool_width,
                  "pool larger than the padded input");
    static_assert(CONFIG_T::out_height == pool_out_size(CONFIG_T::in_height, CONFIG_T::pool_height,
                                                        CONFIG_T::stride_height, CONFIG_T::pad_height,
                                                        CONFIG_T::ceil_mode),
                  "out_height does not match PyTorch's pooling output size");
    static_assert(CONFIG_T::out_width == pool_out_size(CONFIG_T::in_width, CONFIG_T::pool_width,
                                                       CONFIG_T::stride_width, CONFIG_T::pad_width,
                                                       CONFIG_T::ceil_mode),
                  "out_width does not match PyTorch's pooling output size");
}

// Max over the in-range window positions of output row `oh`.
struct max_pool_row {
    template <class data_T, class res_T, typename CONFIG_T>
    static void run(const data_T lines[CONFIG_T::pool_height][CONFIG_T::in_width * CONFIG_T::n_chan],
                    unsigned cur_slot, unsigned cur, unsigned oh, hls::stream<res_T> &res) {
        const int top = (int)(oh * CONFIG_T::stride_height) - (int)CONFIG_T::pad_height;
    OutColLoop:
        for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
            const int left = (int)(ow * CONFIG_T::stride_width) - (int)CONFIG_T::pad_width;
        ChanLoop:
            for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
                data_T m = 0;
                bool first = true;
            KhLoop:
                for (unsigned kh = 0; kh < CONFIG_T::pool_height; kh++) {
                KwLoop:
                    for (unsigned kw = 0; kw < CONFIG_T::pool_width; kw++) {
                        HWSIM_PRAGMA(HLS PIPELINE II = 1)
                        const int ih = top + (int)kh;
                        const int iw = left + (int)kw;
                        if (ih >= 0 && ih < (int)CONFIG_T::in_height && iw >= 0 && iw < (int)CONFIG_T::in_width) {
                            data_T x = lines[ring_slot<CONFIG_T::pool_height>(cur_slot, cur, (unsigned)ih)]
                                            [(unsigned)iw * CONFIG_T::n_chan + c];
                            if (first || x > m) {
                                m = x;
                            }
                            first = false;
                        }
                    }
                }
                res.write((res_T)m);
            }
        }
    }
};

// Window sum in accum_t divided by the window area (count_include_pad) for output row `oh`.
struct avg_pool_row {
    template <class data_T, class res_T, typename CONFIG_T>
    static void run(const data_T lines[CONFIG_T::pool_height][CONFIG_T::in_width * CONFIG_T::n_chan],
                    unsigned cur_slot, unsigned cur, unsigned oh, hls::stream<res_T> &res) {
        typedef typename CONFIG_T::accum_t accum_t;
        static const int area = (int)(CONFIG_T::pool_height * CONFIG_T::pool_width);
        const int top = (int)(oh * CONFIG_T::stride_height) - (int)CONFIG_T::pad_height;
    OutColLoop:
        for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
            const int left = (int)(ow * CONFIG_T::stride_width) - (int)CONFIG_T::pad_width;
        ChanLoop:
            for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
                accum_t acc = 0;
            KhLoop:
                for (unsigned kh = 0; kh < CONFIG_T::pool_height; kh++) {
                KwLoop:
                    for (unsigned kw = 0; kw < CONFIG_T::pool_width; kw++) {
                        HWSIM_PRAGMA(HLS PIPELINE II = 1)
                        const int ih = top + (int)kh;
                        const int iw = left + (int)kw;
                        if (ih >= 0 && ih < (int)CONFIG_T::in_height && iw >= 0 && iw < (int)CONFIG_T::in_width) {
                            acc = acc + (accum_t)lines[ring_slot<CONFIG_T::pool_height>(cur_slot, cur, (unsigned)ih)]
                                                      [(unsigned)iw * CONFIG_T::n_chan + c];
                        }
                    }
                }
                acc /= area;
                res.write((res_T)acc);
            }
        }
    }
};

// Shared row-ring driver: reads the whole image row by row, emits each output row once ready.
template <class data_T, class res_T, typename CONFIG_T, class ROW_T>
void pool2d_rows(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    check_pool_config<CONFIG_T>();
    // Output rows that can become ready after one input row (all remaining ones after the last row).
    static const unsigned max_emit = (CONFIG_T::pool_height + CONFIG_T::pad_height) / CONFIG_T::stride_height + 1;

    data_T lines[CONFIG_T::pool_height][CONFIG_T::in_width * CONFIG_T::n_chan];
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = lines complete dim = 1)

    unsigned slot = 0;
    unsigned next_oh = 0;
RowLoop:
    for (unsigned ih = 0; ih < CONFIG_T::in_height; ih++) {
    ReadRow:
        for (unsigned i = 0; i < CONFIG_T::in_width * CONFIG_T::n_chan; i++) {
            HWSIM_PRAGMA(HLS PIPELINE II = 1)
            lines[slot][i] = data.read();
        }
    EmitRows:
        for (unsigned e = 0; e < max_emit; e++) {
            if (next_oh < CONFIG_T::out_height &&
                last_needed_row(next_oh, CONFIG_T::pool_height, CONFIG_T::stride_height, CONFIG_T::pad_height,
                                CONFIG_T::in_height) <= ih) {
                ROW_T::template run<data_T, res_T, CONFIG_T>(lines, slot, ih, next_oh, res);
                next_oh++;
            }
        }
        slot = (slot + 1 == CONFIG_T::pool_height) ? 0 : slot + 1;
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void max_pool2d(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    pool2d_rows<data_T, res_T, CONFIG_T, max_pool_row>(data, res);
}

template <class data_T, class res_T, typename CONFIG_T>
void avg_pool2d(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    static_assert(!CONFIG_T::ceil_mode, "ceil-mode average pooling is not supported");
    pool2d_rows<data_T, res_T, CONFIG_T, avg_pool_row>(data, res);
}

} // namespace hwsim

#pragma GCC diagnostic pop

#endif
