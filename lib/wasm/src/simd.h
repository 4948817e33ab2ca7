// Fixed-width SIMD and relaxed SIMD: the 128-bit value and the lane-wise operations, bit-exact as
// the specification says (NaN results, rounding, saturation), independent of the interpreter.
//
// A V128 is 16 bytes in the memory order of WebAssembly (lane 0 first, little-endian lanes).
// The operations compute on the compiler's vector types, so the host build gets real vector
// instructions and a target without vectors (the riscv64 kernel: no V extension) gets scalar
// code with the same results. Floating-point lanes whose results the specification fixes bit for
// bit (min, max, pmin, pmax, rounding to integral, float-to-integer conversions) go through the
// scalar helpers of numerics.h, one lane at a time; add, sub, mul, div, sqrt, the conversions
// between floats and from integers use the host's arithmetic (round to nearest, ties to even; a
// NaN result is an arithmetic NaN, which the specification allows: x86 keeps the payload, RISC-V
// gives the canonical NaN). abs and neg only touch the sign bit (the payload of a NaN stays).
//
// WASM_SIMD_LANE_OPS lists every operation that reads and writes only value slots (no
// immediate): its name (also the function's name in wasm::simd), its sub-opcode after the 0xfd
// prefix, and its shape, which fixes the function's signature:
//   Unop     v128 -> v128            V128 f(V128)
//   Binop    v128 v128 -> v128       V128 f(V128, V128)
//   Ternop   v128 v128 v128 -> v128  V128 f(V128, V128, V128)
//   Test     v128 -> i32             u32 f(V128)
//   Shift    v128 i32 -> v128        V128 f(V128, u32)   (count taken modulo the lane width)
//   SplatI32 i32 -> v128             V128 f(u32)
//   SplatI64 i64 -> v128             V128 f(u64)
//   SplatF32 f32 -> v128             V128 f(u32)         (the float's bits)
//   SplatF64 f64 -> v128             V128 f(u64)         (the float's bits)
// The interpreter makes one operation per entry (code.h, interp.cc); the translator maps the
// sub-opcode to it (compile.cc). The function's type follows from the shape (checked where the
// handler takes its address): Unop V128(V128), Binop V128(V128, V128), Ternop V128(V128, V128,
// V128), Test u32(V128), Shift V128(V128, u32), SplatI32 and SplatF32 V128(u32) (the f32's bits),
// SplatI64 and SplatF64 V128(u64). Instructions with immediates (v128.const, loads and stores,
// lanes, shuffle) are the interpreter's own.
//
// Relaxed SIMD (sub-opcodes 0x100..0x113) lets an engine pick from a set of results; Warden
// picks one, the same on every host and target:
//   i8x16.relaxed_swizzle          = i8x16.swizzle (an index >= 16 gives 0)
//   i32x4.relaxed_trunc_*          = i32x4.trunc_sat_* (NaN gives 0, out of range saturates)
//   f32x4/f64x2.relaxed_madd       = a * b + c, two roundings (not fused: the x86-64 host has no
//                                    FMA in its baseline, and numerics stay free of libm)
//   f32x4/f64x2.relaxed_nmadd      = -(a * b) + c, two roundings
//   i*.relaxed_laneselect          = v128.bitselect (every bit chosen by the mask's bit)
//   f32x4/f64x2.relaxed_min/max    = f32x4/f64x2.min/max (NaN propagates, -0 < +0)
//   i16x8.relaxed_q15mulr_s        = i16x8.q15mulr_sat_s (0x8000 * 0x8000 saturates to 0x7fff)
//   i16x8.relaxed_dot_i8x16_i7x16_s: both operands signed, each pair of products added with
//                                    signed saturation (only -128*-128 + -128*-128 saturates)
//   i32x4.relaxed_dot_i8x16_i7x16_add_s: the i16x8 relaxed dot above, its pairs added into i32
//                                    lanes, plus c (wrapping)
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
using f32x4 = float __attribute__((vector_size(16)));
using f64x2 = double __attribute__((vector_size(16)));
// Half vectors: the low or high lanes of a V128 before they are widened.
using u8x8 = u8 __attribute__((vector_size(8)));
using i8x8 = i8 __attribute__((vector_size(8)));
using u16x4 = u16 __attribute__((vector_size(8)));
using i16x4 = i16 __attribute__((vector_size(8)));
using u32x2 = u32 __attribute__((vector_size(8)));
using i32x2 = i32 __attribute__((vector_size(8)));

template <typename Vec> inline Vec as(V128 v) { return __builtin_bit_cast(Vec, v); }
template <typename Vec> inline V128 from(Vec v) { return __builtin_bit_cast(V128, v); }
template <typename Vec> constexpr int kLanes = static_cast<int>(__builtin_vectorelements(Vec));

