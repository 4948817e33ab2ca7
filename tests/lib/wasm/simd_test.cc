// The v128 type through the engine: locals, params and results across calls, branches that carry
// v128 values past values of other widths, select, globals, memory bounds of the SIMD accesses,
// and the immediates the validator checks (lane indexes). A v128 takes two slots (low, high).
#include <array>
#include <string>
#include <vector>

#include "wat_test_util.h"

namespace wasm_test {
namespace {

constexpr u64 kLo = 0x0706050403020100ull, kHi = 0x0f0e0d0c0b0a0908ull;
constexpr u64 kLo2 = 0x1716151413121110ull, kHi2 = 0x1f1e1d1c1b1a1918ull;

TEST(Simd, V128ParamsAndResultsAcrossCalls) {
  Harness h(text(R"((module
    (func $rev (param i64 v128 i32 v128) (result v128 i32 v128 i64)
      (local v128)
      (local.set 4 (local.get 3))
      (local.get 4) (local.get 2) (local.get 1) (local.get 0))
    (func (export "calls") (param i64 v128 i32 v128) (result v128 i32 v128 i64)
      (i32.const 5) (drop)
      (call $rev (local.get 0) (local.get 1) (local.get 2) (local.get 3))))
  )"));
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("calls", {0x1234567890ull, kLo, kHi, 42, kLo2, kHi2}), RunStatus::Done);
  ASSERT_EQ(h.ex().results().size(), 6u);
  EXPECT_EQ(h.result(0), kLo2);
  EXPECT_EQ(h.result(1), kHi2);
  EXPECT_EQ(h.result(2), 42u);
  EXPECT_EQ(h.result(3), kLo);
  EXPECT_EQ(h.result(4), kHi);
  EXPECT_EQ(h.result(5), 0x1234567890ull);
}

// A tail call moves a v128 argument's two slots to the frame's base and returns both.
TEST(Simd, TailCallsPassV128) {
  Harness h(text(R"((module
    (func $id (param i32 v128) (result v128 i32) (local.get 1) (local.get 0))
    (func (export "tail") (param v128 i32) (result v128 i32)
      (i64.const 1) (drop)
      (return_call $id (local.get 1) (local.get 0))))
  )"));
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("tail", {kLo, kHi, 7}), RunStatus::Done);
  ASSERT_EQ(h.ex().results().size(), 3u);
  EXPECT_EQ(h.result(0), kLo);
  EXPECT_EQ(h.result(1), kHi);
  EXPECT_EQ(h.result(2), 7u);
}

