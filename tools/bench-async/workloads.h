// What the executor benchmark and its Boost.Asio reference share: the sizes of the workloads, the
// completion count the timing thread sleeps on, the arguments and the timed loop. Plain C++ (no
// Warden headers), so that the Asio translation unit does not see Warden's macros.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>

namespace bench {

// Operations per benchmark iteration (the table prints them). Spawn+complete stays at 1,000,000
// (issue 5); the others are sized so that one iteration takes tens of milliseconds.
inline constexpr std::uint64_t kSpawnTasks = 1'000'000;
inline constexpr std::uint64_t kChainLength = 200'000;
inline constexpr std::uint64_t kYields = 200'000;
inline constexpr std::uint64_t kPingPongRounds = 50'000;

// Counts completions down to zero; the thread that times the benchmark sleeps in wait() (a
// futex) rather than spinning, so that with 2 workers on 2 cores it does not take a core from
// them. Both sides use it the same way: one arrive() per finished task or handler.
class Completion {
 public:
  void expect(std::uint32_t count) { remaining_.store(count); }
  void arrive() {
    if (remaining_.fetch_sub(1) == 1) remaining_.notify_one();
  }
  void wait() {
    for (std::uint32_t left = remaining_.load(); left != 0; left = remaining_.load()) {
      remaining_.wait(left);
    }
  }

 private:
  std::atomic<std::uint32_t> remaining_{0};
};

// Every benchmark runs with 1 and 2 workers and `n` operations per iteration, in real time.
#define BENCH_WORKLOAD(function, n) \
  BENCHMARK(function)->ArgNames({"workers", "n"})->Args({1, n})->Args({2, n})->UseRealTime()

inline std::uint32_t workers(const benchmark::State& state) {
  return static_cast<std::uint32_t>(state.range(0));
}
inline std::uint64_t operations(const benchmark::State& state) {
  return static_cast<std::uint64_t>(state.range(1));
}

// The timed loop: each iteration expects `arrivals` completions at `done` (one per operation, or
// one for a workload whose last step arrives), start()s the workload and sleeps until they came.
// Reports operations(state) items per iteration.
template <typename Start>
void time_rounds(benchmark::State& state, Completion& done, std::uint64_t arrivals, Start start) {
  for (auto _ : state) {
    done.expect(static_cast<std::uint32_t>(arrivals));
    start();
    done.wait();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * operations(state)));
}

}  // namespace bench