// clang-format off
#define WASM_SIMD_LANE_OPS(X) \
  X(I8x16Swizzle, 0x0e, Binop) X(I8x16Splat, 0x0f, SplatI32) X(I16x8Splat, 0x10, SplatI32) \
  X(I32x4Splat, 0x11, SplatI32) X(I64x2Splat, 0x12, SplatI64) X(F32x4Splat, 0x13, SplatF32) \
  X(F64x2Splat, 0x14, SplatF64) X(I8x16Eq, 0x23, Binop) X(I8x16Ne, 0x24, Binop) \
  X(I8x16LtS, 0x25, Binop) X(I8x16LtU, 0x26, Binop) X(I8x16GtS, 0x27, Binop) \
  X(I8x16GtU, 0x28, Binop) X(I8x16LeS, 0x29, Binop) X(I8x16LeU, 0x2a, Binop) \
  X(I8x16GeS, 0x2b, Binop) X(I8x16GeU, 0x2c, Binop) X(I16x8Eq, 0x2d, Binop) \
  X(I16x8Ne, 0x2e, Binop) X(I16x8LtS, 0x2f, Binop) X(I16x8LtU, 0x30, Binop) \
  X(I16x8GtS, 0x31, Binop) X(I16x8GtU, 0x32, Binop) X(I16x8LeS, 0x33, Binop) \
  X(I16x8LeU, 0x34, Binop) X(I16x8GeS, 0x35, Binop) X(I16x8GeU, 0x36, Binop) \
  X(I32x4Eq, 0x37, Binop) X(I32x4Ne, 0x38, Binop) X(I32x4LtS, 0x39, Binop) \
  X(I32x4LtU, 0x3a, Binop) X(I32x4GtS, 0x3b, Binop) X(I32x4GtU, 0x3c, Binop) \
  X(I32x4LeS, 0x3d, Binop) X(I32x4LeU, 0x3e, Binop) X(I32x4GeS, 0x3f, Binop) \
  X(I32x4GeU, 0x40, Binop) X(F32x4Eq, 0x41, Binop) X(F32x4Ne, 0x42, Binop) \
  X(F32x4Lt, 0x43, Binop) X(F32x4Gt, 0x44, Binop) X(F32x4Le, 0x45, Binop) \
  X(F32x4Ge, 0x46, Binop) X(F64x2Eq, 0x47, Binop) X(F64x2Ne, 0x48, Binop) \
  X(F64x2Lt, 0x49, Binop) X(F64x2Gt, 0x4a, Binop) X(F64x2Le, 0x4b, Binop) \
  X(F64x2Ge, 0x4c, Binop) X(V128Not, 0x4d, Unop) X(V128And, 0x4e, Binop) \
  X(V128Andnot, 0x4f, Binop) X(V128Or, 0x50, Binop) X(V128Xor, 0x51, Binop) \
  X(V128Bitselect, 0x52, Ternop) X(V128AnyTrue, 0x53, Test) X(F32x4DemoteF64x2Zero, 0x5e, Unop) \
  X(F64x2PromoteLowF32x4, 0x5f, Unop) X(I8x16Abs, 0x60, Unop) X(I8x16Neg, 0x61, Unop) \
  X(I8x16Popcnt, 0x62, Unop) X(I8x16AllTrue, 0x63, Test) X(I8x16Bitmask, 0x64, Test) \
  X(I8x16NarrowI16x8S, 0x65, Binop) X(I8x16NarrowI16x8U, 0x66, Binop) X(F32x4Ceil, 0x67, Unop) \
  X(F32x4Floor, 0x68, Unop) X(F32x4Trunc, 0x69, Unop) X(F32x4Nearest, 0x6a, Unop) \
  X(I8x16Shl, 0x6b, Shift) X(I8x16ShrS, 0x6c, Shift) X(I8x16ShrU, 0x6d, Shift) \
  X(I8x16Add, 0x6e, Binop) X(I8x16AddSatS, 0x6f, Binop) X(I8x16AddSatU, 0x70, Binop) \
  X(I8x16Sub, 0x71, Binop) X(I8x16SubSatS, 0x72, Binop) X(I8x16SubSatU, 0x73, Binop) \
  X(F64x2Ceil, 0x74, Unop) X(F64x2Floor, 0x75, Unop) X(I8x16MinS, 0x76, Binop) \
  X(I8x16MinU, 0x77, Binop) X(I8x16MaxS, 0x78, Binop) X(I8x16MaxU, 0x79, Binop) \
  X(F64x2Trunc, 0x7a, Unop) X(I8x16AvgrU, 0x7b, Binop) X(I16x8ExtaddPairwiseI8x16S, 0x7c, Unop) \
  X(I16x8ExtaddPairwiseI8x16U, 0x7d, Unop) X(I32x4ExtaddPairwiseI16x8S, 0x7e, Unop) \
  X(I32x4ExtaddPairwiseI16x8U, 0x7f, Unop) X(I16x8Abs, 0x80, Unop) X(I16x8Neg, 0x81, Unop) \
  X(I16x8Q15mulrSatS, 0x82, Binop) X(I16x8AllTrue, 0x83, Test) X(I16x8Bitmask, 0x84, Test) \
  X(I16x8NarrowI32x4S, 0x85, Binop) X(I16x8NarrowI32x4U, 0x86, Binop) \
  X(I16x8ExtendLowI8x16S, 0x87, Unop) X(I16x8ExtendHighI8x16S, 0x88, Unop) \
  X(I16x8ExtendLowI8x16U, 0x89, Unop) X(I16x8ExtendHighI8x16U, 0x8a, Unop) \
  X(I16x8Shl, 0x8b, Shift) X(I16x8ShrS, 0x8c, Shift) X(I16x8ShrU, 0x8d, Shift) \
  X(I16x8Add, 0x8e, Binop) X(I16x8AddSatS, 0x8f, Binop) X(I16x8AddSatU, 0x90, Binop) \
  X(I16x8Sub, 0x91, Binop) X(I16x8SubSatS, 0x92, Binop) X(I16x8SubSatU, 0x93, Binop) \
  X(F64x2Nearest, 0x94, Unop) X(I16x8Mul, 0x95, Binop) X(I16x8MinS, 0x96, Binop) \
  X(I16x8MinU, 0x97, Binop) X(I16x8MaxS, 0x98, Binop) X(I16x8MaxU, 0x99, Binop) \
  X(I16x8AvgrU, 0x9b, Binop) X(I16x8ExtmulLowI8x16S, 0x9c, Binop) \
  X(I16x8ExtmulHighI8x16S, 0x9d, Binop) X(I16x8ExtmulLowI8x16U, 0x9e, Binop) \
  X(I16x8ExtmulHighI8x16U, 0x9f, Binop) X(I32x4Abs, 0xa0, Unop) X(I32x4Neg, 0xa1, Unop) \
  X(I32x4AllTrue, 0xa3, Test) X(I32x4Bitmask, 0xa4, Test) X(I32x4ExtendLowI16x8S, 0xa7, Unop) \
  X(I32x4ExtendHighI16x8S, 0xa8, Unop) X(I32x4ExtendLowI16x8U, 0xa9, Unop) \
  X(I32x4ExtendHighI16x8U, 0xaa, Unop) X(I32x4Shl, 0xab, Shift) X(I32x4ShrS, 0xac, Shift) \
  X(I32x4ShrU, 0xad, Shift) X(I32x4Add, 0xae, Binop) X(I32x4Sub, 0xb1, Binop) \
  X(I32x4Mul, 0xb5, Binop) X(I32x4MinS, 0xb6, Binop) X(I32x4MinU, 0xb7, Binop) \
  X(I32x4MaxS, 0xb8, Binop) X(I32x4MaxU, 0xb9, Binop) X(I32x4DotI16x8S, 0xba, Binop) \
  X(I32x4ExtmulLowI16x8S, 0xbc, Binop) X(I32x4ExtmulHighI16x8S, 0xbd, Binop) \
  X(I32x4ExtmulLowI16x8U, 0xbe, Binop) X(I32x4ExtmulHighI16x8U, 0xbf, Binop) \
  X(I64x2Abs, 0xc0, Unop) X(I64x2Neg, 0xc1, Unop) X(I64x2AllTrue, 0xc3, Test) \
  X(I64x2Bitmask, 0xc4, Test) X(I64x2ExtendLowI32x4S, 0xc7, Unop) \
  X(I64x2ExtendHighI32x4S, 0xc8, Unop) X(I64x2ExtendLowI32x4U, 0xc9, Unop) \
  X(I64x2ExtendHighI32x4U, 0xca, Unop) X(I64x2Shl, 0xcb, Shift) X(I64x2ShrS, 0xcc, Shift) \
  X(I64x2ShrU, 0xcd, Shift) X(I64x2Add, 0xce, Binop) X(I64x2Sub, 0xd1, Binop) \
  X(I64x2Mul, 0xd5, Binop) X(I64x2Eq, 0xd6, Binop) X(I64x2Ne, 0xd7, Binop) \
  X(I64x2LtS, 0xd8, Binop) X(I64x2GtS, 0xd9, Binop) X(I64x2LeS, 0xda, Binop) \
  X(I64x2GeS, 0xdb, Binop) X(I64x2ExtmulLowI32x4S, 0xdc, Binop) \
  X(I64x2ExtmulHighI32x4S, 0xdd, Binop) X(I64x2ExtmulLowI32x4U, 0xde, Binop) \
  X(I64x2ExtmulHighI32x4U, 0xdf, Binop) X(F32x4Abs, 0xe0, Unop) X(F32x4Neg, 0xe1, Unop) \
  X(F32x4Sqrt, 0xe3, Unop) X(F32x4Add, 0xe4, Binop) X(F32x4Sub, 0xe5, Binop) \
  X(F32x4Mul, 0xe6, Binop) X(F32x4Div, 0xe7, Binop) X(F32x4Min, 0xe8, Binop) \
  X(F32x4Max, 0xe9, Binop) X(F32x4Pmin, 0xea, Binop) X(F32x4Pmax, 0xeb, Binop) \
  X(F64x2Abs, 0xec, Unop) X(F64x2Neg, 0xed, Unop) X(F64x2Sqrt, 0xef, Unop) \
  X(F64x2Add, 0xf0, Binop) X(F64x2Sub, 0xf1, Binop) X(F64x2Mul, 0xf2, Binop) \
  X(F64x2Div, 0xf3, Binop) X(F64x2Min, 0xf4, Binop) X(F64x2Max, 0xf5, Binop) \
  X(F64x2Pmin, 0xf6, Binop) X(F64x2Pmax, 0xf7, Binop) X(I32x4TruncSatF32x4S, 0xf8, Unop) \
  X(I32x4TruncSatF32x4U, 0xf9, Unop) X(F32x4ConvertI32x4S, 0xfa, Unop) \
  X(F32x4ConvertI32x4U, 0xfb, Unop) X(I32x4TruncSatF64x2SZero, 0xfc, Unop) \
  X(I32x4TruncSatF64x2UZero, 0xfd, Unop) X(F64x2ConvertLowI32x4S, 0xfe, Unop) \
  X(F64x2ConvertLowI32x4U, 0xff, Unop) X(I8x16RelaxedSwizzle, 0x100, Binop) \
  X(I32x4RelaxedTruncF32x4S, 0x101, Unop) X(I32x4RelaxedTruncF32x4U, 0x102, Unop) \
  X(I32x4RelaxedTruncF64x2SZero, 0x103, Unop) X(I32x4RelaxedTruncF64x2UZero, 0x104, Unop) \
  X(F32x4RelaxedMadd, 0x105, Ternop) X(F32x4RelaxedNmadd, 0x106, Ternop) \
  X(F64x2RelaxedMadd, 0x107, Ternop) X(F64x2RelaxedNmadd, 0x108, Ternop) \
  X(I8x16RelaxedLaneselect, 0x109, Ternop) X(I16x8RelaxedLaneselect, 0x10a, Ternop) \
  X(I32x4RelaxedLaneselect, 0x10b, Ternop) X(I64x2RelaxedLaneselect, 0x10c, Ternop) \
  X(F32x4RelaxedMin, 0x10d, Binop) X(F32x4RelaxedMax, 0x10e, Binop) \
  X(F64x2RelaxedMin, 0x10f, Binop) X(F64x2RelaxedMax, 0x110, Binop) \
  X(I16x8RelaxedQ15mulrS, 0x111, Binop) X(I16x8RelaxedDotI8x16I7x16S, 0x112, Binop) \
  X(I32x4RelaxedDotI8x16I7x16AddS, 0x113, Ternop)

