// Tail calls (return_call, return_call_indirect): constant stack, fuel, across instances, to
// host functions (at once and completed later).
#include <string>

#include "wat_test_util.h"

namespace wasm_test {
namespace {

// loop(n, acc) = n == 0 ? acc : loop(n - 1, acc + 2), by `call_form` (return_call or call),
// and spin() = spin() by return_call (it never ends).
std::string counting_module(const char* call_form) {
  return std::string(
             "(module"
             "  (func $loop (export \"loop\") (param i64 i64) (result i64)"
             "    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))"
             "      (else (") +
         call_form +
         " $loop (i64.sub (local.get 0) (i64.const 1))"
         "                             (i64.add (local.get 1) (i64.const 2))))))"
         "  (func $spin (export \"spin\") (return_call $spin)))";
}

// A store with room for a few small frames only.
StoreConfig small_stacks() {
  StoreConfig config;
  config.initial_stack_slots = 16;
  config.max_stack_slots = 64;
  config.max_call_depth = 1000000;
  return config;
}

TEST(TailCall, TenMillionTailCallsRunInConstantStack) {
  Harness h(text(counting_module("return_call")), small_stacks());
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("loop", {10000000, 0}), RunStatus::Done);
  EXPECT_EQ(h.result(), 20000000u);
  EXPECT_EQ(h.ex().frame_capacity_, 0u);  // no call frame was ever pushed
  EXPECT_EQ(h.ex().stack_slots_, 16u);    // nor the value stack grown
}

TEST(TailCall, TheSameLoopWithPlainCallsExhaustsTheStack) {
  Harness plain(text(counting_module("call")), small_stacks());
  ASSERT_NE(plain.instance, nullptr);
  ASSERT_EQ(plain.call("loop", {10, 0}), RunStatus::Done);
  EXPECT_EQ(plain.result(), 20u);
  ASSERT_EQ(plain.call("loop", {10000000, 0}), RunStatus::Trap);
  EXPECT_EQ(plain.trap(), TrapKind::StackExhausted);
}

TEST(TailCall, AnEndlessTailCallLoopStopsOutOfFuelAndByInterrupt) {
  Harness h(text(counting_module("return_call")), small_stacks());
  ASSERT_NE(h.instance, nullptr);
  Execution& ex = h.start("spin");
  for (int i = 0; i < 5; ++i) ASSERT_EQ(ex.run(100000), RunStatus::OutOfFuel);
  ex.interrupt();
  EXPECT_EQ(ex.run(1 << 30), RunStatus::Interrupted);
  EXPECT_EQ(ex.frame_capacity_, 0u);
}

TEST(TailCall, FuelSlicesOfOneGiveTheSameResult) {
  Harness h(text(counting_module("return_call")), small_stacks());
  ASSERT_NE(h.instance, nullptr);
  Execution& ex = h.start("loop", {1000, 5});
  u32 slices = 0;
  RunStatus s;
  do {
    s = ex.run(1);
    ++slices;
  } while (s == RunStatus::OutOfFuel);
  ASSERT_EQ(s, RunStatus::Done);
  EXPECT_EQ(ex.results()[0], 2005u);
  EXPECT_GE(slices, 1000u);  // each tail call is charged a unit
}

// Frames of different sizes: $small (no locals) and $big (48 locals) call each other by tail
// calls; the value stack grows once to the larger frame, then stays.
TEST(TailCall, CalleesWithLargerFramesGrowTheValueStackOnce) {
  std::string locals;
  for (int i = 0; i < 48; ++i) locals += " i64";
  std::string m =
      "(module"
      "  (func $small (export \"small\") (param i64 i64) (result i64)"
      "    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))"
      "      (else (return_call $big (i64.sub (local.get 0) (i64.const 1)) (local.get 1)))))"
      "  (func $big (param i64 i64) (result i64) (local" +
      locals +
      ")"
      "    (local.set 40 (i64.add (local.get 1) (i64.const 3)))"
      "    (return_call $small (local.get 0) (local.get 40))))";
  StoreConfig config = small_stacks();
  config.max_stack_slots = 128;
  Harness h(text(m), config);
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("small", {1000000, 0}), RunStatus::Done);
  EXPECT_EQ(h.result(), 3000000u);
  EXPECT_EQ(h.ex().frame_capacity_, 0u);
  EXPECT_LE(h.ex().stack_slots_, 128u);
}

