// hwsim_stream.h against naive references: max / average pools over window beats (and chained after
// sliding_window, against PyTorch's pools on the image), cast, global average pool, concat, add, split
// and the width converter, with the iteration counts of hwsim.hw.units; plus the exact rule of
// `ap_fixed /= int` that the average pools rely on.
#include "harness.h"
#include "hwsim_stream.h"
#include "hwsim_swu.h"

using th::Counter;
using th::Rng;

static const unsigned ID = 11; // the counter every config below uses (reset before each call)

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

// raw_to<T>(raw) (setBits) equals the range assignment of the raw bits, for every width up to 64,
// signed and unsigned, raw held sign-extended in the narrowest integer type (as weights.cpp does).
template <class T, class raw_T> void check_raw_to(Counter &t, const char *name, unsigned seed) {
    Rng rng(seed);
    bool ok = true;
    for (int i = 0; i < 3000; i++) {
        uint64_t bits = rng.next();
        if (T::width < 64) bits &= (1ULL << T::width) - 1;
        long long sx = (long long)bits;
        if (th::is_signed<T>() && T::width < 64 && ((bits >> (T::width - 1)) & 1)) sx -= (long long)(1ULL << T::width);
        const raw_T raw = (raw_T)sx;
        T want = 0;
        want.range(T::width - 1, 0) = bits;
        const T got = hwsim::raw_to<T>(raw);
        if (got != want || got.range(T::width - 1, 0) != want.range(T::width - 1, 0)) {
            if (ok) std::printf("  %s: raw %lld gave %s, want %s\n", name, sx, got.to_string().c_str(),
                                want.to_string().c_str());
            ok = false;
        }
    }
    t.record(ok, name);
}

// a / n by the rule above, written with integers.
template <class T> T divided(const T &a, int n) { return th::from_raw<T>(th::raw_of(a) / n); }

template <class T> std::vector<T> values_with_lowest(Rng &rng, unsigned n) {
    std::vector<T> v = th::random_values<T>(rng, n);
    for (unsigned i = 0; i < n; i++)
        if (rng.range(0, 3) == 0) v[i] = th::from_raw<T>(th::raw_min<T>());
    return v;
}

// Runs K (a functor: in, out) on beats of the values x and checks values, consumption and the count.
template <class InB, class OutB, class K>
void check(Counter &t, const char *name, K kernel, const std::vector<typename InB::value_type> &x,
           const std::vector<typename OutB::value_type> &want, unsigned long long cycles) {
    hls::stream<InB> in("in");
    hls::stream<OutB> out("out");
    th::push_beats(in, x);
    hwsim::cycle_counts()[ID] = 0;
    kernel(in, out);
    bool ok = in.empty();
    if (!ok) std::printf("  %s: %zu input beats left\n", name, in.size());
    ok = th::same_values(th::drain_beats(out), want, name) && ok;
    t.record(th::same_count(hwsim::cycle_counts()[ID], cycles, name) && ok, name);
}

// --- pools over window beats: x is [pixel][cf][tap][lane] ----------------------------------------------
template <unsigned PIX, unsigned C, unsigned PE, unsigned TAPS, unsigned AREA = TAPS, class AT = ap_fixed<24, 10> >
struct PoolCfg {
    static const unsigned pixels = PIX, n_chan = C, pe = PE, cf = C / PE, taps = TAPS, area = AREA, counter = ID;
    static const bool average = true;
    typedef AT accum_t;
};

template <class CFG, bool AVG> struct Pool {
    template <class I, class O> void operator()(hls::stream<I> &in, hls::stream<O> &out) const {
        if (AVG) hwsim::avg_pool<I, O, CFG>(in, out);
        else hwsim::max_pool<I, O, CFG>(in, out);
    }
};

