// The hostile-programs suite, from the review of the host functions: host calls that held a hart
// for seconds (a 64 MiB random_get, a 4 GiB read of a sparse file) end with the program's slice
// and continue, or return short, and an append takes a bounded step; a spawn's argument strings
// are counted with what the kernel keeps for each. Assertions are about order and results, never
// time.
#include <async/time.h>
#include <kernel/ktest/ktest.h>
#include <kernel/proc/programs.h>

#include <kernel/ktest/program_test_util.h>

namespace {

using namespace program_test;

constexpr StringView kLongCalls = "/hostile/long_calls.wasm";

bool have_hostile() { return programs::read_whole_file(kLongCalls).is_ok(); }

bool ended(u32 pid) {
  auto info = programs::info(pid);
  return !info || info->state == programs::State::Ended;
}

// A 48 MiB random_get (1.5 s of one hart in one call before): another program starts, runs and
// ends while it is still filling its buffer, at every hart count.
KTEST_ASYNC(hostile, a_long_random_get_lets_other_programs_run) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  auto hog = start("/hostile/long_calls.wasm random 48", "/tmp/long_calls.out");
  KEXPECT(hog.is_ok());
  if (hog.is_error()) co_return;
  // Its buffer is allocated (memory is counted at the end of a slice), so it is in the call.
  for (;;) {
    auto info = programs::info(hog.value());
    if (!info || info->state == programs::State::Ended || info->memory_bytes >= (48u << 20)) break;
    co_await async::sleep(async::milliseconds(1));
  }
  KEXPECT(!ended(hog.value()));
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "echo still here", out);
  KEXPECT_OUTPUT(out, "still here\n");
  KEXPECT_EQ(e.code, 0);
  KEXPECT(!ended(hog.value()));  // echo came and went during the random_get
  auto hog_end = co_await programs::wait(hog.value());
  KEXPECT(hog_end.is_ok());
  if (hog_end.is_ok()) {
    KEXPECT_EQ(static_cast<int>(hog_end.value().end), static_cast<int>(programs::End::Exited));
    KEXPECT_EQ(hog_end.value().code, 0);  // every page of the buffer was filled
  }
}

// A readv of 16 x 32 MiB from a 1 TiB sparse file comes back short (the slice ended), zeros.
KTEST_ASYNC(hostile, a_read_of_a_sparse_file_ends_with_the_slice) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "/hostile/long_calls.wasm hole", out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT_EQ(e.code, 0);  // else the number of the check that failed (24: all in one call)
  KEXPECT_OUTPUT(out, "");
}

// An 8 MiB O_APPEND write comes back short (an append is atomic, so one call takes at most
// 256 KiB), and path_open with O_CREAT | O_DIRECTORY fails without making a file.
KTEST_ASYNC(hostile, an_append_takes_a_bounded_step) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "/hostile/long_calls.wasm append", out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT_EQ(e.code, 0);  // 53: all 8 MiB in one call; 56: the failed open made a file
  KEXPECT_OUTPUT(out, "");
}

// 200,000 argument strings in 195 KiB: E2BIG (the kernel kept 8 MiB for such a child); 4,000
// still start and arrive whole.
KTEST_ASYNC(hostile, spawn_counts_what_the_kernel_keeps_per_argument) {
  if (!have_hostile()) co_return kt.skip("no hostile programs in the initrd");
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "/hostile/long_calls.wasm args", out);
  KEXPECT_EQ(static_cast<int>(e.end), static_cast<int>(programs::End::Exited));
  KEXPECT_EQ(e.code, 0);  // 30: the 200,000 strings were accepted
  KEXPECT_OUTPUT(out, "");
}

}  // namespace
