// lib/spec: the script runner on small scripts (the whole suite runs in ./x spec).
#include <gtest/gtest.h>
#include <spec/runner.h>
#include <wasm/host.h>

#include <string>

namespace {

class StringSink final : public support::FormatSink {
 public:
  void write(const char* data, usize size) override { text.append(data, size); }
  using support::FormatSink::write;
  std::string text;
};

struct Outcome {
  spec::Counts counts;
  std::string output;
};

// Runs `source` as a script; `fuel` > 0 runs every execution in slices of that size.
Outcome run(const std::string& source, i64 fuel = 0, bool pending = false,
            const wasm::Features& features = wasm::Features()) {
  wasm::MmapMemoryProvider provider;
  spec::Config config;
  config.pending_prints = pending;
  config.features = features;
  StringSink out;
  Outcome r;
  spec::ScriptRunner runner(provider, config, out);
  runner.start("test.wast", support::StringView(source.data(), source.size()));
  while (!runner.done()) {
    if (wasm::Execution* ex = runner.begin_command()) {
      for (;;) {
        wasm::RunStatus s = ex->run(fuel > 0 ? fuel : 1000000000);
        if (s == wasm::RunStatus::HostPending)
          runner.complete_pending(*ex);
        else if (s != wasm::RunStatus::OutOfFuel)
          break;
      }
      runner.end_command();
    }
  }
  runner.finish(r.counts);
  r.output = out.text;
  return r;
}

const char* kScript = R"wast(
(module
  (import "spectest" "print_i32" (func $print (param i32)))
  (func (export "add") (param i32 i32) (result i32) (local.get 0) (local.get 1) (i32.add))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $loop (export "loop") (param i32) (result i32)
    (loop $l (call $print (local.get 0))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 0))
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func $rec (export "rec") (call $rec))
  (global (export "g") i32 (i32.const 7)))
(register "m")
(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))
(assert_return (invoke "loop" (i32.const 10)) (i32.const 0))
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (get "g") (i32.const 7))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke "rec") "call stack exhausted")
(assert_malformed (module quote "(func (i32.const))") "unexpected token")
(assert_invalid (module (func (result i32) (i64.const 1))) "type mismatch")
(assert_unlinkable (module (import "m" "missing" (func))) "unknown import")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(module (import "m" "add" (func $add (param i32 i32) (result i32)))
  (func (export "twice") (param i32) (result i32) (call $add (local.get 0) (local.get 0))))
(assert_return (invoke "twice" (i32.const 21)) (i32.const 42))
)wast";

TEST(ScriptRunner, counts_every_assertion_of_a_script_once) {
  Outcome r = run(kScript);
  EXPECT_EQ(r.counts.passed, 11u) << r.output;
  EXPECT_EQ(r.counts.failed, 0u) << r.output;
  EXPECT_EQ(r.counts.assertions(), spec::count_assertions(kScript));
  EXPECT_NE(r.output.find("test.wast"), std::string::npos);
}

TEST(ScriptRunner, gives_the_same_counts_in_fuel_slices_with_pending_host_calls) {
  Outcome r = run(kScript, 1, true);
  EXPECT_EQ(r.counts.passed, 11u) << r.output;
  EXPECT_EQ(r.counts.failed, 0u) << r.output;
  EXPECT_EQ(r.counts.pending_completed, 10u);
}

TEST(ScriptRunner, reports_a_failure_with_line_and_column) {
  Outcome r =
      run("(module (func (export \"f\") (result i32) (i32.const 1)))\n"
          "  (assert_return (invoke \"f\") (i32.const 2))\n");
  EXPECT_EQ(r.counts.failed, 1u);
  EXPECT_NE(r.output.find("line 2:3: assert_return"), std::string::npos) << r.output;
}

TEST(ScriptRunner, counts_assertions_after_a_module_that_did_not_load_as_not_run) {
  Outcome r =
      run("(module (func (result i32) (i64.const 1)))\n"
          "(assert_return (invoke \"f\") (i32.const 2))\n");
  EXPECT_EQ(r.counts.failed, 1u);
  EXPECT_EQ(r.counts.not_run, 1u);
}

TEST(ScriptRunner, runs_v128_and_compares_it_lane_by_lane) {
  Outcome r =
      run("(module (func (export \"f\") (param v128) (result v128) (local.get 0)))\n"
          "(assert_return (invoke \"f\" (v128.const i32x4 1 2 3 4)) (v128.const i32x4 1 2 3 4))\n"
          "(assert_return (invoke \"f\" (v128.const i32x4 1 2 3 4)) (v128.const i32x4 1 2 3 5))\n"
          "(assert_return (invoke \"f\" (v128.const f32x4 nan 1 -nan 3))\n"
          "               (v128.const f32x4 nan:canonical 1 nan:arithmetic 3))\n"
          "(assert_return (invoke \"f\" (v128.const f64x2 nan:0x1 2)) (v128.const f64x2 "
          "nan:canonical 2))\n"
          "(assert_invalid (module (func (result v128) (i32.const 0))) \"type mismatch\")\n");
  EXPECT_EQ(r.counts.passed, 3u) << r.output;
  EXPECT_EQ(r.counts.failed, 2u) << r.output;  // lane 3 differs; nan:0x1 is not canonical
  EXPECT_EQ(r.counts.skipped, 0u) << r.output;
}

