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
// Buffering of conv2d (KxK): a ring of K input rows of W * C words (`lines`, K * W * C words in all,
// one row more than hls4ml's (K-1)-row line buffer plus window). Input row ih is read whole into
// its slot; then every output row whose last needed input row (clipped to H - 1) is ih is computed
// from the ring. conv1x1 keeps only the C words of the current pixel.
#ifndef HWSIM_CONV_H_
#define HWSIM_CONV_H_

#include "hwsim_common.h"

// Loop labels name the loops in HLS reports; g++ -Wall would call them unused.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace hwsim {

template <typename CONFIG_T> inline void check_conv_config() {
    static_assert(CONFIG_T::stride_height >= 1 && CONFIG_T::stride_width >= 1, "stride must be >= 1");
    static_assert(CONFIG_T::pad_height < CONFIG_T::filt_height && CONFIG_T::pad_width < CONFIG_T::filt_width,
                  "padding must be smaller than the kernel");
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

// One output row `oh` of conv2d, read from the ring of K input rows (row `cur` in slot `cur_slot`).
template <class data_T, class res_T, typename CONFIG_T>
void conv2d_row(const data_T lines[CONFIG_T::filt_height][CONFIG_T::in_width * CONFIG_T::n_chan],
                unsigned cur_slot, unsigned cur, unsigned oh, hls::stream<res_T> &res,
                const typename CONFIG_T::weight_raw_t
                    weights[CONFIG_T::n_filt * CONFIG_T::n_chan * CONFIG_T::filt_height * CONFIG_T::filt_width],
                const typename CONFIG_T::bias_raw_t biases[CONFIG_T::n_filt]) {
    typedef typename CONFIG_T::accum_t accum_t;
    const int top = (int)(oh * CONFIG_T::stride_height) - (int)CONFIG_T::pad_height;
OutColLoop:
    for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
        const int left = (int)(ow * CONFIG_T::stride_width) - (int)CONFIG_T::pad_width;
    FiltLoop:
        for (unsigned o = 0; o < CONFIG_T::n_filt; o++) {
            accum_t acc = (accum_t)raw_to<typename CONFIG_T::bias_t>(biases[o]);
        ChanLoop:
            for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            KhLoop:
                for (unsigned kh = 0; kh < CONFIG_T::filt_height; kh++) {
                KwLoop:
                    for (unsigned kw = 0; kw < CONFIG_T::filt_width; kw++) {
                        HWSIM_PRAGMA(HLS PIPELINE II = 1)
                        const int ih = top + (int)kh;
                        const int iw = left + (int)kw;
                        data_T x = 0;
                        if (ih >= 0 && ih < (int)CONFIG_T::in_height && iw >= 0 && iw < (int)CONFIG_T::in_width) {
                            x = lines[ring_slot<CONFIG_T::filt_height>(cur_slot, cur, (unsigned)ih)]
                                     [(unsigned)iw * CONFIG_T::n_chan + c];
                        }
                        const unsigned wi =
                            ((o * CONFIG_T::n_chan + c) * CONFIG_T::filt_height + kh) * CONFIG_T::filt_width + kw;
                        typename CONFIG_T::weight_t w = raw_to<typename CONFIG_T::weight_t>(weights[wi]);
                        acc = acc + (accum_t)(x * w);
                    }
                }
            }
            res.write(cast_result<res_T, typename CONFIG_T::result_t, CONFIG_T::relu>(acc));
        }
    }
}

// KxK convolution with stride and zero padding (also valid for K = 1 with padding).
template <class data_T, class res_T, typename CONFIG_T>
void conv2d(hls::stream<data_T> &data, hls::stream<res_T> &res,
            const typename CONFIG_T::weight_raw_t
                weights[CONFIG_T::n_filt * CONFIG_T::n_chan * CONFIG_T::filt_height * CONFIG_T::filt_width],
            const typename CONFIG_T::bias_raw_t biases[CONFIG_T::n_filt]) {
    check_conv_config<CONFIG_T>();
    // Output rows that can become ready after one input row: at most one per row inside the image,
    // at most pad / stride + 1 after the last row.
    static const unsigned max_emit = (CONFIG_T::filt_height + CONFIG_T::pad_height) / CONFIG_T::stride_height + 1;

    data_T lines[CONFIG_T::filt_height][CONFIG_T::in_width * CONFIG_T::n_chan];
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
                last_needed_row(next_oh, CONFIG_T::filt_height, CONFIG_T::stride_height, CONFIG_T::pad_height,
                                CONFIG_T::in_height) <= ih) {
                conv2d_row<data_T, res_T, CONFIG_T>(lines, slot, ih, next_oh, res, weights, biases);
                next_oh++;
            }
        }
        slot = (slot + 1 == CONFIG_T::filt_height) ? 0 : slot + 1;
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