template <class data_T, class res_T, class CFG, bool AVG> void run_pool(Counter &t, const char *name, unsigned seed) {
    typedef typename CFG::accum_t accum_t;
    const unsigned PE = CFG::pe, TAPS = CFG::taps, groups = CFG::pixels * CFG::cf;
    Rng rng(seed);
    std::vector<data_T> x = values_with_lowest<data_T>(rng, groups * TAPS * PE);
    std::vector<res_T> want;
    for (unsigned g = 0; g < groups; g++)
        for (unsigned p = 0; p < PE; p++) {
            data_T best = x[g * TAPS * PE + p];
            accum_t acc = 0;
            for (unsigned k = 0; k < TAPS; k++) {
                data_T v = x[(g * TAPS + k) * PE + p];
                if (v > best) best = v;
                acc = acc + (accum_t)v;
            }
            want.push_back(AVG ? (res_T)divided(acc, (int)CFG::area) : (res_T)best);
        }
    check<hwsim::beat<data_T, CFG::pe>, hwsim::beat<res_T, CFG::pe> >(t, name, Pool<CFG, AVG>(), x, want,
                                                                        (unsigned long long)groups * TAPS);
}

// --- sliding_window then a pool, against PyTorch's pools on the HWC image -----------------------------
constexpr unsigned torch_out(unsigned n, unsigned k, unsigned s, unsigned p, bool ceil_mode) {
    return ((ceil_mode ? (n + 2 * p - k + s - 1) / s : (n + 2 * p - k) / s) + 1) -
           ((ceil_mode && ((n + 2 * p - k + s - 1) / s) * s >= n + p) ? 1 : 0);
}
template <unsigned H, unsigned W, unsigned C, unsigned PE, unsigned K, unsigned S, unsigned P, bool CEIL, bool AVG>
struct SwuCfg {
    static const unsigned in_height = H, in_width = W, n_chan = C, simd = PE, filt_height = K, filt_width = K;
    static const unsigned stride_height = S, stride_width = S, pad_height = P, pad_width = P, rows = K + S;
    static const unsigned out_height = torch_out(H, K, S, P, CEIL), out_width = torch_out(W, K, S, P, CEIL);
    static const bool pad_min = !AVG;
    static const unsigned counter = ID + 1;
};

template <class data_T, class res_T, class SCFG, bool AVG> void run_chain(Counter &t, const char *name, unsigned seed) {
    typedef PoolCfg<SCFG::out_height * SCFG::out_width, SCFG::n_chan, SCFG::simd, SCFG::filt_height * SCFG::filt_width>
        PCFG;
    typedef hwsim::beat<data_T, SCFG::simd> B;
    typedef typename PCFG::accum_t accum_t;
    const int H = SCFG::in_height, W = SCFG::in_width, C = SCFG::n_chan, K = SCFG::filt_height;
    const int S = SCFG::stride_height, P = SCFG::pad_height;
    Rng rng(seed);
    std::vector<data_T> x = th::random_values<data_T>(rng, H * W * C);
    std::vector<res_T> want; // max: over the in-image taps; avg: count_include_pad, sum / K^2
    for (int oh = 0; oh < (int)SCFG::out_height; oh++)
        for (int ow = 0; ow < (int)SCFG::out_width; ow++)
            for (int c = 0; c < C; c++) {
                accum_t acc = 0;
                data_T best = 0;
                int seen = 0;
                for (int kh = 0; kh < K; kh++)
                    for (int kw = 0; kw < K; kw++) {
                        int ih = oh * S - P + kh, iw = ow * S - P + kw;
                        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                        data_T v = x[(ih * W + iw) * C + c];
                        if (seen++ == 0 || v > best) best = v;
                        acc = acc + (accum_t)v;
                    }
                want.push_back(AVG ? (res_T)divided(acc, K * K) : (res_T)best);
            }
    hls::stream<B> in("in"), win("win");
    hls::stream<hwsim::beat<res_T, SCFG::simd> > out("out");
    th::push_beats(in, x);
    hwsim::sliding_window<B, B, SCFG>(in, win);
    Pool<PCFG, AVG>()(win, out);
    t.record(th::same_values(th::drain_beats(out), want, name) && in.empty() && win.empty(), name);
}

