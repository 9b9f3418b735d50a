// dwu against a naive depthwise reference per output (bias, then the taps in (kh, kw) order, each
// product cast to accum_t; result_t cast; the fused activation: none, ReLU, ReLU6), the input given
// as window beats of PE channels in (channel fold, tap) order per pixel; PE from 1 to n_chan; plus
// its iteration count pixels x cf x taps. At SIMD = KW (one kernel row per iteration) the beats hold
// KW x PE values, tap-major (lane j * PE + p), and the count is pixels x cf x KH.
#include "harness.h"
#include "hwsim_dwu.h"

using th::Counter;
using th::Rng;

template <unsigned PIX, unsigned C, unsigned KH, unsigned KW, unsigned PE, unsigned ACT, class WT, class BT,
          class AT, class RT, unsigned MULT = 0, unsigned SIMD = 1>
struct Cfg {
    static const unsigned simd = SIMD;
    static const unsigned pixels = PIX, n_chan = C, pe = PE, cf = C / PE, taps = KH * KW;
    static const unsigned filt_height = KH, filt_width = KW;
    static const unsigned activation = ACT;
    static const unsigned mult = MULT;
    static const unsigned counter = 5;
    typedef WT weight_t;
    typedef BT bias_t;
    typedef AT accum_t;
    typedef RT result_t;
    typedef int8_t weight_raw_t;
    typedef int16_t bias_raw_t;
};

// x[pix][c][t] (window values), w[c][t] (raw), b[c] (raw) -> y[pix][c].
template <class data_T, class res_T, class CFG>
std::vector<res_T> ref_dwu(const std::vector<data_T> &x, const std::vector<int8_t> &w, const std::vector<int16_t> &b) {
    typedef typename CFG::accum_t accum_t;
    typedef typename CFG::result_t result_t;
    std::vector<res_T> y;
    for (unsigned px = 0; px < CFG::pixels; px++)
        for (unsigned c = 0; c < CFG::n_chan; c++) {
            accum_t acc = (accum_t)th::from_raw<typename CFG::bias_t>(b[c]);
            for (unsigned t = 0; t < CFG::taps; t++) {
                typename CFG::weight_t wv = th::from_raw<typename CFG::weight_t>(w[c * CFG::taps + t]);
                acc += (accum_t)(x[(px * CFG::n_chan + c) * CFG::taps + t] * wv);
            }
            result_t r = (result_t)acc;
            if (CFG::activation == 1) {
                y.push_back(r > 0 ? res_T(r) : res_T(0));
            } else if (CFG::activation == 2) {
                y.push_back(r > 0 ? (r < 6 ? res_T(r) : res_T(6)) : res_T(0));
            } else {
                y.push_back(res_T(r));
            }
        }
    return y;
}

template <class data_T, class res_T, class CFG> void run(Counter &t, const char *name, unsigned seed) {
    typedef hwsim::beat<data_T, CFG::pe * CFG::simd> In;
    typedef hwsim::beat<res_T, CFG::pe> Out;
    const unsigned PE = CFG::pe, CF = CFG::cf, TAPS = CFG::taps, C = CFG::n_chan, SIMD = CFG::simd;
    Rng rng(seed);
    std::vector<int8_t> w = th::random_raw<typename CFG::weight_t, int8_t>(rng, C * TAPS);
    std::vector<int16_t> b = th::random_raw<typename CFG::bias_t, int16_t>(rng, C);
    std::vector<data_T> x = th::random_values<data_T>(rng, CFG::pixels * C * TAPS);
    static int8_t wk[CFG::pe][CFG::cf * CFG::taps];
    static int16_t bk[CFG::pe][CFG::cf];
    for (unsigned p = 0; p < PE; p++)
        for (unsigned f = 0; f < CF; f++) {
            bk[p][f] = b[f * PE + p];
            for (unsigned k = 0; k < TAPS; k++) wk[p][f * TAPS + k] = w[(f * PE + p) * TAPS + k];
        }
    // the window stream: per pixel, per channel fold f, per block k of SIMD taps, one beat of taps
    // k * SIMD + j of channels f*PE .. f*PE+PE-1, tap-major
    std::vector<data_T> beats;
    for (unsigned px = 0; px < CFG::pixels; px++)
        for (unsigned f = 0; f < CF; f++)
            for (unsigned k = 0; k < TAPS / SIMD; k++)
                for (unsigned j = 0; j < SIMD; j++)
                    for (unsigned p = 0; p < PE; p++)
                        beats.push_back(x[(px * C + f * PE + p) * TAPS + k * SIMD + j]);
    std::vector<res_T> want = ref_dwu<data_T, res_T, CFG>(x, w, b);
    hls::stream<In> in("in");
    hls::stream<Out> out("out");
    th::push_beats(in, beats);
    hwsim::cycle_counts()[CFG::counter] = 0;
    hwsim::dwu<In, Out, CFG>(in, out, wk, bk);
    const unsigned long long count = hwsim::cycle_counts()[CFG::counter];
    bool ok = in.empty();
    if (!ok) std::printf("  %s: %zu input beats left\n", name, in.size());
    ok = th::same_values(th::drain_beats(out), want, name) && ok;
    ok = th::same_count(count, (unsigned long long)CFG::pixels * CF * (TAPS / SIMD), name) && ok;
    t.record(ok, name);
}

