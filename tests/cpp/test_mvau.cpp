// mvau against a naive dot product per output (bias, then the products in input order, each cast to
// accum_t; result_t cast, ReLU), over several pixels so the input buffer is reused (nf > 0), for
// PE / SIMD foldings from 1 / 1 to n_out / n_in; plus its iteration count pixels x nf x sf.
#include "harness.h"
#include "hwsim_mvau.h"

using th::Counter;
using th::Rng;

template <unsigned PIX, unsigned NIN, unsigned NOUT, unsigned SIMD, unsigned PE, bool RELU, class WT, class BT,
          class AT, class RT, class WRAW = int8_t, class BRAW = int16_t, unsigned MULT = 0>
struct Cfg {
    static const unsigned pixels = PIX, n_in = NIN, n_out = NOUT, simd = SIMD, pe = PE;
    static const unsigned sf = NIN / SIMD, nf = NOUT / PE;
    static const unsigned activation = RELU ? 1 : 0;
    static const unsigned mult = MULT;
    static const unsigned counter = 3;
    typedef WT weight_t;
    typedef BT bias_t;
    typedef AT accum_t;
    typedef RT result_t;
    typedef WRAW weight_raw_t;
    typedef BRAW bias_raw_t;
};

// y[pix][o] for x[pix][i], w[o][i] (raw), b[o] (raw).
template <class data_T, class res_T, class CFG>
std::vector<res_T> ref_mvau(const std::vector<data_T> &x, const std::vector<typename CFG::weight_raw_t> &w,
                            const std::vector<typename CFG::bias_raw_t> &b) {
    typedef typename CFG::accum_t accum_t;
    std::vector<res_T> y;
    for (unsigned px = 0; px < CFG::pixels; px++)
        for (unsigned o = 0; o < CFG::n_out; o++) {
            accum_t acc = (accum_t)th::from_raw<typename CFG::bias_t>(b[o]);
            for (unsigned i = 0; i < CFG::n_in; i++) {
                typename CFG::weight_t wv = th::from_raw<typename CFG::weight_t>(w[o * CFG::n_in + i]);
                acc = acc + (accum_t)(x[px * CFG::n_in + i] * wv);
            }
            typename CFG::result_t r = (typename CFG::result_t)acc;
            y.push_back(CFG::activation == 1 && !(r > 0) ? res_T(0) : res_T(r));
        }
    return y;
}

template <class data_T, class res_T, class CFG> void run(Counter &t, const char *name, unsigned seed) {
    typedef hwsim::beat<data_T, CFG::simd> In;
    typedef hwsim::beat<res_T, CFG::pe> Out;
    const unsigned PE = CFG::pe, SIMD = CFG::simd, SF = CFG::sf, NF = CFG::nf;
    Rng rng(seed);
    std::vector<typename CFG::weight_raw_t> w =
        th::random_raw<typename CFG::weight_t, typename CFG::weight_raw_t>(rng, CFG::n_out * CFG::n_in);
    std::vector<typename CFG::bias_raw_t> b =
        th::random_raw<typename CFG::bias_t, typename CFG::bias_raw_t>(rng, CFG::n_out);
    std::vector<data_T> x = th::random_values<data_T>(rng, CFG::pixels * CFG::n_in);
    // weights[p][nf * SF + f][s] = W[nf * PE + p][f * SIMD + s]; biases[p][nf] = b[nf * PE + p]
    static typename CFG::weight_raw_t wk[CFG::pe][CFG::nf * CFG::sf][CFG::simd];
    static typename CFG::bias_raw_t bk[CFG::pe][CFG::nf];
    for (unsigned p = 0; p < PE; p++)
        for (unsigned n = 0; n < NF; n++) {
            bk[p][n] = b[n * PE + p];
            for (unsigned f = 0; f < SF; f++)
                for (unsigned s = 0; s < SIMD; s++) wk[p][n * SF + f][s] = w[(n * PE + p) * CFG::n_in + f * SIMD + s];
        }
    std::vector<res_T> want = ref_mvau<data_T, res_T, CFG>(x, w, b);
    hls::stream<In> in("in");
    hls::stream<Out> out("out");
    th::push_beats(in, x);
    hwsim::cycle_counts()[CFG::counter] = 0;
    hwsim::mvau<In, Out, CFG>(in, out, wk, bk);
    const unsigned long long count = hwsim::cycle_counts()[CFG::counter];
    bool ok = in.empty();
    if (!ok) std::printf("  %s: %zu input beats left\n", name, in.size());
    ok = th::same_values(th::drain_beats(out), want, name) && ok;
    ok = th::same_count(count, (unsigned long long)CFG::pixels * NF * SF, name) && ok;
    t.record(ok, name);
}

