// Decoder and validator: errors with offsets, SIMD not done refused clearly, no recursion per
// nesting level.
#include <pthread.h>

#include <cstring>

#include "wasm_test_util.h"

namespace wasm_test {
namespace {

TEST(Decode, TruncatedModuleIsMalformedAtItsEnd) {
  Bytes m = build({Fn{{}, {kI32}, {0x41, 42}, {}, "f"}});
  Bytes cut(m.begin(), m.end() - 3);
  auto r = compile(cut);
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error().kind, ErrorKind::Malformed);
  EXPECT_GE(r.error().offset, 8u);
  EXPECT_LE(r.error().offset, cut.size());
}

TEST(Decode, BadMagicIsMalformedAtOffsetZero) {
  Bytes m = {0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0};
  auto r = compile(m);
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error().kind, ErrorKind::Malformed);
  EXPECT_EQ(r.error().offset, 0u);
}

TEST(Decode, SimdNotDoneIsRefusedAsUnsupported) {
  // A v128 local is accepted; a SIMD instruction the engine does not run (here a sub-opcode no
  // instruction has) is refused as unsupported, never run.
  auto local = compile(build({Fn{{}, {}, {}, {0x7b}, ""}}));
  ASSERT_TRUE(local.is_ok());
  delete local.value();
  auto op = compile(build({Fn{{}, {}, {0xfd, 0x80, 0x04}, {}, ""}}));
  ASSERT_TRUE(op.is_error());
  EXPECT_EQ(op.error().kind, ErrorKind::Unsupported);
  EXPECT_STREQ(op.error().message, "SIMD instruction not supported yet");
}

TEST(Decode, OverlongLebIsMalformed) {
  Bytes m = build({Fn{{}, {kI32}, {0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, {}, "f"}});
  auto r = compile(m);
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error().kind, ErrorKind::Malformed);
}

TEST(Validate, TypeMismatchIsInvalidWithOffset) {
  // i64.const 1; i32.const 2; i32.add
  Bytes m = build({Fn{{}, {kI32}, {0x42, 1, 0x41, 2, 0x6a}, {}, "f"}});
  auto r = compile(m);
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(m[r.error().offset], 0x6a);  // points at the i32.add
}

TEST(Validate, UnknownLocalIsInvalid) {
  auto r = compile(build({Fn{{}, {kI32}, {0x20, 3}, {}, "f"}}));
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
}

struct DeepArgs {
  Bytes* module;
  bool compiled = false;
  u32 result = 0;
};

void* compile_and_run_deep(void* p) {
  DeepArgs* a = static_cast<DeepArgs*>(p);
  Harness h(*a->module);
  a->compiled = h.instance != nullptr;
  if (a->compiled && h.call("f") == RunStatus::Done) a->result = static_cast<u32>(h.result());
  return nullptr;
}

TEST(Decode, HundredThousandNestedBlocksFitIn64KiBOfStack) {
  constexpr int kDepth = 100000;
  Bytes body;
  for (int i = 0; i < kDepth; ++i) body.insert(body.end(), {0x02, 0x40});
  for (int i = 0; i < kDepth; ++i) body.push_back(0x0b);
  body.insert(body.end(), {0x41, 7});
  Bytes m = build({Fn{{}, {kI32}, body, {}, "f"}});
  DeepArgs args{&m};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_t t;
  ASSERT_EQ(pthread_create(&t, &attr, compile_and_run_deep, &args), 0);
  pthread_join(t, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_TRUE(args.compiled);
  EXPECT_EQ(args.result, 7u);
}

}  // namespace
}  // namespace wasm_test