typedef ap_fixed<8, 3> d8;
typedef ap_ufixed<8, 3> u8;
typedef ap_ufixed<8, 4> u84;
typedef ap_fixed<16, 6> d16;
typedef ap_fixed<8, 1> w8;
typedef ap_fixed<12, 4> b12;
typedef ap_fixed<32, 14> wide;
typedef ap_fixed<10, 3, AP_RND, AP_SAT> narrow;       // saturates: the order is the simulator's (kh, kw)
typedef ap_fixed<16, 6, AP_TRN, AP_SAT> r16;

int main() {
    Counter t;
    for (unsigned seed = 1; seed <= 2; seed++) {
        //                     PIX C KH KW PE ACT weight bias acc result
        run<d8, d16, Cfg<3, 4, 3, 3, 1, 0, w8, b12, wide, d16> >(t, "pe1", seed);
        run<d8, d16, Cfg<3, 4, 3, 3, 2, 1, w8, b12, wide, d16> >(t, "pe2_relu", seed);
        run<d8, u84, Cfg<3, 6, 3, 3, 6, 2, w8, b12, wide, r16> >(t, "pe_all_relu6", seed);
        run<u8, u8, Cfg<2, 6, 3, 3, 3, 2, w8, b12, wide, r16> >(t, "pe3_relu6_unsigned", seed);
        run<d8, d8, Cfg<2, 4, 1, 1, 2, 2, w8, b12, wide, d16> >(t, "k1x1_relu6", seed);
        run<d8, d8, Cfg<4, 4, 3, 3, 2, 0, w8, b12, narrow, d16> >(t, "narrow_sat_acc", seed);
        run<d8, u84, Cfg<3, 4, 3, 3, 2, 2, w8, b12, wide, r16, 1> >(t, "mult_dsp", seed);
        run<d8, u84, Cfg<3, 4, 3, 3, 2, 2, w8, b12, wide, r16, 2> >(t, "mult_lut", seed);
        //                     one kernel row per iteration (SIMD = KW)
        run<d8, d16, Cfg<3, 4, 3, 3, 1, 0, w8, b12, wide, d16, 0, 3> >(t, "row_pe1", seed);
        run<d8, u84, Cfg<3, 4, 3, 3, 2, 2, w8, b12, wide, r16, 0, 3> >(t, "row_pe2_relu6", seed);
        run<d8, d8, Cfg<4, 4, 3, 3, 2, 0, w8, b12, narrow, d16, 0, 3> >(t, "row_narrow_sat_acc", seed);
        run<d8, d16, Cfg<2, 6, 3, 5, 3, 1, w8, b12, wide, d16, 2, 5> >(t, "row_3x5_pe3_lut", seed);
    }
    // ReLU6 clips at 6 exactly: result 7.5 -> 6, 5.75 -> 5.75, -1 -> 0
    {
        bool ok = hwsim::cast_result<u84, r16, 2>(ap_fixed<32, 14>(7.5)) == u84(6) &&
                  hwsim::cast_result<u84, r16, 2>(ap_fixed<32, 14>(5.75)) == u84(5.75) &&
                  hwsim::cast_result<u84, r16, 2>(ap_fixed<32, 14>(-1)) == u84(0) &&
                  hwsim::cast_result<u84, r16, 1>(ap_fixed<32, 14>(7.5)) == u84(7.5);
        t.record(ok, "relu6_clip");
    }
    return t.finish();
}
