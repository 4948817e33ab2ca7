// The .wast script reader: every command kind, argument values and expected-result patterns.
#include <gtest/gtest.h>
#include <wat/script.h>

#include <cstring>
#include <string>

namespace {

using wat::CommandKind;
using wat::ExpectKind;
using wat::ValueType;

std::string str(const support::Vector<u8>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}
std::string str(wat::StringView view) { return std::string(view.data(), view.size()); }

const char kScript[] = R"wast((module $M (func (export "f") (param i32) (result i32) local.get 0))
(register "m" $M)
(module binary "\00asm" "\01\00\00\00")
(invoke $M "f" (i32.const -1))
(assert_return (invoke "f" (i32.const 7)) (i32.const 7))
(assert_return (invoke "g" (i64.const 0x10) (f32.const -0.0) (f64.const nan:0x1))
  (f32.const nan:canonical) (f64.const nan:arithmetic) (i64.const -2))
(assert_return (invoke "v" (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 255))
  (v128.const f32x4 1 nan:canonical -inf nan:arithmetic) (v128.const i64x2 1 -1))
(assert_return (invoke "r" (ref.null func) (ref.extern 5) (ref.null extern))
  (ref.null extern) (ref.extern 5) (ref.extern) (ref.func) (either (i32.const 1) (i32.const 2)))
(assert_return (get $M "glob") (i32.const 3))
(assert_trap (invoke "f") "unreachable")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(assert_malformed (module quote "(func" " i32.const 0x)") "unknown operator")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_unlinkable (module (import "m" "nope" (func))) "unknown import")
)wast";

TEST(Script, reads_every_command_kind) {
  auto r = wat::read_script(kScript);
  ASSERT_TRUE(r.is_ok()) << wat::error_name(r.error().code) << " " << r.error().location.line << ":"
                         << r.error().location.column;
  auto& c = r.value().commands;
  ASSERT_EQ(c.size(), 15u);
  const CommandKind kinds[] = {
      CommandKind::Module,          CommandKind::Register,         CommandKind::Module,
      CommandKind::Action,          CommandKind::AssertReturn,     CommandKind::AssertReturn,
      CommandKind::AssertReturn,    CommandKind::AssertReturn,     CommandKind::AssertReturn,
      CommandKind::AssertTrap,      CommandKind::AssertModuleTrap, CommandKind::AssertExhaustion,
      CommandKind::AssertMalformed, CommandKind::AssertInvalid,    CommandKind::AssertUnlinkable};
  for (size_t i = 0; i < c.size(); ++i) EXPECT_EQ(c[i].kind, kinds[i]) << i;

  EXPECT_EQ(str(c[0].module.name), "$M");
  EXPECT_TRUE(c[0].module.ok);
  EXPECT_EQ(c[0].module.bytes.size(), 35u);  // as wat2wasm writes it
  EXPECT_EQ(c[0].location.line, 1u);
  EXPECT_EQ(str(c[1].register_name), "m");
  EXPECT_EQ(str(c[1].register_module), "$M");
  EXPECT_EQ(c[2].module.form, wat::ModuleForm::Binary);
  EXPECT_EQ(c[2].module.bytes.size(), 8u);

  EXPECT_EQ(str(c[3].action.module), "$M");
  EXPECT_EQ(str(c[3].action.field), "f");
  ASSERT_EQ(c[3].action.args.size(), 1u);
  EXPECT_EQ(c[3].action.args[0].type, ValueType::I32);
  EXPECT_EQ(c[3].action.args[0].bits, 0xffffffffu);
}

TEST(Script, values_and_result_patterns) {
  auto r = wat::read_script(kScript);
  ASSERT_TRUE(r.is_ok());
  auto& c = r.value().commands;

  auto& g = c[5];
  ASSERT_EQ(g.action.args.size(), 3u);
  EXPECT_EQ(g.action.args[0].bits, 0x10u);
  EXPECT_EQ(g.action.args[1].type, ValueType::F32);
  EXPECT_EQ(g.action.args[1].bits, 0x80000000u);
  EXPECT_EQ(g.action.args[2].bits, 0x7ff0000000000001u);
  ASSERT_EQ(g.expected.size(), 3u);
  EXPECT_EQ(g.expected[0].kind, ExpectKind::Nan);
  EXPECT_EQ(g.expected[0].nan, wat::NanPattern::Canonical);
  EXPECT_EQ(g.expected[0].value.type, ValueType::F32);
  EXPECT_EQ(g.expected[1].nan, wat::NanPattern::Arithmetic);
  EXPECT_EQ(g.expected[1].value.type, ValueType::F64);
  EXPECT_EQ(g.expected[2].kind, ExpectKind::Exact);
  EXPECT_EQ(g.expected[2].value.bits, ~u64{1});

  auto& v = c[6];
  EXPECT_EQ(v.action.args[0].type, ValueType::V128);
  EXPECT_EQ(v.action.args[0].v128[1], 1);
  EXPECT_EQ(v.action.args[0].v128[15], 255);
  ASSERT_EQ(v.expected.size(), 2u);
  EXPECT_EQ(v.expected[0].kind, ExpectKind::V128Lanes);
  EXPECT_EQ(v.expected[0].shape, wat::LaneShape::F32x4);
  EXPECT_EQ(v.expected[0].lane_nan[0], wat::NanPattern::None);
  EXPECT_EQ(v.expected[0].lane_nan[1], wat::NanPattern::Canonical);
  EXPECT_EQ(v.expected[0].lane_nan[3], wat::NanPattern::Arithmetic);
  u32 lane0, lane2;
  std::memcpy(&lane0, v.expected[0].value.v128, 4);
  std::memcpy(&lane2, v.expected[0].value.v128 + 8, 4);
  EXPECT_EQ(lane0, 0x3f800000u);
  EXPECT_EQ(lane2, 0xff800000u);
  EXPECT_EQ(v.expected[1].kind, ExpectKind::Exact);
  EXPECT_EQ(v.expected[1].value.v128[8], 0xff);

  auto& refs = c[7];
  EXPECT_TRUE(refs.action.args[0].is_null);
  EXPECT_EQ(refs.action.args[0].type, ValueType::FuncRef);
  EXPECT_EQ(refs.action.args[1].type, ValueType::ExternRef);
  EXPECT_EQ(refs.action.args[1].bits, 5u);
  ASSERT_EQ(refs.expected.size(), 5u);
  EXPECT_TRUE(refs.expected[0].value.is_null);
  EXPECT_EQ(refs.expected[1].kind, ExpectKind::Exact);
  EXPECT_EQ(refs.expected[2].kind, ExpectKind::AnyExternRef);
  EXPECT_EQ(refs.expected[3].kind, ExpectKind::AnyFuncRef);
  EXPECT_EQ(refs.expected[4].kind, ExpectKind::Either);
  ASSERT_EQ(refs.expected[4].alternatives.size(), 2u);
  EXPECT_EQ(refs.expected[4].alternatives[1].value.bits, 2u);

  EXPECT_EQ(c[8].action.kind, wat::ActionKind::Get);
  EXPECT_EQ(str(c[9].message), "unreachable");
  EXPECT_TRUE(c[10].module.ok);
}

