// mobilenet_tiny: weight and bias ROMs, raw two's-complement mantissas of their fixed-point
// types (read with hwsim::raw_to<T>()). Defined in weights/*.cpp, one file per layer.
#ifndef HWSIM_WEIGHTS_H_
#define HWSIM_WEIGHTS_H_

#include <stdint.h>

extern const int8_t w_c1[1][72][1]; // c1 weight, ap_fixed<8,1,AP_RND_CONV,AP_SAT>
extern const int16_t b_c1[1][4]; // c1 bias, ap_fixed<16,6,AP_RND_CONV,AP_SAT>
extern const int8_t w_dw1[2][18]; // dw1 weight, ap_fixed<8,1,AP_RND_CONV,AP_SAT>
extern const int16_t b_dw1[2][2]; // dw1 bias, ap_fixed<16,6,AP_RND_CONV,AP_SAT>
extern const int8_t w_pw1[2][6][2]; // pw1 weight, ap_fixed<8,1,AP_RND_CONV,AP_SAT>
extern const int16_t b_pw1[2][3]; // pw1 bias, ap_fixed<16,6,AP_RND_CONV,AP_SAT>
extern const int8_t w_dw2[1][54]; // dw2 weight, ap_fixed<8,1,AP_RND_CONV,AP_SAT>
extern const int8_t b_dw2[1][6]; // dw2 zero bias, ap_fixed<8,1,AP_RND_CONV,AP_SAT>
extern const int8_t w_fc[1][18][1]; // fc weight, ap_fixed<8,1,AP_RND_CONV,AP_SAT>
extern const int16_t b_fc[1][3]; // fc bias, ap_fixed<16,6,AP_RND_CONV,AP_SAT>

#endif
