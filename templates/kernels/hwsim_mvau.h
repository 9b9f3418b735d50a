// hwsim kernels: the matrix-vector unit of convolutions and dense layers (one pipelined loop).
//
// CONFIG_T:
//   static const unsigned pixels;        output pixels per image (1 for a dense layer)
//   static const unsigned n_in, n_out;   products per output (C x KH x KW, or the dense's inputs); outputs
//   static const unsigned simd, pe;      values read per beat; outputs computed in parallel
//   static const unsigned sf, nf;        n_in / simd, n_out / pe
//   static const unsigned activation;    fused activation on the output: 0 none, 1 ReLU, 2 ReLU6
//   static const unsigned mult;          where the products are built: 0 the tool's choice, 1 DSPs,
//                                        2 LUTs (fabric) -- a BIND_OP on the product, no other change
//   static const unsigned counter;       index of this call's iteration counter
//   typedef ... weight_t, bias_t, accum_t, result_t, weight_raw_t, bias_raw_t;
// weights[p][nf * sf + f][s]: the weight of output nf * pe + p for input term f * simd + s, in the
//   order the input arrives (the sliding window's (channel fold, kh, kw) beats, or a dense layer's
//   stream order (h, w, c)); raw two's-complement bits, read with raw_to<weight_t>.
// biases[p][nf]: the bias of output nf * pe + p (zeros for a layer without bias).
//
// The loop runs pixels x nf x sf iterations. Iteration (pixel, nf, f) reads input beat f (from the
// stream when nf == 0, else from the input buffer that holds the pixel's sf beats), and each of the
// PE lanes adds its SIMD products: for p, for s (unrolled):
//   acc[p] = (f == 0 ? (accum_t)bias : acc[p]) + (accum_t)(x[s] * w)   -- s ascending;
// at f == sf - 1 it writes one beat of PE outputs, result_t r = (result_t)acc, then the fused
// activation and the cast to res_T (cast_result). Additions run in the order (f, s): with SIMD = 1 or a 1x1 kernel
// that is the simulator's (c, kh, kw); the order matters only for a saturating accum_t.
#ifndef HWSIM_MVAU_H_
#define HWSIM_MVAU_H_

#include "hwsim_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace hwsim {

// The exact ap_fixed product a * b, bound to DSPs (1) or to LUTs (2) for synthesis; 0 leaves the
// choice to the tool. The value is the same in every case.
template <unsigned MULT> struct multiply {
    template <class A, class B> static auto run(const A &a, const B &b) -> decltype(a * b) {
        HWSIM_PRAGMA(HLS INLINE)
        return a * b;
    }
};
template <> struct multiply<1> {
    template <class A, class B> static auto run(const A &a, const B &b) -> decltype(a * b) {
        HWSIM_PRAGMA(HLS INLINE)
        decltype(a * b) p = a * b;
        HWSIM_PRAGMA(HLS BIND_OP variable = p op = mul impl = dsp)
        return p;
    }
};
template <> struct multiply<2> {
    template <class A, class B> static auto run(const A &a, const B &b) -> decltype(a * b) {
        HWSIM_PRAGMA(HLS INLINE)
        decltype(a * b) p = a * b;
        HWSIM_PRAGMA(HLS BIND_OP variable = p op = mul impl = fabric)
        return p;
    }
};

template <class data_T, class res_T, typename CONFIG_T>
void mvau(hls::stream<data_T> &in, hls::stream<res_T> &out,
          const typename CONFIG_T::weight_raw_t weights[CONFIG_T::pe][CONFIG_T::nf * CONFIG_T::sf][CONFIG_T::simd],
          const typename CONFIG_T::bias_raw_t biases[CONFIG_T::pe][CONFIG_T::nf]) {
    typedef typename CONFIG_T::accum_t accum_t;
    static const unsigned PE = CONFIG_T::pe;
    static const unsigned SIMD = CONFIG_T::simd;
    static const unsigned SF = CONFIG_T::sf;
    static const unsigned NF = CONFIG_T::nf;
    static const unsigned long TOTAL = (unsigned long)CONFIG_T::pixels * NF * SF;
    static_assert(data_T::size == SIMD && res_T::size == PE, "mvau: beats of simd in, pe out");
    static_assert(SF * SIMD == CONFIG_T::n_in && NF * PE == CONFIG_T::n_out, "mvau: folding must divide");
    static_assert(CONFIG_T::counter < MAX_KERNELS, "counter out of range");

    data_T inbuf[SF];
    accum_t acc[PE];
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = acc complete)
    unsigned f = 0, nf = 0;
Matrix:
    for (unsigned long i = 0; i < TOTAL; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        HWSIM_COUNT(CONFIG_T::counter);
        data_T x;
        if (nf == 0) {
            x = in.read();
            inbuf[f] = x;
        } else {
            x = inbuf[f];
        }
        const unsigned tile = nf * SF + f;
    Lanes:
        for (unsigned p = 0; p < PE; p++) {
            HWSIM_PRAGMA(HLS UNROLL)
            accum_t a = f == 0 ? (accum_t)raw_to<typename CONFIG_T::bias_t>(biases[p][nf]) : acc[p];
        Products:
            for (unsigned s = 0; s < SIMD; s++) {
                HWSIM_PRAGMA(HLS UNROLL)
                a = a + (accum_t)multiply<CONFIG_T::mult>::run(
                            x[s], raw_to<typename CONFIG_T::weight_t>(weights[p][tile][s]));
            }
            acc[p] = a;
        }
        if (f == SF - 1) {
            res_T y;
        Outputs:
            for (unsigned p = 0; p < PE; p++) {
                HWSIM_PRAGMA(HLS UNROLL)
                y[p] = cast_result<typename res_T::value_type, typename CONFIG_T::result_t, CONFIG_T::activation>(acc[p]);
            }
            out.write(y);
        }
        if (++f == SF) {
            f = 0;
            nf = nf + 1 == NF ? 0 : nf + 1;
        }
    }
}

} // namespace hwsim

#pragma GCC diagnostic pop

#endif
