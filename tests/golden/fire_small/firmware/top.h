// fire: top function top_fire.
// Input: a 4x4x4 map of ap_fixed<10,4> values, 4 per beat; output: a
// 6x4x4 map of ap_fixed<12,5,AP_RND,AP_SAT> values, 1 per beat. Both in HWC order:
// value (h * W + w) * C + c is lane c % N of beat ((h * W + w) * C + c) / N.
#ifndef HWSIM_TOP_H_
#define HWSIM_TOP_H_

#include "parameters.h"

static const unsigned HWSIM_IN_SIZE = 64;
static const unsigned HWSIM_IN_BEAT = 4;
static const unsigned HWSIM_OUT_SIZE = 96;
static const unsigned HWSIM_OUT_BEAT = 1;
static const unsigned HWSIM_OUT_WIDTH = 12;
static const bool HWSIM_OUT_SIGNED = true;
static const unsigned HWSIM_KERNELS = 7;   // counted kernel calls (config_*::counter)

void top_fire(hls::stream<hwsim::beat<t_input, 4> > &input_stream, hls::stream<hwsim::beat<t_fire_concat, 1> > &output_stream);

#endif