// A SIMD instruction the engine does not run yet (here a sub-opcode no instruction has) skips
// its module's assertions as feature simd.
TEST(ScriptRunner, skips_simd_instructions_not_done_by_feature) {
  Outcome r =
      run("(module binary \"\\00asm\\01\\00\\00\\00\" \"\\01\\04\\01\\60\\00\\00\" "
          "\"\\03\\02\\01\\00\"\n"
          "  \"\\07\\05\\01\\01f\\00\\00\" \"\\0a\\07\\01\\05\\00\\fd\\80\\04\\0b\")\n"
          "(assert_return (invoke \"f\"))\n");
  EXPECT_EQ(r.counts.skipped, 1u) << r.output;
  EXPECT_EQ(r.counts.failed, 0u) << r.output;
  EXPECT_NE(r.output.find("unsupported feature simd"), std::string::npos) << r.output;
}

TEST(ScriptRunner, skips_3_0_features_named_by_what_the_module_uses) {
  Outcome r =
      run("(module (type $t (func)) (func (param (ref $t))))\n"
          "(assert_return (invoke \"f\") (i32.const 2))\n"
          "(module (type (struct)))\n"
          "(assert_return (invoke \"f\") (i32.const 2))\n"
          "(module (tag $e) (func (export \"f\")))\n"
          "(assert_return (invoke \"f\"))\n");
  EXPECT_EQ(r.counts.skipped, 3u) << r.output;
  EXPECT_NE(r.output.find("unsupported feature function-references"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("unsupported feature gc"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("unsupported feature exception-handling"), std::string::npos) << r.output;
}

// The engine follows 3.0 by default (several memories run, a 2.0 assertion that multi-memory
// reversed fails); with the 2.0 feature set the 2.0 assertions hold and nothing is skipped.
const char* kMultiMemoryScript = R"wast(
(assert_invalid (module (memory 0) (memory 0)) "multiple memories")
(assert_malformed (module binary "\00asm\01\00\00\00\01\04\01\60\00\00\03\02\01\00\05\03\01\00\01\0a\07\01\05\00\3f\01\1a\0b") "zero byte expected")
(assert_malformed (module binary "\00asm\01\00\00\00\01\04\01\60\00\00\03\02\01\00\05\03\01\00\01\0a\0a\01\08\00\41\00\28\20\00\1a\0b") "malformed memop flags")
(module (memory 1) (memory i64 2)
  (func (export "f") (result i64) (i64.add (i64.extend_i32_u (memory.size 0)) (memory.size 1))))
(assert_return (invoke "f") (i64.const 3))
)wast";

TEST(ScriptRunner, runs_several_memories_with_3_0_features) {
  Outcome r = run(kMultiMemoryScript);
  EXPECT_EQ(r.counts.skipped, 0u) << r.output;
  EXPECT_EQ(r.counts.passed, 1u) << r.output;
  EXPECT_EQ(r.counts.failed, 3u) << r.output;
  EXPECT_NE(r.output.find("module was accepted, expected \"multiple memories\""), std::string::npos)
      << r.output;
}

TEST(ScriptRunner, holds_the_2_0_assertions_with_the_2_0_features) {
  Outcome r = run(kMultiMemoryScript, 0, false, wasm::Features::wasm_2_0());
  EXPECT_EQ(r.counts.passed, 3u) << r.output;
  // The module with two memories has an i64 one, which the 2.0 set does not have (limits flag
  // 0x04 is malformed there): the invocation on it is skipped for that feature, not failed.
  EXPECT_EQ(r.counts.skipped, 1u) << r.output;
  EXPECT_EQ(r.counts.failed, 0u) << r.output;
  EXPECT_NE(r.output.find("unsupported feature memory64"), std::string::npos) << r.output;
  // Without the i64 memory, the 2.0 set finds two memories invalid: the invocation fails.
  Outcome two = run(R"wast(
(module (memory 1) (memory 2) (func (export "f") (result i32) (memory.size 1)))
(assert_return (invoke "f") (i32.const 2))
)wast",
                    0, false, wasm::Features::wasm_2_0());
  EXPECT_EQ(two.counts.skipped, 0u) << two.output;
  EXPECT_EQ(two.counts.failed, 1u) << two.output;
}

