// The translator's peephole and aliasing rules (compile.cc): a Const read as the next immediate,
// a result retargeted into a local by local.set/tee, a comparison fused into br_if/if, and
// local.get entries that alias their local on the operand stack. The first three describe the
// instruction emitted last and must end wherever that instruction stops being the top of the
// stack (a pop without code, a label); an alias must get a slot of its own before its local is
// written. Each test is a sequence that a stale rule miscompiles, with the value the
// specification gives; every one runs at once, in fuel slices of 1, and with host calls that
// complete later.
#include <string>

#include "wat_test_util.h"

namespace wasm_test {
namespace {

enum class Mode { AtOnce, FuelSlicesOfOne, HostCallsPending };

// A module whose imports are all env functions (i32...) -> (i32?) answering 2 * arg0 + 1; runs
// the export "f".
class Runner {
 public:
  explicit Runner(const std::string& module_text) : store_(provider_) {
    auto m = compile(text(module_text));
    EXPECT_TRUE(m.is_ok()) << module_text << ": " << (m.is_error() ? m.error().message : "");
    if (m.is_error()) return;
    module_ = m.value();
    std::vector<Extern> imports;
    for (const Import& im : module_->imports) {
      EXPECT_EQ(im.kind, ExternKind::Func);
      FuncInst* f = MUST(store_.create_host_function(module_->types[im.func_type], host, this));
      imports.push_back(Extern::func(f));
    }
    auto inst = store_.instantiate(*module_, Span<const Extern>(imports.data(), imports.size()));
    EXPECT_TRUE(inst.is_ok());
    if (inst.is_ok()) instance_ = inst.value();
  }
  ~Runner() { delete module_; }

  // f(args) in `mode`: the first result (0 if none), or ~0 when it did not end with Done.
  u64 run(std::vector<u64> args, Mode mode) {
    if (instance_ == nullptr) return ~u64{0};
    mode_ = mode;
    Execution ex(store_);
    auto* f = static_cast<FuncInst*>(instance_->find_export("f").ptr);
    EXPECT_NE(f, nullptr);
    if (f == nullptr || ex.start(f, Span<const u64>(args.data(), args.size())).is_error())
      return ~u64{0};
    i64 slice = mode == Mode::AtOnce ? (i64{1} << 40) : 1;
    RunStatus s;
    for (;;) {
      s = ex.run(slice);
      if (s == RunStatus::OutOfFuel) continue;
      if (s != RunStatus::HostPending) break;
      HostCall& c = ex.pending_call();
      answer(c);
      ex.complete_host_call(HostStatus::Ok);
    }
    EXPECT_EQ(s, RunStatus::Done) << run_status_name(s) << ": " << trap_message(ex.trap());
    if (s != RunStatus::Done) return ~u64{0};
    return ex.results().size() > 0 ? ex.results()[0] : 0;
  }
  Memory* memory() { return instance_->memory; }

 private:
  static void answer(HostCall& c) {
    if (c.results.size() > 0) c.results[0] = static_cast<u32>(2 * c.args[0] + 1);
  }
  static HostStatus host(void* env, HostCall& c) {
    if (static_cast<Runner*>(env)->mode_ == Mode::HostCallsPending) return HostStatus::Pending;
    answer(c);
    return HostStatus::Ok;
  }

