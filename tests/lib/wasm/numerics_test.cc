// The classic numeric traps of interpreters, each asserted bit-exactly.
#include <cstring>

#include "wasm_test_util.h"

namespace wasm_test {
namespace {

// A module exporting "f": (a, b) -> op(a, b) for a binary op, or op(a) for a unary one.
Bytes binop(u8 type, u8 result, u8 op, u8 prefix = 0) {
  Bytes body = {0x20, 0, 0x20, 1};
  if (prefix) body.push_back(prefix);
  body.push_back(op);
  return build({Fn{{type, type}, {result}, body, {}, "f"}});
}
Bytes unop(u8 type, u8 result, u8 op, u8 prefix = 0) {
  Bytes body = {0x20, 0};
  if (prefix) body.push_back(prefix);
  body.push_back(op);
  return build({Fn{{type}, {result}, body, {}, "f"}});
}
u32 f32_bits(float f) {
  u32 b;
  memcpy(&b, &f, 4);
  return b;
}
u64 f64_bits(double d) {
  u64 b;
  memcpy(&b, &d, 8);
  return b;
}

TEST(Numerics, I32DivSIntMinByMinusOneTrapsIntegerOverflow) {
  Harness h(binop(kI32, kI32, 0x6d));
  EXPECT_EQ(h.call("f", {0x80000000u, 0xffffffffu}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::IntegerOverflow);
}

TEST(Numerics, I32RemSIntMinByMinusOneIsZero) {
  Harness h(binop(kI32, kI32, 0x6f));
  ASSERT_EQ(h.call("f", {0x80000000u, 0xffffffffu}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(h.result()), 0u);
}

TEST(Numerics, I64DivSIntMinByMinusOneTrapsAndRemIsZero) {
  Harness div(binop(kI64, kI64, 0x7f));
  EXPECT_EQ(div.call("f", {0x8000000000000000ull, ~0ull}), RunStatus::Trap);
  EXPECT_EQ(div.trap(), TrapKind::IntegerOverflow);
  Harness rem(binop(kI64, kI64, 0x81));
  ASSERT_EQ(rem.call("f", {0x8000000000000000ull, ~0ull}), RunStatus::Done);
  EXPECT_EQ(rem.result(), 0u);
}

TEST(Numerics, DivisionByZeroTraps) {
  for (u8 op : {0x6d, 0x6e, 0x6f, 0x70}) {
    Harness h(binop(kI32, kI32, op));
    EXPECT_EQ(h.call("f", {7, 0}), RunStatus::Trap);
    EXPECT_EQ(h.trap(), TrapKind::IntegerDivideByZero);
  }
}

TEST(Numerics, TruncOfNanTrapsInvalidConversion) {
  Harness h(unop(kF32, kI32, 0xa8));  // i32.trunc_f32_s
  EXPECT_EQ(h.call("f", {0x7fc00000u}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::InvalidConversion);
}

TEST(Numerics, TruncRangeChecksBeforeConverting) {
  Harness h(unop(kF32, kI32, 0xa8));
  EXPECT_EQ(h.call("f", {f32_bits(2147483648.0f)}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::IntegerOverflow);
  ASSERT_EQ(h.call("f", {f32_bits(-2147483648.0f)}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(h.result()), 0x80000000u);
  Harness u(unop(kF64, kI32, 0xab));  // i32.trunc_f64_u
  EXPECT_EQ(u.call("f", {f64_bits(-1.0)}), RunStatus::Trap);
  EXPECT_EQ(u.trap(), TrapKind::IntegerOverflow);
  ASSERT_EQ(u.call("f", {f64_bits(-0.9)}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(u.result()), 0u);
}

TEST(Numerics, SaturatingTruncClampsAndMapsNanToZero) {
  Harness h(unop(kF32, kI32, 0x00, 0xfc));  // i32.trunc_sat_f32_s
  ASSERT_EQ(h.call("f", {0x7fc00000u}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(h.result()), 0u);
  ASSERT_EQ(h.call("f", {f32_bits(1e20f)}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(h.result()), 0x7fffffffu);
  ASSERT_EQ(h.call("f", {f32_bits(-1e20f)}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(h.result()), 0x80000000u);
}

TEST(Numerics, MinMaxOrderNegativeZeroBelowPositiveZero) {
  Harness mn(binop(kF32, kF32, 0x96));
  ASSERT_EQ(mn.call("f", {0x00000000u, 0x80000000u}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(mn.result()), 0x80000000u);
  Harness mx(binop(kF64, kF64, 0xa5));
  ASSERT_EQ(mx.call("f", {0x8000000000000000ull, 0}), RunStatus::Done);
  EXPECT_EQ(mx.result(), 0u);
}

TEST(Numerics, MinMaxPropagateNan) {
  Harness mn(binop(kF32, kF32, 0x96));
  ASSERT_EQ(mn.call("f", {f32_bits(1.0f), 0x7fc00000u}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(mn.result()) & 0x7fc00000u, 0x7fc00000u);
  Harness mx(binop(kF64, kF64, 0xa5));
  ASSERT_EQ(mx.call("f", {0xfff8000000000000ull, f64_bits(1.0)}), RunStatus::Done);
  EXPECT_EQ(mx.result() & 0x7ff8000000000000ull, 0x7ff8000000000000ull);
}

TEST(Numerics, SignOperationsKeepNanPayloadBitExact) {
  Harness neg(unop(kF32, kF32, 0x8c));
  ASSERT_EQ(neg.call("f", {0x7fa00001u}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(neg.result()), 0xffa00001u);  // still signalling, payload kept
  Harness abs(unop(kF64, kF64, 0x99));
  ASSERT_EQ(abs.call("f", {0xfff4000000000001ull}), RunStatus::Done);
  EXPECT_EQ(abs.result(), 0x7ff4000000000001ull);
  Harness cs(binop(kF32, kF32, 0x98));
  ASSERT_EQ(cs.call("f", {0x7f800001u, 0x80000000u}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(cs.result()), 0xff800001u);
}

TEST(Numerics, NearestRoundsTiesToEven) {
  Harness h(unop(kF64, kF64, 0x9e));
  struct Case {
    double in, out;
  } cases[] = {{2.5, 2.0}, {3.5, 4.0}, {-2.5, -2.0},
               {0.5, 0.0}, {1.5, 2.0}, {4503599627370497.0, 4503599627370497.0}};
  for (const Case& c : cases) {
    ASSERT_EQ(h.call("f", {f64_bits(c.in)}), RunStatus::Done);
    EXPECT_EQ(h.result(), f64_bits(c.out)) << c.in;
  }
  ASSERT_EQ(h.call("f", {f64_bits(-0.5)}), RunStatus::Done);
  EXPECT_EQ(h.result(), 0x8000000000000000ull);  // -0, not +0
}

TEST(Numerics, FloorCeilTruncKeepSignOfZero) {
  Harness ceil(unop(kF32, kF32, 0x8d));
  ASSERT_EQ(ceil.call("f", {f32_bits(-0.5f)}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(ceil.result()), 0x80000000u);
  Harness floor(unop(kF32, kF32, 0x8e));
  ASSERT_EQ(floor.call("f", {f32_bits(-0.5f)}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(floor.result()), f32_bits(-1.0f));
  Harness trunc(unop(kF64, kF64, 0x9d));
  ASSERT_EQ(trunc.call("f", {f64_bits(-0.75)}), RunStatus::Done);
  EXPECT_EQ(trunc.result(), 0x8000000000000000ull);
}

TEST(Numerics, SignalingNanSurvivesStoreAndLoad) {
  // (f32.store (i32.const 0) (local.get 0)) (f32.load (i32.const 0))
  Bytes body = {0x41, 0, 0x20, 0, 0x38, 2, 0, 0x41, 0, 0x2a, 2, 0};
  Harness h(build({Fn{{kF32}, {kF32}, body, {}, "f"}}, 1));
  ASSERT_EQ(h.call("f", {0x7f800001u}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(h.result()), 0x7f800001u);
}

TEST(Numerics, ShiftCountsAreMasked) {
  Harness h(binop(kI32, kI32, 0x74));  // i32.shl
  ASSERT_EQ(h.call("f", {1, 33}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(h.result()), 2u);
}

}  // namespace
}  // namespace wasm_test
