// Layer dw1: raw two's-complement mantissas (PyTorch order).
#include "weights.h"

// weight: 36 values of ap_fixed<8,1,AP_RND_CONV,AP_SAT>
const int8_t w_dw1[2][18] = {
    -29, -7, -51, 5, 86, -45, -13, 31, 46, 116, -25, -45, -5, 37, 72, 55, -16, 6, -33, 50, 32, -23, -30, -98, -6, -62, -41, -16, 67, 31, -44, -7,
    40, -103, -34, 76,
};

// bias: 4 values of ap_fixed<16,6,AP_RND_CONV,AP_SAT>
const int16_t b_dw1[2][2] = {
    582, -283, 56, -402,
};
