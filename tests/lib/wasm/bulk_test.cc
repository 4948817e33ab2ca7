// Bulk instructions (memory.fill/copy/init, table.fill/copy/init/grow) work in chunks: fuel is
// charged in proportion to the bytes or elements, the execution can stop (out of fuel,
// interrupted) between chunks and resume there, and the result is the same as at once. The
// bounds are checked before the first chunk: out of bounds writes nothing.
#include <cstring>
#include <string>

#include "wat_test_util.h"

namespace wasm_test {
namespace {

// Runs `name` to the end in slices of `slice` fuel; returns the number of slices.
u32 run_in_slices(Harness& h, const char* name, std::vector<u64> args, i64 slice,
                  RunStatus expected = RunStatus::Done) {
  Execution& ex = h.start(name, args);
  u32 slices = 0;
  RunStatus s;
  do {
    s = ex.run(slice);
    ++slices;
  } while (s == RunStatus::OutOfFuel);
  EXPECT_EQ(s, expected) << name;
  return slices;
}

// The table's words as they are.
std::vector<u64> words(Harness& h) {
  const Vector<u64>& e = h.instance->tables[0]->elems;
  return std::vector<u64>(e.data(), e.data() + e.size());
}
// The table as function indexes + 1 (0 for null), comparable across stores.
std::vector<u64> elems(Harness& h) {
  std::vector<u64> out = words(h);
  for (u64& v : out)
    if (v != 0) v = reinterpret_cast<const FuncInst*>(v)->index + 1;
  return out;
}

// Two functions $f $g, a table of `size` funcrefs, and the exports below.
std::string table_module(u32 size, const std::string& extra = "") {
  return "(module (func $f) (func $g) (table " + std::to_string(size) +
         " funcref) (elem declare func $f $g)" + extra +
         " (func (export \"fill\") (param $i i32) (param $n i32) (result i32)"
         "  local.get $i ref.func $f local.get $n table.fill 0 local.get $i local.get $n i32.add)"
         " (func (export \"copy\") (param $d i32) (param $s i32) (param $n i32)"
         "  local.get $d local.get $s local.get $n table.copy)"
         " (func (export \"grow\") (param $n i32) (result i32)"
         "  ref.func $g local.get $n table.grow 0)"
         " (func (export \"grow_null\") (param $n i32) (result i32)"
         "  ref.null func local.get $n table.grow 0))";
}

TEST(Bulk, HugeTableFillInFuelSlicesOfOneEqualsAtOnce) {
  Harness once(text(table_module(1000000)));
  Harness sliced(text(table_module(1000000)));
  ASSERT_EQ(once.call("fill", {50000, 900000}), RunStatus::Done);
  EXPECT_EQ(once.result(), 950000u);
  u32 slices = run_in_slices(sliced, "fill", {50000, 900000}, 1);
  EXPECT_EQ(slices, 110u);  // one chunk of 8,192 elements (128 units) per slice
  EXPECT_EQ(sliced.result(), 950000u);
  std::vector<u64> a = elems(once), b = elems(sliced);
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a[49999], 0u);
  EXPECT_EQ(a[50000], 1u);  // $f
  EXPECT_EQ(a[949999], 1u);
  EXPECT_EQ(a[950000], 0u);
}

TEST(Bulk, FuelIsChargedPerSixtyFourElementsOrBytes) {
  Harness h(text(table_module(1000000)));
  Execution& ex = h.start("fill", {0, 900000});
  ASSERT_EQ(ex.run(1000000), RunStatus::Done);
  EXPECT_EQ(ex.fuel_left(), 1000000 - 900000 / 64);
  Harness mem(
      text("(module (memory 20) (func (export \"f\") (param i32 i32 i32)"
           " local.get 0 local.get 1 local.get 2 memory.fill))"));
  Execution& ex2 = mem.start("f", {10, 7, 1200000});
  ASSERT_EQ(ex2.run(1000000), RunStatus::Done);
  EXPECT_EQ(ex2.fuel_left(), 1000000 - 1200000 / 64);
}

TEST(Bulk, InterruptStopsBetweenChunksAndResumes) {
  Harness h(text(table_module(1000000)));
  Execution& ex = h.start("fill", {0, 1000000});
  ex.interrupt();
  ASSERT_EQ(ex.run(1 << 30), RunStatus::Interrupted);
  const Vector<u64>& e = h.instance->tables[0]->elems;
  EXPECT_NE(e[0], 0u);       // the first chunk is done
  EXPECT_EQ(e[999999], 0u);  // the last is not
  ASSERT_EQ(ex.run(1 << 30), RunStatus::Done);
  EXPECT_EQ(e[999999], e[0]);
  EXPECT_EQ(ex.results()[0], 1000000u);
}

TEST(Bulk, OutOfBoundsWritesNothing) {
  Harness h(text(table_module(1000000)));
  ASSERT_EQ(h.call("fill", {100, 999901}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::TableOutOfBounds);
  for (u64 v : elems(h)) ASSERT_EQ(v, 0u);
  ASSERT_EQ(h.call("copy", {0, 1, 999999}), RunStatus::Done);
  ASSERT_EQ(h.call("copy", {1, 0, 1000000}), RunStatus::Trap);
}

TEST(Bulk, TableCopyBothWaysInSlicesIsAMemmove) {
  for (bool backwards : {false, true}) {
    Harness once(text(table_module(300000)));
    Harness sliced(text(table_module(300000)));
    for (Harness* h : {&once, &sliced}) {
      Vector<u64>& e = h->instance->tables[0]->elems;
      for (u64 i = 0; i < e.size(); ++i) e[i] = i + 1;  // words only copied, never called
    }
    std::vector<u64> args =
        backwards ? std::vector<u64>{1000, 0, 250000} : std::vector<u64>{0, 1000, 250000};
    ASSERT_EQ(once.call("copy", args), RunStatus::Done);
    EXPECT_GT(run_in_slices(sliced, "copy", args, 1), 10u);
    std::vector<u64> expected(300000);
    for (u64 i = 0; i < expected.size(); ++i) expected[i] = i + 1;
    std::memmove(expected.data() + args[0], expected.data() + args[1], args[2] * sizeof(u64));
    EXPECT_TRUE(words(once) == expected) << backwards;
    EXPECT_TRUE(words(sliced) == expected) << backwards;
  }
}

TEST(Bulk, TableGrowWithAValueInSlicesEqualsAtOnce) {
  Harness once(text(table_module(10)));
  Harness sliced(text(table_module(10)));
  ASSERT_EQ(once.call("grow", {2000000}), RunStatus::Done);
  EXPECT_EQ(once.result(), 10u);
  EXPECT_GT(run_in_slices(sliced, "grow", {2000000}, 1), 100u);
  EXPECT_EQ(sliced.result(), 10u);
  std::vector<u64> a = elems(once), b = elems(sliced);
  ASSERT_EQ(a.size(), 2000010u);
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a[9], 0u);
  EXPECT_EQ(a[10], 2u);  // $g
  EXPECT_EQ(a[2000009], 2u);
  // With null, and past the maximum.
  ASSERT_EQ(run_in_slices(sliced, "grow_null", {5}, 1), 1u);
  EXPECT_EQ(sliced.result(), 2000010u);
  EXPECT_EQ(elems(sliced).back(), 0u);
  ASSERT_EQ(sliced.call("grow", {0xffffffffu}), RunStatus::Done);
  EXPECT_EQ(sliced.result(), 0xffffffffu);
}

TEST(Bulk, TableInitAndMemoryInitInSlicesEqualAtOnce) {
  std::string funcs, bytes;
  for (u32 i = 0; i < 30000; ++i) funcs += i % 3 ? " $f" : " $g";
  const char* hex = "0123456789abcdef";
  for (u32 i = 0; i < 300000; ++i) {
    u8 b = static_cast<u8>(i * 7 + (i >> 9));
    bytes += '\\';
    bytes += hex[b >> 4];
    bytes += hex[b & 15];
  }
  std::string m =
      "(module (func $f) (func $g) (table 40000 funcref) (memory 8)"
      " (elem $e func" +
      funcs + ") (data $d \"" + bytes +
      "\")"
      " (func (export \"init\") i32.const 7 i32.const 100 i32.const 29000 table.init $e"
      "  i32.const 5 i32.const 3 i32.const 299990 memory.init $d))";
  Harness once(text(m));
  Harness sliced(text(m));
  ASSERT_EQ(once.call("init"), RunStatus::Done);
  EXPECT_GT(run_in_slices(sliced, "init", {}, 1), 5u);
  EXPECT_TRUE(elems(once) == elems(sliced));
  std::vector<u64> t = elems(once);
  EXPECT_EQ(t[6], 0u);
  EXPECT_EQ(t[7], 1u);      // segment element 100: $f
  EXPECT_EQ(t[9], 2u);      // element 102: $g
  EXPECT_EQ(t[29006], 1u);  // element 29099
  EXPECT_EQ(t[29007], 0u);
  u8* a = once.instance->memory->base;
  u8* b = sliced.instance->memory->base;
  EXPECT_EQ(std::memcmp(a, b, 8 * 65536), 0);
  for (u32 i = 0; i < 299990; i += 997)
    ASSERT_EQ(a[5 + i], static_cast<u8>((i + 3) * 7 + ((i + 3) >> 9))) << i;
  EXPECT_EQ(a[5 + 299990], 0);
}

}  // namespace
}  // namespace wasm_test
