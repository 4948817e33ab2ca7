// The hostile-programs suite, translator part: programs from apps/hostile (in the initrd as
// /hostile/NAME.wasm) that try to leave the sandbox through the translator. Each must end as
// documented, and the kernel and other programs go on. Other hostile_*_test.cc files hold the
// attacks on WASI, limits, the console and authority.
#include <kernel/ktest/ktest.h>
#include <kernel/proc/programs.h>

#include <kernel/ktest/program_test_util.h>

namespace {

using namespace program_test;

bool have_hostile() { return programs::read_whole_file("/hostile/drop_immediate.wasm").is_ok(); }

KTEST_ASYNC(hostile, a_dropped_constant_is_not_the_next_immediate) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "/hostile/drop_immediate.wasm", out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT_EQ(e.code, 120);
}

KTEST_ASYNC(hostile, a_function_reference_does_not_leak_as_an_i64) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "/hostile/funcref_leak.wasm", out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT_EQ(e.code, 0);
}

KTEST_ASYNC(hostile, an_i64_cannot_be_forged_into_a_function_reference) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "/hostile/funcref_forge.wasm", out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Trapped));
  KEXPECT(StringView(e.reason).starts_with("trap: uninitialized element"));
  console::print("    forged call ended as: {}\n", e.reason);
  e = co_await run(kt, "echo still here", out);
  KEXPECT_OUTPUT(out, "still here\n");
}

}  // namespace
