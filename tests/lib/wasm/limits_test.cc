// Memory limits: everything a store allocates for its instances (linear memory, tables, function
// and global records, value and call stacks) is charged against StoreConfig::max_bytes and told
// to its MemoryAccount; a compilation is bounded by Compilation::set_memory_limit.
#include <string>

#include "wat_test_util.h"

namespace wasm_test {
namespace {

// An account that allows `limit` bytes and records what it holds.
class CountingAccount final : public MemoryAccount {
 public:
  explicit CountingAccount(u64 limit) : limit_(limit) {}
  bool charge(u64 bytes) override {
    if (held + bytes > limit_) return false;
    held += bytes;
    return true;
  }
  void uncharge(u64 bytes) override {
    EXPECT_GE(held, bytes);
    held -= bytes;
  }
  u64 held = 0;

 private:
  u64 limit_;
};

// grow(n): table.grow by n null elements; the old size or -1.
const char* kTableGrow = R"((module
  (memory 1)
  (table $t 0 funcref)
  (func (export "grow") (param i32) (result i32)
    (table.grow $t (ref.null func) (local.get 0)))
  (func (export "size") (result i32) (table.size $t))))";

TEST(Limits, TableGrowReturnsMinusOneOverTheStoreLimit) {
  StoreConfig config;
  config.max_bytes = 1 << 20;
  Harness h(text(kTableGrow), config);
  ASSERT_NE(h.instance, nullptr);
  u64 grown = 0;
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(h.call("grow", {1000}), RunStatus::Done);
    if (static_cast<i32>(h.result()) == -1) break;
    grown += 1000;
  }
  // About 1 MiB of 8-byte elements, less what the instance and its memory record take.
  EXPECT_GT(grown, 100000u);
  EXPECT_LT(grown, (1u << 20) / 8);
  EXPECT_LE(h.store().charged(), config.max_bytes);
  ASSERT_EQ(h.call("size"), RunStatus::Done);
  EXPECT_EQ(h.result(), grown);
  // At the limit even one more element is refused.
  // The room the last doubling left may take a few more single elements; then none.
  do ASSERT_EQ(h.call("grow", {1}), RunStatus::Done);
  while (static_cast<i32>(h.result()) != -1);
  ASSERT_EQ(h.call("grow", {1}), RunStatus::Done);
  EXPECT_EQ(static_cast<i32>(h.result()), -1);
}

TEST(Limits, TableGrowLoopOfSmallStepsStaysLinear) {
  // Without a store limit, 1,000,000 grows by one element complete (capacity doubles).
  Harness h(text(kTableGrow));
  ASSERT_NE(h.instance, nullptr);
  Execution& ex = h.start("grow", {1});
  ASSERT_EQ(ex.run(1 << 20), RunStatus::Done);
  for (int i = 0; i < 1000000; ++i) {
    ASSERT_EQ(h.store().grow_table(h.instance->tables[0], 1, 0), i + 1);
  }
  EXPECT_LE(h.instance->tables[0]->elems.capacity(), 2u * 1000001u);
  EXPECT_GE(h.store().charged(), allocation_cost(1000001 * 8));
}

TEST(Limits, OversizeTableFailsInstantiationWithLimit) {
  StoreConfig config;
  config.max_bytes = 16 << 20;
  MmapMemoryProvider provider;
  Store store(provider, config);
  auto m = compile(text("(module (memory 1) (table 10000000 funcref))"));
  ASSERT_TRUE(m.is_ok());
  auto inst = store.instantiate(*m.value(), {});
  ASSERT_TRUE(inst.is_error());
  EXPECT_EQ(inst.error().kind, InstantiateError::Kind::Limit);
  EXPECT_STREQ(inst.error().message, "table over the limit");
  EXPECT_LE(store.charged(), config.max_bytes);
  delete m.value();
}

