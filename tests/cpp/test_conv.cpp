// conv1x1 / conv2d / dense kernels against a naive reference on plain arrays (written here, with
// ap_fixed directly): odd sizes, strides, padding, non-square kernels, narrow wrapping and
// saturating accumulators, unsigned data, 4 / 8 / 16-bit weights.
#include "harness.h"
#include "hwsim_conv.h"

using th::Counter;
using th::Rng;

template <unsigned H, unsigned W, unsigned C, unsigned F, unsigned KH, unsigned KW, unsigned S, unsigned PH,
          unsigned PW, bool RELU, class WT, class BT, class AT, class RT, class WRAW, class BRAW>
struct Cfg {
    static const unsigned in_height = H, in_width = W, n_chan = C, n_filt = F;
    static const unsigned filt_height = KH, filt_width = KW, stride_height = S, stride_width = S;
    static const unsigned pad_height = PH, pad_width = PW;
    static const unsigned out_height = (H + 2 * PH - KH) / S + 1, out_width = (W + 2 * PW - KW) / S + 1;
    static const bool relu = RELU;
    typedef WT weight_t;
    typedef BT bias_t;
    typedef AT accum_t;
    typedef RT result_t;
    typedef WRAW weight_raw_t;
    typedef BRAW bias_raw_t;
};

// Naive reference: x is HWC, w is (F, C, KH, KW), all as ap_fixed values; y is HWC.
template <class data_T, class res_T, class CFG>
std::vector<res_T> ref_conv(const std::vector<data_T> &x, const std::vector<typename CFG::weight_t> &w,
                            const std::vector<typename CFG::bias_t> &b) {
    const int H = CFG::in_height, W = CFG::in_width, C = CFG::n_chan, F = CFG::n_filt;
    const int KH = CFG::filt_height, KW = CFG::filt_width, S = CFG::stride_height;
    const int PH = CFG::pad_height, PW = CFG::pad_width;
    const int OH = (H + 2 * PH - KH) / S + 1, OW = (W + 2 * PW - KW) / S + 1;
    std::vector<res_T> y;
    for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++)
            for (int f = 0; f < F; f++) {
                typename CFG::accum_t acc = b[f];
                for (int c = 0; c < C; c++)
                    for (int kh = 0; kh < KH; kh++)
                        for (int kw = 0; kw < KW; kw++) {
                            int ih = oh * S + kh - PH, iw = ow * S + kw - PW;
                            data_T v = 0;
                            if (ih >= 0 && ih < H && iw >= 0 && iw < W) v = x[(ih * W + iw) * C + c];
                            acc += (typename CFG::accum_t)(v * w[((f * C + c) * KH + kh) * KW + kw]);
                        }
                typename CFG::result_t r = acc;
                y.push_back(CFG::relu && !(r > 0) ? res_T(0) : res_T(r));
            }
    return y;
}

template <class T, class raw_T> std::vector<T> values_of(const std::vector<raw_T> &raw) {
    std::vector<T> v;
    for (unsigned i = 0; i < raw.size(); i++) v.push_back(th::from_raw<T>((long long)raw[i]));
    return v;
}

// KIND: 0 = conv2d, 1 = conv1x1.
template <int KIND> struct Kernel {
    template <class data_T, class res_T, class CFG, class WR, class BR>
    static void call(hls::stream<data_T> &in, hls::stream<res_T> &out, const WR *w, const BR *b) {
        hwsim::conv2d<data_T, res_T, CFG>(in, out, w, b);
    }
};
template <> struct Kernel<1> {
    template <class data_T, class res_T, class CFG, class WR, class BR>
    static void call(hls::stream<data_T> &in, hls::stream<res_T> &out, const WR *w, const BR *b) {
        hwsim::conv1x1<data_T, res_T, CFG>(in, out, w, b);
    }
};