// clang-format on

// --- Splats, bitwise operations, tests -------------------------------------------------------

inline V128 I8x16Splat(u32 x) {
  u64 b = (x & 0xffu) * 0x0101010101010101ull;
  return {b, b};
}
inline V128 I16x8Splat(u32 x) {
  u64 b = (x & 0xffffu) * 0x0001000100010001ull;
  return {b, b};
}
inline V128 I32x4Splat(u32 x) {
  u64 b = x | (static_cast<u64>(x) << 32);
  return {b, b};
}
inline V128 I64x2Splat(u64 x) { return {x, x}; }
inline V128 F32x4Splat(u32 bits) { return I32x4Splat(bits); }
inline V128 F64x2Splat(u64 bits) { return I64x2Splat(bits); }

inline V128 V128Not(V128 a) { return {~a.lo, ~a.hi}; }
inline V128 V128And(V128 a, V128 b) { return {a.lo & b.lo, a.hi & b.hi}; }
inline V128 V128Andnot(V128 a, V128 b) { return {a.lo & ~b.lo, a.hi & ~b.hi}; }
inline V128 V128Or(V128 a, V128 b) { return {a.lo | b.lo, a.hi | b.hi}; }
inline V128 V128Xor(V128 a, V128 b) { return {a.lo ^ b.lo, a.hi ^ b.hi}; }
// Each bit from a where the mask c has a 1, else from b.
inline V128 V128Bitselect(V128 a, V128 b, V128 c) {
  return {(a.lo & c.lo) | (b.lo & ~c.lo), (a.hi & c.hi) | (b.hi & ~c.hi)};
}
inline u32 V128AnyTrue(V128 a) { return (a.lo | a.hi) != 0 ? 1 : 0; }

