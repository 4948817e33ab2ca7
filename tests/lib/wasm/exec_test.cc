// Execution: fuel, interruption, suspension and resumption, stacks, host calls, trap locations.
#include <algorithm>
#include <thread>

#include "wasm_test_util.h"

namespace wasm_test {
namespace {

// f(n): counts a local up to n in a loop and returns it.
Bytes counting_loop() {
  Bytes body = {0x03, 0x40, 0x20, 1, 0x41, 1, 0x6a, 0x22, 1, 0x20, 0, 0x49, 0x0d, 0, 0x0b, 0x20, 1};
  return build({Fn{{kI32}, {kI32}, body, {kI32}, "f"}});
}

// f(n) = n == 0 ? 0 : f(n - 1) + 1
Bytes recursion() {
  Bytes body = {0x20, 0, 0x45, 0x04, 0x7f, 0x41, 0, 0x05, 0x20, 0,
                0x41, 1, 0x6b, 0x10, 0,    0x41, 1, 0x6a, 0x0b};
  return build({Fn{{kI32}, {kI32}, body, {}, "f"}});
}

TEST(Execution, EndlessLoopStopsOutOfFuel) {
  Harness h(build({Fn{{}, {}, {0x03, 0x40, 0x0c, 0, 0x0b}, {}, "f"}}));
  Execution& ex = h.start("f");
  EXPECT_EQ(ex.run(1000), RunStatus::OutOfFuel);
  EXPECT_EQ(ex.run(1000), RunStatus::OutOfFuel);  // and can go on
}

TEST(Execution, FuelSlicesOfOneGiveTheSameResult) {
  Harness h(counting_loop());
  Execution& ex = h.start("f", {1000});
  u32 slices = 0;
  RunStatus s;
  do {
    s = ex.run(1);
    ++slices;
  } while (s == RunStatus::OutOfFuel);
  ASSERT_EQ(s, RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(ex.results()[0]), 1000u);
  EXPECT_GE(slices, 1000u);
}

TEST(Execution, ResumesOnAnotherThread) {
  Harness h(recursion());
  Execution& ex = h.start("f", {300});
  RunStatus s = RunStatus::OutOfFuel;
  int round = 0;
  while (s == RunStatus::OutOfFuel) {
    std::thread t([&] { s = ex.run(7 + round % 5); });
    t.join();
    ++round;
  }
  ASSERT_EQ(s, RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(ex.results()[0]), 300u);
  EXPECT_GT(round, 10);
}

TEST(Execution, InterruptStopsAtTheNextCheckAndResumes) {
  Harness h(counting_loop());
  Execution& ex = h.start("f", {50});
  ex.interrupt();
  EXPECT_EQ(ex.run(1 << 20), RunStatus::Interrupted);
  EXPECT_EQ(ex.run(1 << 20), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(ex.results()[0]), 50u);
}

TEST(Execution, DeepGuestRecursionGrowsTheValueStack) {
  StoreConfig config;
  config.initial_stack_slots = 16;
  config.max_call_depth = 100000;
  Harness h(recursion(), config);
  ASSERT_EQ(h.call("f", {20000}), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(h.result()), 20000u);
  EXPECT_GT(h.ex().stack_slots_, 16u);
}

TEST(Execution, UnboundedRecursionTrapsCallStackExhausted) {
  StoreConfig config;
  config.max_call_depth = 1000;
  Harness h(build({Fn{{}, {}, {0x10, 0}, {}, "f"}}), config);
  ASSERT_EQ(h.call("f"), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::StackExhausted);
  EXPECT_STREQ(trap_message(h.trap()), "call stack exhausted");
}

TEST(Execution, TrapNamesFunctionAndWasmOffset) {
  Bytes m = build({Fn{{}, {}, {}, {}, "a"}, Fn{{}, {}, {0x01, 0x01, 0x00}, {}, "b"}});
  Harness h(m);
  ASSERT_EQ(h.call("b"), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::Unreachable);
  u32 func = 99, offset = 0;
  ASSERT_TRUE(h.ex().trap_location(&func, &offset));
  EXPECT_EQ(func, 1u);
  Bytes pattern = {0x01, 0x01, 0x00};
  auto it = std::search(m.begin(), m.end(), pattern.begin(), pattern.end());
  EXPECT_EQ(offset, static_cast<u32>(it - m.begin()) + 2);
}

TEST(Execution, MemoryFillOutOfBoundsTrapsWithoutWriting) {
  // memory.fill(dst=local0, val=0xaa, n=local1)
  Bytes body = {0x20, 0, 0x41, 0x2a, 0x20, 1, 0xfc, 0x0b, 0x00};
  Harness h(build({Fn{{kI32, kI32}, {}, body, {}, "fill"}}, 1));
  ASSERT_EQ(h.call("fill", {65000, 1000}), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::MemoryOutOfBounds);
  Memory* mem = h.instance->memory;
  EXPECT_EQ(mem->base[65000], 0);
  ASSERT_EQ(h.call("fill", {65000, 536}), RunStatus::Done);
  EXPECT_EQ(mem->base[65535], 0x2a);
}

// A module importing env.f : (i32) -> i32 and exporting g(x) = f(x) + 1.
Bytes importing_module() {
  return {0x00, 0x61, 0x73, 0x6d, 1,    0,    0,    0,   0x01, 6,   1,    0x60, 1,
          0x7f, 1,    0x7f, 0x02, 9,    1,    3,    'e', 'n',  'v', 1,    'f',  0,
          0,    0x03, 2,    1,    0,    0x07, 5,    1,   1,    'g', 0,    1,    0x0a,
          11,   1,    9,    0,    0x20, 0,    0x10, 0,   0x41, 1,   0x6a, 0x0b};
}

struct HostHarness {
  explicit HostHarness(HostFunction fn) : store(provider) {
    auto m = compile(importing_module());
    EXPECT_TRUE(m.is_ok());
    module = m.value();
    FuncType t;
    EXPECT_TRUE(t.types.try_push(ValType::I32).is_ok());
    EXPECT_TRUE(t.types.try_push(ValType::I32).is_ok());
    t.param_count = 1;
    t.result_count = 1;
    FuncInst* f = MUST(store.create_host_function(t, fn, this));
    Extern imports[] = {Extern::func(f)};
    auto inst = store.instantiate(*module, Span<const Extern>(imports, 1));
    EXPECT_TRUE(inst.is_ok());
    g = static_cast<FuncInst*>(inst.value()->find_export("g").ptr);
  }
  ~HostHarness() { delete module; }
  MmapMemoryProvider provider;
  Store store;
  Module* module = nullptr;
  FuncInst* g = nullptr;
  int calls = 0;
};

TEST(HostCalls, OkReturnsResults) {
  HostHarness h([](void* env, HostCall& c) {
    ++static_cast<HostHarness*>(env)->calls;
    c.results[0] = c.args[0] * 2;
    return HostStatus::Ok;
  });
  Execution ex(h.store);
  u64 arg = 20;
  ASSERT_TRUE(ex.start(h.g, Span<const u64>(&arg, 1)).is_ok());
  ASSERT_EQ(ex.run(100), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(ex.results()[0]), 41u);
}

TEST(HostCalls, PendingCallCompletesLaterAndResumesThere) {
  HostHarness h([](void* env, HostCall&) {
    ++static_cast<HostHarness*>(env)->calls;
    return HostStatus::Pending;
  });
  Execution ex(h.store);
  u64 arg = 5;
  ASSERT_TRUE(ex.start(h.g, Span<const u64>(&arg, 1)).is_ok());
  ASSERT_EQ(ex.run(100), RunStatus::HostPending);
  EXPECT_EQ(ex.run(100), RunStatus::HostPending);  // still waiting: nothing runs
  EXPECT_EQ(h.calls, 1);
  EXPECT_EQ(ex.pending_call().args[0], 5u);
  ex.pending_call().results[0] = 100;
  ex.complete_host_call(HostStatus::Ok);
  ASSERT_EQ(ex.run(100), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(ex.results()[0]), 101u);
  EXPECT_EQ(h.calls, 1);
}

TEST(HostCalls, TrapAndExitStopTheExecution) {
  HostHarness t([](void*, HostCall&) { return HostStatus::Trap; });
  Execution ex(t.store);
  u64 arg = 1;
  ASSERT_TRUE(ex.start(t.g, Span<const u64>(&arg, 1)).is_ok());
  EXPECT_EQ(ex.run(100), RunStatus::Trap);
  EXPECT_EQ(ex.trap(), TrapKind::HostTrap);

  HostHarness e([](void*, HostCall& c) {
    c.exit_code = 3;
    return HostStatus::Exit;
  });
  Execution ex2(e.store);
  ASSERT_TRUE(ex2.start(e.g, Span<const u64>(&arg, 1)).is_ok());
  EXPECT_EQ(ex2.run(100), RunStatus::Exit);
  EXPECT_EQ(ex2.exit_code(), 3u);
}

TEST(Instantiate, WrongImportTypeIsUnlinkable) {
  MmapMemoryProvider provider;
  Store store(provider);
  Module* m = MUST(compile(importing_module()));
  FuncType t;  // () -> ()
  FuncInst* f =
      MUST(store.create_host_function(t, [](void*, HostCall&) { return HostStatus::Ok; }, nullptr));
  Extern imports[] = {Extern::func(f)};
  auto inst = store.instantiate(*m, Span<const Extern>(imports, 1));
  ASSERT_TRUE(inst.is_error());
  EXPECT_EQ(inst.error().kind, InstantiateError::Kind::Unlinkable);
  delete m;
}

}  // namespace
}  // namespace wasm_test

