// The internal code against the operand signatures of code.h (what checked builds check), and
// checked builds themselves: a slot holding a value of another type stops the execution at the
// instruction that reads it, with a message naming the function, the place and the types.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "code.h"
#include "wat_test_util.h"

namespace wasm_test {
namespace {

bool is_val_type(u64 w) {
  return w == 0x7f || w == 0x7e || w == 0x7d || w == 0x7c || w == 0x7b || w == 0x70 || w == 0x6f;
}

// Walks every instruction of every function (the code map starts one entry per instruction) and
// checks its length and operands against the operation's signature: slots are inside the frame,
// type words are value types. Returns a description of the first problem, or "".
std::string check_code(const Module& m) {
  for (u32 fi = 0; fi < m.functions.size(); ++fi) {
    const Function& f = m.functions[fi];
    for (u32 k = 0; k < f.code_map.size(); ++k) {
      u32 at = f.code_map[k].code_offset;
      u32 end = k + 1 < f.code_map.size() ? f.code_map[k + 1].code_offset
                                          : static_cast<u32>(f.code.size());
      std::string where = "function " + std::to_string(fi) + " word " + std::to_string(at);
      Op op = word_op(f.code[at]);
      if (op == Op::Count) return where + ": not an operation";
      const char* sig = op_signature(op);
      u32 words = 1;
      for (const char* c = sig; *c; ++c) words += *c != 't' || kTypeWords != 0;
      if (op == Op::BrTable) words = 3 + static_cast<u32>(f.code[at + 2]) + 1;
      where += std::string(" (") + op_name(op) + ")";
      if (end - at != words)
        return where + ": " + std::to_string(end - at) + " words, not " + std::to_string(words);
      for (u32 w = 0; sig[w] != 0; ++w) {
        char c = sig[w];
        u64 v = f.code[at + 1 + w];
        if (c == 't' && kTypeWords != 0 && !is_val_type(v)) return where + ": bad type word";
        if (c == '-' || c == 't') continue;
        u64 slots = c == 'v' || c == 'V' ? 2 : 1;  // a v128 takes two
        if (v % 8 != 0 || v / 8 + slots > f.frame_slots)
          return where + ": slot operand " + std::to_string(w + 1) + " outside the frame";
      }
    }
  }
  return "";
}

// "Op a b c; Op ...": the instructions of a function, for messages.
std::string disassemble(const Function& f) {
  std::string out;
  for (u32 k = 0; k < f.code_map.size(); ++k) {
    u32 at = f.code_map[k].code_offset;
    u32 end =
        k + 1 < f.code_map.size() ? f.code_map[k + 1].code_offset : static_cast<u32>(f.code.size());
    out += std::to_string(at) + ":" + op_name(word_op(f.code[at]));
    for (u32 w = at + 1; w < end; ++w) out += " " + std::to_string(f.code[w]);
    out += "; ";
  }
  return out;
}

TEST(InternalCode, InstructionsMatchTheirSignatures) {
  // Every kind of instruction the translator emits, fused forms and type words included.
  const char* bodies[] = {
      "local.get $a i32.const 5 i32.add local.set $a local.get $a",
      "local.get $a i32.const 3 i32.lt_s (if (result i32) (then i32.const 1) (else local.get $a "
      "i32.eqz))",
      "(block (result i32) local.get $a local.get $a br_if 0 i32.const 2 local.get $a br_table 0 "
      "1)",
      "global.get $g i64.const 2 i64.mul global.set $g local.get $a i32.load",
      "i32.const 0 f64.const 1.5 f64.store local.get $a local.get $a i32.const 1 select",
      "i32.const 0 table.get 0 local.set $fr i32.const 1 local.get $fr table.set 0 local.get $a",
      "ref.null func i32.const 1 table.grow 0 i32.const 0 ref.null func i32.const 1 table.fill 0",
      "global.get $r ref.is_null ref.func $f ref.is_null i32.add",
      "i32.const 0 i32.const 0 i32.const 1 memory.fill i32.const 0 i32.const 0 i32.const 1 "
      "table.init 0 $e memory.size memory.grow",
      "local.get $x i64.reinterpret_f64 local.set $b (loop local.get $a i32.const 1 i32.sub "
      "local.tee $a br_if 0) local.get $a",
      "i32.const 7 call $f local.get $a i32.const 0 call_indirect (type $t) i32.add return",
      "local.get $a local.get $a i32.const 4 i32.gt_u br_if 0 drop local.get $a f32.convert_i32_s "
      "i32.trunc_f32_s",
  };
  for (const char* body : bodies) {
    std::string m =
        "(module (type $t (func (param i32) (result i32))) (table 2 funcref) (memory 1)"
        " (global $g (mut i64) (i64.const 1)) (global $r (mut externref) (ref.null extern))"
        " (elem $e func $f) (data $d \"ab\")"
        " (func $f (export \"f\") (param $a i32) (result i32) (local $b i64) (local $x f64)"
        " (local $fr funcref) " +
        std::string(body) + "))";
    auto c = compile(text(m));
    ASSERT_TRUE(c.is_ok()) << body << ": " << c.error().message;
    std::unique_ptr<Module> module(c.value());
    EXPECT_EQ(check_code(*module), "") << body << "\n" << disassemble(module->functions[0]);
  }
}

TEST(InternalCode, SpecSuiteModulesMatchTheirSignatures) {
#ifndef WARDEN_SPEC_SUITE
  GTEST_SKIP() << "no suite folder configured";
#else
  auto suite = suite_modules(WARDEN_SPEC_SUITE);
  if (!suite) GTEST_SKIP() << WARDEN_SPEC_SUITE << " is absent";
  u64 modules = 0;
  for (const SuiteModule& m : *suite) {
    auto c = Module::compile(Span<const u8>(m.bytes.data(), m.bytes.size()));
    if (c.is_error()) continue;
    std::unique_ptr<Module> module(c.value());
    ++modules;
    ASSERT_EQ(check_code(*module), "") << m.where;
  }
  EXPECT_GT(modules, 1000u);
  // The SIMD scripts: v128 operands, two slots each, inside the frame too.
  auto simd = suite_modules(std::string(WARDEN_SPEC_SUITE) + "/simd");
  if (!simd) return;
  u64 simd_modules = 0;
  for (const SuiteModule& m : *simd) {
    auto c = Module::compile(Span<const u8>(m.bytes.data(), m.bytes.size()));
    if (c.is_error()) continue;
    std::unique_ptr<Module> module(c.value());
    ++simd_modules;
    ASSERT_EQ(check_code(*module), "") << m.where;
  }
  EXPECT_GT(simd_modules, 50u);
#endif
}

// i16x8.extend_low_i8x16_u/s then i32x4.extend_low_i16x8_u/s of the same signedness on its
// result is one operation (compile.cc); a tee of the middle value, mixed signedness or a label
// between keeps both (simd_test.cc runs each).
TEST(InternalCode, ExtendLowPairsAreFusedOnlyWhereTheMiddleValueIsUnseen) {
  struct Case {
    const char* body;
    const char* fused;  // the fused operation, or nullptr: not fused
  };
  const Case cases[] = {
      {"local.get 0 i16x8.extend_low_i8x16_u i32x4.extend_low_i16x8_u", "I32x4ExtendLowI8x16U"},
      {"local.get 0 i16x8.extend_low_i8x16_s i32x4.extend_low_i16x8_s", "I32x4ExtendLowI8x16S"},
      {"local.get 0 i16x8.extend_low_i8x16_s i32x4.extend_low_i16x8_u", nullptr},
      {"local.get 0 i16x8.extend_low_i8x16_u i32x4.extend_low_i16x8_s", nullptr},
      {"local.get 0 i16x8.extend_low_i8x16_u local.tee 1 i32x4.extend_low_i16x8_u", nullptr},
      {"(block (result v128) local.get 0 i16x8.extend_low_i8x16_u) i32x4.extend_low_i16x8_u",
       nullptr},
      {"local.get 0 i16x8.extend_high_i8x16_u i32x4.extend_low_i16x8_u", nullptr},
  };
  for (const Case& c : cases) {
    std::string m = "(module (func (export \"f\") (param v128) (result v128) (local v128) " +
                    std::string(c.body) + "))";
    auto r = compile(text(m));
    ASSERT_TRUE(r.is_ok()) << c.body << ": " << r.error().message;
    std::unique_ptr<Module> module(r.value());
    const Function& f = module->functions[0];
    EXPECT_EQ(check_code(*module), "") << c.body;
    std::string code = disassemble(f);
    if (c.fused != nullptr) {
      EXPECT_NE(code.find(std::string(c.fused) + " "), std::string::npos) << c.body << "\n" << code;
      EXPECT_EQ(code.find("I16x8ExtendLow"), std::string::npos) << c.body << "\n" << code;
    } else {
      EXPECT_EQ(code.find("I32x4ExtendLowI8x16"), std::string::npos) << c.body << "\n" << code;
    }
  }
}

// A translation whose slot operand is wrong by one word: the function returns its i32 parameter
// where the i64 one belongs (as a translator bug would).
struct Corrupted {
  Corrupted() : store(provider) {
    auto c =
        compile(text("(module (func (export \"f\") (param i32 i64) (result i64) local.get 1))"));
    EXPECT_TRUE(c.is_ok());
    module.reset(c.value());
    Vector<u64>& code = module->functions[0].code;
    // Copy s2 <- param 1; Return 1 s2: make the copy read param 0.
    EXPECT_EQ(word_op(code[0]), Op::Copy) << disassemble(module->functions[0]);
    EXPECT_EQ(code[2], 8u);
    code[2] = 0;
    instance = MUST(store.instantiate(*module, {}));
  }
  u64 run() {
    Execution ex(store);
    u64 args[] = {0xdeadbeef, 7};
    EXPECT_TRUE(
        ex.start(static_cast<FuncInst*>(instance->find_export("f").ptr), Span<const u64>(args, 2))
            .is_ok());
    EXPECT_EQ(ex.run(100), RunStatus::Done);
    return ex.results()[0];
  }
  MmapMemoryProvider provider;
  Store store;
  std::unique_ptr<Module> module;
  Instance* instance = nullptr;
};

#if WARDEN_WASM_CHECKED

TEST(CheckedBuild, CopyOfTheWrongTypeStopsThere) {
  Corrupted c;
  EXPECT_DEATH(c.run(),
               "type confusion in function 0 `f` at code word 0 \\(wasm offset 0x[0-9a-f]+\\): "
               "Copy operand 2 \\(frame slot 0\\) expects i64, holds i32");
}

// A module compiled from text whose internal code a test then patches (as a translator bug
// would have written it), and an execution of its export "f".
struct Patched {
  explicit Patched(const std::string& t) : store(provider) {
    auto c = compile(text(t));
    EXPECT_TRUE(c.is_ok()) << t;
    if (c.is_ok()) module.reset(c.value());
  }
  Vector<u64>& code(u32 function) { return module->functions[function].code; }
  // Instantiates the module and starts "f" with `args`: the execution to run.
  Execution& start(std::vector<u64> args = {}) {
    instance = MUST(store.instantiate(*module, {}));
    execution = std::make_unique<Execution>(store);
    EXPECT_TRUE(execution
                    ->start(static_cast<FuncInst*>(instance->find_export("f").ptr),
                            Span<const u64>(args.data(), args.size()))
                    .is_ok());
    return *execution;
  }
  MmapMemoryProvider provider;
  Store store;
  std::unique_ptr<Module> module;
  Instance* instance = nullptr;
  std::unique_ptr<Execution> execution;
};

TEST(CheckedBuild, ReturnOfTheWrongTypeStopsThere) {
  Patched p("(module (func (export \"f\") (param i32) (result i64) i64.const 5))");
  ASSERT_NE(p.module, nullptr);
  Vector<u64>& code = p.code(0);
  // Const s1 5 t; Return 1 s1: make the return read the parameter.
  ASSERT_EQ(word_op(code[3 + kTypeWords]), Op::Return) << disassemble(p.module->functions[0]);
  code[3 + kTypeWords + 2] = 0;
  Execution& ex = p.start({1});
  EXPECT_DEATH(ex.run(100),
               "function 0 `f` at code word 4 .*Return result 0 \\(frame slot 0\\) "
               "expects i64, holds i32");
}

TEST(CheckedBuild, DroppedReferenceRetargetedIntoAnI64LocalStops) {
  // The leak with the drop fix undone by hand: global.get's dst rewritten to $x, as the
  // stale retarget did.
  Patched p(
      "(module (func $d) (global $fg funcref (ref.func $d)) (func (export \"f\") (result i64) "
      "(local $x i64) i64.const 0 global.get $fg drop local.set $x local.get $x))");
  ASSERT_NE(p.module, nullptr);
  Vector<u64>& code = p.code(1);
  // Const s1 0; GlobalGet s2 $fg; Copy $x <- s1 (local.set); Copy s1 <- $x; Return 1 s1. The
  // stale retarget made GlobalGet write $x, and local.set emitted nothing.
  ASSERT_EQ(word_op(code[4]), Op::GlobalGet) << disassemble(p.module->functions[1]);
  ASSERT_EQ(word_op(code[8]), Op::Copy);
  code[5] = 0;
  code[10] = 0;
  Execution& ex = p.start();
  EXPECT_DEATH(ex.run(100),
               "function 1 `f` at code word 8 .*Copy operand 2 \\(frame slot 0\\) "
               "expects i64, holds funcref");
}

TEST(CheckedBuild, ArgumentOfTheWrongTypeStopsTheCall) {
  Patched p(
      "(module (func $g (param i64) (result i64) local.get 0)"
      " (func (export \"f\") (param i32 i64) (result i64) local.get 1 call $g))");
  ASSERT_NE(p.module, nullptr);
  Vector<u64>& code = p.code(1);
  // Copy s2 <- param 1 t; Call g s2: make the Copy read param 0.
  ASSERT_EQ(word_op(code[0]), Op::Copy);
  code[2] = 0;
  Execution& ex = p.start({1, 2});
  EXPECT_DEATH(ex.run(100),
               "function 1 `f`.*Copy operand 2 \\(frame slot 0\\) expects i64, "
               "holds i32");
}

TEST(CheckedBuild, SlotNotWrittenInTheFrameStops) {
  Patched p("(module (func (export \"f\") (result i32) i32.const 1 i32.const 2 i32.add))");
  ASSERT_NE(p.module, nullptr);
  Vector<u64>& code = p.code(0);
  // Const s0 1 t; I32AddImm s0 s0 2; Return: make the add read slot 3, never written.
  ASSERT_EQ(word_op(code[4]), Op::I32AddImm);
  code[6] = 24;
  Execution& ex = p.start();
  EXPECT_DEATH(ex.run(100), "I32AddImm operand 2 \\(frame slot 3\\) expects i32, holds nothing");
}

#else

TEST(CheckedBuild, NormalBuildsComputeTheConfusion) {
  // What the checked build stops (see the tests of build/host-checked): here the i32 parameter
  // comes back as the i64 result.
  Corrupted c;
  EXPECT_EQ(c.run(), 0xdeadbeefu);
}

#endif

}  // namespace
}  // namespace wasm_test
