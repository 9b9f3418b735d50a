// Oracle harness for hwsim's fixed-point engine: the real ap_types headers do the arithmetic.
// Each generated translation unit includes this file, declares its types and dispatches commands
// read from stdin (one per line), answering one line per command:
//   Q k n <n doubles as 16-hex-digit bit patterns>  ->  raw bits of `T_k v = d;` (hex)
//   C k n <n signed decimal raws of the source>      ->  raw bits of `D_k d = (S_k)s;` (hex)
//   M k / A k                                         ->  type of a*b / a+b for the pair P_k
//   D k d n <n signed decimal raws>                  ->  raw bits of `T_k acc; acc /= d;` (hex)
#ifndef HWSIM_ORACLE_H
#define HWSIM_ORACLE_H
#include <ap_fixed.h>
#include <ap_int.h>
#include <cstdio>
#include <cstring>
#include <cstdint>

static const char* q_name(ap_q_mode q) {
  switch (q) {
    case AP_RND: return "AP_RND";
    case AP_RND_ZERO: return "AP_RND_ZERO";
    case AP_RND_MIN_INF: return "AP_RND_MIN_INF";
    case AP_RND_INF: return "AP_RND_INF";
    case AP_RND_CONV: return "AP_RND_CONV";
    case AP_TRN: return "AP_TRN";
    case AP_TRN_ZERO: return "AP_TRN_ZERO";
  }
  return "?";
}

static const char* o_name(ap_o_mode o) {
  switch (o) {
    case AP_SAT: return "AP_SAT";
    case AP_SAT_ZERO: return "AP_SAT_ZERO";
    case AP_SAT_SYM: return "AP_SAT_SYM";
    case AP_WRAP: return "AP_WRAP";
    case AP_WRAP_SM: return "AP_WRAP_SM";
  }
  return "?";
}

// Bits of a value of any ap type, as an unsigned W-bit pattern.
template <class T>
unsigned long long bits_of(const T& v) {
  return ap_uint<T::width>(v.range(T::width - 1, 0)).to_uint64();
}

template <class T>
void set_bits(T& v, long long raw) {
  v.range(T::width - 1, 0) = ap_uint<T::width>((unsigned long long)raw);
}

template <class T>
void run_quantize(int n) {
  for (int i = 0; i < n; ++i) {
    unsigned long long u = 0;
    if (std::scanf("%llx", &u) != 1) std::exit(3);
    double d;
    std::memcpy(&d, &u, sizeof d);
    T v = d;
    std::printf("%s%llx", i ? " " : "", bits_of(v));
  }
  std::printf("\n");
}

template <class S, class D>
void run_cast(int n) {
  for (int i = 0; i < n; ++i) {
    long long raw = 0;
    if (std::scanf("%lld", &raw) != 1) std::exit(3);
    S s;
    set_bits(s, raw);
    D d = s;
    std::printf("%s%llx", i ? " " : "", bits_of(d));
  }
  std::printf("\n");
}

// Type description: "fixed W I S Q O N" or "int W S".
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
void describe(const ap_fixed_base<W, I, S, Q, O, N>&) {
  std::printf("fixed %d %d %d %s %s %d\n", W, I, (int)S, q_name(Q), o_name(O), N);
}

template <int W, bool S>
void describe(const ap_int_base<W, S>&) {
  std::printf("int %d %d\n", W, (int)S);
}

template <class A, class B>
void run_types(char op) {
  A a = 0;
  B b = 0;
  if (op == 'M') describe(a * b);
  else describe(a + b);
}

// `acc /= d` with an int divisor d (hls4ml's average pooling), for n raw accumulator values.
template <class T>
void run_divide(int d, int n) {
  for (int i = 0; i < n; ++i) {
    long long raw = 0;
    if (std::scanf("%lld", &raw) != 1) std::exit(3);
    T acc;
    set_bits(acc, raw);
    acc /= d;
    std::printf("%s%llx", i ? " " : "", bits_of(acc));
  }
  std::printf("\n");
}

#endif
