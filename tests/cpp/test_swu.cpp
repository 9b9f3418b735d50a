// sliding_window against a naive reference that builds every window straight from the input image,
// plus its iteration count (a C++ copy of hwsim.hw.units.swu_cycles) and its stream sizes. With
// taps = KW (a kernel row per beat, lanes tap-major) the flattened values are the same as with one
// tap per beat: only the beats are KW times wider and KW times fewer.
#include "harness.h"
#include "hwsim_swu.h"

using th::Counter;
using th::Rng;

// PyTorch's output size (hwsim.ir.geometry.pool_out); floor mode is also the convolution's.
constexpr unsigned torch_out(unsigned n, unsigned k, unsigned s, unsigned p, bool ceil_mode) {
    return ((ceil_mode ? (n + 2 * p - k + s - 1) / s : (n + 2 * p - k) / s) + 1) -
           ((ceil_mode && ((n + 2 * p - k + s - 1) / s) * s >= n + p) ? 1 : 0);
}

template <unsigned H, unsigned W, unsigned C, unsigned SIMD, unsigned KH, unsigned KW, unsigned SH, unsigned SW,
          unsigned PH, unsigned PW, bool CEIL, bool PAD_MIN, unsigned TAPS = 1>
struct Cfg {
    static const unsigned taps = TAPS;
    static const unsigned in_height = H, in_width = W, n_chan = C, simd = SIMD;
    static const unsigned filt_height = KH, filt_width = KW, stride_height = SH, stride_width = SW;
    static const unsigned pad_height = PH, pad_width = PW;
    static const unsigned out_height = torch_out(H, KH, SH, PH, CEIL), out_width = torch_out(W, KW, SW, PW, CEIL);
    static const unsigned rows = KH + SH;
    static const bool pad_min = PAD_MIN;
    static const unsigned counter = 7;
};

// hwsim.hw.units.real_rows / swu_cycles, written again.
static long rows_in(long lo, long hi, long pad, long n) {
    long a = lo > pad ? lo : pad, b = hi < pad + n ? hi : pad + n;
    return b > a ? b - a : 0;
}
static unsigned long long swu_cycles(long h, long w, long cf, long kh, long kw, long sh, long ph, long oh, long ow,
                                     long taps) {
    long emit = ow * cf * kh * (kw / taps);
    unsigned long long total = rows_in(0, kh, ph, h) * w * cf;
    for (long s = 1; s <= oh; s++) {
        long reads = rows_in((s - 1) * sh + kh, s * sh + kh, ph, h) * w * cf;
        total += emit > reads ? emit : reads;
    }
    return total;
}

// Windows in (oh, ow, cf, kh, kw, lane) order; positions outside the input give `pad`.
template <class T, class CFG> std::vector<T> ref_windows(const std::vector<T> &x, T pad) {
    const int H = CFG::in_height, W = CFG::in_width, C = CFG::n_chan, S = CFG::simd;
    std::vector<T> y;
    for (int oh = 0; oh < (int)CFG::out_height; oh++)
        for (int ow = 0; ow < (int)CFG::out_width; ow++)
            for (int cf = 0; cf < C / S; cf++)
                for (int kh = 0; kh < (int)CFG::filt_height; kh++)
                    for (int kw = 0; kw < (int)CFG::filt_width; kw++)
                        for (int s = 0; s < S; s++) {
                            int ih = oh * (int)CFG::stride_height + kh - (int)CFG::pad_height;
                            int iw = ow * (int)CFG::stride_width + kw - (int)CFG::pad_width;
                            bool inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
                            y.push_back(inside ? x[(ih * W + iw) * C + cf * S + s] : pad);
                        }
    return y;
}

template <class T, class CFG> void run(Counter &t, const char *name, unsigned seed) {
    typedef hwsim::beat<T, CFG::simd> B;
    typedef hwsim::beat<T, CFG::simd * CFG::taps> BO;
    Rng rng(seed);
    std::vector<T> x = th::random_values<T>(rng, CFG::in_height * CFG::in_width * CFG::n_chan);
    const T pad = CFG::pad_min ? th::from_raw<T>(th::raw_min<T>()) : T(0);
    std::vector<T> want = ref_windows<T, CFG>(x, pad);
    hls::stream<B> in("in");
    hls::stream<BO> out("out");
    th::push_beats(in, x);
    hwsim::cycle_counts()[CFG::counter] = 0;
    hwsim::sliding_window<B, BO, CFG>(in, out);
    const unsigned long long count = hwsim::cycle_counts()[CFG::counter];
    const unsigned cf = CFG::n_chan / CFG::simd;
    const size_t beats = (size_t)CFG::out_height * CFG::out_width * cf * CFG::filt_height * CFG::filt_width / CFG::taps;
    bool ok = in.empty() && out.size() == beats;
    if (!ok) std::printf("  %s: %zu input beats left, %zu output beats (want %zu)\n", name, in.size(), out.size(), beats);
    ok = th::same_values(th::drain_beats(out), want, name) && ok;
    ok = th::same_count(count, swu_cycles(CFG::in_height, CFG::in_width, cf, CFG::filt_height, CFG::filt_width,
                                          CFG::stride_height, CFG::pad_height, CFG::out_height, CFG::out_width, CFG::taps),
                        name) && ok;
    t.record(ok, name);
}