template <typename Vec> inline u32 all_true(V128 a) {
  Vec v = as<Vec>(a);
  for (int i = 0; i < kLanes<Vec>; ++i)
    if (v[i] == 0) return 0;
  return 1;
}
// Bit i of the result is lane i's sign bit (Vec is a signed lane type).
template <typename Vec> inline u32 bitmask(V128 a) {
  Vec v = as<Vec>(a);
  u32 r = 0;
  for (int i = 0; i < kLanes<Vec>; ++i) r |= (v[i] < 0 ? 1u : 0u) << i;
  return r;
}
inline u32 I8x16AllTrue(V128 a) { return all_true<u8x16>(a); }
inline u32 I16x8AllTrue(V128 a) { return all_true<u16x8>(a); }
inline u32 I32x4AllTrue(V128 a) { return all_true<u32x4>(a); }
inline u32 I64x2AllTrue(V128 a) { return all_true<u64x2>(a); }
inline u32 I8x16Bitmask(V128 a) { return bitmask<i8x16>(a); }
inline u32 I16x8Bitmask(V128 a) { return bitmask<i16x8>(a); }
inline u32 I32x4Bitmask(V128 a) { return bitmask<i32x4>(a); }
inline u32 I64x2Bitmask(V128 a) { return bitmask<i64x2>(a); }

// Lane i of the result is a's lane b[i], or 0 when b[i] >= 16.
inline V128 I8x16Swizzle(V128 a, V128 b) {
  u8x16 x = as<u8x16>(a), idx = as<u8x16>(b), r;
  for (int i = 0; i < 16; ++i) r[i] = idx[i] < 16 ? x[idx[i] & 15] : 0;
  return from(r);
}

// --- Comparisons: all ones where true, all zeros where false ---------------------------------
// A float comparison with a NaN operand is false, except ne, which is true.

#define WASM_SIMD_CMP(name, Vec, op) \
  inline V128 name(V128 a, V128 b) { return from(as<Vec>(a) op as<Vec>(b)); }
// clang-format off
#define WASM_SIMD_INT_CMPS(Shape, S, U)                                                         \
  WASM_SIMD_CMP(Shape##Eq, U, ==)  WASM_SIMD_CMP(Shape##Ne, U, !=)                              \
  WASM_SIMD_CMP(Shape##LtS, S, <)  WASM_SIMD_CMP(Shape##LtU, U, <)                              \
  WASM_SIMD_CMP(Shape##GtS, S, >)  WASM_SIMD_CMP(Shape##GtU, U, >)                              \
  WASM_SIMD_CMP(Shape##LeS, S, <=) WASM_SIMD_CMP(Shape##LeU, U, <=)                             \
  WASM_SIMD_CMP(Shape##GeS, S, >=) WASM_SIMD_CMP(Shape##GeU, U, >=)
#define WASM_SIMD_FLOAT_CMPS(Shape, F)                                                          \
  WASM_SIMD_CMP(Shape##Eq, F, ==) WASM_SIMD_CMP(Shape##Ne, F, !=)                               \
  WASM_SIMD_CMP(Shape##Lt, F, <)  WASM_SIMD_CMP(Shape##Gt, F, >)                                \
  WASM_SIMD_CMP(Shape##Le, F, <=) WASM_SIMD_CMP(Shape##Ge, F, >=)
// clang-format on
WASM_SIMD_INT_CMPS(I8x16, i8x16, u8x16)
WASM_SIMD_INT_CMPS(I16x8, i16x8, u16x8)
WASM_SIMD_INT_CMPS(I32x4, i32x4, u32x4)
WASM_SIMD_CMP(I64x2Eq, u64x2, ==)
WASM_SIMD_CMP(I64x2Ne, u64x2, !=)
WASM_SIMD_CMP(I64x2LtS, i64x2, <)
WASM_SIMD_CMP(I64x2GtS, i64x2, >)
WASM_SIMD_CMP(I64x2LeS, i64x2, <=)
WASM_SIMD_CMP(I64x2GeS, i64x2, >=)
WASM_SIMD_FLOAT_CMPS(F32x4, f32x4)
WASM_SIMD_FLOAT_CMPS(F64x2, f64x2)
#undef WASM_SIMD_FLOAT_CMPS
#undef WASM_SIMD_INT_CMPS
#undef WASM_SIMD_CMP

// --- Integer lanes ---------------------------------------------------------------------------
// Wrapping arithmetic is done on the unsigned lane types (signed overflow is undefined in C++).

template <typename S, typename U> inline V128 iabs(V128 a) {
  U x = as<U>(a);
  U m = __builtin_bit_cast(U, as<S>(a) < 0);  // all ones in negative lanes
  return from((x ^ m) - m);                   // the minimum stays itself, as wrapping says
}
template <typename Vec, int kBits> inline V128 shl(V128 a, u32 n) {
  return from(as<Vec>(a) << static_cast<int>(n & (kBits - 1)));
}
template <typename Vec, int kBits> inline V128 shr(V128 a, u32 n) {
  return from(as<Vec>(a) >> static_cast<int>(n & (kBits - 1)));
}
// Rounding average of unsigned lanes, (a + b + 1) / 2 without overflow.
template <typename U> inline V128 avgr(V128 a, V128 b) {
  U x = as<U>(a), y = as<U>(b);
  return from((x | y) - ((x ^ y) >> 1));
}

#define WASM_SIMD_INT_LANES(Shape, S, U, kBits)                                \
  inline V128 Shape##Abs(V128 a) { return iabs<S, U>(a); }                     \
  inline V128 Shape##Neg(V128 a) { return from(-as<U>(a)); }                   \
  inline V128 Shape##Add(V128 a, V128 b) { return from(as<U>(a) + as<U>(b)); } \
  inline V128 Shape##Sub(V128 a, V128 b) { return from(as<U>(a) - as<U>(b)); } \
  inline V128 Shape##Shl(V128 a, u32 n) { return shl<U, kBits>(a, n); }        \
  inline V128 Shape##ShrS(V128 a, u32 n) { return shr<S, kBits>(a, n); }       \
  inline V128 Shape##ShrU(V128 a, u32 n) { return shr<U, kBits>(a, n); }
WASM_SIMD_INT_LANES(I8x16, i8x16, u8x16, 8)
WASM_SIMD_INT_LANES(I16x8, i16x8, u16x8, 16)
WASM_SIMD_INT_LANES(I64x2, i64x2, u64x2, 64)
// I32x4Add stays a plain definition (the table's first sample); the rest of the i32x4 family.
inline V128 I32x4Add(V128 a, V128 b) { return from(as<u32x4>(a) + as<u32x4>(b)); }
inline V128 I32x4Abs(V128 a) { return iabs<i32x4, u32x4>(a); }
inline V128 I32x4Neg(V128 a) { return from(-as<u32x4>(a)); }
inline V128 I32x4Sub(V128 a, V128 b) { return from(as<u32x4>(a) - as<u32x4>(b)); }
inline V128 I32x4Shl(V128 a, u32 n) { return shl<u32x4, 32>(a, n); }
inline V128 I32x4ShrS(V128 a, u32 n) { return shr<i32x4, 32>(a, n); }
inline V128 I32x4ShrU(V128 a, u32 n) { return shr<u32x4, 32>(a, n); }
#undef WASM_SIMD_INT_LANES

inline V128 I16x8Mul(V128 a, V128 b) { return from(as<u16x8>(a) * as<u16x8>(b)); }
inline V128 I32x4Mul(V128 a, V128 b) { return from(as<u32x4>(a) * as<u32x4>(b)); }
inline V128 I64x2Mul(V128 a, V128 b) { return from(as<u64x2>(a) * as<u64x2>(b)); }

inline V128 I8x16Popcnt(V128 a) {
  u8x16 x = as<u8x16>(a);
  x = x - ((x >> 1) & 0x55);
  x = (x & 0x33) + ((x >> 2) & 0x33);
  return from((x + (x >> 4)) & 0x0f);
}

#define WASM_SIMD_MIN_MAX_SAT(Shape, S, U)                      \
  inline V128 Shape##MinS(V128 a, V128 b) {                     \
    return from(__builtin_elementwise_min(as<S>(a), as<S>(b))); \
  }                                                             \
  inline V128 Shape##MinU(V128 a, V128 b) {                     \
    return from(__builtin_elementwise_min(as<U>(a), as<U>(b))); \
  }                                                             \
  inline V128 Shape##MaxS(V128 a, V128 b) {                     \
    return from(__builtin_elementwise_max(as<S>(a), as<S>(b))); \
  }                                                             \
  inline V128 Shape##MaxU(V128 a, V128 b) {                     \
    return from(__builtin_elementwise_max(as<U>(a), as<U>(b))); \
  }
#define WASM_SIMD_SAT(Shape, S, U)                                  \
  inline V128 Shape##AddSatS(V128 a, V128 b) {                      \
    return from(__builtin_elementwise_add_sat(as<S>(a), as<S>(b))); \
  }                                                                 \
  inline V128 Shape##AddSatU(V128 a, V128 b) {                      \
    return from(__builtin_elementwise_add_sat(as<U>(a), as<U>(b))); \
  }                                                                 \
  inline V128 Shape##SubSatS(V128 a, V128 b) {                      \
    return from(__builtin_elementwise_sub_sat(as<S>(a), as<S>(b))); \
  }                                                                 \
  inline V128 Shape##SubSatU(V128 a, V128 b) {                      \
    return from(__builtin_elementwise_sub_sat(as<U>(a), as<U>(b))); \
  }                                                                 \
  inline V128 Shape##AvgrU(V128 a, V128 b) { return avgr<U>(a, b); }