typedef ap_fixed<8, 3> d8;
typedef ap_ufixed<8, 3> u8;
typedef ap_fixed<16, 6> d16;
typedef ap_fixed<4, 1> w4;
typedef ap_fixed<8, 1> w8;
typedef ap_fixed<12, 4> b12;
typedef ap_fixed<32, 14> wide;                        // no overflow, no rounding: order-free
typedef ap_fixed<10, 3, AP_RND, AP_SAT> narrow;       // saturates: the addition order matters
typedef ap_fixed<9, 4, AP_TRN, AP_WRAP> narrow_wrap;  // wraps
typedef ap_fixed<8, 3, AP_RND, AP_SAT> r8;

int main() {
    Counter t;
    for (unsigned seed = 1; seed <= 2; seed++) {
        //                   PIX NIN NOUT SIMD PE RELU  weight bias acc   result
        run<d8, d8, Cfg<3, 6, 4, 1, 1, false, w8, b12, wide, d16> >(t, "pe1_simd1", seed);
        run<d8, d8, Cfg<3, 6, 4, 1, 1, true, w8, b12, wide, d16> >(t, "pe1_simd1_relu", seed);
        run<d8, d16, Cfg<4, 8, 5, 2, 5, false, w8, b12, wide, wide> >(t, "pe_nout_simd2", seed);
        run<d8, d8, Cfg<3, 6, 6, 6, 2, true, w4, b12, wide, d16> >(t, "pe2_simd_nin_relu", seed);
        run<d8, d8, Cfg<2, 9, 4, 9, 4, false, w8, b12, wide, r8> >(t, "pe_nout_simd_nin", seed);
        run<u8, d8, Cfg<4, 12, 6, 3, 2, true, w8, b12, wide, d16> >(t, "pe2_simd3_unsigned_relu", seed);
        // the products bound to DSPs or to LUTs: the same values
        run<u8, d8, Cfg<4, 12, 6, 3, 2, true, w8, b12, wide, d16, int8_t, int16_t, 1> >(t, "mult_dsp", seed);
        run<u8, d8, Cfg<4, 12, 6, 3, 2, true, w8, b12, wide, d16, int8_t, int16_t, 2> >(t, "mult_lut", seed);
        run<d16, d8, Cfg<3, 12, 8, 4, 2, false, w8, b12, wide, r8> >(t, "pe2_simd4_16bit_in", seed);
        run<d8, d8, Cfg<1, 18, 6, 3, 3, true, w4, b12, wide, d16> >(t, "dense_pe3_simd3", seed);
        // narrow accumulators at SIMD = 1 (term order = input order), NF > 1
        run<d8, d8, Cfg<4, 9, 6, 1, 2, false, w8, b12, narrow, d16> >(t, "narrow_sat_acc_simd1", seed);
        run<d8, d8, Cfg<4, 9, 6, 1, 3, true, w8, b12, narrow, d16> >(t, "narrow_sat_acc_simd1_relu", seed);
        run<d8, d8, Cfg<3, 8, 4, 1, 1, false, w8, b12, narrow_wrap, d16> >(t, "narrow_wrap_acc_simd1", seed);
        // the kernel's order is (f, s) = input order, so a saturating accumulator also matches at SIMD > 1
        run<d8, d8, Cfg<3, 12, 4, 3, 2, false, w8, b12, narrow, d16> >(t, "narrow_sat_acc_simd3", seed);
    }
    return t.finish();
}
