// fire: one DATAFLOW region of streamed kernels, one call per layer (fused ReLUs
// and wiring layers noted on the call they belong to).
#include "top.h"
#include "weights.h"

#include "hwsim_common.h"
#include "hwsim_conv.h"
#include "hwsim_gap.h"
#include "hwsim_merge.h"
#include "hwsim_pool.h"

void top_fire(hls::stream<t_input> &input_stream, hls::stream<t_fire_concat> &output_stream) {
    HWSIM_PRAGMA(HLS INTERFACE axis port = input_stream)
    HWSIM_PRAGMA(HLS INTERFACE axis port = output_stream)
    HWSIM_PRAGMA(HLS DATAFLOW)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = w_fire_squeeze1x1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_RESHAPE variable = w_fire_squeeze1x1 block factor = 2)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = b_fire_squeeze1x1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = w_fire_expand1x1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_RESHAPE variable = w_fire_expand1x1 block factor = 3)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = b_fire_expand1x1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = w_fire_expand3x3 type=rom_1p impl=bram)
    HWSIM_PRAGMA(HLS ARRAY_RESHAPE variable = w_fire_expand3x3 block factor = 3)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = b_fire_expand3x3 type=rom_1p impl=bram)

    hls::stream<t_fire_squeeze1x1_relu> s_fire_squeeze1x1_relu("s_fire_squeeze1x1_relu"); // output of fire.squeeze1x1.relu
    HWSIM_PRAGMA(HLS STREAM variable = s_fire_squeeze1x1_relu depth = 2)
    hls::stream<t_fire_squeeze1x1_relu> f_fire_squeeze1x1_relu_1("f_fire_squeeze1x1_relu_1"); // copy 1 of fire.squeeze1x1.relu
    HWSIM_PRAGMA(HLS STREAM variable = f_fire_squeeze1x1_relu_1 depth = 2)
    hls::stream<t_fire_squeeze1x1_relu> f_fire_squeeze1x1_relu_2("f_fire_squeeze1x1_relu_2"); // copy 2 of fire.squeeze1x1.relu
    HWSIM_PRAGMA(HLS STREAM variable = f_fire_squeeze1x1_relu_2 depth = 2)
    hls::stream<t_fire_expand1x1_relu> s_fire_expand1x1_relu("s_fire_expand1x1_relu"); // output of fire.expand1x1.relu
    HWSIM_PRAGMA(HLS STREAM variable = s_fire_expand1x1_relu depth = 18)
    hls::stream<t_fire_expand3x3_relu> s_fire_expand3x3_relu("s_fire_expand3x3_relu"); // output of fire.expand3x3.relu
    HWSIM_PRAGMA(HLS STREAM variable = s_fire_expand3x3_relu depth = 2)

    // layer fire.squeeze1x1 + fire.squeeze1x1.relu: conv 1x1/1 pad 0, 4x4x4 -> 2x4x4, ReLU fire.squeeze1x1.relu fused
    hwsim::conv1x1<t_input, t_fire_squeeze1x1_relu, config_fire_squeeze1x1>(input_stream, s_fire_squeeze1x1_relu, w_fire_squeeze1x1, b_fire_squeeze1x1);

    // layer fire.squeeze1x1.relu: fan-out of fire.squeeze1x1.relu to its consumers (copy 1)
    hwsim::split<t_fire_squeeze1x1_relu, fanout_fire_squeeze1x1_relu>(s_fire_squeeze1x1_relu, f_fire_squeeze1x1_relu_1, f_fire_squeeze1x1_relu_2);

    // layer fire.expand1x1 + fire.expand1x1.relu: conv 1x1/1 pad 0, 2x4x4 -> 3x4x4, ReLU fire.expand1x1.relu fused
    hwsim::conv1x1<t_fire_squeeze1x1_relu, t_fire_expand1x1_relu, config_fire_expand1x1>(f_fire_squeeze1x1_relu_1, s_fire_expand1x1_relu, w_fire_expand1x1, b_fire_expand1x1);

    // layer fire.expand3x3 + fire.expand3x3.relu: conv 3x3/1 pad 1, 2x4x4 -> 3x4x4, ReLU fire.expand3x3.relu fused
    hwsim::conv2d<t_fire_squeeze1x1_relu, t_fire_expand3x3_relu, config_fire_expand3x3>(f_fire_squeeze1x1_relu_2, s_fire_expand3x3_relu, w_fire_expand3x3, b_fire_expand3x3);

    // layer fire.concat: concat channels 3 + 3 at 4x4
    hwsim::concat<t_fire_expand1x1_relu, t_fire_expand3x3_relu, t_fire_concat, config_fire_concat>(s_fire_expand1x1_relu, s_fire_expand3x3_relu, output_stream);
}