namespace wasm_test {
namespace {

// fill(dst, val, n) then copy(dst, src, n) on 32 pages, in fuel slices: the bulk operations stop
// between chunks and resume with the same result as one run.
TEST(Execution, LargeMemoryFillAndCopyStopBetweenChunksAndResume) {
  Bytes fill = {0x20, 0, 0x20, 1, 0x20, 2, 0xfc, 0x0b, 0x00};
  Bytes copy = {0x20, 0, 0x20, 1, 0x20, 2, 0xfc, 0x0a, 0x00, 0x00};
  Harness h(build(
      {Fn{{kI32, kI32, kI32}, {}, fill, {}, "fill"}, Fn{{kI32, kI32, kI32}, {}, copy, {}, "copy"}},
      32));
  Execution& ex = h.start("fill", {1000, 0x5a, 1500000});
  u32 slices = 0;
  RunStatus s;
  do {
    s = ex.run(100);
    ++slices;
  } while (s == RunStatus::OutOfFuel);
  ASSERT_EQ(s, RunStatus::Done);
  EXPECT_GT(slices, 10u);  // 1.5 MB is 23 chunks of 64 KiB, 1024 fuel units each
  u8* mem = h.instance->memory->base;
  EXPECT_EQ(mem[999], 0);
  EXPECT_EQ(mem[1000], 0x5a);
  EXPECT_EQ(mem[1000 + 1500000 - 1], 0x5a);
  EXPECT_EQ(mem[1000 + 1500000], 0);
  for (u32 i = 0; i < 2000000; ++i) mem[i] = static_cast<u8>(i * 7);
  // Overlapping, backwards (dst > src): must behave like memmove.
  Execution& ex2 = h.start("copy", {300000, 100, 1200000});
  do s = ex2.run(50);
  while (s == RunStatus::OutOfFuel);
  ASSERT_EQ(s, RunStatus::Done);
  for (u32 i = 0; i < 1200000; i += 4099)
    ASSERT_EQ(mem[300000 + i], static_cast<u8>((100 + i) * 7)) << i;
}

}  // namespace
}  // namespace wasm_test
