// Figures for `./x bench ipc` (a manual test: boot argument test=bench.ipc): runs
// /bench/ipc_bench.wasm (apps/bench/ipc_bench.c), which measures, in one run, the sched_yield
// round trip, reading 64 MiB from an in-memory file, 64 MiB through a pipe and a pipe round trip,
// and prints its "bench:" lines. Nothing here asserts a time.
#include <kernel/arch/smp.h>
#include <kernel/console/console.h>
#include <kernel/ktest/ktest.h>
#include <kernel/proc/programs.h>

#include <kernel/ktest/program_test_util.h>

namespace {

using namespace program_test;

KTEST_ASYNC_MANUAL(bench, ipc) {
  if (programs::read_whole_file("/bench/ipc_bench.wasm").is_error()) {
    co_return kt.skip("no /bench/ipc_bench.wasm in the initrd");
  }
  console::print("\nbench: {} harts\n", smp::cpu_count());
  support::Vector<u8> out;
  programs::Exit e = co_await run(kt, "/bench/ipc_bench.wasm", out);
  console::print("{}", text_of(out));
  KEXPECT(e.end == programs::End::Exited && e.code == 0);
}

}  // namespace