template <class data_T, class res_T, class CFG, int KIND> void run_conv(Counter &t, const char *name, unsigned seed) {
    Rng rng(seed);
    const unsigned nw = CFG::n_filt * CFG::n_chan * CFG::filt_height * CFG::filt_width;
    std::vector<typename CFG::weight_raw_t> wraw =
        th::random_raw<typename CFG::weight_t, typename CFG::weight_raw_t>(rng, nw);
    std::vector<typename CFG::bias_raw_t> braw =
        th::random_raw<typename CFG::bias_t, typename CFG::bias_raw_t>(rng, CFG::n_filt);
    std::vector<data_T> x = th::random_values<data_T>(rng, CFG::in_height * CFG::in_width * CFG::n_chan);
    std::vector<res_T> expected = ref_conv<data_T, res_T, CFG>(x, values_of<typename CFG::weight_t>(wraw),
                                                               values_of<typename CFG::bias_t>(braw));
    hls::stream<data_T> in("in");
    hls::stream<res_T> out("out");
    th::push_all(in, x);
    Kernel<KIND>::template call<data_T, res_T, CFG>(in, out, wraw.data(), braw.data());
    t.record(th::same_stream(out, expected, in, name), name);
}

template <unsigned H, unsigned W, unsigned C, unsigned O, class WT, class AT>
struct DenseCfg {
    static const unsigned in_height = H, in_width = W, n_chan = C, n_out = O;
    static const bool relu = false;
    typedef WT weight_t;
    typedef ap_fixed<12, 4> bias_t;
    typedef AT accum_t;
    typedef ap_fixed<14, 6, AP_RND, AP_SAT> result_t;
    typedef int16_t weight_raw_t;
    typedef int16_t bias_raw_t;
};

// Dense over an HWC stream: weights in PyTorch Flatten order (c, h, w) = a conv covering the input.
template <class data_T, class res_T, class DCFG> void run_dense(Counter &t, const char *name, unsigned seed) {
    typedef Cfg<DCFG::in_height, DCFG::in_width, DCFG::n_chan, DCFG::n_out, DCFG::in_height, DCFG::in_width, 1, 0,
                0, false, typename DCFG::weight_t, typename DCFG::bias_t, typename DCFG::accum_t,
                typename DCFG::result_t, int16_t, int16_t>
        as_conv;
    Rng rng(seed);
    const unsigned n_in = DCFG::in_height * DCFG::in_width * DCFG::n_chan;
    std::vector<int16_t> wraw = th::random_raw<typename DCFG::weight_t, int16_t>(rng, DCFG::n_out * n_in);
    std::vector<int16_t> braw = th::random_raw<typename DCFG::bias_t, int16_t>(rng, DCFG::n_out);
    std::vector<data_T> x = th::random_values<data_T>(rng, n_in);
    std::vector<res_T> expected = ref_conv<data_T, res_T, as_conv>(x, values_of<typename DCFG::weight_t>(wraw),
                                                                   values_of<typename DCFG::bias_t>(braw));
    hls::stream<data_T> in("in");
    hls::stream<res_T> out("out");
    th::push_all(in, x);
    hwsim::dense<data_T, res_T, DCFG>(in, out, wraw.data(), braw.data());
    t.record(th::same_stream(out, expected, in, name), name);
}

typedef ap_fixed<8, 3> d8;
typedef ap_ufixed<8, 3> u8;
typedef ap_ufixed<4, 2> u4;
typedef ap_fixed<16, 6> d16;
typedef ap_fixed<8, 1> w8;
typedef ap_fixed<4, 1> w4;
typedef ap_fixed<16, 2> w16;
typedef ap_ufixed<6, 1> uw6;
typedef ap_fixed<12, 4> b12;
typedef ap_fixed<32, 12> acc32;
typedef ap_fixed<10, 3> acc_wrap;                    // narrow, AP_TRN / AP_WRAP
typedef ap_fixed<11, 4, AP_RND, AP_SAT> acc_sat;     // narrow, rounding + saturating
typedef ap_fixed<10, 4, AP_TRN, AP_SAT> acc_psat;  // single products can exceed its range
typedef ap_fixed<8, 5> d8big;
typedef ap_fixed<16, 6> r16;
typedef ap_fixed<8, 3, AP_RND_CONV, AP_SAT> r8s;
typedef ap_ufixed<8, 4> ru8;