WASM_SIMD_MIN_MAX_SAT(I8x16, i8x16, u8x16)
WASM_SIMD_MIN_MAX_SAT(I16x8, i16x8, u16x8)
WASM_SIMD_MIN_MAX_SAT(I32x4, i32x4, u32x4)
WASM_SIMD_SAT(I8x16, i8x16, u8x16)
WASM_SIMD_SAT(I16x8, i16x8, u16x8)
#undef WASM_SIMD_SAT
#undef WASM_SIMD_MIN_MAX_SAT

// Narrowing: a's lanes then b's, each saturated to the narrower signed or unsigned range (the
// input lanes are signed in both): clamped as vectors, truncated, the two halves joined (SSE2's
// packsswb, packuswb and packssdw on the host; i16x8.narrow_i32x4_u has no SSE2 instruction and
// is the clamp, a shift and packssdw).
template <typename Wide, typename Half, typename Narrow>
inline V128 narrow(V128 a, V128 b, Wide lo, Wide hi) {
  Wide x = __builtin_elementwise_min(__builtin_elementwise_max(as<Wide>(a), lo), hi);
  Wide y = __builtin_elementwise_min(__builtin_elementwise_max(as<Wide>(b), lo), hi);
  Half nx = __builtin_convertvector(x, Half), ny = __builtin_convertvector(y, Half);
  Narrow r;
  if constexpr (kLanes<Half> == 8)
    r = __builtin_shufflevector(nx, ny, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  else
    r = __builtin_shufflevector(nx, ny, 0, 1, 2, 3, 4, 5, 6, 7);
  return from(r);
}
inline V128 I8x16NarrowI16x8S(V128 a, V128 b) {
  return narrow<i16x8, i8x8, i8x16>(a, b, i16x8{} - 128, i16x8{} + 127);
}
inline V128 I8x16NarrowI16x8U(V128 a, V128 b) {
  return narrow<i16x8, u8x8, u8x16>(a, b, i16x8{}, i16x8{} + 255);
}
inline V128 I16x8NarrowI32x4S(V128 a, V128 b) {
#if defined(__SSE2__)
  return from(__builtin_ia32_packssdw128(as<i32x4>(a), as<i32x4>(b)));  // the same, one instruction
#else
  return narrow<i32x4, i16x4, i16x8>(a, b, i32x4{} - 32768, i32x4{} + 32767);
#endif
}
inline V128 I16x8NarrowI32x4U(V128 a, V128 b) {
#if defined(__SSE2__)
  // SSE2 has no packusdw: negative lanes become 0, the rest are biased by -32768 into
  // packssdw's range (which saturates 65535 and more), and the bias is undone on 16 bits.
  i32x4 x = as<i32x4>(a), y = as<i32x4>(b);
  x &= x > 0;
  y &= y > 0;
  i16x8 r = __builtin_ia32_packssdw128(x - 32768, y - 32768);
  return from(__builtin_bit_cast(u16x8, r) ^ 0x8000);
#else
  return narrow<i32x4, u16x4, u16x8>(a, b, i32x4{}, i32x4{} + 65535);
#endif
}

// The low or high half of a vector's lanes, as a half-width vector.
template <typename Half, typename Vec> inline Half low(Vec v) {
  Half h;
  for (int i = 0; i < kLanes<Half>; ++i) h[i] = v[i];
  return h;
}
template <typename Half, typename Vec> inline Half high(Vec v) {
  Half h;
  constexpr int kN = kLanes<Half>;
  for (int i = 0; i < kN; ++i) h[i] = v[i + kN];
  return h;
}
// Extension: a half's lanes widened, with sign (S halves) or zeros (U halves).
#define WASM_SIMD_EXTEND(Shape, From, Full, Half, Wide)                  \
  inline V128 Shape##ExtendLow##From(V128 a) {                           \
    return from(__builtin_convertvector(low<Half>(as<Full>(a)), Wide));  \
  }                                                                      \
  inline V128 Shape##ExtendHigh##From(V128 a) {                          \
    return from(__builtin_convertvector(high<Half>(as<Full>(a)), Wide)); \
  }
