// fire: top function top_fire.
// Input: a 4x4x4 map of ap_fixed<10,4> values; output: a 6x4x4 map of
// ap_fixed<12,5,AP_RND,AP_SAT> values. Both stream one scalar per element in HWC order: (h * W + w) * C + c.
#ifndef HWSIM_TOP_H_
#define HWSIM_TOP_H_

#include "parameters.h"

static const unsigned HWSIM_IN_SIZE = 64;
static const unsigned HWSIM_OUT_SIZE = 96;
static const unsigned HWSIM_OUT_WIDTH = 12;
static const bool HWSIM_OUT_SIGNED = true;

void top_fire(hls::stream<t_input> &input_stream, hls::stream<t_fire_concat> &output_stream);

#endif
