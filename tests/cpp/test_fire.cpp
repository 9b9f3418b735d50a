// fire() composition against a naive reference: squeeze 1x1 + ReLU, expand 1x1 + ReLU and
// expand 3x3 (pad 1) + ReLU on plain arrays, then the channel concat.
#include "harness.h"
#include "hwsim_fire.h"

using th::Counter;
using th::Rng;

template <unsigned H, unsigned W, unsigned C, unsigned F, unsigned K, class WT, class AT, class RT> struct ConvCfg {
    static const unsigned in_height = H, in_width = W, n_chan = C, n_filt = F;
    static const unsigned filt_height = K, filt_width = K, stride_height = 1, stride_width = 1;
    static const unsigned pad_height = K / 2, pad_width = K / 2;
    static const unsigned out_height = H, out_width = W;
    static const bool relu = true;
    typedef WT weight_t;
    typedef ap_fixed<10, 3> bias_t;
    typedef AT accum_t;
    typedef RT result_t;
    typedef int8_t weight_raw_t;
    typedef int16_t bias_raw_t;
};

template <unsigned H, unsigned W, unsigned CIN, unsigned SQ, unsigned E1, unsigned E3, class WT, class AT, class ST,
          class E1T, class E3T>
struct FireCfg {
    typedef ConvCfg<H, W, CIN, SQ, 1, WT, AT, ap_fixed<16, 6> > squeeze_config;
    typedef ConvCfg<H, W, SQ, E1, 1, WT, AT, ap_fixed<16, 6> > expand1x1_config;
    typedef ConvCfg<H, W, SQ, E3, 3, WT, AT, ap_fixed<16, 6> > expand3x3_config;
    struct split_config {
        static const unsigned height = H, width = W, n_chan = SQ;
    };
    struct concat_config {
        static const unsigned height = H, width = W, n_chan1 = E1, n_chan2 = E3;
    };
    typedef ST squeeze_t;
    typedef E1T expand1x1_t;
    typedef E3T expand3x3_t;
    static const unsigned expand1x1_depth = hwsim::fire_expand1x1_depth(W, E1, 3, 1);
};

// Naive conv (stride 1, pad K / 2) + ReLU over HWC arrays.
template <class in_T, class out_T, class CFG>
std::vector<out_T> ref_conv_relu(const std::vector<in_T> &x, const std::vector<int8_t> &wraw,
                                 const std::vector<int16_t> &braw) {
    const int H = CFG::in_height, W = CFG::in_width, C = CFG::n_chan, F = CFG::n_filt, K = CFG::filt_height;
    const int P = K / 2;
    std::vector<out_T> y;
    for (int h = 0; h < H; h++)
        for (int w = 0; w < W; w++)
            for (int f = 0; f < F; f++) {
                typename CFG::accum_t acc = th::from_raw<typename CFG::bias_t>(braw[f]);
                for (int c = 0; c < C; c++)
                    for (int kh = 0; kh < K; kh++)
                        for (int kw = 0; kw < K; kw++) {
                            int ih = h + kh - P, iw = w + kw - P;
                            in_T v = 0;
                            if (ih >= 0 && ih < H && iw >= 0 && iw < W) v = x[(ih * W + iw) * C + c];
                            typename CFG::weight_t wv =
                                th::from_raw<typename CFG::weight_t>(wraw[((f * C + c) * K + kh) * K + kw]);
                            acc += (typename CFG::accum_t)(v * wv);
                        }
                typename CFG::result_t r = acc;
                y.push_back(r > 0 ? (out_T)r : (out_T)0);
            }
    return y;
}

template <class data_T, class res_T, class CFG> void run_fire(Counter &t, const char *name, unsigned seed) {
    typedef typename CFG::squeeze_config SQ;
    typedef typename CFG::expand1x1_config E1;
    typedef typename CFG::expand3x3_config E3;
    Rng rng(seed);
    std::vector<int8_t> sw = th::random_raw<typename SQ::weight_t, int8_t>(rng, SQ::n_filt * SQ::n_chan);
    std::vector<int16_t> sb = th::random_raw<typename SQ::bias_t, int16_t>(rng, SQ::n_filt);
    std::vector<int8_t> e1w = th::random_raw<typename E1::weight_t, int8_t>(rng, E1::n_filt * E1::n_chan);
    std::vector<int16_t> e1b = th::random_raw<typename E1::bias_t, int16_t>(rng, E1::n_filt);
    std::vector<int8_t> e3w = th::random_raw<typename E3::weight_t, int8_t>(rng, E3::n_filt * E3::n_chan * 9);
    std::vector<int16_t> e3b = th::random_raw<typename E3::bias_t, int16_t>(rng, E3::n_filt);
    std::vector<data_T> x = th::random_values<data_T>(rng, SQ::in_height * SQ::in_width * SQ::n_chan);

    std::vector<typename CFG::squeeze_t> s = ref_conv_relu<data_T, typename CFG::squeeze_t, SQ>(x, sw, sb);
    std::vector<typename CFG::expand1x1_t> a =
        ref_conv_relu<typename CFG::squeeze_t, typename CFG::expand1x1_t, E1>(s, e1w, e1b);
    std::vector<typename CFG::expand3x3_t> b =
        ref_conv_relu<typename CFG::squeeze_t, typename CFG::expand3x3_t, E3>(s, e3w, e3b);
    std::vector<res_T> expected;
    for (unsigned p = 0; p < SQ::in_height * SQ::in_width; p++) {
        for (unsigned c = 0; c < E1::n_filt; c++) expected.push_back((res_T)a[p * E1::n_filt + c]);
        for (unsigned c = 0; c < E3::n_filt; c++) expected.push_back((res_T)b[p * E3::n_filt + c]);
    }

    hls::stream<data_T> in("in");
    hls::stream<res_T> out("out");
    th::push_all(in, x);
    hwsim::fire<data_T, res_T, CFG>(in, out, sw.data(), sb.data(), e1w.data(), e1b.data(), e3w.data(), e3b.data());
    t.record(th::same_stream(out, expected, in, name), name);
}

typedef ap_fixed<8, 3> d8;
typedef ap_ufixed<8, 3> u8;
typedef ap_ufixed<6, 3> u6;
typedef ap_fixed<8, 1> w8;
typedef ap_fixed<4, 1> w4;
typedef ap_fixed<24, 10> acc24;
typedef ap_fixed<10, 4> acc_wrap;

int main() {
    Counter t;
    for (unsigned seed = 1; seed <= 2; seed++) {
        run_fire<d8, u8, FireCfg<5, 7, 6, 3, 4, 4, w8, acc24, u8, u8, u8> >(t, "fire_5x7_s3_e4_e4", seed);
        run_fire<u8, ap_ufixed<8, 4>, FireCfg<9, 9, 8, 4, 8, 8, w4, acc_wrap, u6, u8, u6> >(t, "fire_9x9_wrap", seed);
        run_fire<d8, u6, FireCfg<4, 3, 5, 2, 3, 5, w8, acc24, u8, ap_ufixed<12, 4>, u8> >(t, "fire_4x3_mixed", seed);
    }
    return t.finish();
}
