// Test harness for the hwsim kernel tests: deterministic random fixed-point data, raw-bit helpers,
// stream helpers and pass / fail counters. Each test program ends by printing "N passed, M failed".
// The fixed-point values are built from doubles (exact for W <= 52), independently of the kernels'
// raw_to() range assignment.
#ifndef HWSIM_TEST_HARNESS_H_
#define HWSIM_TEST_HARNESS_H_

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "ap_fixed.h"
#include "hls_stream.h"

namespace th {

struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL) {}
    uint64_t next() { // xorshift64*
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 0x2545F4914F6CDD1DULL;
    }
    // Uniform integer in [lo, hi].
    long long range(long long lo, long long hi) { return lo + (long long)(next() % (uint64_t)(hi - lo + 1)); }
};

// Signedness of an ap_fixed / ap_ufixed type.
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
constexpr bool signed_of(const ap_fixed_base<W, I, S, Q, O, N> *) {
    return S;
}
template <class T> constexpr bool is_signed() { return signed_of((const T *)0); }

// Smallest and largest raw mantissa of a W-bit type.
template <class T> long long raw_min() { return is_signed<T>() ? -(1LL << (T::width - 1)) : 0; }
template <class T> long long raw_max() { return is_signed<T>() ? (1LL << (T::width - 1)) - 1 : (1LL << T::width) - 1; }

// Value of T with the given (sign-extended) raw mantissa, built through a double.
template <class T> T from_raw(long long raw) {
    T v = std::ldexp((double)raw, -(T::width - T::iwidth));
    return v;
}

// Raw mantissa of v, sign-extended for signed types.
template <class T> long long raw_of(const T &v) {
    long long u = (long long)v.range(T::width - 1, 0).to_uint64();
    if (is_signed<T>() && (u >> (T::width - 1)) & 1) {
        u -= 1LL << T::width;
    }
    return u;
}

template <class T> T random_fixed(Rng &rng) { return from_raw<T>(rng.range(raw_min<T>(), raw_max<T>())); }

// Raw weights as the generator emits them: sign-extended mantissas in a plain integer type.
template <class T, class raw_T> std::vector<raw_T> random_raw(Rng &rng, unsigned n) {
    std::vector<raw_T> out(n);
    for (unsigned i = 0; i < n; i++) {
        out[i] = (raw_T)rng.range(raw_min<T>(), raw_max<T>());
    }
    return out;
}

template <class T> std::vector<T> random_values(Rng &rng, unsigned n) {
    std::vector<T> out(n);
    for (unsigned i = 0; i < n; i++) {
        out[i] = random_fixed<T>(rng);
    }
    return out;
}

template <class T> void push_all(hls::stream<T> &s, const std::vector<T> &v) {
    for (unsigned i = 0; i < v.size(); i++) {
        s.write(v[i]);
    }
}

struct Counter {
    int passed = 0;
    int failed = 0;
    void record(bool ok, const char *name) {
        if (ok) {
            passed++;
        } else {
            failed++;
            std::printf("FAIL %s\n", name);
        }
    }
    int finish() {
        std::printf("%d passed, %d failed\n", passed, failed);
        return failed == 0 ? 0 : 1;
    }
};

// Drains `out` and compares it bit by bit with `expected`; also requires `in` to be fully consumed.
template <class T, class in_T>
bool same_stream(hls::stream<T> &out, const std::vector<T> &expected, hls::stream<in_T> &in, const char *name) {
    bool ok = true;
    if (!in.empty()) {
        std::printf("  %s: %zu input values left unread\n", name, (size_t)in.size());
        ok = false;
    }
    if (out.size() != expected.size()) {
        std::printf("  %s: %zu outputs, expected %zu\n", name, (size_t)out.size(), expected.size());
        ok = false;
    }
    unsigned shown = 0;
    for (unsigned i = 0; i < expected.size() && !out.empty(); i++) {
        T got = out.read();
        if (raw_of(got) != raw_of(expected[i])) {
            if (shown++ < 3) {
                std::printf("  %s: [%u] got %s expected %s\n", name, i, got.to_string().c_str(),
                            expected[i].to_string().c_str());
            }
            ok = false;
        }
    }
    return ok;
}

// --- beats (hwsim::beat<T, N>: B::value_type, B::size, operator[]) ------------------------------------

// Writes v (a multiple of B::size values) as beats of B::size consecutive values.
template <class B> void push_beats(hls::stream<B> &s, const std::vector<typename B::value_type> &v) {
    for (unsigned i = 0; i + B::size <= v.size(); i += B::size) {
        B b;
        for (unsigned k = 0; k < B::size; k++) {
            b[k] = v[i + k];
        }
        s.write(b);
    }
}

// Reads every beat left in s; returns their values in stream order.
template <class B> std::vector<typename B::value_type> drain_beats(hls::stream<B> &s) {
    std::vector<typename B::value_type> v;
    while (!s.empty()) {
        B b = s.read();
        for (unsigned k = 0; k < B::size; k++) {
            v.push_back(b[k]);
        }
    }
    return v;
}

// Bit-exact comparison of two value lists (sizes included).
template <class T> bool same_values(const std::vector<T> &got, const std::vector<T> &want, const char *name) {
    bool ok = got.size() == want.size();
    if (!ok) {
        std::printf("  %s: %zu values, expected %zu\n", name, got.size(), want.size());
    }
    unsigned shown = 0;
    for (unsigned i = 0; i < got.size() && i < want.size(); i++) {
        if (raw_of(got[i]) != raw_of(want[i])) {
            if (shown++ < 3) {
                std::printf("  %s: [%u] got %s expected %s\n", name, i, got[i].to_string().c_str(),
                            want[i].to_string().c_str());
            }
            ok = false;
        }
    }
    return ok;
}

// An iteration count compared with its formula.
inline bool same_count(unsigned long long got, unsigned long long want, const char *name) {
    if (got != want) {
        std::printf("  %s: %llu iterations, expected %llu\n", name, got, want);
    }
    return got == want;
}

} // namespace th

#endif
