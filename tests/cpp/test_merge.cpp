// concat / add / split against direct element-wise references.
#include "harness.h"
#include "hwsim_merge.h"

using th::Counter;
using th::Rng;

template <unsigned H, unsigned W, unsigned C1, unsigned C2> struct CatCfg {
    static const unsigned height = H, width = W, n_chan1 = C1, n_chan2 = C2;
};
template <unsigned H, unsigned W, unsigned C> struct MapCfg {
    static const unsigned height = H, width = W, n_chan = C;
};

template <class a_T, class b_T, class res_T, class CFG> void run_concat(Counter &t, const char *name, unsigned seed) {
    Rng rng(seed);
    const unsigned n = CFG::height * CFG::width;
    std::vector<a_T> a = th::random_values<a_T>(rng, n * CFG::n_chan1);
    std::vector<b_T> b = th::random_values<b_T>(rng, n * CFG::n_chan2);
    std::vector<res_T> expected;
    for (unsigned p = 0; p < n; p++) {
        for (unsigned c = 0; c < CFG::n_chan1; c++) expected.push_back((res_T)a[p * CFG::n_chan1 + c]);
        for (unsigned c = 0; c < CFG::n_chan2; c++) expected.push_back((res_T)b[p * CFG::n_chan2 + c]);
    }
    hls::stream<a_T> sa("a");
    hls::stream<b_T> sb("b");
    hls::stream<res_T> out("out");
    th::push_all(sa, a);
    th::push_all(sb, b);
    hwsim::concat<a_T, b_T, res_T, CFG>(sa, sb, out);
    t.record(th::same_stream(out, expected, sa, name) && sb.empty(), name);
}

template <class a_T, class b_T, class res_T, class CFG> void run_add(Counter &t, const char *name, unsigned seed) {
    Rng rng(seed);
    const unsigned n = CFG::height * CFG::width * CFG::n_chan;
    std::vector<a_T> a = th::random_values<a_T>(rng, n);
    std::vector<b_T> b = th::random_values<b_T>(rng, n);
    std::vector<res_T> expected;
    for (unsigned i = 0; i < n; i++) expected.push_back((res_T)(a[i] + b[i]));
    hls::stream<a_T> sa("a");
    hls::stream<b_T> sb("b");
    hls::stream<res_T> out("out");
    th::push_all(sa, a);
    th::push_all(sb, b);
    hwsim::add<a_T, b_T, res_T, CFG>(sa, sb, out);
    t.record(th::same_stream(out, expected, sa, name) && sb.empty(), name);
}

template <class T, class CFG> void run_split(Counter &t, const char *name, unsigned seed) {
    Rng rng(seed);
    std::vector<T> x = th::random_values<T>(rng, CFG::height * CFG::width * CFG::n_chan);
    hls::stream<T> in("in"), o1("o1"), o2("o2");
    th::push_all(in, x);
    hwsim::split<T, CFG>(in, o1, o2);
    bool ok = th::same_stream(o1, x, in, name);
    t.record(th::same_stream(o2, x, in, name) && ok, name);
}

typedef ap_fixed<8, 3> d8;
typedef ap_ufixed<8, 4> u8;
typedef ap_ufixed<4, 2> u4;
typedef ap_fixed<16, 6> d16;
typedef ap_fixed<6, 2, AP_RND, AP_SAT> r6s;
typedef ap_fixed<7, 3, AP_RND_ZERO, AP_WRAP> r7w;

int main() {
    Counter t;
    for (unsigned seed = 1; seed <= 3; seed++) {
        run_concat<d8, d8, d8, CatCfg<3, 5, 4, 4> >(t, "concat_same_types", seed);
        run_concat<u8, d16, d8, CatCfg<5, 3, 2, 7> >(t, "concat_mixed_to_d8", seed);
        run_concat<d16, u4, r6s, CatCfg<1, 1, 9, 1> >(t, "concat_1x1_saturating", seed);
        run_add<d8, d8, d8, MapCfg<4, 5, 3> >(t, "add_same_types_wrap", seed);
        run_add<d8, u8, r6s, MapCfg<3, 3, 4> >(t, "add_signed_unsigned_sat", seed);
        run_add<d16, u4, r7w, MapCfg<2, 7, 2> >(t, "add_16_u4_rnd_zero", seed);
        run_split<d8, MapCfg<3, 4, 5> >(t, "split_d8", seed);
        run_split<u4, MapCfg<1, 1, 3> >(t, "split_u4", seed);
    }
    return t.finish();
}
