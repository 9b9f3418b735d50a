// Layer fire.expand3x3: raw two's-complement mantissas (PyTorch order).
#include "weights.h"

// weight: 54 values of ap_fixed<6,1,AP_RND_CONV,AP_SAT>
const int8_t w_fire_expand3x3[1][54][1] = {
    12, -10, -14, -15, -16, 5, -3, -10, 13, 0, -11, 18, -5, 1, -12, -4, -16, 2, -1, -10, 0, -13, 1, -3, 14, 10, -2, 0, 0, -2, 0, 13,
    11, 7, 3, 18, 11, -4, -4, 13, -4, -20, 11, -14, -18, -11, -14, 8, -18, -2, 4, -15, 10, 15,
};

// bias: 3 values of ap_fixed<16,6,AP_RND_CONV,AP_SAT>
const int16_t b_fire_expand3x3[1][3] = {
    -110, -1034, -119,
};
