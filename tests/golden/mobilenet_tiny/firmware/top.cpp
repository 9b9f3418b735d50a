// mobilenet_tiny: one DATAFLOW region of streamed kernels, one call per unit of the hardware plan
// (plan.json): sliding windows, matrix-vector units, depthwise units, pools, joins, splits and width converters.
#include "top.h"
#include "weights.h"

#include "hwsim_common.h"
#include "hwsim_dwu.h"
#include "hwsim_mvau.h"
#include "hwsim_stream.h"
#include "hwsim_swu.h"

void top_mobilenet_tiny(hls::stream<hwsim::beat<t_input, 2> > &input_stream, hls::stream<hwsim::beat<t_fc, 1> > &output_stream) {
    HWSIM_PRAGMA(HLS INTERFACE axis port = input_stream)
    HWSIM_PRAGMA(HLS INTERFACE axis port = output_stream)
    HWSIM_PRAGMA(HLS DATAFLOW)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = w_c1 complete dim = 1)
    HWSIM_PRAGMA(HLS ARRAY_RESHAPE variable = w_c1 complete dim = 3)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = w_c1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = b_c1 complete dim = 1)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = b_c1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = w_dw1 complete dim = 1)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = w_dw1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = b_dw1 complete dim = 1)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = b_dw1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = w_pw1 complete dim = 1)
    HWSIM_PRAGMA(HLS ARRAY_RESHAPE variable = w_pw1 complete dim = 3)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = w_pw1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = b_pw1 complete dim = 1)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = b_pw1 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = w_dw2 complete dim = 1)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = w_dw2 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = b_dw2 complete dim = 1)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = b_dw2 type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = w_fc complete dim = 1)
    HWSIM_PRAGMA(HLS ARRAY_RESHAPE variable = w_fc complete dim = 3)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = w_fc type=rom_1p impl=lutram)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = b_fc complete dim = 1)
    HWSIM_PRAGMA(HLS BIND_STORAGE variable = b_fc type=rom_1p impl=lutram)

    hls::stream<hwsim::beat<t_input, 1> > s_c1_in0("s_c1_in0"); // stream c1:in0: input, 1 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_c1_in0 depth = 8)
    HWSIM_STREAM_DEPTH(s_c1_in0, 8);
    hls::stream<hwsim::beat<t_input, 1> > s_c1_swu_out("s_c1_swu_out"); // stream c1/swu:out: input, 1 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_c1_swu_out depth = 234)
    HWSIM_STREAM_DEPTH(s_c1_swu_out, 234);
    hls::stream<hwsim::beat<t_c1_relu, 1> > s_c1_relu("s_c1_relu"); // stream c1.relu: c1.relu, 1 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_c1_relu depth = 2)
    HWSIM_STREAM_DEPTH(s_c1_relu, 2);
    hls::stream<hwsim::beat<t_c1_relu, 2> > s_dw1_in0("s_dw1_in0"); // stream dw1:in0: c1.relu, 2 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_dw1_in0 depth = 2)
    HWSIM_STREAM_DEPTH(s_dw1_in0, 2);
    hls::stream<hwsim::beat<t_c1_relu, 2> > s_dw1_swu_out("s_dw1_swu_out"); // stream dw1/swu:out: c1.relu, 2 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_dw1_swu_out depth = 2)
    HWSIM_STREAM_DEPTH(s_dw1_swu_out, 2);
    hls::stream<hwsim::beat<t_dw1_relu, 2> > s_dw1_relu("s_dw1_relu"); // stream dw1.relu: dw1.relu, 2 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_dw1_relu depth = 2)
    HWSIM_STREAM_DEPTH(s_dw1_relu, 2);
    hls::stream<hwsim::beat<t_pw1_relu, 2> > s_pw1_relu("s_pw1_relu"); // stream pw1.relu: pw1.relu, 2 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_pw1_relu depth = 2)
    HWSIM_STREAM_DEPTH(s_pw1_relu, 2);
    hls::stream<hwsim::beat<t_pw1_relu, 1> > s_dw2_in0("s_dw2_in0"); // stream dw2:in0: pw1.relu, 1 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_dw2_in0 depth = 2)
    HWSIM_STREAM_DEPTH(s_dw2_in0, 2);
    hls::stream<hwsim::beat<t_pw1_relu, 1> > s_dw2_swu_out("s_dw2_swu_out"); // stream dw2/swu:out: pw1.relu, 1 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_dw2_swu_out depth = 2)
    HWSIM_STREAM_DEPTH(s_dw2_swu_out, 2);
    hls::stream<hwsim::beat<t_dw2, 1> > s_dw2("s_dw2"); // stream dw2: dw2, 1 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_dw2 depth = 2)
    HWSIM_STREAM_DEPTH(s_dw2, 2);
    hls::stream<hwsim::beat<t_pool, 1> > s_pool("s_pool"); // stream pool: pool, 1 per beat, fifo
    HWSIM_PRAGMA(HLS STREAM variable = s_pool depth = 2)
    HWSIM_STREAM_DEPTH(s_pool, 2);

    // c1/convert: width converter 2 -> 1 values per beat
    HWSIM_PROCESS(hwsim::convert<hwsim::beat<t_input, 2>, hwsim::beat<t_input, 1>, config_c1_convert>(input_stream, s_c1_in0));

    // c1/swu: sliding window 3x3/1 pad 1, 2x6x6 -> 6x6 windows, simd 1
    HWSIM_PROCESS(hwsim::sliding_window<hwsim::beat<t_input, 1>, hwsim::beat<t_input, 1>, config_c1_swu>(s_c1_in0, s_c1_swu_out));

    // c1/mvau: matrix-vector 18 -> 4 x 36 pixels, pe 1 simd 1, ReLU6
    HWSIM_PROCESS(hwsim::mvau<hwsim::beat<t_input, 1>, hwsim::beat<t_c1_relu, 1>, config_c1_mvau>(s_c1_swu_out, s_c1_relu, w_c1, b_c1));

    // dw1/convert: width converter 1 -> 2 values per beat
    HWSIM_PROCESS(hwsim::convert<hwsim::beat<t_c1_relu, 1>, hwsim::beat<t_c1_relu, 2>, config_dw1_convert>(s_c1_relu, s_dw1_in0));

    // dw1/swu: sliding window 3x3/2 pad 1, 4x6x6 -> 3x3 windows, simd 2
    HWSIM_PROCESS(hwsim::sliding_window<hwsim::beat<t_c1_relu, 2>, hwsim::beat<t_c1_relu, 2>, config_dw1_swu>(s_dw1_in0, s_dw1_swu_out));

    // dw1/dwu: depthwise 3x3, 4 channels x 9 pixels, pe 2, ReLU6
    HWSIM_PROCESS(hwsim::dwu<hwsim::beat<t_c1_relu, 2>, hwsim::beat<t_dw1_relu, 2>, config_dw1_dwu>(s_dw1_swu_out, s_dw1_relu, w_dw1, b_dw1));

    // pw1/mvau: matrix-vector 4 -> 6 x 9 pixels, pe 2 simd 2, ReLU6
    HWSIM_PROCESS(hwsim::mvau<hwsim::beat<t_dw1_relu, 2>, hwsim::beat<t_pw1_relu, 2>, config_pw1_mvau>(s_dw1_relu, s_pw1_relu, w_pw1, b_pw1));

    // dw2/convert: width converter 2 -> 1 values per beat
    HWSIM_PROCESS(hwsim::convert<hwsim::beat<t_pw1_relu, 2>, hwsim::beat<t_pw1_relu, 1>, config_dw2_convert>(s_pw1_relu, s_dw2_in0));

    // dw2/swu: sliding window 3x3/1 pad 1, 6x3x3 -> 3x3 windows, simd 1
    HWSIM_PROCESS(hwsim::sliding_window<hwsim::beat<t_pw1_relu, 1>, hwsim::beat<t_pw1_relu, 1>, config_dw2_swu>(s_dw2_in0, s_dw2_swu_out));

    // dw2/dwu: depthwise 3x3, 6 channels x 9 pixels, pe 1
    HWSIM_PROCESS(hwsim::dwu<hwsim::beat<t_pw1_relu, 1>, hwsim::beat<t_dw2, 1>, config_dw2_dwu>(s_dw2_swu_out, s_dw2, w_dw2, b_dw2));

    // pool/gap: gap, pe 1
    HWSIM_PROCESS(hwsim::global_avg_pool<hwsim::beat<t_dw2, 1>, hwsim::beat<t_pool, 1>, config_pool_gap>(s_dw2, s_pool));

    // fc/mvau: matrix-vector 6 -> 3 x 1 pixels, pe 1 simd 1
    HWSIM_PROCESS(hwsim::mvau<hwsim::beat<t_pool, 1>, hwsim::beat<t_fc, 1>, config_fc_mvau>(s_pool, output_stream, w_fc, b_fc));
    HWSIM_DATAFLOW_END();
}