WASM_SIMD_EXTEND(I16x8, I8x16S, i8x16, i8x8, i16x8)
WASM_SIMD_EXTEND(I16x8, I8x16U, u8x16, u8x8, u16x8)
WASM_SIMD_EXTEND(I32x4, I16x8S, i16x8, i16x4, i32x4)
WASM_SIMD_EXTEND(I32x4, I16x8U, u16x8, u16x4, u32x4)
WASM_SIMD_EXTEND(I64x2, I32x4S, i32x4, i32x2, i64x2)
WASM_SIMD_EXTEND(I64x2, I32x4U, u32x4, u32x2, u64x2)
#undef WASM_SIMD_EXTEND

// Not instructions of their own: i16x8.extend_low_i8x16_u then i32x4.extend_low_i16x8_u (or the
// _s pair) on its result, which the translator fuses into one operation (compile.cc): bytes 0..3
// widened to i32 lanes, with zeros or with sign.
using u8x4 = u8 __attribute__((vector_size(4)));
using i8x4 = i8 __attribute__((vector_size(4)));
inline V128 I32x4ExtendLowI8x16U(V128 a) {
  return from(__builtin_convertvector(low<u8x4>(as<u8x16>(a)), u32x4));
}
inline V128 I32x4ExtendLowI8x16S(V128 a) {
  return from(__builtin_convertvector(low<i8x4>(as<i8x16>(a)), i32x4));
}

// Extended multiplication: the low or high halves widened, then multiplied (the product always
// fits the wide lane; it is computed unsigned so that no signed overflow can occur).
#define WASM_SIMD_EXTMUL(Shape, From, Full, Half, Wide, WideU)                                   \
  inline V128 Shape##ExtmulLow##From(V128 a, V128 b) {                                           \
    WideU x = __builtin_bit_cast(WideU, __builtin_convertvector(low<Half>(as<Full>(a)), Wide));  \
    WideU y = __builtin_bit_cast(WideU, __builtin_convertvector(low<Half>(as<Full>(b)), Wide));  \
    return from(x * y);                                                                          \
  }                                                                                              \
  inline V128 Shape##ExtmulHigh##From(V128 a, V128 b) {                                          \
    WideU x = __builtin_bit_cast(WideU, __builtin_convertvector(high<Half>(as<Full>(a)), Wide)); \
    WideU y = __builtin_bit_cast(WideU, __builtin_convertvector(high<Half>(as<Full>(b)), Wide)); \
    return from(x * y);                                                                          \
  }
WASM_SIMD_EXTMUL(I16x8, I8x16S, i8x16, i8x8, i16x8, u16x8)
WASM_SIMD_EXTMUL(I16x8, I8x16U, u8x16, u8x8, u16x8, u16x8)
WASM_SIMD_EXTMUL(I32x4, I16x8S, i16x8, i16x4, i32x4, u32x4)
WASM_SIMD_EXTMUL(I32x4, I16x8U, u16x8, u16x4, u32x4, u32x4)
WASM_SIMD_EXTMUL(I64x2, I32x4S, i32x4, i32x2, i64x2, u64x2)
WASM_SIMD_EXTMUL(I64x2, I32x4U, u32x4, u32x2, u64x2, u64x2)
#undef WASM_SIMD_EXTMUL

// The even and the odd lanes of a vector, as a half-width vector.
template <typename Half, typename Vec> inline Half even(Vec v) {
  Half h;
  for (int i = 0; i < kLanes<Half>; ++i) h[i] = v[2 * i];
  return h;
}
template <typename Half, typename Vec> inline Half odd(Vec v) {
  Half h;
  for (int i = 0; i < kLanes<Half>; ++i) h[i] = v[2 * i + 1];
  return h;
}
// Pairwise addition: lane i is lane 2i + lane 2i+1, widened (the sum always fits).
template <typename Half, typename Full, typename Wide> inline V128 extadd_pairwise(V128 a) {
  Full v = as<Full>(a);
  return from(__builtin_convertvector(even<Half>(v), Wide) +
              __builtin_convertvector(odd<Half>(v), Wide));
}
inline V128 I16x8ExtaddPairwiseI8x16S(V128 a) { return extadd_pairwise<i8x8, i8x16, i16x8>(a); }
inline V128 I16x8ExtaddPairwiseI8x16U(V128 a) { return extadd_pairwise<u8x8, u8x16, u16x8>(a); }
inline V128 I32x4ExtaddPairwiseI16x8S(V128 a) { return extadd_pairwise<i16x4, i16x8, i32x4>(a); }
inline V128 I32x4ExtaddPairwiseI16x8U(V128 a) { return extadd_pairwise<u16x4, u16x8, u32x4>(a); }