// --- element-wise kernels -----------------------------------------------------------------------------
template <unsigned PIX, unsigned C, unsigned PE, class AT = ap_fixed<24, 12> > struct MapCfg {
    static const unsigned pixels = PIX, n_chan = C, pe = PE, cf = C / PE, counter = ID;
    typedef AT accum_t;
};
// add: result_t is the add's own type, ACT the fused activation (0 none, 1 ReLU, 2 ReLU6)
template <unsigned PIX, unsigned C, unsigned PE, class RT, unsigned ACT = 0> struct AddCfg {
    static const unsigned pixels = PIX, n_chan = C, pe = PE, cf = C / PE, counter = ID, activation = ACT;
    typedef RT result_t;
};
template <class CFG> struct Cast {
    template <class I, class O> void operator()(hls::stream<I> &in, hls::stream<O> &out) const {
        hwsim::cast<I, O, CFG>(in, out);
    }
};
template <class CFG> struct Gap {
    template <class I, class O> void operator()(hls::stream<I> &in, hls::stream<O> &out) const {
        hwsim::global_avg_pool<I, O, CFG>(in, out);
    }
};

template <class data_T, class res_T, class CFG> void run_cast(Counter &t, const char *name, unsigned seed) {
    Rng rng(seed);
    std::vector<data_T> x = th::random_values<data_T>(rng, CFG::pixels * CFG::n_chan);
    std::vector<res_T> want;
    for (unsigned i = 0; i < x.size(); i++) want.push_back((res_T)x[i]);
    check<hwsim::beat<data_T, CFG::pe>, hwsim::beat<res_T, CFG::pe> >(t, name, Cast<CFG>(), x, want,
                                                                        (unsigned long long)CFG::pixels * CFG::cf);
}

template <class data_T, class res_T, class CFG> void run_gap(Counter &t, const char *name, unsigned seed) {
    Rng rng(seed);
    std::vector<data_T> x = th::random_values<data_T>(rng, CFG::pixels * CFG::n_chan);
    std::vector<res_T> want;
    for (unsigned c = 0; c < CFG::n_chan; c++) {
        typename CFG::accum_t acc = 0;
        for (unsigned p = 0; p < CFG::pixels; p++) acc = acc + (typename CFG::accum_t)x[p * CFG::n_chan + c];
        want.push_back((res_T)divided(acc, (int)CFG::pixels));
    }
    check<hwsim::beat<data_T, CFG::pe>, hwsim::beat<res_T, CFG::pe> >(t, name, Gap<CFG>(), x, want,
                                                                        (unsigned long long)CFG::pixels * CFG::cf);
}

template <unsigned PIX, unsigned C1, unsigned C2, unsigned PE> struct CatCfg {
    static const unsigned pixels = PIX, n_chan1 = C1, n_chan2 = C2, pe = PE, cf1 = C1 / PE, cf2 = C2 / PE;
    static const unsigned counter = ID;
};

template <class a_T, class b_T, class res_T, class CFG> void run_concat(Counter &t, const char *name, unsigned seed) {
    const unsigned PE = CFG::pe;
    Rng rng(seed);
    std::vector<a_T> a = th::random_values<a_T>(rng, CFG::pixels * CFG::n_chan1);
    std::vector<b_T> b = th::random_values<b_T>(rng, CFG::pixels * CFG::n_chan2);
    std::vector<res_T> want;
    for (unsigned p = 0; p < CFG::pixels; p++) {
        for (unsigned c = 0; c < CFG::n_chan1; c++) want.push_back((res_T)a[p * CFG::n_chan1 + c]);
        for (unsigned c = 0; c < CFG::n_chan2; c++) want.push_back((res_T)b[p * CFG::n_chan2 + c]);
    }
    hls::stream<hwsim::beat<a_T, PE> > sa("a");
    hls::stream<hwsim::beat<b_T, PE> > sb("b");
    hls::stream<hwsim::beat<res_T, PE> > out("out");
    th::push_beats(sa, a);
    th::push_beats(sb, b);
    hwsim::cycle_counts()[ID] = 0;
    hwsim::concat<hwsim::beat<a_T, PE>, hwsim::beat<b_T, PE>, hwsim::beat<res_T, PE>, CFG>(sa, sb, out);
    bool ok = th::same_values(th::drain_beats(out), want, name) && sa.empty() && sb.empty();
    const unsigned long long cycles = (unsigned long long)CFG::pixels * (CFG::n_chan1 + CFG::n_chan2) / PE;
    t.record(th::same_count(hwsim::cycle_counts()[ID], cycles, name) && ok, name);
}

