// What the executor benchmark and its Boost.Asio reference share: the sizes of the workloads and
// the completion count the timing thread sleeps on. Plain C++ (no Warden headers), so that the
// Asio translation unit does not see Warden's macros.
#pragma once

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

}  // namespace bench
