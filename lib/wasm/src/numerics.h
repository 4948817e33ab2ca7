// Bit-exact WebAssembly numerics that the C++ operators do not give directly: min/max with NaN
// propagation and -0 < +0, rounding to integral values in software (no libm), range-checked
// truncation. Floats are handled as bits wherever the operation is not arithmetic.
#pragma once

#include <support/types.h>

namespace wasm::num {

inline float f32(u32 b) { return __builtin_bit_cast(float, b); }
inline double f64(u64 b) { return __builtin_bit_cast(double, b); }
inline u32 bits(float f) { return __builtin_bit_cast(u32, f); }
inline u64 bits(double d) { return __builtin_bit_cast(u64, d); }

inline u32 popcnt32(u32 x) {
#if defined(__riscv) && !defined(__riscv_zbb)
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (x + (x >> 4)) & 0x0f0f0f0fu;
  return (x * 0x01010101u) >> 24;
#else
  return static_cast<u32>(__builtin_popcount(x));
#endif
}
inline u64 popcnt64(u64 x) {
#if defined(__riscv) && !defined(__riscv_zbb)
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (x * 0x0101010101010101ull) >> 56;
#else
  return static_cast<u64>(__builtin_popcountll(x));
#endif
}
inline u32 clz32(u32 x) { return x == 0 ? 32 : static_cast<u32>(__builtin_clz(x)); }
inline u32 ctz32(u32 x) { return x == 0 ? 32 : static_cast<u32>(__builtin_ctz(x)); }
inline u64 clz64(u64 x) { return x == 0 ? 64 : static_cast<u64>(__builtin_clzll(x)); }
inline u64 ctz64(u64 x) { return x == 0 ? 64 : static_cast<u64>(__builtin_ctzll(x)); }
inline u32 rotl32(u32 x, u32 n) {
  n &= 31;
  return n == 0 ? x : (x << n) | (x >> (32 - n));
}
inline u32 rotr32(u32 x, u32 n) {
  n &= 31;
  return n == 0 ? x : (x >> n) | (x << (32 - n));
}
inline u64 rotl64(u64 x, u64 n) {
  n &= 63;
  return n == 0 ? x : (x << n) | (x >> (64 - n));
}
inline u64 rotr64(u64 x, u64 n) {
  n &= 63;
  return n == 0 ? x : (x >> n) | (x << (64 - n));
}

// min/max: any NaN operand gives a NaN; -0 is smaller than +0.
inline u32 fmin32(u32 a, u32 b) {
  float x = f32(a), y = f32(b);
  if (x != x || y != y) return bits(x + y);
  if (x == y) return a | b;
  return x < y ? a : b;
}
inline u32 fmax32(u32 a, u32 b) {
  float x = f32(a), y = f32(b);
  if (x != x || y != y) return bits(x + y);
  if (x == y) return a & b;
  return x > y ? a : b;
}
inline u64 fmin64(u64 a, u64 b) {
  double x = f64(a), y = f64(b);
  if (x != x || y != y) return bits(x + y);
  if (x == y) return a | b;
  return x < y ? a : b;
}
inline u64 fmax64(u64 a, u64 b) {
  double x = f64(a), y = f64(b);
  if (x != x || y != y) return bits(x + y);
  if (x == y) return a & b;
  return x > y ? a : b;
}

// Rounding to integral values. kind: 0 trunc, 1 floor, 2 ceil, 3 nearest (ties to even).
template <typename F, typename U, int kMant, int kBias> inline U round_bits(U b, int kind) {
  constexpr U kSign = U{1} << (sizeof(U) * 8 - 1);
  constexpr int kExpMax = kBias * 2 + 1;
  int e = static_cast<int>((b >> kMant) & static_cast<U>(kExpMax)) - kBias;
  F x = __builtin_bit_cast(F, b);
  if (e == kBias + 1) return __builtin_bit_cast(U, static_cast<F>(x + x));  // inf or NaN (quieted)
  if (e >= kMant) return b;                                                 // already integral
  U sign = b & kSign;
  if (e < 0) {
    // |x| < 1
    if ((b & ~kSign) == 0) return b;
    F one = static_cast<F>(sign ? -1 : 1);
    switch (kind) {
      case 1: return sign ? __builtin_bit_cast(U, one) : sign;
      case 2: return sign ? sign : __builtin_bit_cast(U, one);
      case 3: {
        // > 0.5 rounds away from zero; exactly 0.5 goes to even (0).
        F ax = sign ? -x : x;
        return ax > static_cast<F>(0.5) ? __builtin_bit_cast(U, one) : sign;
      }
      default: return sign;
    }
  }
  U mask = (U{1} << (kMant - e)) - 1;
  if ((b & mask) == 0) return b;
  U tb = b & ~mask;
  F t = __builtin_bit_cast(F, tb);
  switch (kind) {
    case 1:
      if (sign) t = t - static_cast<F>(1);
      break;
    case 2:
      if (!sign) t = t + static_cast<F>(1);
      break;
    case 3: {
      F diff = x - t;  // exact
      F ad = diff < 0 ? -diff : diff;
      bool odd = (tb >> (kMant - e)) & 1;
      if (ad > static_cast<F>(0.5) || (ad == static_cast<F>(0.5) && odd))
        t = sign ? t - static_cast<F>(1) : t + static_cast<F>(1);
      break;
    }
    default: break;
  }
  return __builtin_bit_cast(U, t) | sign;
}
inline u32 round32(u32 b, int kind) { return round_bits<float, u32, 23, 127>(b, kind); }
inline u64 round64(u64 b, int kind) { return round_bits<double, u64, 52, 1023>(b, kind); }

inline float sqrt32(float x) { return __builtin_sqrtf(x); }
inline double sqrt64(double x) { return __builtin_sqrt(x); }

// Trapping truncation: 0 ok, 1 invalid conversion (NaN), 2 integer overflow.
template <typename I, typename F>
inline int trunc_checked(F x, F lo_exclusive, F hi_exclusive, I* out) {
  if (x != x) return 1;
  if (!(x > lo_exclusive && x < hi_exclusive)) return 2;
  *out = static_cast<I>(x);
  return 0;
}
template <typename I, typename F>
inline I trunc_sat(F x, F lo_exclusive, F hi_exclusive, I lo, I hi) {
  if (x != x) return 0;
  if (!(x > lo_exclusive)) return lo;
  if (!(x < hi_exclusive)) return hi;
  return static_cast<I>(x);
}

}  // namespace wasm::num