// A block's values (i32 v128 i64) above a v128 of the enclosing code: the label's slots start
// two slots up, and a branch copies each value to its own width.
TEST(Simd, BranchesCarryV128PastOtherWidths) {
  Harness h(text(R"((module
    (global $g (mut v128) (v128.const i64x2 0x1111 0x2222))
    (func (export "mixed") (param $c i32) (param $v v128) (result i32 v128 i64 v128)
      (local $i i32) (local $w v128) (local $l i64)
      (v128.const i64x2 0x33 0x44)
      (block $b (result i32 v128 i64)
        (i32.const 9) (local.get $v) (i64.const 77)
        (br_if $b (local.get $c))
        (drop) (drop) (drop)
        (i32.const 8) (global.get $g) (i64.const 66)
        (br $b))
      (local.set $l) (local.set $w) (local.set $i)
      (global.set $g)
      (local.get $i) (local.get $w) (local.get $l) (global.get $g))
    (func (export "table") (param $i i32) (param $a v128) (param $b v128) (result v128)
      (block $x (result v128)
        (block $y (result v128)
          (i64.const 1) (drop)
          (local.get $a)
          (br_table $x $y $x (local.get $i)))
        (i32x4.replace_lane 1 (i32.const 99))
        (br $x))
      (local.get $b) (local.get $i) (select))
    (func (export "select") (param $c i32) (param $a v128) (param $b v128) (result v128)
      (select (result v128) (local.get $a) (local.get $b) (local.get $c))))
  )"));
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("mixed", {1, kLo, kHi}), RunStatus::Done);
  ASSERT_EQ(h.ex().results().size(), 6u);
  EXPECT_EQ(h.result(0), 9u);
  EXPECT_EQ(h.result(1), kLo);
  EXPECT_EQ(h.result(2), kHi);
  EXPECT_EQ(h.result(3), 77u);
  EXPECT_EQ(h.result(4), 0x33u);  // the v128 under the block, through the global
  EXPECT_EQ(h.result(5), 0x44u);
  ASSERT_EQ(h.call("mixed", {0, kLo, kHi}), RunStatus::Done);
  EXPECT_EQ(h.result(0), 8u);
  EXPECT_EQ(h.result(1), 0x33u);  // the global as the first call left it
  EXPECT_EQ(h.result(2), 0x44u);
  EXPECT_EQ(h.result(3), 66u);

  // br_table: index 0 and 2 (default) to $x with $a, 1 to $y, which replaces lane 1; select
  // picks $b instead when the index is 0.
  ASSERT_EQ(h.call("table", {2, kLo, kHi, kLo2, kHi2}), RunStatus::Done);
  EXPECT_EQ(h.result(0), kLo);
  EXPECT_EQ(h.result(1), kHi);
  ASSERT_EQ(h.call("table", {1, kLo, kHi, kLo2, kHi2}), RunStatus::Done);
  EXPECT_EQ(h.result(0), (kLo & 0xffffffffull) | (u64{99} << 32));
  EXPECT_EQ(h.result(1), kHi);
  ASSERT_EQ(h.call("table", {0, kLo, kHi, kLo2, kHi2}), RunStatus::Done);
  EXPECT_EQ(h.result(0), kLo2);
  EXPECT_EQ(h.result(1), kHi2);

  ASSERT_EQ(h.call("select", {1, kLo, kHi, kLo2, kHi2}), RunStatus::Done);
  EXPECT_EQ(h.result(0), kLo);
  EXPECT_EQ(h.result(1), kHi);
  ASSERT_EQ(h.call("select", {0, kLo, kHi, kLo2, kHi2}), RunStatus::Done);
  EXPECT_EQ(h.result(0), kLo2);
  EXPECT_EQ(h.result(1), kHi2);
}

