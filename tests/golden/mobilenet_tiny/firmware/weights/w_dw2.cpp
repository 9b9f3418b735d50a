// Layer dw2: raw two's-complement mantissas (PyTorch order).
#include "weights.h"

// weight: 54 values of ap_fixed<8,1,AP_RND_CONV,AP_SAT>
const int8_t w_dw2[1][54] = {
    -30, 114, 14, -6, 64, -19, 95, 46, -25, -71, -41, -19, 12, -32, 64, 97, -60, -42, 9, -5, 102, -68, -17, -64, -55, -73, 26, -35, 67, 64, 50, 92,
    -62, -5, -6, 24, -15, -60, 5, -80, 51, -91, -39, -13, -4, -108, 46, -61, -49, -44, -55, -32, -53, 1,
};

// zero bias: 6 values of ap_fixed<8,1,AP_RND_CONV,AP_SAT>
const int8_t b_dw2[1][6] = {
    0, 0, 0, 0, 0, 0,
};
