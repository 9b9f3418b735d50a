// mobilenet_tiny: top function top_mobilenet_tiny.
// Input: a 2x6x6 map of ap_fixed<8,3> values, 2 per beat; output: a
// 3x1x1 map of ap_fixed<16,6,AP_TRN,AP_SAT> values, 1 per beat. Both in HWC order:
// value (h * W + w) * C + c is lane c % N of beat ((h * W + w) * C + c) / N.
#ifndef HWSIM_TOP_H_
#define HWSIM_TOP_H_

#include "parameters.h"

static const unsigned HWSIM_IN_SIZE = 72;
static const unsigned HWSIM_IN_BEAT = 2;
static const unsigned HWSIM_OUT_SIZE = 3;
static const unsigned HWSIM_OUT_BEAT = 1;
static const unsigned HWSIM_OUT_WIDTH = 16;
static const bool HWSIM_OUT_SIGNED = true;
static const unsigned HWSIM_KERNELS = 12;   // counted kernel calls (config_*::counter)

void top_mobilenet_tiny(hls::stream<hwsim::beat<t_input, 2> > &input_stream, hls::stream<hwsim::beat<t_fc, 1> > &output_stream);

#endif
