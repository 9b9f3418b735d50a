// hwsim kernels: 2-D convolution (1x1 and KxK) and dense, streamed HWC, one scalar per element.
//
// CONFIG_T for conv1x1 / conv2d:
//   static const unsigned in_height, in_width, n_chan;      input H, W, C
//   static const unsigned filt_height, filt_width, n_filt;  kernel KH, KW, output channels
//   static const unsigned stride_height, stride_width;
//   static const unsigned pad_height, pad_width;            symmetric zero padding (PyTorch)
//   static const unsigned out_height, out_width;            (in + 2 * pad - filt) / stride + 1
//   static const bool relu;                                 fused ReLU on the output
//   typedef ... weight_t, bias_t, accum_t, result_t;        ap_fixed / ap_ufixed types
//   typedef ... weight_raw_t, bias_raw_t;                   plain integer types of the raw arrays
// weights: n_filt * n_chan * filt_height * filt_width raw values, PyTorch (out, in, kh, kw) order.
// biases:  n_filt raw values (pass zeros for a layer without bias).
//
// Arithmetic, for each output pixel and output channel o (bit-exact with the Python simulator):
//   accum_t acc = (accum_t)bias[o];
//   for c (outer), kh, kw (inner):  acc = acc + (accum_t)(x * w);
// where x * w is the exact ap_fixed product data_T * weight_t; a zero-padding position has x = 0
// (its product 0 still goes through the cast and the add, which changes nothing). The fixed order
// c, kh, kw matters only when accum_t saturates. Then result_t r = (result_t)acc and the output is
// relu ? (r > 0 ? (res_T)r : (res_T)0) : (res_T)r.
//
// Buffering of conv2d (KxK), as hls4ml's nnet_conv_stream.h: (KH - 1) line buffers of WE * C words
// plus a KH x KW x C window (hwsim_common.h: window_push). The kernel walks the zero-padded image
// position by position, padding generated rather than read, over WE = max(pad + W, (out_width - 1)
// * S + KW) <= W + 2 * pad columns, and emits output (oh, ow) as soon as padded position
// (oh * S + KH - 1, ow * S + KW - 1) has arrived: with stride 1 it lags its input by
// (KH - 1 - pad) rows + (KW - 1 - pad) pixels.
// conv1x1 keeps only the C words of the current pixel and emits with no lag.
#ifndef HWSIM_CONV_H_
#define HWSIM_CONV_H_

#include "hwsim_common.h"

// Loop labels name the loops in HLS reports; g++ -Wall would call them unused.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace hwsim {

template <typename CONFIG_T> inline void check_conv_config() {
    static_assert(CONFIG_T::stride_height >= 1 && CONFIG_T::stride_width >= 1, "stride must be >= 1");
    static_assert(CONFIG_T::in_height + 2 * CONFIG_T::pad_height >= CONFIG_T::filt_height &&
                      CONFIG_T::in_width + 2 * CONFIG_T::pad_width >= CONFIG_T::filt_width,
                  "kernel larger than the padded input");
    static_assert(CONFIG_T::out_height ==
                      (CONFIG_T::in_height + 2 * CONFIG_T::pad_height - CONFIG_T::filt_height) /
                              CONFIG_T::stride_height + 1,
                  "out_height does not match (in + 2 * pad - filt) / stride + 1");
    static_assert(CONFIG_T::out_width ==
                      (CONFIG_T::in_width + 2 * CONFIG_T::pad_width - CONFIG_T::filt_width) /
                              CONFIG_T::stride_width + 1,
                  "out_width does not match (in + 2 * pad - filt) / stride + 1");
}

// 1x1 convolution without padding (stride allowed): no line buffer, C words per pixel.
template <class data_T, class res_T, typename CONFIG_T>
void conv1x1(hls::stream<data_T> &data, hls::stream<res_T> &res,
             const typename CONFIG_T::weight_raw_t weights[CONFIG_T::n_filt * CONFIG_T::n_chan],
             const typename CONFIG_T::bias_raw_t biases[CONFIG_T::n_filt]) {
    static_assert(CONFIG_T::filt_height == 1 && CONFIG_T::filt_width == 1, "conv1x1 needs a 1x1 kernel");
    static_assert(CONFIG_T::pad_height == 0 && CONFIG_T::pad_width == 0, "conv1x1 takes no padding: use conv2d");
    check_conv_config<CONFIG_T>();
    typedef typename CONFIG_T::accum_t accum_t;

    data_T pixel[CONFIG_T::n_chan];
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = pixel complete)

    unsigned sy = 0; // input row position inside the vertical stride