// add: the exact sum (both operands are exact doubles) cast to result_t, then the activation on
// that value and the cast to res_T.
template <class a_T, class b_T, class res_T, class CFG> void run_add(Counter &t, const char *name, unsigned seed) {
    const unsigned PE = CFG::pe, n = CFG::pixels * CFG::n_chan;
    Rng rng(seed);
    std::vector<a_T> a = th::random_values<a_T>(rng, n);
    std::vector<b_T> b = th::random_values<b_T>(rng, n);
    std::vector<res_T> want;
    typedef typename CFG::result_t rt;
    for (unsigned i = 0; i < n; i++) {
        const rt r = rt(a[i].to_double() + b[i].to_double());
        const double v = r.to_double();
        const double act = CFG::activation == 0 ? v : CFG::activation == 1 ? (v > 0 ? v : 0.0)
                                                                            : (v > 0 ? (v < 6 ? v : 6.0) : 0.0);
        want.push_back(res_T(act));
    }
    hls::stream<hwsim::beat<a_T, PE> > sa("a");
    hls::stream<hwsim::beat<b_T, PE> > sb("b");
    hls::stream<hwsim::beat<res_T, PE> > out("out");
    th::push_beats(sa, a);
    th::push_beats(sb, b);
    hwsim::cycle_counts()[ID] = 0;
    hwsim::add<hwsim::beat<a_T, PE>, hwsim::beat<b_T, PE>, hwsim::beat<res_T, PE>, CFG>(sa, sb, out);
    bool ok = th::same_values(th::drain_beats(out), want, name) && sa.empty() && sb.empty();
    t.record(th::same_count(hwsim::cycle_counts()[ID], (unsigned long long)n / PE, name) && ok, name);
}

template <class data_T, class CFG> void run_split(Counter &t, const char *name, unsigned seed) {
    typedef hwsim::beat<data_T, CFG::pe> B;
    Rng rng(seed);
    std::vector<data_T> x = th::random_values<data_T>(rng, CFG::pixels * CFG::n_chan);
    hls::stream<B> in("in"), o1("o1"), o2("o2");
    th::push_beats(in, x);
    hwsim::cycle_counts()[ID] = 0;
    hwsim::split<B, CFG>(in, o1, o2);
    bool ok = th::same_values(th::drain_beats(o1), x, name) && th::same_values(th::drain_beats(o2), x, name);
    t.record(th::same_count(hwsim::cycle_counts()[ID], (unsigned long long)CFG::pixels * CFG::cf, name) && ok &&
                 in.empty(), name);
}

// --- width converter ----------------------------------------------------------------------------------
constexpr unsigned gcd(unsigned a, unsigned b) { return b == 0 ? a : gcd(b, a % b); }
template <unsigned PIX, unsigned C, unsigned A, unsigned B> struct ConvCfg {
    static const unsigned in_pe = A, out_pe = B, chunk = A / gcd(A, B) * B, chunks = PIX * C / chunk;
    static const unsigned reads = chunk / A, writes = chunk / B, counter = ID;
};
template <class CFG> struct Convert {
    template <class I, class O> void operator()(hls::stream<I> &in, hls::stream<O> &out) const {
        hwsim::convert<I, O, CFG>(in, out);
    }
};

template <class T, unsigned PIX, unsigned C, unsigned A, unsigned B> void run_convert(Counter &t, const char *name,
                                                                                     unsigned seed) {
    Rng rng(seed);
    std::vector<T> x = th::random_values<T>(rng, PIX * C);
    const unsigned long long cycles = PIX * C / (A < B ? A : B); // units.convert: values / min(A, B)
    check<hwsim::beat<T, A>, hwsim::beat<T, B> >(t, name, Convert<ConvCfg<PIX, C, A, B> >(), x, x, cycles);
}

