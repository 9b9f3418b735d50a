// hwsim kernels: SqueezeNet fire module as one DATAFLOW composition.
//
//   in -> squeeze 1x1 (+ReLU) -> split -+-> expand1x1 (+ReLU) --[deep FIFO]--+-> concat -> out
//                                       +-> expand3x3 (+ReLU, pad 1) -------+
//
// CONFIG_T:
//   typedef ... squeeze_config, expand1x1_config;   conv configs for conv1x1 (see hwsim_conv.h)
//   typedef ... expand3x3_config;                   conv config for conv2d
//   typedef ... split_config;                       height, width, n_chan (= squeeze n_filt)
//   typedef ... concat_config;                      height, width, n_chan1, n_chan2
//   typedef ... squeeze_t, expand1x1_t, expand3x3_t;   element types of the internal streams
//   static const unsigned expand1x1_depth;          FIFO depth after expand1x1, see below
// The ReLUs are the convs' fused ReLU (their configs' `relu` flags). Weights and biases: raw arrays
// as for conv1x1 / conv2d, in the order squeeze, expand1x1, expand3x3.
//
// Why the deep FIFO: concat needs the expand1x1 and expand3x3 values of the same pixel, but conv2d
// emits output pixel p only once input pixel p + (K - 1 - P) * W + (K - 1 - P) has arrived (W + 1
// pixels later for 3x3 / pad 1), while the 1x1 branch keeps pace with the split. In hardware the
// expand1x1 output FIFO must hold that lag plus one pixel or the DATAFLOW region stalls forever:
// fire_expand1x1_depth() = ((K - 1 - P) * (W + 1) + 1) * E1 values (= (W + 2) * E1 for 3x3 / pad 1).
// In C simulation hls::stream is unbounded and the processes run one after the other, so the depth
// only matters for synthesis and co-simulation.
#ifndef HWSIM_FIRE_H_
#define HWSIM_FIRE_H_

#include "hwsim_common.h"
#include "hwsim_conv.h"
#include "hwsim_merge.h"

// Loop labels name the loops in HLS reports; g++ -Wall would call them unused.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace hwsim {

// Recommended expand1x1 FIFO depth for an expand KxK (pad P < K) on a map W wide with E1 1x1 filters.
constexpr unsigned fire_expand1x1_depth(unsigned width, unsigned e1_filt, unsigned k, unsigned pad) {
    return ((k - 1 - pad) * (width + 1) + 1) * e1_filt;
}

template <class data_T, class res_T, typename CONFIG_T>
void fire(hls::stream<data_T> &data, hls::stream<res_T> &res,
          const typename CONFIG_T::squeeze_config::weight_raw_t
              squeeze_w[CONFIG_T::squeeze_config::n_filt * CONFIG_T::squeeze_config::n_chan],
          const typename CONFIG_T::squeeze_config::bias_raw_t squeeze_b[CONFIG_T::squeeze_config::n_filt],
          const typename CONFIG_T::expand1x1_config::weight_raw_t
              expand1x1_w[CONFIG_T::expand1x1_config::n_filt * CONFIG_T::expand1x1_config::n_chan],
          const typename CONFIG_T::expand1x1_config::bias_raw_t expand1x1_b[CONFIG_T::expand1x1_config::n_filt],
          const typename CONFIG_T::expand3x3_config::weight_raw_t
              expand3x3_w[CONFIG_T::expand3x3_config::n_filt * CONFIG_T::expand3x3_config::n_chan *
                          CONFIG_T::expand3x3_config::filt_height * CONFIG_T::expand3x3_config::filt_width],
          const typename CONFIG_T::expand3x3_config::bias_raw_t expand3x3_b[CONFIG_T::expand3x3_config::n_filt]) {
    typedef typename CONFIG_T::squeeze_config sq_cfg;
    typedef typename CONFIG_T::expand1x1_config e1_cfg;
    typedef typename CONFIG_T::expand3x3_config e3_cfg;
    static_assert(e1_cfg::n_chan == sq_cfg::n_filt && e3_cfg::n_chan == sq_cfg::n_filt,
                  "expand convs must read the squeeze output channels");
    static_assert(CONFIG_T::split_config::n_chan == sq_cfg::n_filt, "split_config::n_chan != squeeze n_filt");
    static_assert(e1_cfg::out_height == e3_cfg::out_height && e1_cfg::out_width == e3_cfg::out_width,
                  "expand1x1 and expand3x3 outputs differ in H x W");
    static_assert(CONFIG_T::concat_config::n_chan1 == e1_cfg::n_filt &&
                      CONFIG_T::concat_config::n_chan2 == e3_cfg::n_filt,
                  "concat_config channels != expand filters");
    HWSIM_PRAGMA(HLS DATAFLOW)

    hls::stream<typename CONFIG_T::squeeze_t> squeeze_out("fire_squeeze_out");
    hls::stream<typename CONFIG_T::squeeze_t> to_expand1x1("fire_to_expand1x1");
    hls::stream<typename CONFIG_T::squeeze_t> to_expand3x3("fire_to_expand3x3");
    hls::stream<typename CONFIG_T::expand1x1_t> expand1x1_out("fire_expand1x1_out");
    hls::stream<typename CONFIG_T::expand3x3_t> expand3x3_out("fire_expand3x3_out");
    HWSIM_PRAGMA(HLS STREAM variable = squeeze_out depth = 2)
    HWSIM_PRAGMA(HLS STREAM variable = to_expand1x1 depth = 2)
    HWSIM_PRAGMA(HLS STREAM variable = to_expand3x3 depth = 2)
    HWSIM_PRAGMA(HLS STREAM variable = expand1x1_out depth = CONFIG_T::expand1x1_depth)
    HWSIM_PRAGMA(HLS STREAM variable = expand3x3_out depth = 2)

    conv1x1<data_T, typename CONFIG_T::squeeze_t, sq_cfg>(data, squeeze_out, squeeze_w, squeeze_b);
    split<typename CONFIG_T::squeeze_t, typename CONFIG_T::split_config>(squeeze_out, to_expand1x1, to_expand3x3);
    conv1x1<typename CONFIG_T::squeeze_t, typename CONFIG_T::expand1x1_t, e1_cfg>(to_expand1x1, expand1x1_out,
                                                                                 expand1x1_w, expand1x1_b);
    conv2d<typename CONFIG_T::squeeze_t, typename CONFIG_T::expand3x3_t, e3_cfg>(to_expand3x3, expand3x3_out,
                                                                                expand3x3_w, expand3x3_b);
    concat<typename CONFIG_T::expand1x1_t, typename CONFIG_T::expand3x3_t, res_T, typename CONFIG_T::concat_config>(
        expand1x1_out, expand3x3_out, res);
}

} // namespace hwsim

#pragma GCC diagnostic pop

#endif
