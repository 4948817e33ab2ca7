// Fixed-width SIMD: the 128-bit value and the lane-wise operations, bit-exact as the
// specification says (NaN results, rounding, saturation), independent of the interpreter.
//
// A V128 is 16 bytes in the memory order of WebAssembly (lane 0 first, little-endian lanes).
// The operations compute on the compiler's vector types, so the host build gets real vector
// instructions and a target without vectors (the riscv64 kernel: no V extension) gets scalar
// code with the same results. Floating-point lanes whose results the specification fixes bit for
// bit (min, max, rounding to integral, conversions) go through the scalar helpers of numerics.h.
//
// WASM_SIMD_LANE_OPS lists every operation that reads and writes only value slots (no
// immediate): its name (also the function's name in wasm::simd), its sub-opcode after the 0xfd
// prefix, and its shape:
//   Unop   v128 -> v128          Binop  v128 v128 -> v128     Ternop v128 v128 v128 -> v128
//   Test   v128 -> i32           Shift  v128 i32 -> v128
//   SplatI32 i32 -> v128  SplatI64 i64 -> v128  SplatF32 f32 -> v128  SplatF64 f64 -> v128
// The interpreter makes one operation per entry (code.h, interp.cc); the translator maps the
// sub-opcode to it (compile.cc). Instructions with immediates (v128.const, loads and stores,
// lanes, shuffle) are the interpreter's own.
#pragma once

#include <support/types.h>

#include "numerics.h"

namespace wasm::simd {

struct V128 {
  u64 lo = 0;  // bytes 0..7 (lane 0 first)
  u64 hi = 0;  // bytes 8..15
  bool operator==(const V128&) const = default;
};
static_assert(sizeof(V128) == 16);

// The compiler's vector types over a V128's bytes.
using u8x16 = u8 __attribute__((vector_size(16)));
using i8x16 = i8 __attribute__((vector_size(16)));
using u16x8 = u16 __attribute__((vector_size(16)));
using i16x8 = i16 __attribute__((vector_size(16)));
using u32x4 = u32 __attribute__((vector_size(16)));
using i32x4 = i32 __attribute__((vector_size(16)));
using u64x2 = u64 __attribute__((vector_size(16)));
using i64x2 = i64 __attribute__((vector_size(16)));

template <typename Vec> inline Vec as(V128 v) { return __builtin_bit_cast(Vec, v); }
template <typename Vec> inline V128 from(Vec v) { return __builtin_bit_cast(V128, v); }

// clang-format off
#define WASM_SIMD_LANE_OPS(X) \
  X(V128Not, 0x4d, Unop) X(V128And, 0x4e, Binop) X(I32x4Add, 0xae, Binop)
// clang-format on

inline V128 V128Not(V128 a) { return {~a.lo, ~a.hi}; }
inline V128 V128And(V128 a, V128 b) { return {a.lo & b.lo, a.hi & b.hi}; }
inline V128 I32x4Add(V128 a, V128 b) { return from(as<u32x4>(a) + as<u32x4>(b)); }

}  // namespace wasm::simd
