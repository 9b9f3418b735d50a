// fire: weight and bias ROMs, raw two's-complement mantissas of their fixed-point
// types (read with hwsim::raw_to<T>()). Defined in weights/*.cpp, one file per layer.
#ifndef HWSIM_WEIGHTS_H_
#define HWSIM_WEIGHTS_H_

#include <stdint.h>

extern const int8_t w_fire_squeeze1x1[1][8][1]; // fire.squeeze1x1 weight, ap_fixed<6,1,AP_RND_CONV,AP_SAT>
extern const int16_t b_fire_squeeze1x1[1][2]; // fire.squeeze1x1 bias, ap_fixed<16,6,AP_RND_CONV,AP_SAT>
extern const int8_t w_fire_expand1x1[1][6][1]; // fire.expand1x1 weight, ap_fixed<6,1,AP_RND_CONV,AP_SAT>
extern const int16_t b_fire_expand1x1[1][3]; // fire.expand1x1 bias, ap_fixed<16,6,AP_RND_CONV,AP_SAT>
extern const int8_t w_fire_expand3x3[1][54][1]; // fire.expand3x3 weight, ap_fixed<6,1,AP_RND_CONV,AP_SAT>
extern const int16_t b_fire_expand3x3[1][3]; // fire.expand3x3 bias, ap_fixed<16,6,AP_RND_CONV,AP_SAT>

#endif
