// Layer fire.squeeze1x1: raw two's-complement mantissas (PyTorch order).
#include "weights.h"

// weight: 8 values of ap_fixed<6,1,AP_RND_CONV,AP_SAT>
const int8_t w_fire_squeeze1x1[1][8][1] = {
    25, -31, -10, -18, 14, -2, 1, -1,
};

// bias: 2 values of ap_fixed<16,6,AP_RND_CONV,AP_SAT>
const int16_t b_fire_squeeze1x1[1][2] = {
    1045, -1309,
};
