// hwsim kernels: pools over window beats, type cast, global average pool, concat, add, split and
// the width converter; each one pipelined loop, PE lanes unrolled.
//
// CONFIG_T fields are those of hwsim.hw.units (pixels, n_chan, pe, cf = n_chan / pe, ...) plus
// `counter` (this call's iteration counter). Loop counts, per image:
//   max_pool / avg_pool  pixels x cf x taps   (reads the sliding window's beats; taps = KH x KW)
//   cast, add, split     pixels x cf
//   global_avg_pool      pixels x cf          (pixels = input pixels)
//   concat               pixels x (cf1 + cf2)
//   convert              chunks x max(reads, writes), chunk = lcm(in_pe, out_pe) values
// Arithmetic (bit-exact with the simulator):
//   max pool: the maximum in data_T over the window's taps (padding holds data_T's lowest value,
//     so it never wins), then (res_T)max.
//   avg pool (count_include_pad): accum_t a = 0; a = a + (accum_t)x per tap (padding adds 0);
//     a /= area (CONFIG_T::area, the window size KH x KW) as an int; (res_T)a.  `a /= N` keeps accum_t's fraction bits and truncates the raw
//     quotient toward zero (tests/cpp/test_stream.cpp).
//   global average pool: the same, per channel over all pixels, a /= pixels.
//   concat: (res_T)x per value, a's cf1 beats then b's cf2 beats per pixel.  add: the exact sum
//   x + y cast to result_t, then the fused activation (cast_result, hwsim_common.h) into res_T.
#ifndef HWSIM_STREAM_H_
#define HWSIM_STREAM_H_

#include "hwsim_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace hwsim {

template <class data_T, class res_T, typename CONFIG_T>
void max_pool(hls::stream<data_T> &in, hls::stream<res_T> &out) {
    typedef typename data_T::value_type T;
    static const unsigned PE = CONFIG_T::pe;
    static const unsigned TAPS = CONFIG_T::taps;
    static const unsigned long TOTAL = (unsigned long)CONFIG_T::pixels * CONFIG_T::cf * TAPS;
    static_assert(data_T::size == PE && res_T::size == PE, "max_pool: beats of pe values");
    T m[PE];
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = m complete)
    unsigned t = 0;
