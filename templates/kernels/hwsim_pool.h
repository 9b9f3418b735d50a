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
// Buffering: as conv2d (hwsim_conv.h), (KH - 1) line buffers of WE * C words plus a KH x KW x C
// window; WE = max(pad + W, (out_width - 1) * S + KW): at most W + 2 * pad in floor mode, up to
// S - 1 more in ceil mode when the last window ends past the padding.
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

// Max over the in-range positions of the window whose top-left padded position is (top, left).
struct max_pool_window {
    template <class data_T, class res_T, typename CONFIG_T>
    static res_T run(const data_T win[], unsigned top, unsigned left, unsigned c) {
        static const unsigned KH = CONFIG_T::pool_height, KW = CONFIG_T::pool_width;
        data_T m = 0;
        bool first = true;
    KhLoop:
        for (unsigned kh = 0; kh < KH; kh++) {
        KwLoop:
            for (unsigned kw = 0; kw < KW; kw++) {
                HWSIM_PRAGMA(HLS UNROLL)
                const unsigned y = top + kh, x = left + kw;
                if (y >= CONFIG_T::pad_height && y < CONFIG_T::pad_height + CONFIG_T::in_height &&
                    x >= CONFIG_T::pad_width && x < CONFIG_T::pad_width + CONFIG_T::in_width) {
                    const data_T v = win[(kh * KW + kw) * CONFIG_T::n_chan + c];
                    if (first || v > m) {
                        m = v;
                    }
                    first = false;
                }
            }
        }
        return (res_T)m;
    }
};

// Window sum in accum_t (padding adds nothing) divided by the window area (count_include_pad).
struct avg_pool_window {
    template <class data_T, class res_T, typename CONFIG_T>
    static res_T run(const data_T win[], unsigned top, unsigned left, unsigned c) {
        typedef typename CONFIG_T::accum_t accum_t;
        static const unsigned KH = CONFIG_T::pool_height, KW = CONFIG_T::pool_width;
        static const int area = (int)(KH * KW);
        accum_t acc = 0;
    KhLoop:
        for (unsigned kh = 0; kh < KH; kh++) {
        KwLoop:
            for (unsigned kw = 0; kw < KW; kw++) {
                HWSIM_PRAGMA(HLS UNROLL)
                const unsigned y = top + kh, x = left + kw;
                if (y >= CONFIG_T::pad_height && y < CONFIG_T::pad_height + CONFIG_T::in_height &&
                    x >= CONFIG_T::pad_width && x < CONFIG_T::pad_width + CONFIG_T::in_width) {
                    acc = acc + (accum_t)win[(kh * KW + kw) * CONFIG_T::n_chan + c];
                }
            }
        }
        acc /= area;
        return (res_T)acc;
    }
};

// Shared sliding-window driver (same walk as conv2d in hwsim_conv.h).
template <class data_T, class res_T, typename CONFIG_T, class OP_T>
void pool2d_window(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    check_pool_config<CONFIG_T>();
    static const unsigned KH = CONFIG_T::pool_height, KW = CONFIG_T::pool_width, C = CONFIG_T::n_chan;
    static const unsigned PH = CONFIG_T::pad_height, PW = CONFIG_T::pad_width;
    static const unsigned HE = window_extent(CONFIG_T::in_height, PH, CONFIG_T::out_height, KH, CONFIG_T::stride_height);
    static const unsigned WE = window_extent(CONFIG_T::in_width, PW, CONFIG_T::out_width, KW, CONFIG_T::stride_width);

    data_T line[line_rows(KH)][WE * C];
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = line complete dim = 1)
    data_T win[KH * KW * C];
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = win complete)

    unsigned sy = 0; // (y - KH + 1) mod stride, once y >= KH - 1
    unsigned oh = 0;
PadRowLoop:
    for (unsigned y = 0; y < HE; y++) {
        unsigned sx = 0;
        unsigned ow = 0;
    PadColLoop:
        for (unsigned x = 0; x < WE; x++) {
            const bool inside = y >= PH && y < PH + CONFIG_T::in_height && x >= PW && x < PW + CONFIG_T::in_width;
        PushChan:
            for (unsigned c = 0; c < C; c++) {
                HWSIM_PRAGMA(HLS PIPELINE II = 1)
                data_T v = 0;
                if (inside) {
                    v = data.read();
                }
                window_push<data_T, KH, KW, WE, C>(line, win, x, c, v);
            }
            if (y + 1 >= KH && x + 1 >= KW && sy == 0 && sx == 0 && oh < CONFIG_T::out_height &&
                ow < CONFIG_T::out_width) {
            ChanLoop:
                for (unsigned c = 0; c < C; c++) {
                    HWSIM_PRAGMA(HLS PIPELINE II = 1)
                    res.write(OP_T::template run<data_T, res_T, CONFIG_T>(win, y + 1 - KH, x + 1 - KW, c));
                }
            }
            if (x + 1 >= KW) {
                if (sx == 0) {
                    ow++;
                }
                sx = (sx + 1 == CONFIG_T::stride_width) ? 0 : sx + 1;
            }
        }
        if (y + 1 >= KH) {
            if (sy == 0) {
                oh++;
            }
            sy = (sy + 1 == CONFIG_T::stride_height) ? 0 : sy + 1;
        }
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void max_pool2d(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    pool2d_window<data_T, res_T, CONFIG_T, max_pool_window>(data, res);
}

template <class data_T, class res_T, typename CONFIG_T>
void avg_pool2d(hls::stream<data_T> &data, hls::stream<res_T> &res) {
    static_assert(!CONFIG_T::ceil_mode, "ceil-mode average pooling is not supported");
    pool2d_window<data_T, res_T, CONFIG_T, avg_pool_window>(data, res);
}

} // namespace hwsim

#pragma GCC diagnostic pop

#endif
