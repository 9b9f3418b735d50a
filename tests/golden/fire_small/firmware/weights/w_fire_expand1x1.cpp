// Layer fire.expand1x1: raw two's-complement mantissas (PyTorch order).
#include "weights.h"

// weight: 6 values of ap_fixed<6,1,AP_RND_CONV,AP_SAT>
const int8_t w_fire_expand1x1[1][6][1] = {
    -6, 31, 25, -32, 25, -28,
};

// bias: 3 values of ap_fixed<16,6,AP_RND_CONV,AP_SAT>
const int16_t b_fire_expand1x1[1][3] = {
    214, -291, -232,
};