typedef ap_fixed<8, 3> d8;
typedef ap_ufixed<6, 2> u6;

int main() {
    Counter t;
    // the output sizes the references rely on (hwsim.ir.geometry.pool_out)
    static_assert(torch_out(8, 3, 2, 0, true) == 4 && torch_out(8, 3, 2, 0, false) == 3, "ceil 8/3/2");
    static_assert(torch_out(13, 3, 2, 0, true) == 6 && torch_out(14, 3, 2, 0, true) == 7, "ceil 13, 14");
    static_assert(torch_out(5, 2, 2, 1, true) == 3 && torch_out(6, 2, 2, 1, true) == 4, "ceil 2/2 pad 1");
    for (unsigned seed = 1; seed <= 2; seed++) {
        //          H   W   C  SIMD KH KW SH SW PH PW ceil  pad_min
        run<d8, Cfg<6, 6, 4, 2, 3, 3, 1, 1, 1, 1, false, false> >(t, "conv3x3_s1_p1_simd2", seed);
        run<d8, Cfg<5, 7, 3, 1, 3, 3, 1, 1, 1, 1, false, false> >(t, "conv3x3_s1_p1_simd1_nonsquare", seed);
        run<d8, Cfg<7, 6, 6, 6, 3, 3, 1, 1, 1, 1, false, false> >(t, "conv3x3_s1_p1_simd_c", seed);
        run<d8, Cfg<8, 8, 4, 2, 3, 3, 2, 2, 0, 0, true, true> >(t, "maxpool3x3_s2_ceil_8", seed);
        run<d8, Cfg<14, 13, 3, 3, 3, 3, 2, 2, 0, 0, true, true> >(t, "maxpool3x3_s2_ceil_ragged", seed);
        run<d8, Cfg<9, 8, 2, 1, 3, 3, 2, 2, 1, 1, true, true> >(t, "maxpool3x3_s2_p1_ceil_lowest", seed);
        run<u6, Cfg<7, 9, 2, 2, 3, 3, 2, 2, 1, 1, false, true> >(t, "maxpool3x3_s2_p1_unsigned", seed);
        run<d8, Cfg<7, 6, 3, 3, 1, 1, 2, 2, 0, 0, false, false> >(t, "conv1x1_s2", seed);
        run<d8, Cfg<5, 6, 4, 1, 2, 2, 2, 2, 1, 1, false, false> >(t, "pool2x2_s2_p1", seed);
        run<d8, Cfg<5, 6, 4, 2, 2, 2, 2, 2, 1, 1, true, true> >(t, "maxpool2x2_s2_p1_ceil", seed);
        run<d8, Cfg<4, 9, 6, 3, 1, 3, 1, 1, 0, 1, false, false> >(t, "conv1x3_p01_simd3", seed);
        run<d8, Cfg<8, 5, 2, 1, 3, 1, 2, 1, 1, 0, false, false> >(t, "conv3x1_s21_p10", seed);
        run<d8, Cfg<10, 11, 2, 2, 3, 3, 3, 3, 0, 0, true, true> >(t, "maxpool3x3_s3_ceil", seed);
        run<d8, Cfg<6, 5, 4, 2, 5, 5, 1, 1, 2, 2, false, false> >(t, "conv5x5_p2", seed);
        run<d8, Cfg<3, 3, 4, 4, 3, 3, 1, 1, 0, 0, false, false> >(t, "conv3x3_single_output", seed);
        run<d8, Cfg<2, 1, 2, 1, 3, 3, 1, 1, 1, 1, false, false> >(t, "conv3x3_p1_input_smaller_than_kernel", seed);
        run<d8, Cfg<1, 1, 2, 1, 3, 3, 1, 1, 1, 1, false, false> >(t, "conv3x3_p1_1x1_input", seed);
        run<d8, Cfg<1, 3, 4, 2, 3, 3, 1, 1, 1, 1, false, false> >(t, "conv3x3_p1_one_row_input", seed);
        run<d8, Cfg<8, 7, 2, 2, 2, 2, 3, 3, 1, 1, true, true> >(t, "maxpool2x2_s3_p1_stride_gt_kernel", seed);
        //          a kernel row per beat (taps = KW)                          TAPS
        run<d8, Cfg<6, 6, 4, 2, 3, 3, 1, 1, 1, 1, false, false, 3> >(t, "rows3x3_s1_p1_simd2", seed);
        run<d8, Cfg<7, 8, 2, 1, 3, 3, 2, 2, 1, 1, false, false, 3> >(t, "rows3x3_s2_p1_simd1", seed);
        run<d8, Cfg<5, 7, 3, 3, 3, 5, 1, 2, 1, 2, false, false, 5> >(t, "rows3x5_s12_p12_simd_c", seed);
        run<d8, Cfg<1, 3, 4, 2, 3, 3, 1, 1, 1, 1, false, false, 3> >(t, "rows3x3_p1_one_row_input", seed);
    }
    return t.finish();
}
