// max_pool2d / avg_pool2d / global_avg_pool against naive references on plain arrays, plus the
// exact rule of `ap_fixed /= int` that the average pools rely on.
#include "harness.h"
#include "hwsim_gap.h"
#include "hwsim_pool.h"

using th::Counter;
using th::Rng;

// PyTorch's pooling output size, written out independently of the kernels.
static int torch_pool_out(int n, int k, int s, int p, bool ceil_mode) {
    int span = n + 2 * p - k;
    int out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (out - 1) * s >= n + p) out -= 1;
    return out;
}

template <unsigned H, unsigned W, unsigned C, unsigned K, unsigned S, unsigned P, bool CEIL, class AT = ap_fixed<24, 10> >
struct PoolCfg {
    static const unsigned in_height = H, in_width = W, n_chan = C;
    static const unsigned pool_height = K, pool_width = K, stride_height = S, stride_width = S;
    static const unsigned pad_height = P, pad_width = P;
    static const bool ceil_mode = CEIL;
    static const unsigned out_height = (CEIL ? (H + 2 * P - K + S - 1) / S : (H + 2 * P - K) / S) + 1 -
                                       ((CEIL && ((H + 2 * P - K + S - 1) / S) * S >= H + P) ? 1 : 0);
    static const unsigned out_width = (CEIL ? (W + 2 * P - K + S - 1) / S : (W + 2 * P - K) / S) + 1 -
                                      ((CEIL && ((W + 2 * P - K + S - 1) / S) * S >= W + P) ? 1 : 0);
    typedef AT accum_t;
};

// Naive references over an HWC array. AVG: sum of in-range values in accum_t, then /= K * K.
template <class data_T, class res_T, class CFG, bool AVG> std::vector<res_T> ref_pool(const std::vector<data_T> &x) {
    const int H = CFG::in_height, W = CFG::in_width, C = CFG::n_chan;
    const int K = CFG::pool_height, S = CFG::stride_height, P = CFG::pad_height;
    const int OH = torch_pool_out(H, K, S, P, CFG::ceil_mode), OW = torch_pool_out(W, K, S, P, CFG::ceil_mode);
    std::vector<res_T> y;
    for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++)
            for (int c = 0; c < C; c++) {
                typename CFG::accum_t acc = 0;
                data_T best = 0;
                int seen = 0;
                for (int kh = 0; kh < K; kh++)
                    for (int kw = 0; kw < K; kw++) {
                        int ih = oh * S - P + kh, iw = ow * S - P + kw;
                        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                        data_T v = x[(ih * W + iw) * C + c];
                        if (seen++ == 0 || v > best) best = v;
                        acc += (typename CFG::accum_t)v;
                    }
                if (AVG) {
                    acc /= K * K;
                    y.push_back((res_T)acc);
                } else {
                    y.push_back((res_T)best);
                }
            }
    return y;
}

template <bool AVG> struct Pool {
    template <class data_T, class res_T, class CFG> static void call(hls::stream<data_T> &in, hls::stream<res_T> &out) {
        hwsim::max_pool2d<data_T, res_T, CFG>(in, out);
    }
};
template <> struct Pool<true> {
    template <class data_T, class res_T, class CFG> static void call(hls::stream<data_T> &in, hls::stream<res_T> &out) {
        hwsim::avg_pool2d<data_T, res_T, CFG>(in, out);
    }
};

template <class data_T, class res_T, class CFG, bool AVG> void run_pool(Counter &t, const char *name, unsigned seed) {
    Rng rng(seed);
    std::vector<data_T> x = th::random_values<data_T>(rng, CFG::in_height * CFG::in_width * CFG::n_chan);
    std::vector<res_T> expected = ref_pool<data_T, res_T, CFG, AVG>(x);
    hls::stream<data_T> in("in");
    hls::stream<res_T> out("out");
    th::push_all(in, x);
    Pool<AVG>::template call<data_T, res_T, CFG>(in, out);
    t.record(th::same_stream(out, expected, in, name), name);
}

template <unsigned H, unsigned W, unsigned C, class AT> struct GapCfg {
    static const unsigned in_height = H, in_width = W, n_chan = C;
    typedef AT accum_t;
};

template <class data_T, class res_T, class CFG> void run_gap(Counter &t, const char *name, unsigned seed) {
    Rng rng(seed);
    const unsigned n = CFG::in_height * CFG::in_width;
    std::vector<data_T> x = th::random_values<data_T>(rng, n * CFG::n_chan);
    std::vector<res_T> expected;
    for (unsigned c = 0; c < CFG::n_chan; c++) {
        typename CFG::accum_t acc = 0;
        for (unsigned p = 0; p < n; p++) acc += (typename CFG::accum_t)x[p * CFG::n_chan + c];
        acc /= (int)n;
        expected.push_back((res_T)acc);
    }
    hls::stream<data_T> in("in");
    hls::stream<res_T> out("out");
    th::push_all(in, x);
    hwsim::global_avg_pool<data_T, res_T, CFG>(in, out);
    t.record(th::same_stream(out, expected, in, name), name);
}

