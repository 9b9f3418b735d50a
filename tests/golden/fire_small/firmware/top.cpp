// fire: one DATAFLOW region of streamed kernels, one call per unit of the hardware plan
// (plan.json): sliding windows, matrix-vector units, depthwise units, pools, joins, splits and width converters.
#include "top.h"
#include "weights.h"

#include "hwsim_common.h"
#include "hwsim_dwu.h"
#include "hwsim_mvau.h"
#include "hwsim_stream.h"
#include "hwsim_swu.h"

void top_fire(hls::stream<hwsim::beat<t_input, 4> > &input_stream, hls::stream<hwsim::beat<t_fire_concat, 1> > &output_stream) {
    HWSIM_PRAGMA(HLS INTERFACE axis port = input_stream)
    HWSIM_PRAGMA(HLS INTERFACE axis port = output_stream)
    HWSIM_PRAGMA(HLS DATAFLOW)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = w_fire_squeeze1x1 complete dim = 1)
    HWSIM_PRAGMA(HLS ARRAY_RESHAPE variable = w_fire_squeeze1x1 complete dim = 3)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = w_fire_squeeze1x1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = b_fire_squeeze1x1 complete dim = 1)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = b_fire_squeeze1x1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = w_fire_expand1x1 complete dim = 1)
    HWSIM_PRAGMA(HLS ARRAY_RESHAPE variable = w_fire_expand1x1 complete dim = 3)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = w_fire_expand1x1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = b_fire_expand1x1 complete dim = 1)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = b_fire_expand1x1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = w_fire_expand3x3 complete dim = 1)
    HWSIM_PRAGMA(HLS ARRAY_RESHAPE variable = w_fire_expand3x3 complete dim = 3)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = w_fire_expand3x3 type=rom_1p impl=bram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = b_fire_expand3x3 complete dim = 1)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = b_fire_expand3x3 type=rom_1p impl=bram)

    hls::stream<hwsim::beat<t_input, 1> > s_fire_squeeze1x1_in0("s_fire_squeeze1x1_in0"); // stream fire.squeeze1x1:in0: input, 1 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_fire_squeeze1x1_in0 depth = 2)
    HWSIM_STREAM_DEPTH(s_fire_squeeze1x1_in0, 2);
    hls::stream<hwsim::beat<t_fire_squeeze1x1_relu, 1> > s_fire_squeeze1x1_relu("s_fire_squeeze1x1_relu"); // stream fire.squeeze1x1.relu: fire.squeeze1x1.relu, 1 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_fire_squeeze1x1_relu depth = 2)
    HWSIM_STREAM_DEPTH(s_fire_squeeze1x1_relu, 2);
    hls::stream<hwsim::beat<t_fire_squeeze1x1_relu, 1> > s_fire_squeeze1x1_relu_copy1("s_fire_squeeze1x1_relu_copy1"); // stream fire.squeeze1x1.relu:copy1: fire.squeeze1x1.relu, 1 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_fire_squeeze1x1_relu_copy1 depth = 2)
    HWSIM_STREAM_DEPTH(s_fire_squeeze1x1_relu_copy1, 2);
    hls::stream<hwsim::beat<t_fire_squeeze1x1_relu, 1> > s_fire_squeeze1x1_relu_copy2("s_fire_squeeze1x1_relu_copy2"); // stream fire.squeeze1x1.relu:copy2: fire.squeeze1x1.relu, 1 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_fire_squeeze1x1_relu_copy2 depth = 6)
    HWSIM_STREAM_DEPTH(s_fire_squeeze1x1_relu_copy2, 6);
    hls::stream<hwsim::beat<t_fire_expand1x1_relu, 1> > s_fire_expand1x1_relu("s_fire_expand1x1_relu"); // stream fire.expand1x1.relu: fire.expand1x1.relu, 1 per beat, join
    HWSIM_PRAGMA(HLS STREAM variable = s_fire_expand1x1_relu depth = 33)
    HWSIM_STREAM_DEPTH(s_fire_expand1x1_relu, 33);
    hls::stream<hwsim::beat<t_fire_squeeze1x1_relu, 1> > s_fire_expand3x3_swu_out("s_fire_expand3x3_swu_out"); // stream fire.expand3x3/swu:out: fire.squeeze1x1.relu, 1 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_fire_expand3x3_swu_out depth = 144)
    HWSIM_STREAM_DEPTH(s_fire_expand3x3_swu_out, 144);
    hls::stream<hwsim::beat<t_fire_expand3x3_relu, 1> > s_fire_expand3x3_relu("s_fire_expand3x3_relu"); // stream fire.expand3x3.relu: fire.expand3x3.relu, 1 per beat, join
    HWSIM_PRAGMA(HLS STREAM variable = s_fire_expand3x3_relu depth = 2)
    HWSIM_STREAM_DEPTH(s_fire_expand3x3_relu, 2);

    // fire.squeeze1x1/convert: width converter 4 -> 1 values per beat
    HWSIM_PROCESS(hwsim::convert<hwsim::beat<t_input, 4>, hwsim::beat<t_input, 1>, config_fire_squeeze1x1_convert>(input_stream, s_fire_squeeze1x1_in0));

    // fire.squeeze1x1/mvau: matrix-vector 4 -> 2 x 16 pixels, pe 1 simd 1, ReLU
    HWSIM_PROCESS(hwsim::mvau<hwsim::beat<t_input, 1>, hwsim::beat<t_fire_squeeze1x1_relu, 1>, config_fire_squeeze1x1_mvau>(s_fire_squeeze1x1_in0, s_fire_squeeze1x1_relu, w_fire_squeeze1x1, b_fire_squeeze1x1));

    // fire.squeeze1x1.relu/split.1: split, pe 1
    HWSIM_PROCESS(hwsim::split<hwsim::beat<t_fire_squeeze1x1_relu, 1>, config_fire_squeeze1x1_relu_split_1>(s_fire_squeeze1x1_relu, s_fire_squeeze1x1_relu_copy1, s_fire_squeeze1x1_relu_copy2));

    // fire.expand1x1/mvau: matrix-vector 2 -> 3 x 16 pixels, pe 1 simd 1, ReLU
    HWSIM_PROCESS(hwsim::mvau<hwsim::beat<t_fire_squeeze1x1_relu, 1>, hwsim::beat<t_fire_expand1x1_relu, 1>, config_fire_expand1x1_mvau>(s_fire_squeeze1x1_relu_copy1, s_fire_expand1x1_relu, w_fire_expand1x1, b_fire_expand1x1));

    // fire.expand3x3/swu: sliding window 3x3/1 pad 1, 2x4x4 -> 4x4 windows, simd 1
    HWSIM_PROCESS(hwsim::sliding_window<hwsim::beat<t_fire_squeeze1x1_relu, 1>, hwsim::beat<t_fire_squeeze1x1_relu, 1>, config_fire_expand3x3_swu>(s_fire_squeeze1x1_relu_copy2, s_fire_expand3x3_swu_out));

    // fire.expand3x3/mvau: matrix-vector 18 -> 3 x 16 pixels, pe 1 simd 1, ReLU
    HWSIM_PROCESS(hwsim::mvau<hwsim::beat<t_fire_squeeze1x1_relu, 1>, hwsim::beat<t_fire_expand3x3_relu, 1>, config_fire_expand3x3_mvau>(s_fire_expand3x3_swu_out, s_fire_expand3x3_relu, w_fire_expand3x3, b_fire_expand3x3));

    // fire.concat/concat: concat, pe 1
    HWSIM_PROCESS(hwsim::concat<hwsim::beat<t_fire_expand1x1_relu, 1>, hwsim::beat<t_fire_expand3x3_relu, 1>, hwsim::beat<t_fire_concat, 1>, config_fire_concat_concat>(s_fire_expand1x1_relu, s_fire_expand3x3_relu, output_stream));
    HWSIM_DATAFLOW_END();
}
