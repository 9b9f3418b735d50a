// Layer fc: raw two's-complement mantissas (PyTorch order).
#include "weights.h"

// weight: 18 values of ap_fixed<8,1,AP_RND_CONV,AP_SAT>
const int8_t w_fc[1][18][1] = {
    127, 9, -78, -6, 45, -25, 80, 122, 13, 48, -40, 127, -1, -60, -128, 61, 4, 78,
};

// bias: 3 values of ap_fixed<16,6,AP_RND_CONV,AP_SAT>
const int16_t b_fc[1][3] = {
    104, -887, -43,
};