// `acc /= n` (n a C int) equals: raw mantissa divided by n, truncated toward zero, same LSB.
template <class T> void check_division_rule(Counter &t, const char *name, unsigned seed) {
    Rng rng(seed);
    bool ok = true, saw_negative_remainder = !th::is_signed<T>();
    for (int i = 0; i < 4000; i++) {
        long long raw = rng.range(th::raw_min<T>(), th::raw_max<T>());
        int n = (int)rng.range(1, 200);
        T a = th::from_raw<T>(raw);
        a /= n;
        long long want = raw / n; // C++: truncation toward zero
        if (raw < 0 && raw % n != 0) saw_negative_remainder = true;
        if (th::raw_of(a) != want) {
            if (ok) std::printf("  %s: raw %lld / %d gave %lld, want %lld\n", name, raw, n, th::raw_of(a), want);
            ok = false;
        }
    }
    t.record(ok && saw_negative_remainder, name);
}

typedef ap_fixed<8, 3> d8;
typedef ap_ufixed<8, 3> u8;
typedef ap_ufixed<4, 2> u4;
typedef ap_fixed<16, 6> d16;
typedef ap_fixed<6, 2, AP_RND, AP_SAT> r6s;
typedef ap_fixed<9, 4, AP_TRN, AP_WRAP> acc_wrap; // narrow: window sums wrap
typedef ap_fixed<14, 5, AP_RND_CONV, AP_SAT> acc_rnd;

int main() {
    Counter t;
    check_division_rule<ap_fixed<20, 8> >(t, "div_rule_trn_wrap", 1);
    check_division_rule<ap_fixed<20, 8, AP_RND, AP_SAT> >(t, "div_rule_rnd_sat", 2);
    check_division_rule<ap_fixed<12, 2, AP_RND_CONV, AP_WRAP> >(t, "div_rule_rnd_conv", 3);
    check_division_rule<ap_ufixed<16, 6, AP_RND> >(t, "div_rule_unsigned", 4);
    for (unsigned seed = 1; seed <= 2; seed++) {
        // max pool: SqueezeNet 3x3/2 ceil with ragged edges, padding, floor, unsigned, narrowing casts
        run_pool<d8, d8, PoolCfg<14, 13, 3, 3, 2, 0, true>, false>(t, "max3x3_s2_ceil_ragged", seed);
        run_pool<d8, d8, PoolCfg<8, 9, 2, 3, 2, 1, true>, false>(t, "max3x3_s2_p1_ceil", seed);
        run_pool<d8, d8, PoolCfg<7, 5, 2, 2, 2, 0, false>, false>(t, "max2x2_s2_floor_odd", seed);
        run_pool<d16, d8, PoolCfg<6, 7, 3, 3, 1, 1, false>, false>(t, "max3x3_s1_p1_16to8", seed);
        run_pool<u8, r6s, PoolCfg<10, 11, 2, 3, 3, 0, true>, false>(t, "max3x3_s3_ceil_unsigned", seed);
        run_pool<u4, u4, PoolCfg<5, 6, 2, 2, 1, 1, true>, false>(t, "max2x2_s1_p1_ceil_u4", seed);
        run_pool<d8, d8, PoolCfg<9, 9, 2, 3, 2, 0, false>, false>(t, "max3x3_s2_floor_9", seed);
        // average pool (count_include_pad)
        run_pool<d8, d8, PoolCfg<6, 7, 2, 2, 2, 0, false>, true>(t, "avg2x2_s2", seed);
        run_pool<d8, d16, PoolCfg<7, 6, 3, 3, 1, 1, false>, true>(t, "avg3x3_s1_p1", seed);
        run_pool<d8, d8, PoolCfg<9, 8, 2, 3, 2, 1, false, acc_wrap>, true>(t, "avg3x3_s2_p1_wrap_acc", seed);
        run_pool<u8, r6s, PoolCfg<7, 7, 2, 3, 2, 0, false, acc_rnd>, true>(t, "avg3x3_s2_unsigned_rnd_acc", seed);
        run_pool<u4, d8, PoolCfg<5, 5, 1, 5, 1, 2, false>, true>(t, "avg5x5_p2_u4", seed);
        run_pool<d8, d16, PoolCfg<6, 5, 3, 3, 1, 0, false, ap_fixed<12, 7> >, true>(t, "avg3x3_acc_lsb_of_data", seed);
        // global average pool
        run_gap<d8, d8, GapCfg<5, 7, 3, ap_fixed<20, 10> > >(t, "gap_5x7", seed);
        run_gap<d8, d16, GapCfg<13, 13, 4, ap_fixed<24, 12> > >(t, "gap_13x13", seed);
        run_gap<d16, d8, GapCfg<1, 1, 6, ap_fixed<18, 7> > >(t, "gap_1x1", seed);
        run_gap<d8, d16, GapCfg<3, 5, 4, ap_fixed<16, 11> > >(t, "gap_acc_lsb_of_data", seed);
        run_gap<u8, r6s, GapCfg<4, 3, 5, acc_wrap> >(t, "gap_wrap_acc_unsigned", seed);
    }
    return t.finish();
}
