// Layer pw1: raw two's-complement mantissas (PyTorch order).
#include "weights.h"

// weight: 24 values of ap_fixed<8,1,AP_RND_CONV,AP_SAT>
const int8_t w_pw1[2][6][2] = {
    50, 27, 57, -23, -24, 16, -128, 14, -118, 82, 7, 21, 113, 28, -40, 16, 65, 67, 28, 1, 29, -128, -116, 11,
};

// bias: 6 values of ap_fixed<16,6,AP_RND_CONV,AP_SAT>
const int16_t b_pw1[2][3] = {
    383, 140, -491, 837, -631, 819,
};
