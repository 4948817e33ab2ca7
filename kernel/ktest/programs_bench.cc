// Figures for `./x bench programs` (a manual test: boot argument test=bench.programs). Nothing
// here asserts a time; the lines starting with "bench:" are the output.
#include <async/time.h>
#include <kernel/arch/smp.h>
#include <kernel/arch/time.h>
#include <kernel/console/console.h>
#include <kernel/console/tty.h>
#include <kernel/ktest/ktest.h>
#include <kernel/proc/programs.h>

namespace {

using support::StringView;

support::Result<u32, programs::SpawnError> start(StringView path, StringView arg0, StringView arg1,
                                                 StringView out, bool console_in = false) {
  programs::SpawnRequest request;
  if (request.add_arg(arg0).is_error() || (arg1.size() > 0 && request.add_arg(arg1).is_error())) {
    return programs::SpawnError::NoMemory;
  }
  request.path = path;
  if (!console_in) request.stdio_path[0] = "/etc/motd";
  request.stdio_path[1] = out;
  request.stdio_path[2] = out;
  return programs::spawn(request);
}

void sort(u64* v, usize n) {
  for (usize i = 1; i < n; ++i) {
    for (usize j = i; j > 0 && v[j - 1] > v[j]; --j) {
      u64 t = v[j];
      v[j] = v[j - 1];
      v[j - 1] = t;
    }
  }
}

u64 file_size(StringView path) {
  auto got = programs::read_whole_file(path);
  return got.is_ok() ? got.value().size() : 0;
}

// Time from a line typed on the console to `lines` having written its answer, `samples` times.
async::Task<void> echo_latency(ktest::Context& kt, const char* label, u32 loops) {
  u32 spin[2] = {};
  for (u32 i = 0; i < loops; ++i) {
    auto pid = start("/bin/spin.wasm", "spin", "", "/tmp/bench-spin.out");
    CO_KASSERT(pid.is_ok());
    spin[i] = pid.value();
  }
  auto echo = start("/bin/lines.wasm", "lines", "", "/tmp/bench-lines.out", true);
  CO_KASSERT(echo.is_ok());
  co_await async::sleep(async::milliseconds(100));
  constexpr u32 kSamples = 21;
  u64 ns[kSamples];
  for (u32 i = 0; i < kSamples; ++i) {
    u64 before = file_size("/tmp/bench-lines.out");
    u64 t0 = ktime::now_ns();
    tty::inject("ping\n", 5);
    while (file_size("/tmp/bench-lines.out") < before + 7) co_await async::yield_now();
    ns[i] = ktime::now_ns() - t0;
    co_await async::sleep(async::milliseconds(5));
  }
  tty::inject("\x04", 1);
  (void)co_await programs::wait(echo.value());
  for (u32 i = 0; i < loops; ++i) {
    programs::kill(spin[i]);
    (void)co_await programs::wait(spin[i]);
  }
  sort(ns, kSamples);
  console::print("bench: console line to answer, {}: median {} us, max {} us ({} samples)\n", label,
                 ns[kSamples / 2] / 1000, ns[kSamples - 1] / 1000, kSamples);
}

KTEST_ASYNC_MANUAL(bench, programs) {
  if (programs::read_whole_file("/bin/echo.wasm").is_error()) co_return kt.skip("no apps");
  u32 harts = smp::cpu_count();
  console::print("\nbench: {} harts\n", harts);

  // Spawn to end, one at a time: the first compiles, the others hit the module cache.
  u64 t0 = ktime::now_ns();
  auto first = start("/bin/echo.wasm", "echo", "hi", "/tmp/bench.out");
  CO_KASSERT(first.is_ok());
  (void)co_await programs::wait(first.value());
  u64 cold = ktime::now_ns() - t0;
  constexpr u32 kRuns = 50;
  t0 = ktime::now_ns();
  for (u32 i = 0; i < kRuns; ++i) {
    auto pid = start("/bin/echo.wasm", "echo", "hi", "/tmp/bench.out");
    CO_KASSERT(pid.is_ok());
    (void)co_await programs::wait(pid.value());
  }
  u64 warm = (ktime::now_ns() - t0) / kRuns;
  console::print("bench: echo spawn to end: first (compiles) {} us, then {} us each ({} runs)\n",
                 cold / 1000, warm / 1000, kRuns);

  // Many at once.
  constexpr u32 kMany = 200;
  u32 pids[kMany];
  t0 = ktime::now_ns();
  for (u32 i = 0; i < kMany; ++i) {
    auto pid = start("/bin/primes.wasm", "primes", "30000", "/tmp/bench.out");
    CO_KASSERT(pid.is_ok());
    pids[i] = pid.value();
  }
  for (u32 pid : pids) (void)co_await programs::wait(pid);
  u64 many = ktime::now_ns() - t0;
  console::print("bench: {} x primes 30000 at once: {} ms, {} programs/s\n", kMany, many / 1000000,
                 kMany * 1000000000ull / (many == 0 ? 1 : many));

  programs::Stats before = programs::stats();
  co_await echo_latency(kt, "idle", 0);
  co_await echo_latency(kt, "two compute loops", 2);
  programs::Stats after = programs::stats();
  console::print("bench: slices {} of which {} ended by the slice timer\n",
                 after.slices - before.slices, after.preempted - before.preempted);
}

}  // namespace