  MmapMemoryProvider provider_;
  Store store_;
  Module* module_ = nullptr;
  Instance* instance_ = nullptr;
  Mode mode_ = Mode::AtOnce;
};

constexpr Mode kModes[] = {Mode::AtOnce, Mode::FuelSlicesOfOne, Mode::HostCallsPending};

// A module around `f`: $dbl (x -> 2x), an imported $host (x -> 2x + 1), a table holding $dbl, a
// mutable global $g = 5, a funcref global $fg = $dbl, one page of memory with 5 at address 0.
std::string module(const std::string& sig, const std::string& body) {
  return "(module (type $t (func (param i32) (result i32)))"
         " (import \"env\" \"host\" (func $host (param i32) (result i32)))"
         " (func $dbl (param i32) (result i32) local.get 0 i32.const 2 i32.mul)"
         " (table 1 funcref) (elem (i32.const 0) $dbl)"
         " (global $g (mut i32) (i32.const 5)) (global $fg funcref (ref.func $dbl))"
         " (memory 1) (data (i32.const 0) \"\\05\")"
         " (func (export \"f\") " +
         sig + "\n" + body + "))";
}

// Checks f(args) == expected in every mode, each on a fresh instance.
void expect_f(const std::string& sig, const std::string& body, std::vector<u64> args,
              u64 expected) {
  for (Mode m : kModes) {
    Runner r(module(sig, body));
    EXPECT_EQ(r.run(args, m), expected) << "mode " << static_cast<int>(m) << ": " << body;
  }
}

u64 i32v(i32 v) { return static_cast<u32>(v); }

// ---------------------------------------------------------------- a Const as the next immediate

TEST(PeepholeConstant, DropEndsIt) {
  expect_f("(result i32)", "i32.const 100 i32.const 20 i32.const 7 drop i32.add", {}, 120);
}

TEST(PeepholeConstant, SelectEndsIt) {
  // The select's condition (a Const 0) is not the add's immediate: 100 + select(1, 2, 0).
  expect_f("(result i32)", "i32.const 100 i32.const 1 i32.const 2 i32.const 0 select i32.add", {},
           102);
}

TEST(PeepholeConstant, BlockEndEndsItForTheBranchThatArrivesThere) {
  std::string body =
      "i32.const 100 (block (result i32) i32.const 20 local.get $c br_if 0 drop i32.const 7) "
      "i32.add";
  expect_f("(param $c i32) (result i32)", body, {1}, 120);
  expect_f("(param $c i32) (result i32)", body, {0}, 107);
}

TEST(PeepholeConstant, IfElseEndEndsIt) {
  std::string body =
      "i32.const 100 local.get $c (if (result i32) (then i32.const 20) (else i32.const 7)) "
      "i32.add";
  expect_f("(param $c i32) (result i32)", body, {1}, 120);
  expect_f("(param $c i32) (result i32)", body, {0}, 107);
}

TEST(PeepholeConstant, IfWithoutElseEndEndsIt) {
  // Without else the parameter passes through: the then arm's Const is not the value at the end.
  std::string body =
      "i32.const 100 i32.const 7 local.get $c (if (param i32) (result i32) (then drop i32.const "
      "20)) i32.add";
  expect_f("(param $c i32) (result i32)", body, {1}, 120);
  expect_f("(param $c i32) (result i32)", body, {0}, 107);
}

TEST(PeepholeConstant, LoopWithParameterAndImmediates) {
  expect_f("(result i32) (local $n i32)",
           "i32.const 100 i32.const 0 (loop (param i32) (result i32) i32.const 5 i32.add "
           "local.get $n i32.const 1 i32.add local.tee $n i32.const 4 i32.lt_u br_if 0) i32.add",
           {}, 120);
}

TEST(PeepholeConstant, BrTableTargets) {
  std::string body =
      "i32.const 100 (block (result i32) (block (result i32) i32.const 20 local.get $c br_table "
      "0 1) i32.const 7 i32.add) i32.add";
  expect_f("(param $c i32) (result i32)", body, {0}, 127);
  expect_f("(param $c i32) (result i32)", body, {1}, 120);
}

TEST(PeepholeConstant, UnreachableCodeEmitsNothing) {
  expect_f("(result i32)",
           "(block (result i32) i32.const 7 br 0 i32.const 9 i32.add) i32.const 100 i32.add", {},
           107);
  expect_f("(result i32)", "(block (result i32) i32.const 7 return) drop i32.const 1", {}, 7);
}

TEST(PeepholeConstant, CallsEndIt) {
  expect_f("(result i32)", "i32.const 100 i32.const 7 call $dbl i32.add", {}, 114);
  expect_f("(result i32)", "i32.const 100 i32.const 7 call $host i32.add", {}, 115);
  expect_f("(result i32)", "i32.const 100 i32.const 7 i32.const 0 call_indirect (type $t) i32.add",
           {}, 114);
}

TEST(PeepholeConstant, GlobalSetStoreAndMemoryGrowEndIt) {
  expect_f("(result i32)", "i32.const 100 i32.const 7 global.set $g global.get $g i32.add", {},
           107);
  expect_f("(result i32)",
           "i32.const 100 i32.const 0 i32.const 7 i32.store i32.const 0 i32.load "
           "i32.add",
           {}, 107);
  expect_f("(result i32)", "i32.const 100 i32.const 1 memory.grow i32.add", {}, 101);
}

TEST(PeepholeConstant, ReinterpretedConstantIsTheSameBits) {
  expect_f("(result i32)", "i32.const 1 f32.const 1.5 i32.reinterpret_f32 i32.add", {},
           0x3fc00001u);
  expect_f("(result i64)", "i64.const 1 f64.const 1.5 i64.reinterpret_f64 i64.add", {},
           0x3ff8000000000001ull);
}

TEST(PeepholeConstant, TeeOfAConstant) {
  expect_f("(param $x i32) (result i32) (local $y i32)",
           "local.get $x i32.const 7 local.tee $y i32.add local.get $y i32.add", {100}, 114);
}

// ---------------------------------------------------------------- a result retargeted by local.set

TEST(PeepholeRetarget, DropEndsIt) {
  expect_f("(result i64) (local $x i64)", "i64.const 5 i64.const 9 drop local.set $x local.get $x",
           {}, 5);
}

TEST(PeepholeRetarget, DroppedReferenceIsNotWrittenIntoAnI64Local) {
  // With the drop bug, global.get wrote the function pointer into $x.
  expect_f("(result i64) (local $x i64)",
           "i64.const 0 global.get $fg drop local.set $x local.get $x", {}, 0);
}

TEST(PeepholeRetarget, DroppedI64IsNotWrittenIntoAFuncrefLocal) {
  // With the drop bug, the i64 became a function pointer in $r (and call_indirect jumped to it).
  expect_f("(result i32) (local $r funcref)",
           "ref.null func i64.const 0x41414141 drop local.set $r local.get $r ref.is_null", {}, 1);
}

TEST(PeepholeRetarget, BlockEndEndsIt) {
  std::string body =
      "(block (result i32) i32.const 5 local.get $c br_if 0 drop i32.const 9) local.set $x "
      "local.get $x";
  expect_f("(param $c i32) (result i32) (local $x i32)", body, {1}, 5);
  expect_f("(param $c i32) (result i32) (local $x i32)", body, {0}, 9);
}

TEST(PeepholeRetarget, IfElseEndEndsIt) {
  std::string body =
      "local.get $c (if (result i32) (then i32.const 5) (else i32.const 9)) local.set $x local.get "
      "$x";
  expect_f("(param $c i32) (result i32) (local $x i32)", body, {1}, 5);
  expect_f("(param $c i32) (result i32) (local $x i32)", body, {0}, 9);
}

TEST(PeepholeRetarget, LoopEndAfterABranchBack) {
  expect_f(
      "(result i32) (local $x i32) (local $n i32)",
      "(loop (result i32) local.get $n i32.const 1 i32.add local.tee $n local.get $n i32.const "
      "3 i32.lt_u br_if 0) local.set $x local.get $x",
      {}, 3);
}

TEST(PeepholeRetarget, ValueLeftByBrIf) {
  std::string body =
      "(block (result i32) i32.const 5 local.get $c br_if 0 local.set $x i32.const 9) drop "
      "local.get $x";
  expect_f("(param $c i32) (result i32) (local $x i32)", body, {0}, 5);
  expect_f("(param $c i32) (result i32) (local $x i32)", body, {1}, 0);
}

TEST(PeepholeRetarget, IntoTheLocalItReads) {
  expect_f("(param $x i32) (result i32)",
           "local.get $x i32.const 1 i32.add local.set $x local.get $x", {5}, 6);
  expect_f("(param $x i32) (param $y i32) (result i32)",
           "local.get $x local.get $y i32.mul local.set $x local.get $x", {5, 3}, 15);
}

TEST(PeepholeRetarget, SelectResult) {
  std::string body = "local.get $a local.get $b local.get $c select local.set $a local.get $a";
  expect_f("(param $a i32) (param $b i32) (param $c i32) (result i32)", body, {4, 6, 1}, 4);
  expect_f("(param $a i32) (param $b i32) (param $c i32) (result i32)", body, {4, 6, 0}, 6);
}

TEST(PeepholeRetarget, GlobalGetThenGlobalSet) {
  expect_f("(result i32) (local $x i32)",
           "global.get $g local.set $x i32.const 9 global.set $g local.get $x", {}, 5);
  expect_f("(result i32) (local $x i32)",
           "global.get $g i32.const 9 global.set $g local.set $x local.get $x", {}, 5);
}

TEST(PeepholeRetarget, LoadThenStore) {
  expect_f("(result i32) (local $x i32)",
           "i32.const 0 i32.load local.set $x i32.const 0 i32.const 9 i32.store local.get $x", {},
           5);
  expect_f("(result i32) (local $x i32)",
           "i32.const 0 i32.load i32.const 0 i32.const 9 i32.store local.set $x local.get $x", {},
           5);
}

TEST(PeepholeRetarget, MemoryGrowResult) {
  expect_f("(result i32) (local $x i32)",
           "i32.const 1 memory.grow local.set $x memory.size local.get $x i32.add", {}, 3);
}

TEST(PeepholeRetarget, CallResults) {
  expect_f("(result i32) (local $x i32)", "i32.const 7 call $dbl local.set $x local.get $x", {},
           14);
  expect_f("(result i32) (local $x i32)", "i32.const 7 call $host local.set $x local.get $x", {},
           15);
}

TEST(PeepholeRetarget, UnreachableCode) {
  expect_f("(result i32) (local $x i32)",
           "(block (result i32) i32.const 5 br 0 i32.const 9) local.set $x local.get $x", {}, 5);
}

TEST(PeepholeRetarget, ReinterpretedResult) {
  expect_f("(result i32) (local $i i32)",
           "f32.const 1.5 i32.reinterpret_f32 local.set $i local.get $i", {}, 0x3fc00000u);
}

// ---------------------------------------------------------------- a comparison fused into a branch

TEST(PeepholeCompare, DroppedComparisonIsNotFusedIntoTheBranch) {
  // The dropped `eq` (true) must not decide the branch: the condition is 0.
  expect_f("(result i32)",
           "(block (result i32) i32.const 1 i32.const 0 i32.const 3 i32.const 3 i32.eq drop "
           "br_if 0 drop i32.const 2)",
           {}, 2);
}

TEST(PeepholeCompare, ComparisonFromABlockIsNotFusedIntoTheIf) {
  std::string body =
      "(block (result i32) i32.const 0 local.get $c br_if 0 drop local.get $a local.get $b "
      "i32.lt_s) (if (result i32) (then i32.const 1) (else i32.const 2))";
  const char* sig = "(param $a i32) (param $b i32) (param $c i32) (result i32)";
  expect_f(sig, body, {1, 2, 1}, 2);
  expect_f(sig, body, {1, 2, 0}, 1);
  expect_f(sig, body, {2, 1, 0}, 2);
}

TEST(PeepholeCompare, TeedComparisonIsStoredWhenTheBranchIsTaken) {
  std::string body =
      "(block (result i32) i32.const 10 local.get $a local.get $b i32.lt_s local.tee $t br_if 0 "
      "drop i32.const 20) local.get $t i32.add";
  const char* sig = "(param $a i32) (param $b i32) (result i32) (local $t i32)";
  expect_f(sig, body, {1, 2}, 11);
  expect_f(sig, body, {2, 1}, 20);
}

TEST(PeepholeCompare, OperandWrittenBetweenCompareAndBranch) {
  // The comparison reads $a before local.set changes it; a fused branch would read 5.
  std::string body =
      "(block (result i32) i32.const 10 local.get $a local.get $b i32.lt_s i32.const 5 local.set "
      "$a br_if 0 drop i32.const 20)";
  expect_f("(param $a i32) (param $b i32) (result i32)", body, {3, 4}, 10);
  expect_f("(param $a i32) (param $b i32) (result i32)", body, {4, 3}, 20);
}

TEST(PeepholeCompare, ComparisonBelowTheBranchValue) {
  std::string body =
      "(block (result i32) local.get $a local.get $b i32.lt_s local.get $c br_if 0) i32.const 10 "
      "i32.add";
  const char* sig = "(param $a i32) (param $b i32) (param $c i32) (result i32)";
  expect_f(sig, body, {1, 2, 0}, 11);
  expect_f(sig, body, {1, 2, 1}, 11);
  expect_f(sig, body, {2, 1, 1}, 10);
}

TEST(PeepholeCompare, EqzAndImmediateForms) {
  const char* sig = "(param $a i32) (result i32)";
  std::string eqz = "local.get $a i32.eqz (if (result i32) (then i32.const 1) (else i32.const 2))";
  expect_f(sig, eqz, {0}, 1);
  expect_f(sig, eqz, {3}, 2);
  std::string imm = "i32.const 7 local.get $a i32.const 5 i32.lt_s br_if 0 drop i32.const 9";
  expect_f(sig, imm, {4}, 7);
  expect_f(sig, imm, {5}, 9);
  expect_f(sig, imm, {i32v(-1)}, 7);
}

TEST(PeepholeCompare, ComparisonUsedTwice) {
  // A tee keeps the comparison's value for after the branch (not taken).
  std::string body =
      "(block (result i32) i32.const 10 local.get $a i32.const 5 i32.gt_u local.tee $t br_if 0 "
      "drop local.get $t)";
  expect_f("(param $a i32) (result i32) (local $t i32)", body, {3}, 0);
  expect_f("(param $a i32) (result i32) (local $t i32)", body, {6}, 10);
}

// ---------------------------------------------------------------- local aliases on the stack

TEST(PeepholeAlias, LocalSetBelowTheTop) {
  expect_f("(param $x i32) (result i32)",
           "local.get $x i32.const 9 local.set $x local.get $x i32.sub", {5}, i32v(-4));
  expect_f("(param $x i32) (param $y i32) (result i32)",
           "local.get $x local.get $y i32.const 1 i32.add local.set $x local.get $x i32.sub",
           {5, 10}, i32v(-6));
  expect_f("(param $x i32) (param $y i32) (result i32)",
           "local.get $x local.get $x local.get $y local.set $x i32.sub local.get $x i32.add",
           {10, 3}, 3);
}

TEST(PeepholeAlias, ValueOfTheSameLocal) {
  expect_f("(param $x i32) (result i32)",
           "local.get $x local.get $x i32.const 1 i32.add local.set $x local.get $x i32.sub", {5},
           i32v(-1));
  expect_f("(param $x i32) (result i32)", "local.get $x local.tee $x local.get $x i32.add", {5},
           10);
  expect_f("(param $x i32) (result i32)", "local.get $x local.get $x local.tee $x i32.add", {5},
           10);
  expect_f("(param $x i32) (result i32)",
           "local.get $x local.get $x i32.const 3 i32.mul local.tee $x i32.add local.get $x "
           "i32.add",
           {2}, 14);
}

TEST(PeepholeAlias, BlockIfAndLoopBodiesWriteTheLocal) {
  expect_f("(param $x i32) (result i32)",
           "local.get $x (block i32.const 7 local.set $x) local.get $x i32.sub", {5}, i32v(-2));
  std::string arm =
      "local.get $x local.get $c (if (then i32.const 7 local.set $x)) local.get $x i32.sub";
  expect_f("(param $x i32) (param $c i32) (result i32)", arm, {5, 1}, i32v(-2));
  expect_f("(param $x i32) (param $c i32) (result i32)", arm, {5, 0}, 0);
  std::string else_arm =
      "local.get $x local.get $c (if (then nop) (else i32.const 7 local.set $x)) local.get $x "
      "i32.sub";
  expect_f("(param $x i32) (param $c i32) (result i32)", else_arm, {5, 0}, i32v(-2));
  expect_f(
      "(param $x i32) (result i32)",
      "local.get $x (loop local.get $x i32.const 1 i32.add local.set $x local.get $x i32.const "
      "8 i32.lt_u br_if 0) local.get $x i32.sub",
      {5}, i32v(-3));
  expect_f("(param $x i32) (result i32)",
           "local.get $x (block (result i32) i32.const 1 local.tee $x) i32.add", {5}, 6);
}

TEST(PeepholeAlias, BranchValues) {
  expect_f("(param $x i32) (result i32)",
           "(block (result i32) local.get $x i32.const 9 local.set $x br 0)", {5}, 5);
  std::string br_if =
      "(block (result i32) local.get $x i32.const 9 local.set $x local.get $c br_if 0 drop "
      "local.get $x)";
  expect_f("(param $x i32) (param $c i32) (result i32)", br_if, {5, 1}, 5);
  expect_f("(param $x i32) (param $c i32) (result i32)", br_if, {5, 0}, 9);
  std::string table =
      "(block (result i32) (block (result i32) local.get $x i32.const 9 local.set $x local.get $c "
      "br_table 0 1) i32.const 100 i32.add)";
  expect_f("(param $x i32) (param $c i32) (result i32)", table, {5, 0}, 105);
  expect_f("(param $x i32) (param $c i32) (result i32)", table, {5, 1}, 5);
  expect_f("(param $x i32) (result i32)", "local.get $x i32.const 9 local.set $x return", {5}, 5);
  expect_f("(param $x i32) (param $c i32) (result i32)",
           "local.get $x i32.const 9 local.set $x local.get $c br_if 0 drop i32.const 1", {5, 1},
           5);
}

TEST(PeepholeAlias, CallArgumentsAndIndex) {
  expect_f("(param $x i32) (result i32)", "local.get $x i32.const 9 local.set $x call $dbl", {5},
           10);
  expect_f("(param $x i32) (result i32)", "local.get $x i32.const 9 local.set $x call $host", {5},
           11);
  expect_f("(param $x i32) (param $i i32) (result i32)",
           "local.get $x local.get $i i32.const 9 local.set $i i32.const 8 local.set $x "
           "call_indirect (type $t)",
           {5, 0}, 10);
}

TEST(PeepholeAlias, SelectStoreGlobalSetAndMemoryGrowOperands) {
  expect_f("(param $a i32) (param $b i32) (param $c i32) (result i32)",
           "local.get $a local.get $b local.get $c i32.const 0 local.set $a i32.const 0 local.set "
           "$c select",
           {4, 6, 1}, 4);
  expect_f("(param $p i32) (param $v i32) (result i32)",
           "local.get $p local.get $v i32.const 8 local.set $p i32.const 1 local.set $v i32.store "
           "i32.const 0 i32.load",
           {0, 42}, 42);
  expect_f("(param $x i32) (result i32)",
           "local.get $x i32.const 9 local.set $x global.set $g global.get $g", {7}, 7);
  expect_f("(param $x i32) (result i32)",
           "local.get $x i32.const 0 local.set $x memory.grow memory.size i32.add", {1}, 3);
}

TEST(PeepholeAlias, Reinterpretation) {
  expect_f("(param $f f32) (result i32)",
           "local.get $f i32.reinterpret_f32 f32.const 2 local.set $f local.get $f "
           "i32.reinterpret_f32 i32.sub",
           {0x3fc00000u}, 0xffc00000u);
}

TEST(PeepholeAlias, BulkOperandsStoppedBetweenChunksLeaveTheLocals) {
  // memory.fill writes what is left of its operands back to their slots when it stops between
  // chunks: those must be slots of their own, not the locals.
  std::string m =
      "(module (memory 4) (func (export \"f\") (param $d i32) (param $v i32) (param $n i32) "
      "(result i32) local.get $d local.get $v local.get $n memory.fill local.get $d local.get $n "
      "i32.add))";
  for (Mode mode : kModes) {
    Runner r(m);
    EXPECT_EQ(r.run({1000, 0x5a, 200000}, mode), 201000u);
    EXPECT_EQ(r.memory()->base[1000 + 199999], 0x5a);
    EXPECT_EQ(r.memory()->base[1000 + 200000], 0);
  }
}

}  // namespace
}  // namespace wasm_test