Pool:
    for (unsigned long i = 0; i < TOTAL; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        HWSIM_COUNT(CONFIG_T::counter);
        const data_T x = in.read();
        res_T y;
    Lanes:
        for (unsigned p = 0; p < PE; p++) {
            HWSIM_PRAGMA(HLS UNROLL)
            const T v = (t == 0 || x[p] > m[p]) ? x[p] : m[p];
            m[p] = v;
            y[p] = (typename res_T::value_type)v;
        }
        if (t == TAPS - 1) {
            out.write(y);
        }
        t = t + 1 == TAPS ? 0 : t + 1;
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void avg_pool(hls::stream<data_T> &in, hls::stream<res_T> &out) {
    typedef typename CONFIG_T::accum_t accum_t;
    static const unsigned PE = CONFIG_T::pe;
    static const unsigned TAPS = CONFIG_T::taps;
    static const int AREA = (int)CONFIG_T::area;
    static const unsigned long TOTAL = (unsigned long)CONFIG_T::pixels * CONFIG_T::cf * TAPS;
    static_assert(data_T::size == PE && res_T::size == PE, "avg_pool: beats of pe values");
    accum_t acc[PE];
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = acc complete)
    unsigned t = 0;
Pool:
    for (unsigned long i = 0; i < TOTAL; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        HWSIM_COUNT(CONFIG_T::counter);
        const data_T x = in.read();
    Lanes:
        for (unsigned p = 0; p < PE; p++) {
            HWSIM_PRAGMA(HLS UNROLL)
            acc[p] = (t == 0 ? accum_t(0) : acc[p]) + (accum_t)x[p];
        }
        if (t == TAPS - 1) {
            res_T y;
        Outputs:
            for (unsigned p = 0; p < PE; p++) {
                HWSIM_PRAGMA(HLS UNROLL)
                accum_t a = acc[p];
                a /= AREA;
                y[p] = (typename res_T::value_type)a;
            }
            out.write(y);
        }
        t = t + 1 == TAPS ? 0 : t + 1;
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void cast(hls::stream<data_T> &in, hls::stream<res_T> &out) {
    static const unsigned PE = CONFIG_T::pe;
    static const unsigned long TOTAL = (unsigned long)CONFIG_T::pixels * CONFIG_T::cf;
    static_assert(data_T::size == PE && res_T::size == PE, "cast: beats of pe values");
Cast:
    for (unsigned long i = 0; i < TOTAL; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        HWSIM_COUNT(CONFIG_T::counter);
        const data_T x = in.read();
        res_T y;
    Lanes:
        for (unsigned p = 0; p < PE; p++) {
            HWSIM_PRAGMA(HLS UNROLL)
            y[p] = (typename res_T::value_type)x[p];
        }
        out.write(y);
    }
}

template <class data_T, class res_T, typename CONFIG_T>
void global_avg_pool(hls::stream<data_T> &in, hls::stream<res_T> &out) {
    typedef typename CONFIG_T::accum_t accum_t;
    static const unsigned PE = CONFIG_T::pe;
    static const unsigned CF = CONFIG_T::cf;
    static const unsigned PIX = CONFIG_T::pixels;
    static const unsigned long TOTAL = (unsigned long)PIX * CF;
    static_assert(data_T::size == PE && res_T::size == PE, "global_avg_pool: beats of pe values");
    accum_t acc[CF][PE];
    HWSIM_PRAGMA(HLS ARRAY_RESHAPE variable = acc complete dim = 2)
    unsigned c = 0, px = 0;
Pool:
    for (unsigned long i = 0; i < TOTAL; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        HWSIM_COUNT(CONFIG_T::counter);
        const data_T x = in.read();
        res_T y;
    Lanes:
        for (unsigned p = 0; p < PE; p++) {
            HWSIM_PRAGMA(HLS UNROLL)
            accum_t a = (px == 0 ? accum_t(0) : acc[c][p]) + (accum_t)x[p];
            acc[c][p] = a;
            if (px == PIX - 1) {
                a /= (int)PIX;
                y[p] = (typename res_T::value_type)a;
            }
        }
        if (px == PIX - 1) {
            out.write(y);
        }
        if (++c == CF) {
            c = 0;
            px++;
        }
    }
}

template <class a_T, class b_T, class res_T, typename CONFIG_T>
void concat(hls::stream<a_T> &a, hls::stream<b_T> &b, hls::stream<res_T> &out) {
    static const unsigned PE = CONFIG_T::pe;
    static const unsigned CF1 = CONFIG_T::cf1;
    static const unsigned CF = CONFIG_T::cf1 + CONFIG_T::cf2;
    static const unsigned long TOTAL = (unsigned long)CONFIG_T::pixels * CF;
    static_assert(a_T::size == PE && b_T::size == PE && res_T::size == PE, "concat: beats of pe values");
    unsigned k = 0;
Concat:
    for (unsigned long i = 0; i < TOTAL; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        HWSIM_COUNT(CONFIG_T::counter);
        res_T y;
        if (k < CF1) {
            const a_T x = a.read();
        LanesA:
            for (unsigned p = 0; p < PE; p++) {
                HWSIM_PRAGMA(HLS UNROLL)
                y[p] = (typename res_T::value_type)x[p];
            }
        } else {
            const b_T x = b.read();
        LanesB:
            for (unsigned p = 0; p < PE; p++) {
                HWSIM_PRAGMA(HLS UNROLL)
                y[p] = (typename res_T::value_type)x[p];
            }
        }
        out.write(y);
        k = k + 1 == CF ? 0 : k + 1;
    }
}

template <class a_T, class b_T, class res_T, typename CONFIG_T>
void add(hls::stream<a_T> &a, hls::stream<b_T> &b, hls::stream<res_T> &out) {
    static const unsigned PE = CONFIG_T::pe;
    static const unsigned long TOTAL = (unsigned long)CONFIG_T::pixels * CONFIG_T::cf;
    static_assert(a_T::size == PE && b_T::size == PE && res_T::size == PE, "add: beats of pe values");
Add:
    for (unsigned long i = 0; i < TOTAL; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        HWSIM_COUNT(CONFIG_T::counter);
        const a_T x = a.read();
        const b_T z = b.read();
        res_T y;
    Lanes:
        for (unsigned p = 0; p < PE; p++) {
            HWSIM_PRAGMA(HLS UNROLL)
            y[p] = cast_result<typename res_T::value_type, typename CONFIG_T::result_t, CONFIG_T::activation>(x[p] + z[p]);
        }
        out.write(y);
    }
}

template <class data_T, typename CONFIG_T>
void split(hls::stream<data_T> &in, hls::stream<data_T> &out1, hls::stream<data_T> &out2) {
    static const unsigned long TOTAL = (unsigned long)CONFIG_T::pixels * CONFIG_T::cf;
    static_assert(data_T::size == CONFIG_T::pe, "split: beats of pe values");
Split:
    for (unsigned long i = 0; i < TOTAL; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        HWSIM_COUNT(CONFIG_T::counter);
        const data_T x = in.read();
        out1.write(x);
        out2.write(x);
    }
}

// Width converter: beats of in_pe values to beats of out_pe values, the same values in the same
// order. Per chunk of L = lcm(in_pe, out_pe) values, max(reads, writes) iterations: widening reads
// every iteration and writes beat j once its last value has arrived; narrowing writes every
// iteration and reads a beat when the next write needs it.
template <class data_T, class res_T, typename CONFIG_T>
void convert(hls::stream<data_T> &in, hls::stream<res_T> &out) {
    typedef typename data_T::value_type T;
    static const unsigned A = CONFIG_T::in_pe;
    static const unsigned B = CONFIG_T::out_pe;
    static const unsigned L = CONFIG_T::chunk;
    static const unsigned READS = CONFIG_T::reads;
    static const unsigned WRITES = CONFIG_T::writes;
    static const unsigned ITER = READS > WRITES ? READS : WRITES;
    static const unsigned long TOTAL = (unsigned long)CONFIG_T::chunks * ITER;
    static_assert(data_T::size == A && res_T::size == B, "convert: beats of in_pe in, out_pe out");
    static_assert(READS * A == L && WRITES * B == L, "convert: chunk must be lcm(in_pe, out_pe)");
    T buf[L];
    HWSIM_PRAGMA(HLS ARRAY_PARTITION variable = buf complete)
    unsigned k = 0, r = 0, w = 0;
Convert:
    for (unsigned long i = 0; i < TOTAL; i++) {
        HWSIM_PRAGMA(HLS PIPELINE II = 1)
        HWSIM_COUNT(CONFIG_T::counter);
        if (r < READS && (A <= B || r * A < (w + 1) * B)) {
            const data_T x = in.read();
        Store:
            for (unsigned s = 0; s < A; s++) {
                HWSIM_PRAGMA(HLS UNROLL)
                buf[r * A + s] = x[s];
            }
            r++;
        }
        if (w < WRITES && (w + 1) * B <= r * A) {
            res_T y;
        Load:
            for (unsigned s = 0; s < B; s++) {
                HWSIM_PRAGMA(HLS UNROLL)
                y[s] = buf[w * B + s];
            }
            out.write(y);
            w++;
        }
        if (++k == ITER) {
            k = r = w = 0;
        }
    }
}

} // namespace hwsim

#pragma GCC diagnostic pop

#endif