typedef ap_fixed<8, 3> d8;
typedef ap_ufixed<8, 3> u8;
typedef ap_ufixed<4, 2> u4;
typedef ap_fixed<16, 6> d16;
typedef ap_fixed<6, 2, AP_RND, AP_SAT> r6s;
typedef ap_fixed<9, 4, AP_TRN, AP_WRAP> acc_wrap; // narrow: sums wrap
typedef ap_fixed<14, 5, AP_RND_CONV, AP_SAT> acc_rnd;

int main() {
    Counter t;
    check_division_rule<ap_fixed<20, 8> >(t, "div_rule_trn_wrap", 1);
    check_division_rule<ap_fixed<20, 8, AP_RND, AP_SAT> >(t, "div_rule_rnd_sat", 2);
    check_division_rule<ap_fixed<12, 2, AP_RND_CONV, AP_WRAP> >(t, "div_rule_rnd_conv", 3);
    check_division_rule<ap_ufixed<16, 6, AP_RND> >(t, "div_rule_unsigned", 4);
    check_raw_to<ap_fixed<1, 1>, int8_t>(t, "raw_to_1", 1);
    check_raw_to<ap_fixed<4, 2>, int8_t>(t, "raw_to_4", 2);
    check_raw_to<ap_fixed<8, 1, AP_RND_CONV, AP_SAT>, int8_t>(t, "raw_to_8", 3);
    check_raw_to<ap_fixed<9, 3>, int16_t>(t, "raw_to_9", 4);
    check_raw_to<ap_fixed<16, 6>, int16_t>(t, "raw_to_16", 5);
    check_raw_to<ap_fixed<17, 3>, int32_t>(t, "raw_to_17", 6);
    check_raw_to<ap_fixed<32, 16>, int32_t>(t, "raw_to_32", 7);
    check_raw_to<ap_fixed<33, 5>, int64_t>(t, "raw_to_33", 8);
    check_raw_to<ap_fixed<63, 10>, int64_t>(t, "raw_to_63", 9);
    check_raw_to<ap_fixed<64, 32>, int64_t>(t, "raw_to_64", 10);
    check_raw_to<ap_ufixed<8, 3>, uint8_t>(t, "raw_to_u8", 11);
    check_raw_to<ap_ufixed<16, 6>, uint16_t>(t, "raw_to_u16", 12);
    check_raw_to<ap_ufixed<64, 1>, uint64_t>(t, "raw_to_u64", 13);
    for (unsigned seed = 1; seed <= 2; seed++) {
        //                         PIX C PE TAPS
        run_pool<d8, d8, PoolCfg<5, 4, 2, 9>, false>(t, "max_taps9_pe2", seed);
        run_pool<d8, d8, PoolCfg<6, 3, 1, 4>, false>(t, "max_taps4_pe1", seed);
        run_pool<d16, r6s, PoolCfg<3, 6, 6, 9>, false>(t, "max_pe_c_16to6sat", seed);
        run_pool<u8, u4, PoolCfg<4, 4, 2, 1>, false>(t, "max_taps1_unsigned", seed);
        run_pool<d8, d8, PoolCfg<5, 4, 2, 9>, true>(t, "avg_taps9_pe2", seed);
        run_pool<d8, d16, PoolCfg<4, 6, 3, 4>, true>(t, "avg_taps4_pe3", seed);
        run_pool<d8, d8, PoolCfg<4, 2, 1, 9, 9, acc_wrap>, true>(t, "avg_wrap_acc", seed);
        run_pool<u8, r6s, PoolCfg<3, 4, 4, 9, 9, acc_rnd>, true>(t, "avg_unsigned_rnd_acc", seed);
        run_pool<d8, d16, PoolCfg<3, 4, 2, 9, 6>, true>(t, "avg_area_field_is_the_divisor", seed);
        run_pool<d8, d16, PoolCfg<3, 4, 2, 9, 9, ap_fixed<12, 7> >, true>(t, "avg_acc_lsb_of_data", seed);
        //                         H   W  C PE K S P ceil avg
        run_chain<d8, d8, SwuCfg<14, 13, 3, 3, 3, 2, 0, true, false>, false>(t, "swu_max3x3_s2_ceil", seed);
        run_chain<d8, d8, SwuCfg<8, 9, 4, 2, 3, 2, 1, true, false>, false>(t, "swu_max3x3_s2_p1_ceil", seed);
        run_chain<u8, u8, SwuCfg<7, 5, 2, 1, 2, 2, 0, false, false>, false>(t, "swu_max2x2_s2_unsigned", seed);
        run_chain<d8, d16, SwuCfg<7, 6, 4, 2, 3, 1, 1, false, true>, true>(t, "swu_avg3x3_s1_p1", seed);
        run_chain<d8, d8, SwuCfg<6, 7, 2, 2, 2, 2, 0, false, true>, true>(t, "swu_avg2x2_s2", seed);
        run_cast<d16, d8, MapCfg<6, 4, 2> >(t, "cast_16to8_wrap", seed);
        run_cast<d16, r6s, MapCfg<5, 6, 3> >(t, "cast_16to6_rnd_sat", seed);
        run_cast<u8, d16, MapCfg<4, 3, 1> >(t, "cast_widen_pe1", seed);
        run_gap<d8, d8, MapCfg<35, 6, 2, ap_fixed<20, 10> > >(t, "gap_5x7_pe2", seed);
        run_gap<d8, d16, MapCfg<169, 4, 4, ap_fixed<24, 12> > >(t, "gap_13x13_pe_c", seed);
        run_gap<d16, d8, MapCfg<1, 6, 3, ap_fixed<18, 7> > >(t, "gap_1pixel", seed);
        run_gap<d8, d16, MapCfg<15, 4, 1, ap_fixed<16, 11> > >(t, "gap_acc_lsb_of_data", seed);
        run_gap<u8, r6s, MapCfg<12, 5, 5, acc_wrap> >(t, "gap_wrap_acc_unsigned", seed);
        run_concat<d8, d8, d8, CatCfg<6, 4, 6, 2> >(t, "concat_pe2", seed);
        run_concat<d8, d16, d8, CatCfg<5, 3, 2, 1> >(t, "concat_pe1_mixed", seed);
        run_concat<u8, d8, r6s, CatCfg<4, 4, 8, 4> >(t, "concat_pe4_cast", seed);
        run_add<d8, d8, d8, AddCfg<6, 4, 2, d8> >(t, "add_wrap", seed);
        run_add<d8, d16, r6s, AddCfg<5, 6, 3, r6s> >(t, "add_mixed_rnd_sat", seed);
        run_add<u8, d8, d16, AddCfg<4, 4, 4, d16> >(t, "add_unsigned_pe_c", seed);
        run_add<d8, d8, d8, AddCfg<6, 4, 2, d8, 1> >(t, "add_relu_wrap", seed);
        run_add<d8, d16, r6s, AddCfg<5, 6, 3, d16, 1> >(t, "add_relu_then_cast", seed);
        run_add<d16, d16, d16, AddCfg<4, 4, 4, d16, 2> >(t, "add_relu6", seed);
        run_add<d16, d8, u8, AddCfg<4, 6, 2, r6s, 2> >(t, "add_relu6_unsigned_out", seed);
        run_split<d8, MapCfg<6, 4, 2> >(t, "split_pe2", seed);
        run_split<d16, MapCfg<3, 5, 1> >(t, "split_pe1", seed);
        //                 PIX  C  A  B
        run_convert<d8, 4, 6, 2, 6>(t, "convert_2to6", seed);
        run_convert<d8, 3, 12, 6, 4>(t, "convert_6to4_lcm12", seed);
        run_convert<d8, 3, 12, 4, 6>(t, "convert_4to6_lcm12", seed);
        run_convert<d8, 5, 8, 4, 4>(t, "convert_equal", seed);
        run_convert<d8, 4, 6, 1, 3>(t, "convert_1to3", seed);
        run_convert<d8, 4, 8, 4, 1>(t, "convert_4to1", seed);
        run_convert<d16, 2, 6, 3, 2>(t, "convert_3to2", seed);
    }
    return t.finish();
}