// Lane i: a[2i]*b[2i] + a[2i+1]*b[2i+1], signed; each product fits, their sum wraps (only
// -32768 * -32768 twice does: it gives 0x80000000).
inline V128 I32x4DotI16x8S(V128 a, V128 b) {
  i16x8 x = as<i16x8>(a), y = as<i16x8>(b);
  i32x4 e = __builtin_convertvector(even<i16x4>(x), i32x4) *
            __builtin_convertvector(even<i16x4>(y), i32x4);
  i32x4 o =
      __builtin_convertvector(odd<i16x4>(x), i32x4) * __builtin_convertvector(odd<i16x4>(y), i32x4);
  return from(__builtin_bit_cast(u32x4, e) + __builtin_bit_cast(u32x4, o));
}

// Q15 rounding multiplication, (a * b + 0x4000) >> 15 saturated: only -32768 * -32768
// overflows, to 32767.
inline V128 I16x8Q15mulrSatS(V128 a, V128 b) {
  i16x8 x = as<i16x8>(a), y = as<i16x8>(b), r;
  for (int i = 0; i < 8; ++i) {
    i32 p = (static_cast<i32>(x[i]) * y[i] + 0x4000) >> 15;
    r[i] = static_cast<i16>(p > 32767 ? 32767 : p);
  }
  return from(r);
}

// --- Float lanes -----------------------------------------------------------------------------

template <typename Vec, typename F> inline V128 map_lanes(V128 a, F f) {
  Vec x = as<Vec>(a);
  for (int i = 0; i < kLanes<Vec>; ++i) x[i] = f(x[i]);
  return from(x);
}
template <typename Vec, typename F> inline V128 zip_lanes(V128 a, V128 b, F f) {
  Vec x = as<Vec>(a), y = as<Vec>(b);
  for (int i = 0; i < kLanes<Vec>; ++i) x[i] = f(x[i], y[i]);
  return from(x);
}
// pmin and pmax as the specification defines them: b < a ? b : a and a < b ? b : a, the lanes'
// bits kept (a NaN in either operand gives a).
template <typename F, typename U> inline U pmin(U a, U b) {
  return __builtin_bit_cast(F, b) < __builtin_bit_cast(F, a) ? b : a;
}
template <typename F, typename U> inline U pmax(U a, U b) {
  return __builtin_bit_cast(F, a) < __builtin_bit_cast(F, b) ? b : a;
}

inline V128 F32x4Abs(V128 a) { return from(as<u32x4>(a) & 0x7fffffffu); }
inline V128 F32x4Neg(V128 a) { return from(as<u32x4>(a) ^ 0x80000000u); }
inline V128 F64x2Abs(V128 a) { return from(as<u64x2>(a) & 0x7fffffffffffffffull); }
inline V128 F64x2Neg(V128 a) { return from(as<u64x2>(a) ^ 0x8000000000000000ull); }
inline V128 F32x4Sqrt(V128 a) {
  return map_lanes<f32x4>(a, [](float x) { return num::sqrt32(x); });
}
inline V128 F64x2Sqrt(V128 a) {
  return map_lanes<f64x2>(a, [](double x) { return num::sqrt64(x); });
}

#define WASM_SIMD_FLOAT_LANES(Shape, F, U, Float, round, fmin, fmax)             \
  inline V128 Shape##Add(V128 a, V128 b) { return from(as<F>(a) + as<F>(b)); }   \
  inline V128 Shape##Sub(V128 a, V128 b) { return from(as<F>(a) - as<F>(b)); }   \
  inline V128 Shape##Mul(V128 a, V128 b) { return from(as<F>(a) * as<F>(b)); }   \
  inline V128 Shape##Div(V128 a, V128 b) { return from(as<F>(a) / as<F>(b)); }   \
  inline V128 Shape##Trunc(V128 a) {                                             \
    return map_lanes<U>(a, [](auto x) { return round(x, 0); });                  \
  }                                                                              \
  inline V128 Shape##Floor(V128 a) {                                             \
    return map_lanes<U>(a, [](auto x) { return round(x, 1); });                  \
  }                                                                              \
  inline V128 Shape##Ceil(V128 a) {                                              \
    return map_lanes<U>(a, [](auto x) { return round(x, 2); });                  \
  }                                                                              \
  inline V128 Shape##Nearest(V128 a) {                                           \
    return map_lanes<U>(a, [](auto x) { return round(x, 3); });                  \
  }                                                                              \
  inline V128 Shape##Min(V128 a, V128 b) { return zip_lanes<U>(a, b, fmin); }    \
  inline V128 Shape##Max(V128 a, V128 b) { return zip_lanes<U>(a, b, fmax); }    \
  inline V128 Shape##Pmin(V128 a, V128 b) {                                      \
    return zip_lanes<U>(a, b, [](auto x, auto y) { return pmin<Float>(x, y); }); \
  }                                                                              \
  inline V128 Shape##Pmax(V128 a, V128 b) {                                      \
    return zip_lanes<U>(a, b, [](auto x, auto y) { return pmax<Float>(x, y); }); \
  }
WASM_SIMD_FLOAT_LANES(F32x4, f32x4, u32x4, float, num::round32, num::fmin32, num::fmax32)
WASM_SIMD_FLOAT_LANES(F64x2, f64x2, u64x2, double, num::round64, num::fmin64, num::fmax64)
#undef WASM_SIMD_FLOAT_LANES

// --- Conversions -----------------------------------------------------------------------------
// Float to integer saturates (NaN gives 0); the bounds are numerics.h's exclusive limits, the
// same as the scalar i32.trunc_sat_* use.

inline i32 trunc_sat_s(float x) {
  return num::trunc_sat<i32>(x, -2147483904.0f, 2147483648.0f, static_cast<i32>(0x80000000u),
                             0x7fffffff);
}
inline u32 trunc_sat_u(float x) {
  return num::trunc_sat<u32>(x, -1.0f, 4294967296.0f, 0u, 0xffffffffu);
}
inline i32 trunc_sat_s(double x) {
  return num::trunc_sat<i32>(x, -2147483649.0, 2147483648.0, static_cast<i32>(0x80000000u),
                             0x7fffffff);
}
inline u32 trunc_sat_u(double x) {
  return num::trunc_sat<u32>(x, -1.0, 4294967296.0, 0u, 0xffffffffu);
}