RowLoop:
    for (unsigned ih = 0; ih < CONFIG_T::in_height; ih++) {
        unsigned sx = 0;
    ColLoop:
        for (unsigned iw = 0; iw < CONFIG_T::in_width; iw++) {
        ReadPixel:
            for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
                HWSIM_PRAGMA(HLS PIPELINE II = 1)
                pixel[c] = data.read();
            }
            if (sy == 0 && sx == 0) {
            FiltLoop:
                for (unsigned o = 0; o < CONFIG_T::n_filt; o++) {
                    accum_t acc = (accum_t)raw_to<typename CONFIG_T::bias_t>(biases[o]);
                ChanLoop:
                    for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
                        HWSIM_PRAGMA(HLS PIPELINE II = 1)
                        typename CONFIG_T::weight_t w =
                            raw_to<typename CONFIG_T::weight_t>(weights[o * CONFIG_T::n_chan + c]);
                        acc = acc + (accum_t)(pixel[c] * w);
                    }
                    res.write(cast_result<res_T, typename CONFIG_T::result_t, CONFIG_T::relu>(acc));
                }
            }
            sx = (sx + 1 == CONFIG_T::stride_width) ? 0 : sx + 1;
        }
        sy = (sy + 1 == CONFIG_T::stride_height) ? 0 : sy + 1;
    }
}

// KxK convolution with stride and zero padding (also valid for a 1x1 kernel with padding).
template <class data_T, class res_T, typename CONFIG_T>
void conv2d(hls::stream<data_T> &data, hls::stream<res_T> &res,
            const typename CONFIG_T::weight_raw_t
                weights[CONFIG_T::n_filt * CONFIG_T::n_chan * CONFIG_T::filt_height * CONFIG_T::filt_width],
            const typename CONFIG_T::bias_raw_t biases[CONFIG_T::n_filt]) {
    check_conv_config<CONFIG_T>();
    typedef typename CONFIG_T::accum_t accum_t;
    static const unsigned KH = CONFIG_T::filt_height, KW = CONFIG_T::filt_width, C = CONFIG_T::n_chan;
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
            FiltLoop:
                for (unsigned o = 0; o < CONFIG_T::n_filt; o++) {
                    accum_t acc = (accum_t)raw_to<typename CONFIG_T::bias_t>(biases[o]);
                ChanLoop:
                    for (unsigned c = 0; c < C; c++) {
                    KhLoop:
                        for (unsigned kh = 0; kh < KH; kh++) {
                        KwLoop:
                            for (unsigned kw = 0; kw < KW; kw++) {
                                HWSIM_PRAGMA(HLS PIPELINE II = 1)
                                const unsigned wi = ((o * C + c) * KH + kh) * KW + kw;
                                typename CONFIG_T::weight_t w = raw_to<typename CONFIG_T::weight_t>(weights[wi]);
                                acc = acc + (accum_t)(win[(kh * KW + kw) * C + c] * w);
                            }
                        }
                    }
                    res.write(cast_result<res_T, typename CONFIG_T::result_t, CONFIG_T::relu>(acc));
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

// CONFIG_T for dense: in_height, in_width, n_chan (the input map, HWC on the stream), n_out, relu,
// weight_t, bias_t, accum_t, result_t, weight_raw_t, bias_raw_t. Weights (n_out, n_chan * in_height *
// in_width) in PyTorch's Flatten order (c, h, w); the same arithmetic and order (c outer, h, w) as a
// convolution whose kernel covers the whole input. Buffers the whole input (H * W * C words).
template <class data_T, class res_T, typename CONFIG_T>
void dense(hls::stream<data_T> &data, hls::stream<res_T> &res,
           const typename CONFIG_T::weight_raw_t
               weights[CONFIG_T::n_out * CONFIG_T::n_chan * CONFIG_T::in_height * CONFIG_T::in_width],
           const typename CONFIG_T::bias_raw_t biases[CONFIG_T::n_out]) {
    typedef typename CONFIG_T::accum_t accum_t;
    static const unsigned n_pix = CONFIG_T::in_height * CONFIG_T::in_width;

    data_T x[n_pix * CONFIG_T::n_chan];
ReadInput:
    for (unsigned i = 0; i < n_pix * CONFIG_T::n_chan; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        x[i] = data.read();
    }
OutLoop:
    for (unsigned o = 0; o < CONFIG_T::n_out; o++) {
        accum_t acc = (accum_t)raw_to<typename CONFIG_T::bias_t>(biases[o]);
    ChanLoop:
        for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
        PixLoop:
            for (unsigned p = 0; p < n_pix; p++) {
                HWSIM_PRAGMA(HLS PIPELINE II = 1)
                typename CONFIG_T::weight_t w =
                    raw_to<typename CONFIG_T::weight_t>(weights[(o * CONFIG_T::n_chan + c) * n_pix + p]);
                acc = acc + (accum_t)(x[p * CONFIG_T::n_chan + c] * w);
            }
        }
        res.write(cast_result<res_T, typename CONFIG_T::result_t, CONFIG_T::relu>(acc));
    }
}

} // namespace hwsim

#pragma GCC diagnostic pop

#endif