TEST(Script, malformed_quoted_text_is_reported_with_its_position) {
  auto r = wat::read_script(kScript);
  ASSERT_TRUE(r.is_ok());
  auto& m = r.value().commands[12];
  EXPECT_EQ(m.module.form, wat::ModuleForm::Quote);
  EXPECT_FALSE(m.module.ok);
  EXPECT_EQ(m.module.error.code, wat::ErrorCode::BadInteger);
  EXPECT_EQ(m.module.error.location.line, 1u);  // in the quoted text "(func i32.const 0x)"
  EXPECT_EQ(m.module.error.location.column, 17u);
  EXPECT_EQ(str(m.message), "unknown operator");
  EXPECT_TRUE(r.value().commands[13].module.ok);  // invalid, but well-formed: it encodes
}

TEST(Script, inline_module_script_is_one_module) {
  auto r = wat::read_script("(func) (memory 0) (func (export \"f\"))");
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r.value().commands.size(), 1u);
  EXPECT_TRUE(r.value().commands[0].module.ok);
}

TEST(Script, broken_scripts_fail_with_a_position) {
  auto r = wat::read_script("(module)\n(assert_return (invoke \"f\" (i32.const 1)) (i33.const 0))");
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error().location.line, 2u);
  r = wat::read_script("(module)\n(frobnicate)");
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error().code, wat::ErrorCode::UnknownField);
  r = wat::read_script("(module (func)");
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error().code, wat::ErrorCode::UnexpectedEnd);
}

TEST(Script, text_module_errors_leave_the_script_readable) {
  auto r = wat::read_script("(assert_invalid (module (func (br $x))) \"unknown label\")\n(module)");
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r.value().commands.size(), 2u);
  EXPECT_FALSE(r.value().commands[0].module.ok);
  EXPECT_EQ(r.value().commands[0].module.error.code, wat::ErrorCode::UnknownName);
  EXPECT_TRUE(r.value().commands[1].module.ok);
}

}  // namespace

namespace {

TEST(Script, wasm3_script_forms) {
  const char text[] = R"wast((module definition $D (func (export "f")))
(module instance $I $D)
(module $"quoted id" (func $"a b" (call $"a b")))
(assert_exception (invoke $I "throw"))
(assert_return (invoke "g" (ref.null any) (ref.host 3)) (ref.null) (ref.i31) (ref.null none))
)wast";
  auto r = wat::read_script(text);
  ASSERT_TRUE(r.is_ok()) << wat::error_name(r.error().code) << " " << r.error().location.line << ":"
                         << r.error().location.column;
  auto& c = r.value().commands;
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0].kind, CommandKind::ModuleDefinition);
  EXPECT_EQ(str(c[0].module.name), "$D");
  EXPECT_TRUE(c[0].module.ok);
  EXPECT_EQ(c[1].kind, CommandKind::ModuleInstance);
  EXPECT_EQ(str(c[1].module.name), "$I");
  EXPECT_EQ(str(c[1].definition), "$D");
  EXPECT_TRUE(c[2].module.ok);
  EXPECT_EQ(c[3].kind, CommandKind::AssertException);
  auto& g = c[4];
  EXPECT_EQ(g.action.args[0].type, ValueType::OtherRef);
  EXPECT_TRUE(g.action.args[0].is_null);
  EXPECT_EQ(str(g.action.args[0].heap_type), "any");
  EXPECT_EQ(g.action.args[1].type, ValueType::HostRef);
  EXPECT_EQ(g.action.args[1].bits, 3u);
  EXPECT_EQ(g.expected[0].kind, ExpectKind::AnyNull);
  EXPECT_EQ(g.expected[1].kind, ExpectKind::AnyRefOf);
  EXPECT_EQ(str(g.expected[1].value.heap_type), "i31");
  EXPECT_EQ(str(g.expected[2].value.heap_type), "none");
}

}  // namespace