inline V128 I32x4TruncSatF32x4S(V128 a) {
  f32x4 x = as<f32x4>(a);
  i32x4 r;
  for (int i = 0; i < 4; ++i) r[i] = trunc_sat_s(x[i]);
  return from(r);
}
inline V128 I32x4TruncSatF32x4U(V128 a) {
  f32x4 x = as<f32x4>(a);
  u32x4 r;
  for (int i = 0; i < 4; ++i) r[i] = trunc_sat_u(x[i]);
  return from(r);
}
// The two f64 lanes go to i32 lanes 0 and 1; lanes 2 and 3 are 0.
inline V128 I32x4TruncSatF64x2SZero(V128 a) {
  f64x2 x = as<f64x2>(a);
  i32x4 r = {trunc_sat_s(x[0]), trunc_sat_s(x[1]), 0, 0};
  return from(r);
}
inline V128 I32x4TruncSatF64x2UZero(V128 a) {
  f64x2 x = as<f64x2>(a);
  u32x4 r = {trunc_sat_u(x[0]), trunc_sat_u(x[1]), 0, 0};
  return from(r);
}
inline V128 F32x4ConvertI32x4S(V128 a) {
  return from(__builtin_convertvector(as<i32x4>(a), f32x4));
}
inline V128 F32x4ConvertI32x4U(V128 a) {
  return from(__builtin_convertvector(as<u32x4>(a), f32x4));
}
inline V128 F64x2ConvertLowI32x4S(V128 a) {
  return from(__builtin_convertvector(low<i32x2>(as<i32x4>(a)), f64x2));
}
inline V128 F64x2ConvertLowI32x4U(V128 a) {
  return from(__builtin_convertvector(low<u32x2>(as<u32x4>(a)), f64x2));
}
inline V128 F32x4DemoteF64x2Zero(V128 a) {
  f64x2 x = as<f64x2>(a);
  f32x4 r = {static_cast<float>(x[0]), static_cast<float>(x[1]), 0.0f, 0.0f};
  return from(r);
}
inline V128 F64x2PromoteLowF32x4(V128 a) {
  f32x4 x = as<f32x4>(a);
  f64x2 r = {static_cast<double>(x[0]), static_cast<double>(x[1])};
  return from(r);
}

// --- Relaxed SIMD (the choices are listed at the top of this file) ---------------------------

inline V128 I8x16RelaxedSwizzle(V128 a, V128 b) { return I8x16Swizzle(a, b); }
inline V128 I32x4RelaxedTruncF32x4S(V128 a) { return I32x4TruncSatF32x4S(a); }
inline V128 I32x4RelaxedTruncF32x4U(V128 a) { return I32x4TruncSatF32x4U(a); }
inline V128 I32x4RelaxedTruncF64x2SZero(V128 a) { return I32x4TruncSatF64x2SZero(a); }
inline V128 I32x4RelaxedTruncF64x2UZero(V128 a) { return I32x4TruncSatF64x2UZero(a); }
// Two roundings, whatever the including file's -ffp-contract says.
inline V128 F32x4RelaxedMadd(V128 a, V128 b, V128 c) {
#pragma clang fp contract(off)
  f32x4 p = as<f32x4>(a) * as<f32x4>(b);
  return from(p + as<f32x4>(c));
}
inline V128 F32x4RelaxedNmadd(V128 a, V128 b, V128 c) {
#pragma clang fp contract(off)
  f32x4 p = as<f32x4>(a) * as<f32x4>(b);
  return from(-p + as<f32x4>(c));
}
inline V128 F64x2RelaxedMadd(V128 a, V128 b, V128 c) {
#pragma clang fp contract(off)
  f64x2 p = as<f64x2>(a) * as<f64x2>(b);
  return from(p + as<f64x2>(c));
}
inline V128 F64x2RelaxedNmadd(V128 a, V128 b, V128 c) {
#pragma clang fp contract(off)
  f64x2 p = as<f64x2>(a) * as<f64x2>(b);
  return from(-p + as<f64x2>(c));
}
inline V128 I8x16RelaxedLaneselect(V128 a, V128 b, V128 m) { return V128Bitselect(a, b, m); }
inline V128 I16x8RelaxedLaneselect(V128 a, V128 b, V128 m) { return V128Bitselect(a, b, m); }
inline V128 I32x4RelaxedLaneselect(V128 a, V128 b, V128 m) { return V128Bitselect(a, b, m); }
inline V128 I64x2RelaxedLaneselect(V128 a, V128 b, V128 m) { return V128Bitselect(a, b, m); }
inline V128 F32x4RelaxedMin(V128 a, V128 b) { return F32x4Min(a, b); }
inline V128 F32x4RelaxedMax(V128 a, V128 b) { return F32x4Max(a, b); }
inline V128 F64x2RelaxedMin(V128 a, V128 b) { return F64x2Min(a, b); }
inline V128 F64x2RelaxedMax(V128 a, V128 b) { return F64x2Max(a, b); }
inline V128 I16x8RelaxedQ15mulrS(V128 a, V128 b) { return I16x8Q15mulrSatS(a, b); }
// Lane i: a[2i]*b[2i] + a[2i+1]*b[2i+1], both signed, the sum saturated to i16.
inline V128 I16x8RelaxedDotI8x16I7x16S(V128 a, V128 b) {
  i8x16 x = as<i8x16>(a), y = as<i8x16>(b);
  i16x8 e =
      __builtin_convertvector(even<i8x8>(x), i16x8) * __builtin_convertvector(even<i8x8>(y), i16x8);
  i16x8 o =
      __builtin_convertvector(odd<i8x8>(x), i16x8) * __builtin_convertvector(odd<i8x8>(y), i16x8);
  return from(__builtin_elementwise_add_sat(e, o));
}
// Lane i: the i16 lanes 2i and 2i+1 of the dot above, added as i32, plus c's lane i (wrapping).
inline V128 I32x4RelaxedDotI8x16I7x16AddS(V128 a, V128 b, V128 c) {
  i16x8 d = as<i16x8>(I16x8RelaxedDotI8x16I7x16S(a, b));
  i32x4 s = __builtin_convertvector(even<i16x4>(d), i32x4) +
            __builtin_convertvector(odd<i16x4>(d), i32x4);
  return from(__builtin_bit_cast(u32x4, s) + as<u32x4>(c));
}

}  // namespace wasm::simd