TEST(Limits, ManyTablesFailInstantiationWithLimit) {
  std::string t = "(module";
  for (int i = 0; i < 100; ++i) t += " (table 100000 funcref)";
  t += ")";
  StoreConfig config;
  config.max_bytes = 8 << 20;
  MmapMemoryProvider provider;
  Store store(provider, config);
  auto m = compile(text(t));
  ASSERT_TRUE(m.is_ok());
  auto inst = store.instantiate(*m.value(), {});
  ASSERT_TRUE(inst.is_error());
  EXPECT_EQ(inst.error().kind, InstantiateError::Kind::Limit);
  EXPECT_LE(store.charged(), config.max_bytes);
  delete m.value();
}

TEST(Limits, MemoryGrowReturnsMinusOneOverTheStoreLimit) {
  StoreConfig config;
  config.max_bytes = 4 << 20;
  Harness h(text(R"((module (memory 1)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))"),
            config);
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("grow", {32}), RunStatus::Done);
  EXPECT_EQ(h.result(), 1u);  // 2 MiB + 64 KiB
  ASSERT_EQ(h.call("grow", {32}), RunStatus::Done);
  EXPECT_EQ(static_cast<i32>(h.result()), -1);  // 4 MiB + 64 KiB would not fit
  EXPECT_EQ(h.instance->memory->size, 33u * 65536);
  EXPECT_LE(h.store().charged(), config.max_bytes);
}

// f(n) recurses n deep with 64 locals per frame.
std::string deep_recursion() {
  std::string locals;
  for (int i = 0; i < 64; ++i) locals += " i64";
  return "(module (func $f (export \"f\") (param i32) (result i32) (local" + locals +
         ") (if (result i32) (local.get 0) (then (call $f (i32.sub (local.get 0) (i32.const 1)))) "
         "(else (i32.const 7)))))";
}

