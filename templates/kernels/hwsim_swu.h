// hwsim kernels: the sliding-window unit of convolutions and pools (one pipelined loop).
//
// CONFIG_T:
//   static const unsigned in_height, in_width, n_chan, simd;   input H, W, C; SIMD values per beat
//   static const unsigned filt_height, filt_width, stride_height, stride_width, pad_height, pad_width;
//   static const unsigned out_height, out_width;   the layer's output size (PyTorch's, ceil mode included)
//   static const unsigned rows;                    buffered input rows: filt_height + stride_height
//   static const bool pad_min;                     pad with T's lowest value (max pool) instead of 0
//   static const unsigned counter;                 index of this call's iteration counter
//   static const unsigned taps;                    optional, default 1 (taps_of): kernel taps per
//                                                  output beat, 1 or filt_width (a whole kernel row)
// Input: H x W pixels of C / SIMD beats. Output, per output pixel (oh, ow) in row-major order, the
// window as C / SIMD x KH x KW / TAPS beats in (channel fold cf, kh, kw block b) order, TAPS x SIMD
// values per beat, tap-major: lane j * SIMD + s of beat (cf, kh, b) is channel cf * SIMD + s at
// padded position (oh * SH + kh, ow * SW + b * TAPS + j). With TAPS = 1 this is one tap per beat,
// (cf, kh, kw) order. A padding position (or one past the input in ceil mode) gives the pad value
// and is never stored nor read.
//
// Buffer: buf[rows][W][CF] words of SIMD values (the SIMD dimension reshaped into one word). With
// TAPS = KW a beat reads the KW words of input columns x .. x + KW - 1 of one row and channel fold:
// the column dimension is partitioned cyclically by TAPS (ARRAY_PARTITION cyclic factor = TAPS
// dim = 2), so that the KW columns of one beat lie in KW different banks (x + j mod KW all differ)
// and the loop keeps II = 1 with one read port per bank; the store writes one word per iteration.
//
// Schedule: the buffer holds `rows` input rows of W x C/SIMD words, row r in slot r % rows. Step 0
// reads the input rows among padded rows [0, KH). Step s = 1 .. OH emits output row s - 1
// (OW x C/SIMD x KH x KW/TAPS beats) and, in the same iterations, reads the input rows among padded rows
// [(s-1) SH + KH, s SH + KH): they go to slots that output row s - 1 does not use. A step lasts
// max(emits, reads) iterations. The loop runs TOTAL iterations, the schedule's length in closed
// form (window_cycles_of), a constant trip count; hwsim.hw.units.swu_cycles sums the same steps
// one by one, and C simulation compares the two.
#ifndef HWSIM_SWU_H_
#define HWSIM_SWU_H_

#include "hwsim_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace hwsim {

// Input rows (not padding) among padded rows [lo, hi) of an n-row input padded by pad on top.
constexpr unsigned real_rows(unsigned lo, unsigned hi, unsigned pad, unsigned n) {
    return (hi < pad + n ? hi : pad + n) > (lo > pad ? lo : pad)
               ? (hi < pad + n ? hi : pad + n) - (lo > pad ? lo : pad)
               : 0;
}

constexpr unsigned long umax(unsigned long a, unsigned long b) { return a > b ? a : b; }

// Steps s = 1 .. oh that read a full stride of sh rows: m = pad + n - kh input rows follow the
// first kh padded rows, and step s reads min(sh, max(0, m - (s - 1) sh)) of them.
constexpr unsigned long window_full_steps(long m, unsigned sh, unsigned oh) {
    return m < 0 ? 0 : ((unsigned long)m / sh < oh ? (unsigned long)m / sh : oh);
}

// Iterations of the whole schedule (the header comment): step 0, the full steps, the one partial
// step, then steps that only emit. Closed form, so that the loop has a constant trip count.
constexpr unsigned long window_cycles_of(long m, unsigned full, unsigned sh, unsigned oh, unsigned long first,
                                         unsigned long row_words, unsigned long emit) {
    return first + full * umax(emit, sh * row_words) +
           (full < oh ? umax(emit, (m < 0 ? 0UL : (unsigned long)(m - (long)full * sh)) * row_words) +
                            (oh - full - 1) * emit
                      : 0);
}