// 3.0 reads an i32 memory's limits and offsets as u64 numbers and finds large ones invalid; the
// 2.0 set reads the same text as u32 numbers and finds it malformed. Neither is skipped.
const char* kWideLimitsScript = R"wast(
(assert_invalid (module quote "(memory 0x1_0000_0000)") "memory size")
(assert_invalid (module quote "(table 0 0x1_0000_0001 funcref)") "table size")
(assert_invalid (module quote "(memory 1)" "(func (drop (i32.load offset=4294967296 (i32.const 0))))") "offset out of range")
(assert_malformed (module quote "(memory 1)" "(func (drop (i32.load offset=0x1_0000_0000_0000_0000 (i32.const 0))))") "i64 constant")
)wast";

const char* kWideLimitsScript2 = R"wast(
(assert_malformed (module quote "(memory 0x1_0000_0000)") "i32 constant out of range")
(assert_malformed (module quote "(table 0 0x1_0000_0001 funcref)") "i32 constant out of range")
(assert_malformed (module quote "(memory 1)" "(func (drop (i32.load offset=4294967296 (i32.const 0))))") "i32 constant")
)wast";

TEST(ScriptRunner, reads_3_0_limits_and_offsets_as_64_bit_numbers) {
  Outcome r = run(kWideLimitsScript);
  EXPECT_EQ(r.counts.passed, 4u) << r.output;
  EXPECT_EQ(r.counts.skipped, 0u) << r.output;
  Outcome r2 = run(kWideLimitsScript2, 0, false, wasm::Features::wasm_2_0());
  EXPECT_EQ(r2.counts.passed, 3u) << r2.output;
  EXPECT_EQ(r2.counts.skipped, 0u) << r2.output;
  // The 3.0 assertions under the 2.0 set: the text does not read there (32-bit numbers), so the
  // assert_invalid ones are skipped as memory64, not failed.
  Outcome r3 = run(kWideLimitsScript, 0, false, wasm::Features::wasm_2_0());
  EXPECT_EQ(r3.counts.skipped, 3u) << r3.output;
  EXPECT_EQ(r3.counts.failed, 0u) << r3.output;
  // And the 2.0 assertions under 3.0: the text reads, so assert_malformed fails (validation
  // finds it invalid instead), never a skip.
  Outcome r4 = run(kWideLimitsScript2);
  EXPECT_EQ(r4.counts.failed, 3u) << r4.output;
  EXPECT_EQ(r4.counts.skipped, 0u) << r4.output;
}

// The spec's comments.wast: a line comment ends at U+0D as well as U+0A.
TEST(ScriptRunner, ends_a_line_comment_at_a_carriage_return) {
  Outcome r =
      run("(module quote \"(func (export \\\"f\\\") (result i32) (i32.const 1) ;; c\\0d\" "
          "\"(return (i32.const 2)) \\0a)\")\n"
          "(assert_return (invoke \"f\") (i32.const 2))\n");
  EXPECT_EQ(r.counts.passed, 1u) << r.output;
}

// 3.0's id.wast and annotations.wast: empty or non-UTF-8 quoted names, control characters in
// annotations.
TEST(ScriptRunner, rejects_malformed_quoted_names_and_annotation_characters) {
  Outcome r =
      run("(assert_malformed (module quote \"(func $\\\"\\\")\") \"empty identifier\")\n"
          "(assert_malformed (module quote \"(func $\\\"\\\\ef\\\")\") \"malformed UTF-8\")\n"
          "(assert_malformed (module quote \"(@a \\01)\") \"illegal character\")\n"
          "(assert_malformed (module quote \"(@\\\"\\\")\") \"empty annotation id\")\n"
          "(module quote \"(@a \\09)\" \"(func $\\\"f\\\")\")\n");
  EXPECT_EQ(r.counts.passed, 4u) << r.output;
  EXPECT_EQ(r.counts.failed, 0u) << r.output;
}

// A skipped (GC) module may have written into a registered memory: a failure on that instance
// afterwards is counted as skipped for the feature, not as the engine's.
TEST(ScriptRunner, skips_failures_on_an_instance_a_skipped_module_may_have_changed) {
  Outcome r = run(R"wast(
(module $M (memory (export "mem") 1)
  (func (export "read") (result i32) (i32.load8_u (i32.const 0))))
(register "M" $M)
(module (type (struct)) (memory (import "M" "mem") 1) (data (memory 0) (i32.const 0) "\01"))
(assert_return (invoke $M "read") (i32.const 1))
(assert_return (invoke $M "read") (i32.const 0))
)wast");
  EXPECT_EQ(r.counts.skipped, 1u) << r.output;
  EXPECT_EQ(r.counts.passed, 1u) << r.output;
  EXPECT_NE(r.output.find("unsupported feature gc"), std::string::npos) << r.output;
}

TEST(ScriptRunner, fails_the_assertions_of_a_script_that_does_not_read) {
  Outcome r = run("(assert_return (invoke \"f\") (i32.const 1))\n(assert_bogus)\n");
  EXPECT_EQ(r.counts.failed, 2u);
  EXPECT_EQ(r.counts.not_run, 2u);
}

}  // namespace