// Two instances with a memory each call each other by tail calls: B's dec(n, acc) is
// n == 0 ? acc : A's loop(n - 1, acc + B[0]) through a shared table (return_call_indirect),
// A's loop(n, acc) is dec(n, acc + A[0]) (return_call of an import). A's run(n) calls dec, so
// the chain of tail calls ends in B and returns to A, whose memory must be A's again.
struct TwoInstances {
  TwoInstances() : store(provider, small_stacks()) {
    TableType tt;
    tt.elem = ValType::FuncRef;
    tt.limits.min = 1;
    table = MUST(store.create_table(tt, 0));
    b_module = MUST(compile(text(
        "(module"
        "  (type $t (func (param i64 i64) (result i64)))"
        "  (import \"env\" \"table\" (table 1 funcref))"
        "  (memory 1) (data (i32.const 0) \"\\e8\\03\")"  // B[0] = 1000
        "  (func (export \"dec\") (type $t)"
        "    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))"
        "      (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1))"
        "               (i64.add (local.get 1) (i64.load16_u (i32.const 0))) (i32.const 0))))))")));
    Extern b_imports[] = {Extern::table(table)};
    b = MUST(store.instantiate(*b_module, Span<const Extern>(b_imports, 1)));
    a_module = MUST(compile(text(
        "(module"
        "  (type $t (func (param i64 i64) (result i64)))"
        "  (import \"env\" \"table\" (table 1 funcref))"
        "  (import \"b\" \"dec\" (func $dec (type $t)))"
        "  (memory 1) (data (i32.const 0) \"\\01\\00\\00\\00\\00\\00\\00\\00\\07\")"  // A[0] = 1
        "  (elem (i32.const 0) $loop)"
        "  (func $loop (type $t)"
        "    (return_call $dec (local.get 0) (i64.add (local.get 1) (i64.load8_u (i32.const 0)))))"
        "  (func (export \"run\") (param i64) (result i64)"
        "    (i64.add (call $dec (local.get 0) (i64.const 0)) (i64.load8_u (i32.const 8)))))")));
    Extern a_imports[] = {Extern::table(table), b->find_export("dec")};
    a = MUST(store.instantiate(*a_module, Span<const Extern>(a_imports, 2)));
  }
  ~TwoInstances() {
    delete a_module;
    delete b_module;
  }
  MmapMemoryProvider provider;
  Store store;
  Table* table = nullptr;
  Module* a_module = nullptr;
  Module* b_module = nullptr;
  Instance* a = nullptr;
  Instance* b = nullptr;
};

TEST(TailCall, AcrossInstancesInConstantStackWithEachInstancesMemory) {
  TwoInstances t;
  for (u64 n : {0, 1, 2, 1000000}) {
    Execution ex(t.store);
    u64 arg = n;
    ASSERT_TRUE(
        ex.start(static_cast<FuncInst*>(t.a->find_export("run").ptr), Span<const u64>(&arg, 1))
            .is_ok());
    RunStatus s;
    do s = ex.run(1000);  // slices: stopping anywhere changes nothing
    while (s == RunStatus::OutOfFuel);
    ASSERT_EQ(s, RunStatus::Done) << n;
    // Each round adds B[0] = 1000 in dec and A[0] = 1 in loop; run adds A[8] = 7.
    EXPECT_EQ(ex.results()[0], n * 1001 + 7) << n;
    EXPECT_LE(ex.frame_count_, 1u);
    EXPECT_EQ(ex.stack_slots_, 16u);
  }
}

// A module importing env.h : (i32) -> (i32): t(x) tail-calls h(x + 1), g(x) = t(x) * 10.
constexpr const char* kHostTail =
    "(module"
    "  (import \"env\" \"h\" (func $h (param i32) (result i32)))"
    "  (func $t (export \"t\") (param i32) (result i32)"
    "    (return_call $h (i32.add (local.get 0) (i32.const 1))))"
    "  (func (export \"g\") (param i32) (result i32)"
    "    (i32.mul (call $t (local.get 0)) (i32.const 10))))";

