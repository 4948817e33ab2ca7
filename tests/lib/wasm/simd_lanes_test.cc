// The lane-wise SIMD operations of simd.h, called directly, each family checked by hand at its
// edges (saturation, narrowing, NaN lanes, -0, ties, out-of-range conversions, shift counts).
#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>

#include "simd.h"

namespace wasm_test {
namespace {

using namespace wasm::simd;
namespace num = wasm::num;

// A V128 from its lanes (lane 0 first), and its lanes back.
template <typename T> V128 lanes(std::initializer_list<T> l) {
  EXPECT_EQ(l.size() * sizeof(T), 16u);
  V128 v;
  std::memcpy(&v, l.begin(), 16);
  return v;
}
template <typename T> T lane(V128 v, int i) {
  T t;
  std::memcpy(&t, reinterpret_cast<const char*>(&v) + i * sizeof(T), sizeof(T));
  return t;
}
V128 i8s(std::initializer_list<i8> l) { return lanes<i8>(l); }
V128 u8s(std::initializer_list<u8> l) { return lanes<u8>(l); }
V128 i16s(std::initializer_list<i16> l) { return lanes<i16>(l); }
V128 u16s(std::initializer_list<u16> l) { return lanes<u16>(l); }
V128 i32s(std::initializer_list<i32> l) { return lanes<i32>(l); }
V128 u32s(std::initializer_list<u32> l) { return lanes<u32>(l); }
V128 i64s(std::initializer_list<i64> l) { return lanes<i64>(l); }
V128 u64s(std::initializer_list<u64> l) { return lanes<u64>(l); }
V128 f32s(std::initializer_list<float> l) { return lanes<float>(l); }
V128 f64s(std::initializer_list<double> l) { return lanes<double>(l); }

constexpr float kInfF = __builtin_inff();
constexpr double kInf = __builtin_inf();
constexpr u32 kNanF = 0x7fc00000u;
constexpr u64 kNan = 0x7ff8000000000000ull;
bool is_nan32(u32 b) { return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0; }
bool is_nan64(u64 b) {
  return (b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (b & 0x000fffffffffffffull) != 0;
}
bool is_quiet_nan32(u32 b) { return is_nan32(b) && (b & 0x00400000u) != 0; }
bool is_quiet_nan64(u64 b) { return is_nan64(b) && (b & 0x0008000000000000ull) != 0; }

TEST(SimdLanes, SplatsRepeatTheScalarsLowBits) {
  EXPECT_EQ(I8x16Splat(0x1234abcdu), u8s({0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
                                          0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd}));
  EXPECT_EQ(I16x8Splat(0x1234abcdu),
            u16s({0xabcd, 0xabcd, 0xabcd, 0xabcd, 0xabcd, 0xabcd, 0xabcd, 0xabcd}));
  EXPECT_EQ(I32x4Splat(0x80000001u), u32s({0x80000001u, 0x80000001u, 0x80000001u, 0x80000001u}));
  EXPECT_EQ(I64x2Splat(0x8000000000000001ull),
            u64s({0x8000000000000001ull, 0x8000000000000001ull}));
  EXPECT_EQ(F32x4Splat(0x7fa00001u), u32s({0x7fa00001u, 0x7fa00001u, 0x7fa00001u, 0x7fa00001u}));
  EXPECT_EQ(F64x2Splat(0xfff0000000000001ull),
            u64s({0xfff0000000000001ull, 0xfff0000000000001ull}));
}

TEST(SimdLanes, BitwiseOperationsAndTests) {
  V128 a = u64s({0xff00ff00ff00ff00ull, 0x0123456789abcdefull});
  V128 b = u64s({0x0ff00ff00ff00ff0ull, 0xffffffff00000000ull});
  EXPECT_EQ(V128Not(a), u64s({0x00ff00ff00ff00ffull, 0xfedcba9876543210ull}));
  EXPECT_EQ(V128And(a, b), u64s({0x0f000f000f000f00ull, 0x0123456700000000ull}));
  EXPECT_EQ(V128Andnot(a, b), u64s({0xf000f000f000f000ull, 0x0000000089abcdefull}));
  EXPECT_EQ(V128Or(a, b), u64s({0xfff0fff0fff0fff0ull, 0xffffffff89abcdefull}));
  EXPECT_EQ(V128Xor(a, b), u64s({0xf0f0f0f0f0f0f0f0ull, 0xfedcba9889abcdefull}));
  // Bits from a where the mask is 1, from b where it is 0.
  EXPECT_EQ(V128Bitselect(u64s({~0ull, 0}), u64s({0, ~0ull}), u64s({0xf0f0f0f0f0f0f0f0ull, 0x1})),
            u64s({0xf0f0f0f0f0f0f0f0ull, ~0ull - 1}));
  EXPECT_EQ(I8x16RelaxedLaneselect(u64s({~0ull, 0}), u64s({0, ~0ull}), u64s({0x80, 0x1})),
            u64s({0x80, ~0ull - 1}));
  EXPECT_EQ(V128AnyTrue(u64s({0, 0})), 0u);
  EXPECT_EQ(V128AnyTrue(u64s({0, 1ull << 63})), 1u);
  EXPECT_EQ(I8x16AllTrue(u8s({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x80})), 1u);
  EXPECT_EQ(I8x16AllTrue(u8s({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0})), 0u);
  EXPECT_EQ(I16x8AllTrue(u16s({1, 1, 1, 1, 1, 1, 0x100, 1})), 1u);
  EXPECT_EQ(I16x8AllTrue(u16s({1, 1, 1, 1, 1, 1, 1, 0})), 0u);  // a byte nonzero is not enough
  EXPECT_EQ(I32x4AllTrue(u32s({1, 0x10000, 1, 0})), 0u);
  EXPECT_EQ(I64x2AllTrue(u64s({1ull << 40, 1})), 1u);
  EXPECT_EQ(I64x2AllTrue(u64s({0, 1})), 0u);
}

TEST(SimdLanes, BitmaskTakesEachLanesSignBit) {
  EXPECT_EQ(I8x16Bitmask(i8s({-1, 0, -128, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1})), 0x8005u);
  EXPECT_EQ(I16x8Bitmask(i16s({0, -32768, 0, 0, 0, 0, 32767, -1})), 0x82u);
  EXPECT_EQ(I32x4Bitmask(i32s({-1, -1, 0, -2147483647 - 1})), 0xbu);
  EXPECT_EQ(I64x2Bitmask(u64s({1ull << 63, 1})), 0x1u);
}

TEST(SimdLanes, SwizzleGivesZeroForIndicesOutOfRange) {
  V128 a = u8s({10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25});
  V128 idx = u8s({15, 0, 16, 255, 0x80, 1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 14});
  V128 expected = u8s({25, 10, 0, 0, 0, 11, 12, 13, 14, 15, 16, 17, 18, 19, 0, 24});
  EXPECT_EQ(I8x16Swizzle(a, idx), expected);
  EXPECT_EQ(I8x16RelaxedSwizzle(a, idx), expected);
}

TEST(SimdLanes, IntegerComparisonsSignedAndUnsigned) {
  V128 a = i8s({-1, 0, 1, -128, 127, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0});
  V128 b = i8s({1, 0, -1, 127, -128, 5, 6, 4, 0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(I8x16LtS(a, b), i8s({-1, 0, 0, -1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, -1}));
  EXPECT_EQ(I8x16LtU(a, b), i8s({0, 0, -1, 0, -1, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, -1}));
  EXPECT_EQ(I8x16GeU(a, b), V128Not(I8x16LtU(a, b)));
  EXPECT_EQ(I8x16Eq(a, b), i8s({0, -1, 0, 0, 0, -1, 0, 0, -1, -1, -1, -1, -1, -1, -1, 0}));
  EXPECT_EQ(I16x8GtU(i16s({-1, 1, 0, 0, 0, 0, 0, 0}), i16s({1, -1, 0, 0, 0, 0, 0, 0})),
            i16s({-1, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8LeS(i16s({-1, 1, 0, 0, 0, 0, 0, 0}), i16s({1, -1, 0, 0, 0, 0, 0, 0})),
            i16s({-1, 0, -1, -1, -1, -1, -1, -1}));
  EXPECT_EQ(I32x4GtS(i32s({-1, 1, 0, 0}), i32s({1, -1, 0, -1})), i32s({0, -1, 0, -1}));
  EXPECT_EQ(I32x4Ne(i32s({-1, 1, 0, 0}), i32s({1, 1, 0, -1})), i32s({-1, 0, 0, -1}));
  EXPECT_EQ(I64x2LtS(i64s({-1, 1}), i64s({1, -1})), i64s({-1, 0}));
  EXPECT_EQ(I64x2GeS(i64s({-1, 1}), i64s({-1, 2})), i64s({-1, 0}));
}

TEST(SimdLanes, FloatComparisonsWithNanAndSignedZero) {
  V128 a = u32s({kNanF, num::bits(-0.0f), num::bits(1.0f), kNanF});
  V128 b = u32s({kNanF, num::bits(0.0f), num::bits(2.0f), num::bits(1.0f)});
  EXPECT_EQ(F32x4Eq(a, b), i32s({0, -1, 0, 0}));
  EXPECT_EQ(F32x4Ne(a, b), i32s({-1, 0, -1, -1}));
  EXPECT_EQ(F32x4Lt(a, b), i32s({0, 0, -1, 0}));
  EXPECT_EQ(F32x4Ge(a, b), i32s({0, -1, 0, 0}));
  V128 c = u64s({kNan, num::bits(-kInf)});
  V128 d = u64s({num::bits(1.0), num::bits(-kInf)});
  EXPECT_EQ(F64x2Le(c, d), i64s({0, -1}));
  EXPECT_EQ(F64x2Gt(c, d), i64s({0, 0}));
  EXPECT_EQ(F64x2Ne(c, d), i64s({-1, 0}));
}

TEST(SimdLanes, IntegerArithmeticWraps) {
  EXPECT_EQ(I8x16Add(i8s({127, -128, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                     i8s({1, -1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})),
            i8s({-128, 127, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8Sub(i16s({-32768, 0, 0, 0, 0, 0, 0, 0}), i16s({1, 1, 0, 0, 0, 0, 0, 0})),
            i16s({32767, -1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8Mul(i16s({-32768, 256, 3, 0, 0, 0, 0, 0}), i16s({-1, 256, -3, 0, 0, 0, 0, 0})),
            i16s({-32768, 0, -9, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I32x4Mul(i32s({65536, -2, 0x7fffffff, 7}), i32s({65536, 3, 2, -7})),
            i32s({0, -6, -2, -49}));
  EXPECT_EQ(I64x2Mul(u64s({0x100000001ull, ~0ull}), u64s({0x100000001ull, ~0ull})),
            u64s({0x200000001ull, 1}));
  EXPECT_EQ(I64x2Add(u64s({~0ull, 1}), u64s({1, 2})), u64s({0, 3}));
  EXPECT_EQ(I32x4Add(i32s({0x7fffffff, 1, 2, 3}), i32s({1, 1, 1, 1})),
            i32s({-2147483647 - 1, 2, 3, 4}));
}

TEST(SimdLanes, AbsAndNegKeepTheMinimum) {
  EXPECT_EQ(I8x16Abs(i8s({-128, -1, 1, 127, -127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})),
            i8s({-128, 1, 1, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I8x16Neg(i8s({-128, -1, 1, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})),
            i8s({-128, 1, -1, -127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8Abs(i16s({-32768, -5, 5, 0, 0, 0, 0, 0})), i16s({-32768, 5, 5, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I32x4Abs(i32s({-2147483647 - 1, -5, 5, 0})), i32s({-2147483647 - 1, 5, 5, 0}));
  EXPECT_EQ(I32x4Neg(i32s({-2147483647 - 1, -5, 5, 0})), i32s({-2147483647 - 1, 5, -5, 0}));
  EXPECT_EQ(I64x2Abs(u64s({1ull << 63, ~0ull})), u64s({1ull << 63, 1}));
  EXPECT_EQ(I64x2Neg(u64s({1ull << 63, 1})), u64s({1ull << 63, ~0ull}));
}

TEST(SimdLanes, PopcntCountsEachByte) {
  EXPECT_EQ(I8x16Popcnt(u8s({0, 1, 3, 7, 0xff, 0x80, 0x55, 0xaa, 0xf0, 0x0f, 0x11, 0, 0, 0, 0, 1})),
            u8s({0, 1, 2, 3, 8, 1, 4, 4, 4, 4, 2, 0, 0, 0, 0, 1}));
}

TEST(SimdLanes, ShiftCountIsTakenModuloTheLaneWidth) {
  V128 a = i8s({-128, 1, 64, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(I8x16Shl(a, 9), i8s({0, 2, -128, -2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}));
  EXPECT_EQ(I8x16ShrS(a, 8), a);
  EXPECT_EQ(I8x16ShrS(a, 7), i8s({-1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I8x16ShrU(a, 15), i8s({1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8ShrS(i16s({-32768, 4, 0, 0, 0, 0, 0, 0}), 17),
            i16s({-16384, 2, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8Shl(i16s({1, 1, 0, 0, 0, 0, 0, 0}), 16), i16s({1, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I32x4ShrU(i32s({-1, 8, 0, 0}), 33), i32s({0x7fffffff, 4, 0, 0}));
  EXPECT_EQ(I32x4ShrS(i32s({-8, 8, 0, 0}), 0xffffffe1u), i32s({-4, 4, 0, 0}));
  EXPECT_EQ(I32x4Shl(i32s({1, 3, 0, 0}), 32), i32s({1, 3, 0, 0}));
  EXPECT_EQ(I64x2Shl(u64s({1, 3}), 127), u64s({1ull << 63, 1ull << 63}));
  EXPECT_EQ(I64x2ShrS(u64s({1ull << 63, 2}), 65), u64s({3ull << 62, 1}));
  EXPECT_EQ(I64x2ShrU(u64s({1ull << 63, 2}), 64), u64s({1ull << 63, 2}));
}

TEST(SimdLanes, SaturatingArithmeticStopsAtTheEdges) {
  V128 a = i8s({127, -128, 100, -100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1});
  V128 b = i8s({1, -1, 100, -100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1});
  EXPECT_EQ(I8x16AddSatS(a, b), i8s({127, -128, 127, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2}));
  EXPECT_EQ(I8x16SubSatS(a, V128Not(b)),
            i8s({127, -128, 127, -128, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1}));
  EXPECT_EQ(I8x16AddSatU(a, b), u8s({128, 255, 200, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255}));
  EXPECT_EQ(I8x16SubSatU(b, a), u8s({0, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I8x16SubSatU(a, u8s({128, 0, 101, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255})),
            u8s({0, 128, 0, 155, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8AddSatS(i16s({32767, -32768, 1, 0, 0, 0, 0, 0}), i16s({1, -1, 1, 0, 0, 0, 0, 0})),
            i16s({32767, -32768, 2, 0, 0, 0, 0, 0}));
  EXPECT_EQ(
      I16x8SubSatS(i16s({-32768, 32767, 0, 0, 0, 0, 0, 0}), i16s({1, -1, -32768, 0, 0, 0, 0, 0})),
      i16s({-32768, 32767, 32767, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8AddSatU(u16s({65535, 65000, 0, 0, 0, 0, 0, 0}), u16s({1, 1000, 0, 0, 0, 0, 0, 0})),
            u16s({65535, 65535, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8SubSatU(u16s({0, 5, 0, 0, 0, 0, 0, 0}), u16s({1, 3, 0, 0, 0, 0, 0, 0})),
            u16s({0, 2, 0, 0, 0, 0, 0, 0}));
}

TEST(SimdLanes, MinMaxAndRoundingAverage) {
  V128 a = i8s({-1, 1, -128, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  V128 b = i8s({1, -1, 127, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(I8x16MinS(a, b), i8s({-1, -1, -128, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I8x16MinU(a, b), i8s({1, 1, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I8x16MaxU(a, b), i8s({-1, -1, -128, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8MaxS(i16s({-32768, 5, 0, 0, 0, 0, 0, 0}), i16s({32767, -5, 0, 0, 0, 0, 0, 0})),
            i16s({32767, 5, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I32x4MinU(i32s({-1, 5, 0, 0}), i32s({1, -5, 0, 0})), i32s({1, 5, 0, 0}));
  EXPECT_EQ(I32x4MaxS(i32s({-1, 5, 0, 0}), i32s({1, -5, 0, 0})), i32s({1, 5, 0, 0}));
  EXPECT_EQ(I8x16AvgrU(u8s({255, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                       u8s({255, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255})),
            u8s({255, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128}));
  EXPECT_EQ(I16x8AvgrU(u16s({65535, 0, 3, 0, 0, 0, 0, 0}), u16s({65534, 65535, 4, 0, 0, 0, 0, 0})),
            u16s({65535, 32768, 4, 0, 0, 0, 0, 0}));
}

TEST(SimdLanes, NarrowSaturatesSignedInputLanes) {
  V128 a = i16s({-32768, -129, -128, 127, 128, 32767, 0, -1});
  V128 b = i16s({255, 256, 1, 2, 3, 4, 5, -300});
  EXPECT_EQ(I8x16NarrowI16x8S(a, b),
            i8s({-128, -128, -128, 127, 127, 127, 0, -1, 127, 127, 1, 2, 3, 4, 5, -128}));
  EXPECT_EQ(I8x16NarrowI16x8U(a, b),
            u8s({0, 0, 0, 127, 128, 255, 0, 0, 255, 255, 1, 2, 3, 4, 5, 0}));
  V128 c = i32s({-2147483647 - 1, -32769, 32768, 65535});
  V128 d = i32s({65536, -1, 32767, -32768});
  EXPECT_EQ(I16x8NarrowI32x4S(c, d),
            i16s({-32768, -32768, 32767, 32767, 32767, -1, 32767, -32768}));
  EXPECT_EQ(I16x8NarrowI32x4U(c, d), u16s({0, 0, 32768, 65535, 65535, 0, 32767, 0}));
}

TEST(SimdLanes, ExtendWidensLowOrHighHalf) {
  V128 a = i8s({-1, 2, -128, 127, 0, 0, 0, 5, -2, 0, 0, 0, 0, 0, 0, -128});
  EXPECT_EQ(I16x8ExtendLowI8x16S(a), i16s({-1, 2, -128, 127, 0, 0, 0, 5}));
  EXPECT_EQ(I16x8ExtendLowI8x16U(a), i16s({255, 2, 128, 127, 0, 0, 0, 5}));
  EXPECT_EQ(I16x8ExtendHighI8x16S(a), i16s({-2, 0, 0, 0, 0, 0, 0, -128}));
  EXPECT_EQ(I16x8ExtendHighI8x16U(a), i16s({254, 0, 0, 0, 0, 0, 0, 128}));
  V128 b = i16s({-1, 7, 0, 0, -32768, 0, 0, 1});
  EXPECT_EQ(I32x4ExtendLowI16x8S(b), i32s({-1, 7, 0, 0}));
  EXPECT_EQ(I32x4ExtendLowI16x8U(b), i32s({65535, 7, 0, 0}));
  EXPECT_EQ(I32x4ExtendHighI16x8S(b), i32s({-32768, 0, 0, 1}));
  EXPECT_EQ(I32x4ExtendHighI16x8U(b), i32s({32768, 0, 0, 1}));
  V128 c = i32s({-1, 2, -2147483647 - 1, 3});
  EXPECT_EQ(I64x2ExtendLowI32x4S(c), i64s({-1, 2}));
  EXPECT_EQ(I64x2ExtendLowI32x4U(c), i64s({0xffffffffll, 2}));
  EXPECT_EQ(I64x2ExtendHighI32x4S(c), i64s({-2147483648ll, 3}));
  EXPECT_EQ(I64x2ExtendHighI32x4U(c), i64s({2147483648ll, 3}));
}

TEST(SimdLanes, ExtmulMultipliesWidenedHalves) {
  V128 a = i8s({-128, 127, -1, 0, 0, 0, 0, 0, -128, 255 - 256, 0, 0, 0, 0, 0, 2});
  V128 b = i8s({-128, 127, 1, 0, 0, 0, 0, 0, 127, -1, 0, 0, 0, 0, 0, 3});
  EXPECT_EQ(I16x8ExtmulLowI8x16S(a, b), i16s({16384, 16129, -1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8ExtmulLowI8x16U(a, b), u16s({16384, 16129, 255, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8ExtmulHighI8x16S(a, b), i16s({-16256, 1, 0, 0, 0, 0, 0, 6}));
  EXPECT_EQ(I16x8ExtmulHighI8x16U(a, b), u16s({16256, 65025, 0, 0, 0, 0, 0, 6}));
  V128 c = i16s({-32768, -1, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(I32x4ExtmulLowI16x8S(c, c), i32s({1 << 30, 1, 0, 0}));
  EXPECT_EQ(I32x4ExtmulLowI16x8U(c, c), u32s({1u << 30, 0xfffe0001u, 0, 0}));
  V128 d = i32s({-2147483647 - 1, -1, 0, -1});
  EXPECT_EQ(I64x2ExtmulLowI32x4S(d, d), i64s({1ll << 62, 1}));
  EXPECT_EQ(I64x2ExtmulLowI32x4U(d, d), u64s({1ull << 62, 0xfffffffe00000001ull}));
  EXPECT_EQ(I64x2ExtmulHighI32x4S(d, d), i64s({0, 1}));
  EXPECT_EQ(I32x4ExtmulHighI16x8S(c, c), i32s({0, 0, 0, 0}));
}

TEST(SimdLanes, ExtaddPairwiseAndDot) {
  V128 a = i8s({-128, -128, 127, 127, -1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(I16x8ExtaddPairwiseI8x16S(a), i16s({-256, 254, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8ExtaddPairwiseI8x16U(a), i16s({256, 254, 256, 0, 0, 0, 0, 0}));
  V128 b = i16s({-32768, -32768, 32767, 32767, -1, 0, 0, 0});
  EXPECT_EQ(I32x4ExtaddPairwiseI16x8S(b), i32s({-65536, 65534, -1, 0}));
  EXPECT_EQ(I32x4ExtaddPairwiseI16x8U(b), i32s({65536, 65534, 65535, 0}));
  // -32768 * -32768 twice is 2^31: it wraps.
  V128 c = i16s({-32768, -32768, 32767, 32767, 1, 2, 3, 4});
  V128 d = i16s({-32768, -32768, -32768, 1, 5, 6, 7, 8});
  EXPECT_EQ(I32x4DotI16x8S(c, d), i32s({-2147483647 - 1, -1073741824 + 65535, 17, 53}));
}

TEST(SimdLanes, Q15MultiplicationRoundsAndSaturates) {
  V128 a = i16s({-32768, -32768, 16384, -16384, 1, 0x4000, 32767, -1});
  V128 b = i16s({-32768, 32767, 16384, 16384, 0x4000, 1, 32767, 1});
  V128 expected = i16s({32767, -32767, 8192, -8192, 1, 1, 32766, 0});
  EXPECT_EQ(I16x8Q15mulrSatS(a, b), expected);
  EXPECT_EQ(I16x8RelaxedQ15mulrS(a, b), expected);
}

TEST(SimdLanes, FloatSignOperationsKeepNanPayloads) {
  V128 a = u32s({0xffa00001u, 0x80000000u, num::bits(1.5f), 0x7f800000u});
  EXPECT_EQ(F32x4Abs(a), u32s({0x7fa00001u, 0, num::bits(1.5f), 0x7f800000u}));
  EXPECT_EQ(F32x4Neg(a), u32s({0x7fa00001u, 0, num::bits(-1.5f), 0xff800000u}));
  V128 b = u64s({0x7ff0000000000001ull, 0});
  EXPECT_EQ(F64x2Abs(b), b);
  EXPECT_EQ(F64x2Neg(b), u64s({0xfff0000000000001ull, 1ull << 63}));
}

TEST(SimdLanes, FloatArithmeticPerLane) {
  EXPECT_EQ(F32x4Add(f32s({1.5f, -0.0f, kInfF, 3e38f}), f32s({2.25f, -0.0f, 1.0f, 3e38f})),
            f32s({3.75f, -0.0f, kInfF, kInfF}));
  EXPECT_EQ(F32x4Sub(f32s({0.0f, 1.0f, 0, 0}), f32s({0.0f, 3.0f, 0, 0})),
            f32s({0.0f, -2.0f, 0, 0}));
  EXPECT_EQ(F32x4Div(f32s({1.0f, -1.0f, 1.0f, 6.0f}), f32s({0.0f, 0.0f, -kInfF, 3.0f})),
            f32s({kInfF, -kInfF, -0.0f, 2.0f}));
  EXPECT_EQ(F64x2Mul(f64s({1e300, -2.0}), f64s({1e10, 0.5})), f64s({kInf, -1.0}));
  EXPECT_EQ(F64x2Sqrt(f64s({4.0, -0.0})), f64s({2.0, -0.0}));
  V128 s = F32x4Sqrt(f32s({-1.0f, 9.0f, 0.0f, kInfF}));
  EXPECT_TRUE(is_nan32(lane<u32>(s, 0)));
  EXPECT_EQ(lane<float>(s, 1), 3.0f);
  EXPECT_EQ(lane<float>(s, 3), kInfF);
  V128 n = F64x2Add(u64s({kNan, num::bits(kInf)}), f64s({1.0, -kInf}));
  EXPECT_TRUE(is_nan64(lane<u64>(n, 0)));
  EXPECT_TRUE(is_nan64(lane<u64>(n, 1)));
}

TEST(SimdLanes, FloatMinMaxPropagateNanAndOrderZeros) {
  V128 a = u32s({kNanF, num::bits(-0.0f), num::bits(0.0f), num::bits(1.0f)});
  V128 b = u32s({num::bits(1.0f), num::bits(0.0f), num::bits(-0.0f), 0x7fa00000u});
  V128 mn = F32x4Min(a, b);
  EXPECT_TRUE(is_quiet_nan32(lane<u32>(mn, 0)));
  EXPECT_EQ(lane<u32>(mn, 1), 0x80000000u);
  EXPECT_EQ(lane<u32>(mn, 2), 0x80000000u);
  EXPECT_TRUE(is_quiet_nan32(lane<u32>(mn, 3)));
  V128 mx = F32x4Max(a, b);
  EXPECT_TRUE(is_quiet_nan32(lane<u32>(mx, 0)));
  EXPECT_EQ(lane<u32>(mx, 1), 0u);
  EXPECT_EQ(lane<u32>(mx, 2), 0u);
  EXPECT_TRUE(is_quiet_nan32(lane<u32>(mx, 3)));
  EXPECT_EQ(F32x4RelaxedMin(a, b), mn);
  EXPECT_EQ(F32x4RelaxedMax(a, b), mx);
  V128 c = u64s({num::bits(-0.0), num::bits(-kInf)});
  V128 d = u64s({num::bits(0.0), kNan});
  EXPECT_EQ(lane<u64>(F64x2Min(c, d), 0), 1ull << 63);
  EXPECT_TRUE(is_quiet_nan64(lane<u64>(F64x2Max(c, d), 1)));
  EXPECT_EQ(lane<u64>(F64x2Max(c, d), 0), 0u);
  EXPECT_EQ(F64x2RelaxedMax(c, d), F64x2Max(c, d));
}

TEST(SimdLanes, PseudoMinMaxReturnTheFirstOperandUnlessOrdered) {
  // pmin: b < a ? b : a; pmax: a < b ? b : a (bits kept, NaN never propagated from b).
  V128 a = u32s({0x7fa00001u, num::bits(-0.0f), num::bits(0.0f), num::bits(1.0f)});
  V128 b = u32s({num::bits(1.0f), num::bits(0.0f), num::bits(-0.0f), 0xffa00002u});
  EXPECT_EQ(F32x4Pmin(a, b), a);
  EXPECT_EQ(F32x4Pmax(a, b), a);
  EXPECT_EQ(F32x4Pmin(f32s({2.0f, 1.0f, 0, 0}), f32s({1.0f, 2.0f, 0, 0})),
            f32s({1.0f, 1.0f, 0, 0}));
  EXPECT_EQ(F64x2Pmax(f64s({2.0, 1.0}), f64s({1.0, 2.0})), f64s({2.0, 2.0}));
  EXPECT_EQ(F64x2Pmin(u64s({kNan, 0}), f64s({1.0, -0.0})), u64s({kNan, 0}));
}

TEST(SimdLanes, RoundingToIntegralLanes) {
  V128 a = f32s({-0.5f, 2.5f, -1.5f, 0.49999997f});
  EXPECT_EQ(F32x4Nearest(a), f32s({-0.0f, 2.0f, -2.0f, 0.0f}));
  EXPECT_EQ(F32x4Ceil(a), f32s({-0.0f, 3.0f, -1.0f, 1.0f}));
  EXPECT_EQ(F32x4Floor(a), f32s({-1.0f, 2.0f, -2.0f, 0.0f}));
  EXPECT_EQ(F32x4Trunc(a), f32s({-0.0f, 2.0f, -1.0f, 0.0f}));
  EXPECT_EQ(F32x4Nearest(f32s({8388609.0f, -kInfF, 3.5f, -0.0f})),
            f32s({8388609.0f, -kInfF, 4.0f, -0.0f}));
  V128 n = F32x4Floor(u32s({0x7fa00000u, 0, 0, 0}));
  EXPECT_TRUE(is_quiet_nan32(lane<u32>(n, 0)));
  EXPECT_EQ(F64x2Nearest(f64s({4503599627370497.0, -2.5})), f64s({4503599627370497.0, -2.0}));
  EXPECT_EQ(F64x2Ceil(f64s({-0.25, 1.0000000000000002})), f64s({-0.0, 2.0}));
  EXPECT_EQ(F64x2Floor(f64s({-0.25, 0.75})), f64s({-1.0, 0.0}));
  EXPECT_EQ(F64x2Trunc(f64s({-0.75, 1e300})), f64s({-0.0, 1e300}));
}

TEST(SimdLanes, TruncSatOfNanInfinityAndOutOfRange) {
  V128 a = u32s({kNanF, num::bits(kInfF), num::bits(-kInfF), num::bits(-2147483904.0f)});
  EXPECT_EQ(I32x4TruncSatF32x4S(a), i32s({0, 2147483647, -2147483647 - 1, -2147483647 - 1}));
  EXPECT_EQ(I32x4TruncSatF32x4U(a), u32s({0, 0xffffffffu, 0, 0}));
  V128 b = f32s({-0.99f, 2147483520.0f, 4294967040.0f, -1.5f});
  EXPECT_EQ(I32x4TruncSatF32x4S(b), i32s({0, 2147483520, 2147483647, -1}));
  EXPECT_EQ(I32x4TruncSatF32x4U(b), u32s({0, 2147483520u, 4294967040u, 0}));
  EXPECT_EQ(I32x4RelaxedTruncF32x4S(b), I32x4TruncSatF32x4S(b));
  EXPECT_EQ(I32x4RelaxedTruncF32x4U(b), I32x4TruncSatF32x4U(b));
  V128 c = f64s({-2147483648.9, 2147483647.9});
  EXPECT_EQ(I32x4TruncSatF64x2SZero(c), i32s({-2147483647 - 1, 2147483647, 0, 0}));
  EXPECT_EQ(I32x4TruncSatF64x2UZero(c), u32s({0, 2147483647u, 0, 0}));
  V128 d = u64s({kNan, num::bits(4294967296.0)});
  EXPECT_EQ(I32x4TruncSatF64x2SZero(d), i32s({0, 2147483647, 0, 0}));
  EXPECT_EQ(I32x4TruncSatF64x2UZero(d), u32s({0, 0xffffffffu, 0, 0}));
  EXPECT_EQ(I32x4RelaxedTruncF64x2SZero(d), I32x4TruncSatF64x2SZero(d));
  EXPECT_EQ(I32x4RelaxedTruncF64x2UZero(d), I32x4TruncSatF64x2UZero(d));
}

TEST(SimdLanes, ConversionsBetweenIntegersAndFloats) {
  EXPECT_EQ(F32x4ConvertI32x4S(i32s({-1, 16777217, -2147483647 - 1, 0})),
            f32s({-1.0f, 16777216.0f, -2147483648.0f, 0.0f}));
  EXPECT_EQ(F32x4ConvertI32x4U(u32s({0xffffffffu, 16777219u, 0x80000000u, 1})),
            f32s({4294967296.0f, 16777220.0f, 2147483648.0f, 1.0f}));
  EXPECT_EQ(F64x2ConvertLowI32x4S(i32s({-1, -2147483647 - 1, 5, 6})), f64s({-1.0, -2147483648.0}));
  EXPECT_EQ(F64x2ConvertLowI32x4U(u32s({0xffffffffu, 7, 5, 6})), f64s({4294967295.0, 7.0}));
}

TEST(SimdLanes, DemoteAndPromote) {
  EXPECT_EQ(F32x4DemoteF64x2Zero(f64s({1e300, 1.0000000596046448})),
            f32s({kInfF, 1.0f, 0.0f, 0.0f}));
  EXPECT_EQ(F32x4DemoteF64x2Zero(f64s({-0.0, 1e-300})), f32s({-0.0f, 0.0f, 0.0f, 0.0f}));
  V128 n = F32x4DemoteF64x2Zero(u64s({kNan, 0}));
  EXPECT_TRUE(is_quiet_nan32(lane<u32>(n, 0)));
  EXPECT_EQ(F64x2PromoteLowF32x4(f32s({-0.0f, 0.1f, 7.0f, 8.0f})),
            f64s({-0.0, static_cast<double>(0.1f)}));
  V128 p = F64x2PromoteLowF32x4(u32s({kNanF, num::bits(-kInfF), 0, 0}));
  EXPECT_TRUE(is_quiet_nan64(lane<u64>(p, 0)));
  EXPECT_EQ(lane<double>(p, 1), -kInf);
}

TEST(SimdLanes, RelaxedMaddRoundsTwice) {
  // FLT_MAX * 2 - FLT_MAX: inf when the product is rounded first (fused would give FLT_MAX).
  float m = 3.4028234663852886e38f;
  EXPECT_EQ(F32x4RelaxedMadd(f32s({m, 1.0f, 2.0f, -0.0f}), f32s({2.0f, 2.0f, 3.0f, 0.0f}),
                             f32s({-m, 1.0f, -6.0f, -0.0f})),
            f32s({kInfF, 3.0f, 0.0f, -0.0f}));
  // x*y + z with x*y = 1 + 2^-15 + 2^-22 + 2^-37: rounded first, the sum is 0 (fused: 2^-37).
  EXPECT_EQ(F32x4RelaxedMadd(f32s({0x1.000004p+0f, 0, 0, 0}), f32s({0x1.0002p+0f, 0, 0, 0}),
                             f32s({-0x1.000204p+0f, 0, 0, 0})),
            f32s({0.0f, 0, 0, 0}));
  EXPECT_EQ(F32x4RelaxedNmadd(f32s({2.0f, 1.0f, 0.0f, 0.0f}), f32s({3.0f, 1.0f, 0.0f, 0.0f}),
                              f32s({1.0f, 1.0f, 0.0f, -0.0f})),
            f32s({-5.0f, 0.0f, 0.0f, -0.0f}));
  double dm = 1.7976931348623157e308;
  EXPECT_EQ(F64x2RelaxedMadd(f64s({dm, 0x1.00000004p+0}), f64s({2.0, 0x1.000002p+0}),
                             f64s({-dm, -0x1.00000204p+0})),
            f64s({kInf, 0.0}));
  EXPECT_EQ(F64x2RelaxedNmadd(f64s({-0x1.00000004p+0, 2.0}), f64s({0x1.000002p+0, 2.0}),
                              f64s({-0x1.00000204p+0, 5.0})),
            f64s({0.0, 1.0}));
}

TEST(SimdLanes, RelaxedDotProductsTreatBothOperandsAsSigned) {
  V128 a = i8s({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  EXPECT_EQ(I16x8RelaxedDotI8x16I7x16S(a, a), i16s({1, 13, 41, 85, 145, 221, 313, 421}));
  V128 b = i8s({-128, -128, 127, 127, -128, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  V128 c = i8s({127, 127, 127, 127, -127, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(I16x8RelaxedDotI8x16I7x16S(b, c), i16s({-32512, 32258, 32640, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I16x8RelaxedDotI8x16I7x16S(b, b), i16s({32767, 32258, 32767, 0, 0, 0, 0, 0}));
  EXPECT_EQ(I32x4RelaxedDotI8x16I7x16AddS(a, a, i32s({0, 1, 2, 3})), i32s({14, 127, 368, 737}));
  V128 d = i8s({-128, -128, -128, -128, 127, 127, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0});
  V128 e = i8s({-127, -127, -127, -127, 127, 127, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(I32x4RelaxedDotI8x16I7x16AddS(d, e, i32s({1, 2, 3, 2147483647})),
            i32s({65025, 64518, 3, 2147483647}));
  EXPECT_EQ(I32x4RelaxedDotI8x16I7x16AddS(d, d, i32s({0, 0, 0, 2147483647})),
            i32s({65534, 64516, 0, 2147483647}));
  EXPECT_EQ(I32x4RelaxedDotI8x16I7x16AddS(V128{}, V128{}, i32s({0, 0, 0, 2147483647})),
            i32s({0, 0, 0, 2147483647}));
  EXPECT_EQ(I32x4RelaxedDotI8x16I7x16AddS(u8s({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                                          u8s({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                                          i32s({2147483647, 0, 0, 0})),
            i32s({-2147483647 - 1, 0, 0, 0}));
}

// Every entry of the table has its function with the signature its shape says.
#define CHECK_SHAPE(name, sub, shape) static_assert(Shape##shape<decltype(&name)>);
template <typename F> constexpr bool ShapeUnop = __is_same(F, V128 (*)(V128));
template <typename F> constexpr bool ShapeBinop = __is_same(F, V128 (*)(V128, V128));
template <typename F> constexpr bool ShapeTernop = __is_same(F, V128 (*)(V128, V128, V128));
template <typename F> constexpr bool ShapeTest = __is_same(F, u32 (*)(V128));
template <typename F> constexpr bool ShapeShift = __is_same(F, V128 (*)(V128, u32));
template <typename F> constexpr bool ShapeSplatI32 = __is_same(F, V128 (*)(u32));
template <typename F> constexpr bool ShapeSplatI64 = __is_same(F, V128 (*)(u64));
template <typename F> constexpr bool ShapeSplatF32 = __is_same(F, V128 (*)(u32));
template <typename F> constexpr bool ShapeSplatF64 = __is_same(F, V128 (*)(u64));
WASM_SIMD_LANE_OPS(CHECK_SHAPE)
#undef CHECK_SHAPE

TEST(SimdLanes, TableHasEverySubOpcodeOnce) {
  int count = 0;
  bool seen[0x114] = {};
  bool duplicate = false;
#define COUNT(name, sub, shape) \
  ++count;                      \
  duplicate |= seen[sub];       \
  seen[sub] = true;
  WASM_SIMD_LANE_OPS(COUNT)
#undef COUNT
  EXPECT_EQ(count, 218);
  EXPECT_FALSE(duplicate);
}

}  // namespace
}  // namespace wasm_test