int main() {
    Counter t;
    for (unsigned seed = 1; seed <= 2; seed++) {
        // conv2d: SqueezeNet expand3x3-like, odd sizes, fused ReLU into an unsigned result.
        run_conv<d8, ru8, Cfg<5, 7, 3, 4, 3, 3, 1, 1, 1, true, w8, b12, acc32, r16, int8_t, int16_t>, 0>(
            t, "conv3x3_s1_p1_relu", seed);
        run_conv<d8, d16, Cfg<7, 6, 2, 3, 3, 3, 2, 1, 1, false, w8, b12, acc_wrap, r16, int8_t, int16_t>, 0>(
            t, "conv3x3_s2_p1_wrap_acc", seed);
        run_conv<d8, r8s, Cfg<6, 5, 3, 2, 3, 3, 1, 0, 0, true, w8, b12, acc_sat, r16, int8_t, int16_t>, 0>(
            t, "conv3x3_s1_p0_sat_acc", seed);
        run_conv<u8, d16, Cfg<13, 11, 2, 3, 7, 7, 2, 0, 0, false, w8, b12, acc32, r16, int8_t, int16_t>, 0>(
            t, "conv7x7_s2_unsigned_data", seed);
        run_conv<d8big, d16, Cfg<5, 6, 3, 2, 3, 3, 1, 1, 1, false, w8, b12, acc_psat, r16, int8_t, int16_t>, 0>(
            t, "conv3x3_product_saturates_acc", seed);
        run_conv<d8, d16, Cfg<8, 9, 2, 3, 5, 5, 3, 2, 2, true, w4, b12, acc32, r16, int8_t, int16_t>, 0>(
            t, "conv5x5_s3_p2_w4", seed);
        run_conv<u4, d16, Cfg<6, 7, 2, 2, 2, 2, 1, 1, 1, false, w16, b12, acc32, r16, int16_t, int16_t>, 0>(
            t, "conv2x2_p1_u4_w16", seed);
        run_conv<d8, d16, Cfg<7, 8, 2, 3, 2, 2, 3, 0, 0, false, w8, b12, acc32, r16, int8_t, int16_t>, 0>(
            t, "conv2x2_stride3_gt_kernel", seed);
        run_conv<d8, d16, Cfg<5, 6, 3, 2, 3, 1, 1, 1, 0, false, w8, b12, acc32, r16, int8_t, int16_t>, 0>(
            t, "conv3x1_p1x0", seed);
        run_conv<d8, d16, Cfg<6, 5, 3, 2, 1, 3, 2, 0, 1, true, w8, b12, acc_wrap, r16, int8_t, int16_t>, 0>(
            t, "conv1x3_s2_p0x1_wrap", seed);
        run_conv<d8, d16, Cfg<3, 4, 2, 3, 1, 1, 1, 1, 1, true, w8, b12, acc32, r16, int8_t, int16_t>, 0>(
            t, "conv1x1_pad1_border_is_bias", seed);
        run_conv<d8, d16, Cfg<5, 4, 2, 2, 2, 2, 2, 2, 2, false, w8, b12, acc32, r16, int8_t, int16_t>, 0>(
            t, "conv2x2_s2_pad2_eq_kernel", seed);
        run_conv<d16, d16, Cfg<4, 5, 3, 2, 3, 3, 1, 2, 2, false, w16, b12, acc32, r16, int16_t, int16_t>, 0>(
            t, "conv3x3_p2_16bit", seed);
        run_conv<d8, d16, Cfg<5, 5, 3, 4, 1, 1, 1, 0, 0, true, uw6, b12, acc32, r16, uint8_t, int16_t>, 0>(
            t, "conv2d_1x1_unsigned_weights", seed);
        // conv1x1 (no buffers)
        run_conv<d8, ru8, Cfg<5, 7, 6, 4, 1, 1, 1, 0, 0, true, w8, b12, acc32, r16, int8_t, int16_t>, 1>(
            t, "conv1x1_relu", seed);
        run_conv<d8, d16, Cfg<7, 5, 3, 5, 1, 1, 2, 0, 0, false, w4, b12, acc_wrap, r16, int8_t, int16_t>, 1>(
            t, "conv1x1_s2_w4_wrap", seed);
        run_conv<u4, r8s, Cfg<3, 3, 9, 3, 1, 1, 1, 0, 0, false, w16, b12, acc_sat, r16, int16_t, int16_t>, 1>(
            t, "conv1x1_u4_w16_sat", seed);
        // dense
        run_dense<d8, d16, DenseCfg<2, 3, 4, 5, w8, acc32> >(t, "dense_2x3x4_to_5", seed);
        run_dense<d8, d16, DenseCfg<1, 1, 7, 3, w8, acc_wrap> >(t, "dense_7_to_3_wrap", seed);
    }
    return t.finish();
}
