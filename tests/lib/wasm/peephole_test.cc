// The translator's peephole state (a Const read as an immediate, a result retargeted into a
// local, a comparison fused into a branch) must end at every instruction that changes what the
// top of the stack is. Each test is a sequence that a stale state miscompiles.
#include <string>

#include <wat/module.h>

#include "wasm_test_util.h"

namespace wasm_test {
namespace {

Bytes text(const std::string& t) {
  auto r = wat::encode_module(support::StringView(t.data(), t.size()));
  EXPECT_TRUE(r.is_ok()) << t;
  if (r.is_error()) return {};
  return Bytes(r.value().data(), r.value().data() + r.value().size());
}

u64 run(const std::string& body, const char* result, const char* locals = "") {
  Harness h(text(std::string("(module (func (export \"f\") (result ") + result + ") " + locals +
                 " " + body + "))"));
  EXPECT_NE(h.instance, nullptr);
  if (h.instance == nullptr) return ~u64{0};
  EXPECT_EQ(h.call("f"), RunStatus::Done);
  return h.result();
}

TEST(Peephole, DroppedConstantIsNotTheNextImmediate) {
  EXPECT_EQ(run("i32.const 100 i32.const 20 i32.const 7 drop i32.add", "i32"), 120u);
}

TEST(Peephole, DroppedValueIsNotRetargetedByLocalSet) {
  EXPECT_EQ(run("i64.const 5 i64.const 9 drop local.set $x local.get $x", "i64", "(local $x i64)"),
            5u);
}

TEST(Peephole, DroppedComparisonIsNotFusedIntoTheBranch) {
  // The dropped `eq` (true) must not decide the branch: the condition is 0.
  EXPECT_EQ(run("(block (result i32) i32.const 1 i32.const 0 i32.const 3 i32.const 3 i32.eq drop "
                "br_if 0 drop i32.const 2)",
                "i32"),
            2u);
}

}  // namespace
}  // namespace wasm_test