template <class data_T, class res_T, typename CONFIG_T>
void sliding_window(hls::stream<data_T> &in, hls::stream<res_T> &out) {
    typedef typename data_T::value_type T;
    static const unsigned SIMD = CONFIG_T::simd;
    static const unsigned CF = CONFIG_T::n_chan / SIMD;
    static const unsigned H = CONFIG_T::in_height;
    static const unsigned W = CONFIG_T::in_width;
    static const unsigned KH = CONFIG_T::filt_height;
    static const unsigned KW = CONFIG_T::filt_width;
    static const unsigned SH = CONFIG_T::stride_height;
    static const unsigned SW = CONFIG_T::stride_width;
    static const unsigned PH = CONFIG_T::pad_height;
    static const unsigned PW = CONFIG_T::pad_width;
    static const unsigned OH = CONFIG_T::out_height;
    static const unsigned OW = CONFIG_T::out_width;
    static const unsigned ROWS = CONFIG_T::rows;
    static const unsigned TAPS = taps_of<CONFIG_T>::value;
    static const unsigned KB = KW / TAPS;                 // beats per kernel row
    static const unsigned ROW_WORDS = W * CF;
    static const unsigned EMIT = OW * CF * KH * KB;
    static const long M = (long)PH + H - KH;
    static const unsigned long TOTAL = window_cycles_of(M, window_full_steps(M, SH, OH), SH, OH,
                                                        real_rows(0, KH, PH, H) * (unsigned long)ROW_WORDS,
                                                        ROW_WORDS, EMIT);
    static_assert(TAPS == 1 || TAPS == KW, "sliding_window: taps must be 1 or filt_width");
    static_assert(data_T::size == SIMD && res_T::size == SIMD * TAPS,
                  "sliding_window: beats of simd values in, taps x simd values out");
    static_assert(CONFIG_T::n_chan % SIMD == 0, "sliding_window: simd must divide n_chan");
    static_assert(ROWS == KH + SH, "sliding_window: rows must be filt_height + stride_height");
    static_assert(CONFIG_T::counter < MAX_KERNELS, "counter out of range");

    T buf[ROWS][W][CF][SIMD];
    HWSIM_PRAGMA(HLS ARRAY_RESHAPE variable = buf complete dim = 4)
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = buf cyclic factor = TAPS dim = 2)
    HWSIM_PRAGMA(HLS DEPENDENCE variable = buf inter false)
    const T pad = CONFIG_T::pad_min ? lowest<T>() : T(0);

    unsigned step = 0, k = 0;
    unsigned reads = real_rows(0, KH, PH, H) * ROW_WORDS;
    unsigned len = reads;
    unsigned r_slot = 0, r_col = 0, r_cf = 0;               // next word to store
    unsigned e_ow = 0, e_cf = 0, e_kh = 0, e_kb = 0;        // next beat to emit
Window:
    for (unsigned long i = 0; i < TOTAL; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        HWSIM_COUNT(CONFIG_T::counter);
        if (k < reads) {
            const data_T x = in.read();
        Store:
            for (unsigned s = 0; s < SIMD; s++) {
                HWSIM_PRAGMA(HLS UNROLL)
                buf[r_slot][r_col][r_cf][s] = x[s];
            }
            if (++r_cf == CF) {
                r_cf = 0;
                if (++r_col == W) {
                    r_col = 0;
                    r_slot = r_slot + 1 == ROWS ? 0 : r_slot + 1;
                }
            }
        }
        if (step > 0 && k < EMIT) {
            const unsigned y = (step - 1) * SH + e_kh;
            const bool row_in = y >= PH && y < PH + H;
            const unsigned slot = row_in ? (y - PH) % ROWS : 0;
            res_T o;
        Taps:
            for (unsigned j = 0; j < TAPS; j++) {
                HWSIM_PRAGMA(HLS UNROLL)
                const unsigned x = e_ow * SW + e_kb * TAPS + j;
                const bool inside = row_in && x >= PW && x < PW + W;
                const unsigned col = inside ? x - PW : 0;
            Load:
                for (unsigned s = 0; s < SIMD; s++) {
                    HWSIM_PRAGMA(HLS UNROLL)
                    o[j * SIMD + s] = inside ? buf[slot][col][e_cf][s] : pad;
                }
            }
            out.write(o);
            if (++e_kb == KB) {
                e_kb = 0;
                if (++e_kh == KH) {
                    e_kh = 0;
                    if (++e_cf == CF) {
                        e_cf = 0;
                        e_ow = e_ow + 1 == OW ? 0 : e_ow + 1;
                    }
                }
            }
        }
        if (++k == len) {
            step++;
            k = 0;
            reads = real_rows((step - 1) * SH + KH, step * SH + KH, PH, H) * ROW_WORDS;
            len = reads > EMIT ? reads : EMIT;
        }
    }
}

} // namespace hwsim

#pragma GCC diagnostic pop

#endif
