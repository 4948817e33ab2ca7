// Extended constant expressions: i32/i64 add, sub and mul in global initialisers, segment
// offsets and element expressions, typed on a stack, evaluated at instantiation (wrapping).
#include <string>

#include "wat_test_util.h"

namespace wasm_test {
namespace {

// A module importing env.g (an immutable i32 global) with the given fields.
struct Importing {
  explicit Importing(const std::string& fields, u64 g_value = 0) : store(provider) {
    auto m = compile(text("(module (import \"env\" \"g\" (global i32)) " + fields + ")"));
    if (m.is_error()) {
      error = m.error();
      return;
    }
    module = m.value();
    GlobalType type;
    type.type = ValType::I32;
    Global* g = MUST(store.create_global(type, g_value));
    Extern imports[] = {Extern::global(g)};
    auto inst = store.instantiate(*module, Span<const Extern>(imports, 1));
    if (inst.is_ok())
      instance = inst.value();
    else
      instantiate_error = inst.error();
  }
  ~Importing() { delete module; }
  u64 global(const char* name) {
    return static_cast<Global*>(instance->find_export(name).ptr)->value;
  }
  MmapMemoryProvider provider;
  Store store;
  Module* module = nullptr;
  Instance* instance = nullptr;
  CompileError error{};
  InstantiateError instantiate_error{};
};

TEST(ExtendedConst, GlobalsAreComputedAtInstantiationAndWrap) {
  Importing m(
      "(global (export \"a\") i32 (i32.add (global.get 0) (i32.mul (i32.const 3) (i32.const 4))))"
      "(global (export \"b\") i32 (i32.sub (i32.const 0) (i32.const 1)))"
      "(global (export \"c\") i32 (i32.mul (i32.const 0x10000) (i32.const 0x10001)))"
      "(global (export \"d\") i64 (i64.mul (i64.const 0x100000000) (i64.const 0x100000001)))"
      "(global (export \"e\") i64 (i64.sub (i64.add (i64.const 5) (i64.const -7)) (i64.const 1)))",
      30);
  ASSERT_NE(m.instance, nullptr);
  EXPECT_EQ(m.global("a"), 42u);
  EXPECT_EQ(m.global("b"), 0xffffffffu);  // an i32 as in a slot: zero-extended
  EXPECT_EQ(m.global("c"), 0x10000u);
  EXPECT_EQ(m.global("d"), 0x100000000u);
  EXPECT_EQ(m.global("e"), static_cast<u64>(-3));
  EXPECT_GE(m.module->const_depth, 2u);
}

TEST(ExtendedConst, SegmentOffsetsMayBeComputed) {
  Importing m(
      "(memory (export \"m\") 1) (data (i32.add (global.get 0) (i32.const 4)) \"\\2a\")"
      "(table (export \"t\") 10 funcref) (func $f)"
      "(elem (i32.sub (global.get 0) (i32.const 1)) $f)",
      6);
  ASSERT_NE(m.instance, nullptr);
  EXPECT_EQ(static_cast<Memory*>(m.instance->find_export("m").ptr)->base[10], 0x2a);
  Table* t = static_cast<Table*>(m.instance->find_export("t").ptr);
  EXPECT_EQ(t->elems[5], reinterpret_cast<u64>(m.instance->funcs[0]));
  EXPECT_EQ(t->elems[4], 0u);
}

TEST(ExtendedConst, AnOffsetThatWrapsIsOutOfBounds) {
  // 0 - 1 is 0xffffffff: the segment does not fit (no wrap back to a small offset).
  Importing m("(memory 1) (data (i32.sub (global.get 0) (i32.const 1)) \"\\2a\")", 0);
  ASSERT_EQ(m.instance, nullptr);
  EXPECT_EQ(m.instantiate_error.kind, InstantiateError::Kind::Trap);
  EXPECT_EQ(m.instantiate_error.trap, TrapKind::MemoryOutOfBounds);
}

TEST(ExtendedConst, ValidationTypesTheOperandStack) {
  const char* invalid[] = {
      "(global i32 (i32.add (i32.const 1)))",                              // one operand
      "(global i32 (i32.add (i64.const 1) (i64.const 2)))",                // operand types
      "(global i64 (i32.add (i32.const 1) (i32.const 2)))",                // result type
      "(global i32 (i32.const 1) (i32.const 2) (i32.add) (i32.const 3))",  // two values
      "(global i32 (i32.div_s (i32.const 1) (i32.const 2)))",              // not constant
      "(global i32 (i32.add (global.get 0) (f32.const 1)))",               // mixed
      "(memory 1) (data (i64.add (i64.const 1) (i64.const 2)) \"\")",      // offset type
      "(table 1 funcref) (elem funcref (item (i32.add (i32.const 1) (i32.const 2))))",  // item
  };
  for (const char* fields : invalid) {
    Importing m(fields);
    EXPECT_EQ(m.module, nullptr) << fields;
    EXPECT_EQ(m.error.kind, ErrorKind::Invalid) << fields;
  }
}

// A global initialised by `n` + 1 constants followed by `n` adds: an operand stack of n + 1,
// read in a loop (no recursion per operator) and evaluated with a stack of that depth.
Bytes deep_global(u32 n) {
  Bytes expr;
  for (u32 i = 0; i <= n; ++i) expr.insert(expr.end(), {0x41, 0x01});
  for (u32 i = 0; i < n; ++i) expr.push_back(0x6a);
  expr.push_back(0x0b);
  Bytes globals = {1, kI32, 0};
  globals.insert(globals.end(), expr.begin(), expr.end());
  Bytes exports = {1, 1, 'g', 3, 0};
  Bytes m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  section(m, 6, globals);
  section(m, 7, exports);
  return m;
}

TEST(ExtendedConst, AHundredThousandOperandsDeepInConstantCStack) {
  Harness h(deep_global(100000));
  ASSERT_NE(h.instance, nullptr);
  Global* g = static_cast<Global*>(h.instance->find_export("g").ptr);
  EXPECT_EQ(g->value, 100001u);
}

}  // namespace
}  // namespace wasm_test