TEST(Limits, ValueStackIsChargedAndRecursionTrapsAtTheStoreLimit) {
  StoreConfig config;
  config.max_bytes = 2 << 20;
  config.max_call_depth = 1000000;
  Harness h(text(deep_recursion()), config);
  ASSERT_NE(h.instance, nullptr);
  u64 base = h.store().charged();
  ASSERT_EQ(h.call("f", {100}), RunStatus::Done);
  EXPECT_EQ(h.result(), 7u);
  EXPECT_GT(h.store().charged(), base);  // the execution's stacks
  ASSERT_EQ(h.call("f", {1000000}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::StackExhausted);
  EXPECT_LE(h.store().charged(), config.max_bytes);
  // A new execution (the old one deleted) starts from the base again.
  ASSERT_EQ(h.call("f", {10}), RunStatus::Done);
  EXPECT_LT(h.store().charged(), base + Execution::stack_cost(8192) + Execution::frames_cost(64));
}

TEST(Limits, CallDepthTrapsBeforeTheStackLimit) {
  StoreConfig config;
  config.max_call_depth = 500;
  Harness h(text(deep_recursion()), config);
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("f", {498}), RunStatus::Done);
  ASSERT_EQ(h.call("f", {600}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::StackExhausted);
}

TEST(Limits, AccountSeesEveryChargeAndCanRefuse) {
  CountingAccount account(3 << 20);
  {
    StoreConfig config;
    config.account = &account;
    Harness h(text(kTableGrow), config);
    ASSERT_NE(h.instance, nullptr);
    EXPECT_EQ(account.held, h.store().charged());
    for (;;) {
      ASSERT_EQ(h.call("grow", {10000}), RunStatus::Done);
      if (static_cast<i32>(h.result()) == -1) break;
    }
    EXPECT_LE(account.held, 3u << 20);
    EXPECT_GT(account.held, 1u << 20);
  }
  // The store gave everything back when it went.
  EXPECT_EQ(account.held, 0u);
}

TEST(Limits, InstanceRecordsAreCharged) {
  std::string t = "(module";
  for (int i = 0; i < 1000; ++i) t += " (func)";
  t += ")";
  auto m = compile(text(t));
  ASSERT_TRUE(m.is_ok());
  MmapMemoryProvider provider;
  {
    Store store(provider);
    ASSERT_TRUE(store.instantiate(*m.value(), {}).is_ok());
    EXPECT_GE(store.charged(), 1000 * allocation_cost(sizeof(FuncInst)));
  }
  StoreConfig config;
  config.max_bytes = 1000 * sizeof(FuncInst);
  Store store(provider, config);
  auto inst = store.instantiate(*m.value(), {});
  ASSERT_TRUE(inst.is_error());
  EXPECT_EQ(inst.error().kind, InstantiateError::Kind::Limit);
  delete m.value();
}

// `n` empty functions, as bytes (a text module that large would be slow to read).
Bytes empty_functions(u32 n) {
  Bytes m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  section(m, 1, {1, 0x60, 0, 0});
  Bytes funcs;
  leb(funcs, n);
  for (u32 i = 0; i < n; ++i) funcs.push_back(0);
  section(m, 3, funcs);
  Bytes code;
  leb(code, n);
  for (u32 i = 0; i < n; ++i) {
    code.push_back(2);
    code.push_back(0);
    code.push_back(0x0b);
  }
  section(m, 10, code);
  return m;
}

Result<Module*, CompileError> compile_limited(const Bytes& bytes, u64 limit, u64* used) {
  auto begun = Compilation::begin(Span<const u8>(bytes.data(), bytes.size()));
  if (begun.is_error()) return begun.error();
  Compilation* c = begun.value();
  c->set_memory_limit(limit);
  for (;;) {
    auto step = c->step(4096);
    if (step.is_error()) {
      *used = c->memory_used();
      CompileError e = step.error();
      delete c;
      return e;
    }
    if (step.value()) break;
  }
  *used = c->memory_used();
  Module* m = c->take();
  delete c;
  return m;
}

TEST(Limits, CompilationStopsAtItsMemoryLimit) {
  Bytes bytes = empty_functions(100000);
  u64 used = 0;
  auto r = compile_limited(bytes, 4 << 20, &used);
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error().kind, ErrorKind::Limit);
  EXPECT_STREQ(r.error().message, kOverMemoryLimit);
  EXPECT_LE(used, 4u << 20);
  // The same module compiles without a limit; what it holds is what the compilation counted,
  // less the compiler's own work stacks, and many times the module's size.
  auto m = compile_limited(bytes, ~u64{0}, &used);
  ASSERT_TRUE(m.is_ok());
  u64 footprint = m.value()->footprint();
  EXPECT_LE(footprint, used);
  EXPECT_GT(footprint, used / 2);
  EXPECT_GT(footprint, 20 * bytes.size());
  // The limit does not depend on the step size: one unbounded step fails the same way.
  auto begun = Compilation::begin(Span<const u8>(bytes.data(), bytes.size()));
  ASSERT_TRUE(begun.is_ok());
  begun.value()->set_memory_limit(footprint / 2);
  auto step = begun.value()->step(~u64{0});
  ASSERT_TRUE(step.is_error());
  EXPECT_STREQ(step.error().message, kOverMemoryLimit);
  delete begun.value();
  delete m.value();
}

TEST(Limits, CompilationLimitCoversUpFrontTables) {
  // A function section declaring 1,000,000 functions is refused before the function table is
  // allocated (it is one unit of work).
  Bytes m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  section(m, 1, {1, 0x60, 0, 0});
  Bytes funcs;
  leb(funcs, 1000000);
  for (u32 i = 0; i < 1000000; ++i) funcs.push_back(0);
  section(m, 3, funcs);
  u64 used = 0;
  auto r = compile_limited(m, 16 << 20, &used);
  ASSERT_TRUE(r.is_error());
  EXPECT_STREQ(r.error().message, kOverMemoryLimit);
  EXPECT_LE(used, 16u << 20);
}

}  // namespace
}  // namespace wasm_test