// The 16 bytes at the last address where they fit load and store; one byte further traps, and
// so does an offset that would wrap a 32-bit sum.
TEST(Simd, LoadsAndStoresAreBoundsChecked) {
  Harness h(text(R"((module
    (memory 1)
    (func (export "load") (param i32) (result v128) (v128.load (local.get 0)))
    (func (export "load_far") (param i32) (result v128) (v128.load offset=0xffffffff (local.get 0)))
    (func (export "store") (param i32 v128) (v128.store (local.get 0) (local.get 1)))
    (func (export "lane") (param i32) (result v128)
      (v128.load64_lane 1 (local.get 0) (v128.const i64x2 0 0)))
    (func (export "store_lane") (param i32) (v128.store32_lane 3 (local.get 0) (v128.const i32x4 1 2 3 4)))
    (func (export "splat") (param i32) (result v128) (v128.load16_splat (local.get 0))))
  )"));
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("store", {65520, kLo, kHi}), RunStatus::Done);
  ASSERT_EQ(h.call("load", {65520}), RunStatus::Done);
  EXPECT_EQ(h.result(0), kLo);
  EXPECT_EQ(h.result(1), kHi);
  EXPECT_EQ(h.call("load", {65521}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(h.call("store", {65521, kLo, kHi}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(h.call("load", {0xffffffffu}), RunStatus::Trap);
  EXPECT_EQ(h.call("load_far", {1}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);

  ASSERT_EQ(h.call("lane", {65528}), RunStatus::Done);  // the 8 bytes of kHi stored above
  EXPECT_EQ(h.result(0), 0u);
  EXPECT_EQ(h.result(1), kHi);
  EXPECT_EQ(h.call("lane", {65529}), RunStatus::Trap);
  ASSERT_EQ(h.call("store_lane", {65532}), RunStatus::Done);
  EXPECT_EQ(h.call("store_lane", {65533}), RunStatus::Trap);
  ASSERT_EQ(h.call("splat", {65532}), RunStatus::Done);  // lane 3 of the store: 4, then 0
  EXPECT_EQ(h.result(0), 0x0004000400040004ull);
  EXPECT_EQ(h.result(1), 0x0004000400040004ull);
  EXPECT_EQ(h.call("splat", {65535}), RunStatus::Trap);
}

// The SIMD accesses of memory 1 (i32 addresses, the `Mem` operations): bounds-checked against
// memory 1's size (two pages, memory 0 has one), and memory 0 is not written.
TEST(Simd, LoadsAndStoresOfAnotherMemory) {
  Harness h(text(R"((module
    (memory 1)
    (memory $m 2)
    (func (export "load") (param i32) (result v128) (v128.load $m (local.get 0)))
    (func (export "store") (param i32 v128) (v128.store $m (local.get 0) (local.get 1)))
    (func (export "lane") (param i32) (result v128)
      (v128.load64_lane $m 1 (local.get 0) (v128.const i64x2 0 0)))
    (func (export "store_lane") (param i32)
      (v128.store32_lane $m 3 (local.get 0) (v128.const i32x4 1 2 3 4)))
    (func (export "splat") (param i32) (result v128) (v128.load16_splat $m (local.get 0)))
    (func (export "extend") (param i32) (result v128) (v128.load32x2_u $m offset=8 (local.get 0)))
    (func (export "byte0") (param i32) (result i32) (i32.load8_u (local.get 0))))
  )"));
  ASSERT_NE(h.instance, nullptr);
  const u64 end = 2 * 65536;
  ASSERT_EQ(h.call("store", {end - 16, kLo, kHi}), RunStatus::Done);
  ASSERT_EQ(h.call("load", {end - 16}), RunStatus::Done);
  EXPECT_EQ(h.result(0), kLo);
  EXPECT_EQ(h.result(1), kHi);
  ASSERT_EQ(h.call("extend", {end - 16}), RunStatus::Done);  // the 8 bytes of kHi, zero-extended
  EXPECT_EQ(h.result(0), kHi & 0xffffffffu);
  EXPECT_EQ(h.result(1), kHi >> 32);
  EXPECT_EQ(h.call("extend", {end - 15}), RunStatus::Trap);
  EXPECT_EQ(h.call("load", {end - 15}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(h.call("store", {end - 15, kLo, kHi}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
  EXPECT_EQ(h.call("load", {0xffffffffu}), RunStatus::Trap);
  ASSERT_EQ(h.call("lane", {end - 8}), RunStatus::Done);
  EXPECT_EQ(h.result(0), 0u);
  EXPECT_EQ(h.result(1), kHi);
  EXPECT_EQ(h.call("lane", {end - 7}), RunStatus::Trap);
  ASSERT_EQ(h.call("store_lane", {end - 4}), RunStatus::Done);
  EXPECT_EQ(h.call("store_lane", {end - 3}), RunStatus::Trap);
  ASSERT_EQ(h.call("splat", {end - 4}), RunStatus::Done);
  EXPECT_EQ(h.result(0), 0x0004000400040004ull);
  EXPECT_EQ(h.call("splat", {end - 1}), RunStatus::Trap);
  // Memory 0 (one page) was not written, and memory 1's accesses past its first page worked.
  for (u64 a : {u64{0}, u64{65535}}) {
    ASSERT_EQ(h.call("byte0", {a}), RunStatus::Done);
    EXPECT_EQ(h.result(), 0u);
  }
}

// The SIMD accesses of an i64 memory (the `Mem64` operations): the last 16 bytes load and store,
// one byte further traps, and an address plus an offset that would wrap 64 bits traps without
// writing anything (the sum is never formed before it is known to be inside the memory).
TEST(Simd, LoadsAndStoresOfAnI64MemoryDoNotWrap) {
  Harness h(text(R"((module
    (memory i64 1)
    (func (export "load") (param i64) (result v128) (v128.load (local.get 0)))
    (func (export "store") (param i64 v128) (v128.store (local.get 0) (local.get 1)))
    (func (export "store_far") (param i64 v128)
      (v128.store offset=0xfffffffffffffff0 (local.get 0) (local.get 1)))
    (func (export "load_far") (param i64) (result v128)
      (v128.load offset=0xfffffffffffffff0 (local.get 0)))
    (func (export "store_lane_far") (param i64)
      (v128.store64_lane offset=0xffffffffffffffff 1 (local.get 0) (v128.const i64x2 5 6)))
    (func (export "lane") (param i64) (result v128)
      (v128.load8_lane 15 (local.get 0) (v128.const i64x2 0 0)))
    (func (export "zero") (param i64) (result v128) (v128.load64_zero offset=8 (local.get 0)))
    (func (export "byte") (param i64) (result i32) (i32.load8_u (local.get 0))))
  )"));
  ASSERT_NE(h.instance, nullptr);
  const u64 end = 65536;
  ASSERT_EQ(h.call("store", {end - 16, kLo, kHi}), RunStatus::Done);
  ASSERT_EQ(h.call("load", {end - 16}), RunStatus::Done);
  EXPECT_EQ(h.result(0), kLo);
  EXPECT_EQ(h.result(1), kHi);
  ASSERT_EQ(h.call("zero", {end - 16}), RunStatus::Done);
  EXPECT_EQ(h.result(0), kHi);
  EXPECT_EQ(h.result(1), 0u);
  ASSERT_EQ(h.call("lane", {end - 1}), RunStatus::Done);
  EXPECT_EQ(h.result(1), (kHi >> 56) << 56);
  EXPECT_EQ(h.call("lane", {end}), RunStatus::Trap);
  EXPECT_EQ(h.call("zero", {end - 15}), RunStatus::Trap);
  for (u64 a : {end - 15, end, ~u64{0} - 0xf, ~u64{0}, u64{1} << 63, u64{1} << 32}) {
    EXPECT_EQ(h.call("load", {a}), RunStatus::Trap) << a;
    EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(h.call("store", {a, kLo, kHi}), RunStatus::Trap) << a;
    EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
  }
  // Offset 2^64-16: address 0x10 would reach byte 0, 0x20 byte 0x10; offset 2^64-1 with
  // address 1 would reach byte 0.
  for (u64 a : {u64{0}, u64{0x10}, u64{0x20}, end}) {
    EXPECT_EQ(h.call("store_far", {a, kLo, kHi}), RunStatus::Trap) << a;
    EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(h.call("load_far", {a}), RunStatus::Trap) << a;
    EXPECT_EQ(h.call("store_lane_far", {a}), RunStatus::Trap) << a;
  }
  for (u64 a = 0; a < 0x30; ++a) {
    ASSERT_EQ(h.call("byte", {a}), RunStatus::Done);
    EXPECT_EQ(h.result(), 0u) << a;  // nothing was written at the wrapped addresses
  }
}

// A module whose body is `v128.const 0` then `rest` (a function with result `result`).
Bytes with_v128_const(u8 result, Bytes rest) {
  Bytes body = {0xfd, 0x0c};
  body.insert(body.end(), 16, 0);
  body.insert(body.end(), rest.begin(), rest.end());
  return build({Fn{{}, {result}, body, {}, "f"}});
}

TEST(Simd, LaneIndexOutOfRangeIsInvalid) {
  auto ok = compile(with_v128_const(kI32, {0xfd, 0x1b, 3}));  // i32x4.extract_lane 3
  ASSERT_TRUE(ok.is_ok());
  delete ok.value();
  for (Bytes rest : {Bytes{0xfd, 0x1b, 4}, Bytes{0xfd, 0x15, 16}, Bytes{0xfd, 0x18, 8}}) {
    auto r = compile(with_v128_const(kI32, rest));
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
    EXPECT_STREQ(r.error().message, "invalid lane index");
  }
  // i64x2.replace_lane 2.
  auto r = compile(with_v128_const(0x7b, {0x42, 0, 0xfd, 0x1e, 2}));
  ASSERT_TRUE(r.is_error());
  EXPECT_STREQ(r.error().message, "invalid lane index");
}

TEST(Simd, ShuffleLaneOf32IsInvalid) {
  Bytes shuffle = {0xfd, 0x0c};
  shuffle.insert(shuffle.end(), 16, 0);
  shuffle.insert(shuffle.end(), {0xfd, 0x0d});
  for (u8 k = 0; k < 16; ++k) shuffle.push_back(k == 5 ? 31 : k);
  auto ok = compile(with_v128_const(0x7b, shuffle));
  ASSERT_TRUE(ok.is_ok());
  delete ok.value();
  shuffle[2 + 16 + 2 + 5] = 32;
  auto r = compile(with_v128_const(0x7b, shuffle));
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_STREQ(r.error().message, "invalid lane index");
}

// i8x16.shuffle against the definition (lane k is byte idx[k] of a then b), for each way the
// handler computes it: every window of the 32 bytes (lane k = byte s + k, s = 0..16: funnel
// shifts), patterns one byte away from a window (gathered), and patterns compilers emit.
TEST(Simd, ShuffleWindowsAndGathers) {
  std::vector<std::array<u8, 16>> patterns;
  for (u8 s = 0; s <= 16; ++s) {
    std::array<u8, 16> w;
    for (u8 k = 0; k < 16; ++k) w[k] = static_cast<u8>(s + k);
    patterns.push_back(w);
    for (u8 k : {0, 7, 8, 15}) {  // one lane off: not a window
      std::array<u8, 16> near = w;
      near[k] = static_cast<u8>(near[k] == 0 ? 31 : near[k] - 1);
      patterns.push_back(near);
    }
  }
  patterns.push_back({18, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  patterns.push_back({8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 0, 1, 2, 3});
  patterns.push_back({4, 16, 16, 16, 5, 16, 16, 16, 6, 16, 16, 16, 7, 16, 16, 16});
  patterns.push_back({31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16});
  std::string funcs;
  for (usize i = 0; i < patterns.size(); ++i) {
    funcs += "(func (export \"s" + std::to_string(i) + "\") (param v128 v128) (result v128)\n";
    funcs += "  (i8x16.shuffle";
    for (u8 b : patterns[i]) funcs += " " + std::to_string(b);
    funcs += " (local.get 0) (local.get 1)))\n";
  }
  Harness h(text("(module " + funcs + ")"));
  ASSERT_NE(h.instance, nullptr);
  const u64 a[2] = {0x8877665544332211ull, 0xf0e0d0c0b0a09080ull};
  const u64 b[2] = {0x0123456789abcdefull, 0xfedcba9876543210ull};
  u8 both[32];
  __builtin_memcpy(both, a, 16);
  __builtin_memcpy(both + 16, b, 16);
  for (usize i = 0; i < patterns.size(); ++i) {
    u64 want[2] = {0, 0};
    for (u32 k = 0; k < 16; ++k)
      want[k / 8] |= static_cast<u64>(both[patterns[i][k]]) << (8 * (k % 8));
    ASSERT_EQ(h.call(("s" + std::to_string(i)).c_str(), {a[0], a[1], b[0], b[1]}), RunStatus::Done);
    EXPECT_EQ(h.result(0), want[0]) << "pattern " << i;
    EXPECT_EQ(h.result(1), want[1]) << "pattern " << i;
  }
}

// The translator fuses i16x8.extend_low_i8x16_u/s and i32x4.extend_low_i16x8_u/s on its result
// into one widening of bytes 0..3 (compile.cc). Bytes with the top bit set tell zeros from sign;
// each other sequence must not fuse: a tee of the middle value, mixed signedness, a label between
// (a branch brings another value), and an operand in the slot the first one writes.
TEST(Simd, ExtendLowPairsFuseOnlyWhereTheMiddleValueIsUnseen) {
  Harness h(text(R"((module
    (func (export "u") (param v128) (result v128)
      (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (local.get 0))))
    (func (export "s") (param v128) (result v128)
      (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_s (local.get 0))))
    (func (export "su") (param v128) (result v128)
      (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_s (local.get 0))))
    (func (export "us") (param v128) (result v128)
      (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_u (local.get 0))))
    (func (export "tee") (param v128) (result v128 v128)
      (local v128)
      (i32x4.extend_low_i16x8_u (local.tee 1 (i16x8.extend_low_i8x16_u (local.get 0))))
      (local.get 1))
    (func (export "label") (param v128 v128 i32) (result v128)
      (block $b (result v128)
        (br_if $b (local.get 1) (local.get 2))
        (drop)
        (i16x8.extend_low_i8x16_s (local.get 0)))
      (i32x4.extend_low_i16x8_s))
    (func (export "same_slot") (result v128)
      (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_s (v128.const i8x16 -1 2 -128 127 5 6 7 8 9 10 11 12 13 14 15 16)))))
  )"));
  ASSERT_NE(h.instance, nullptr);
  const u64 lo = 0x0000007f80027fffull, hi = 0x1122334455667788ull;  // bytes ff 7f 02 80 7f ...
  ASSERT_EQ(h.call("u", {lo, hi}), RunStatus::Done);
  EXPECT_EQ(h.result(0), 0x0000007f000000ffull);
  EXPECT_EQ(h.result(1), 0x0000008000000002ull);
  ASSERT_EQ(h.call("s", {lo, hi}), RunStatus::Done);
  EXPECT_EQ(h.result(0), 0x0000007fffffffffull);
  EXPECT_EQ(h.result(1), 0xffffff8000000002ull);
  ASSERT_EQ(h.call("su", {lo, hi}), RunStatus::Done);  // i16 0xffff then zero-extended
  EXPECT_EQ(h.result(0), 0x0000007f0000ffffull);
  EXPECT_EQ(h.result(1), 0x0000ff8000000002ull);
  ASSERT_EQ(h.call("us", {lo, hi}), RunStatus::Done);  // i16 0x00ff then sign-extended: positive
  EXPECT_EQ(h.result(0), 0x0000007f000000ffull);
  EXPECT_EQ(h.result(1), 0x0000008000000002ull);
  ASSERT_EQ(h.call("tee", {lo, hi}), RunStatus::Done);
  EXPECT_EQ(h.result(0), 0x0000007f000000ffull);
  EXPECT_EQ(h.result(1), 0x0000008000000002ull);
  EXPECT_EQ(h.result(2), 0x00800002007f00ffull);  // the i16 lanes 00ff 007f 0002 0080 007f 0 0 0
  EXPECT_EQ(h.result(3), 0x000000000000007full);
  // The branch is taken: its value (the second parameter) is the one widened, from i16 lanes.
  ASSERT_EQ(h.call("label", {lo, hi, 0x00050004fffe8000ull, 0, 1}), RunStatus::Done);
  EXPECT_EQ(h.result(0), 0xfffffffeffff8000ull);
  EXPECT_EQ(h.result(1), 0x0000000500000004ull);
  ASSERT_EQ(h.call("label", {lo, hi, 0x00050004fffe8000ull, 0, 0}), RunStatus::Done);
  EXPECT_EQ(h.result(0), 0x0000007fffffffffull);
  EXPECT_EQ(h.result(1), 0xffffff8000000002ull);
  ASSERT_EQ(h.call("same_slot"), RunStatus::Done);
  EXPECT_EQ(h.result(0), 0x00000002ffffffffull);
  EXPECT_EQ(h.result(1), 0x0000007fffffff80ull);
}

}  // namespace
}  // namespace wasm_test
