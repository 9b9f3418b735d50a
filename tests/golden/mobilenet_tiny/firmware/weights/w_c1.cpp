// Layer c1: raw two's-complement mantissas (PyTorch order).
#include "weights.h"

// weight: 72 values of ap_fixed<8,1,AP_RND_CONV,AP_SAT>
const int8_t w_c1[1][72][1] = {
    -37, -127, -73, 47, 82, -65, 42, -5, -37, -82, -5, 32, -40, -70, 9, 18, -48, -42, 6, 30, 16, -44, 5, -40, 27, -9, 10, -51, -70, -61, 93, -24,
    -80, 21, 52, -20, 19, -20, -19, -13, 21, -22, 120, 10, 32, -6, -8, 34, 23, -41, 35, -62, 47, -21, 26, 37, -19, -23, 22, -14, 31, 40, -19, -111,
    -97, 34, 54, 4, 20, 1, -25, -51,
};

// bias: 4 values of ap_fixed<16,6,AP_RND_CONV,AP_SAT>
const int16_t b_c1[1][4] = {
    -411, -678, -127, 215,
};