struct HostTail {
  explicit HostTail(HostFunction fn) : store(provider) {
    module = MUST(compile(text(kHostTail)));
    FuncType type;
    EXPECT_TRUE(type.types.try_push(ValType::I32).is_ok());
    EXPECT_TRUE(type.types.try_push(ValType::I32).is_ok());
    type.param_count = 1;
    type.result_count = 1;
    FuncInst* h = MUST(store.create_host_function(type, fn, this));
    Extern imports[] = {Extern::func(h)};
    instance = MUST(store.instantiate(*module, Span<const Extern>(imports, 1)));
  }
  ~HostTail() { delete module; }
  FuncInst* func(const char* name) {
    return static_cast<FuncInst*>(instance->find_export(name).ptr);
  }
  MmapMemoryProvider provider;
  Store store;
  Module* module = nullptr;
  Instance* instance = nullptr;
  int calls = 0;
};

HostStatus doubles(void* env, HostCall& c) {
  ++static_cast<HostTail*>(env)->calls;
  c.results[0] = c.args[0] * 2;
  return HostStatus::Ok;
}

TEST(TailCall, ToAHostFunctionReturnsItsResultsToTheCallersCaller) {
  HostTail h(doubles);
  Execution ex(h.store);
  u64 arg = 5;
  ASSERT_TRUE(ex.start(h.func("g"), Span<const u64>(&arg, 1)).is_ok());
  ASSERT_EQ(ex.run(100), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(ex.results()[0]), 120u);  // (5 + 1) * 2 * 10
  // Called directly, t has no caller: its results are the execution's.
  ASSERT_TRUE(ex.start(h.func("t"), Span<const u64>(&arg, 1)).is_ok());
  ASSERT_EQ(ex.run(100), RunStatus::Done);
  EXPECT_EQ(static_cast<u32>(ex.results()[0]), 12u);
  EXPECT_EQ(h.calls, 2);
}

TEST(TailCall, ToAHostFunctionThatCompletesLaterResumesInTheCallersCaller) {
  HostTail h([](void* env, HostCall&) {
    ++static_cast<HostTail*>(env)->calls;
    return HostStatus::Pending;
  });
  for (const char* entry : {"g", "t"}) {
    Execution ex(h.store);
    u64 arg = 5;
    ASSERT_TRUE(ex.start(h.func(entry), Span<const u64>(&arg, 1)).is_ok());
    ASSERT_EQ(ex.run(100), RunStatus::HostPending);
    EXPECT_EQ(ex.run(100), RunStatus::HostPending);  // still waiting: nothing runs
    EXPECT_EQ(ex.pending_call().args[0], 6u);
    ex.pending_call().results[0] = 100;
    ex.complete_host_call(HostStatus::Ok);
    ASSERT_EQ(ex.run(100), RunStatus::Done);
    EXPECT_EQ(static_cast<u32>(ex.results()[0]), entry[0] == 'g' ? 1000u : 100u);
  }
  EXPECT_EQ(h.calls, 2);
}

TEST(TailCall, CalleeResultsMustBeTheCallersAndANullElementTraps) {
  // The callee returns i64, the caller i32: invalid even though the operands are right.
  auto bad =
      compile(text("(module (func $f (param i32) (result i64) (i64.const 1))"
                   "  (func (param i32) (result i32) (return_call $f (local.get 0))))"));
  ASSERT_TRUE(bad.is_error());
  EXPECT_EQ(bad.error().kind, ErrorKind::Invalid);
  // return_call_indirect of a null element traps in the caller, at the instruction.
  Harness h(
      text("(module (type $v (func)) (table 2 funcref)"
           "  (func (export \"f\") (return_call_indirect (type $v) (i32.const 1))))"));
  ASSERT_NE(h.instance, nullptr);
  ASSERT_EQ(h.call("f"), RunStatus::Trap);
  EXPECT_EQ(h.trap(), TrapKind::UninitializedElement);
}

}  // namespace
}  // namespace wasm_test
