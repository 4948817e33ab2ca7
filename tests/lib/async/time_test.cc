// The timer wheel, sleep, timeout, select, yield_now.
#include "async_test_util.h"

#include <algorithm>
#include <random>
#include <vector>

namespace async_test {
namespace {

using async::Instant;
using async::milliseconds;
using async::TimerEntry;
using async::TimerWheel;

std::vector<Instant> drain_until(TimerWheel& wheel, Instant now) {
  std::vector<Instant> fired;
  while (TimerEntry* entry = wheel.pop_expired(now)) fired.push_back(entry->deadline);
  return fired;
}

TEST(TimerWheel, fires_each_timer_once_no_earlier_than_its_deadline) {
  std::mt19937_64 random(42);
  constexpr int kTimers = 4000;
  std::vector<TimerEntry> entries(kTimers);
  TimerWheel wheel;
  Instant base = 1'000'000'000;
  for (int i = 0; i < kTimers; ++i) {
    // From sub-tick to hours ahead, to exercise every level.
    u64 span = u64{1} << (random() % 44);
    entries[i].deadline = base + random() % span;
    wheel.insert(entries[i]);
  }
  std::vector<Instant> deadlines;
  for (auto& entry : entries) deadlines.push_back(entry.deadline);
  std::sort(deadlines.begin(), deadlines.end());

  std::vector<Instant> fired;
  Instant now = base;
  while (!wheel.empty()) {
    Instant next = wheel.next_deadline();
    ASSERT_NE(next, async::kNever);
    now = std::max(now, next) + random() % 100'000;  // the clock is never exactly on time
    for (Instant deadline : drain_until(wheel, now)) {
      ASSERT_LE(deadline, now);
      fired.push_back(deadline);
    }
  }
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, deadlines);
}

TEST(TimerWheel, timers_beyond_the_wheel_span_fire_on_time_across_windows) {
  std::mt19937_64 random(9);
  std::vector<TimerEntry> entries(300);
  TimerWheel wheel;
  for (auto& entry : entries) {
    entry.deadline = random() % (u64{1} << (40 + random() % 22));
    wheel.insert(entry);
  }
  usize fired = 0;
  Instant now = 0;
  while (!wheel.empty()) {
    now = std::max(now, wheel.next_deadline()) + random() % 1000;
    for (Instant deadline : drain_until(wheel, now)) {
      ASSERT_LE(deadline, now);
      // No later than one tick after its deadline (plus our jitter).
      ASSERT_GE(deadline + (Instant{1} << TimerWheel::kTickShift) + 1000, now);
      ++fired;
    }
  }
  EXPECT_EQ(fired, entries.size());
}

TEST(TimerWheel, next_deadline_is_never_later_than_the_earliest_timer) {
  std::mt19937_64 random(7);
  TimerWheel wheel;
  std::vector<TimerEntry> entries(500);
  Instant now = 5'000'000;
  for (auto& entry : entries) {
    entry.deadline = now + random() % (u64{1} << (random() % 40));
    wheel.insert(entry);
  }
  while (!wheel.empty()) {
    Instant earliest = async::kNever;
    for (auto& entry : entries) {
      if (wheel.contains(entry)) earliest = std::min(earliest, entry.deadline);
    }
    EXPECT_LE(wheel.next_deadline(), earliest + (Instant{1} << TimerWheel::kTickShift));
    now = std::max(now, wheel.next_deadline());
    drain_until(wheel, now);
  }
}

TEST(TimerWheel, removed_timers_never_fire) {
  TimerWheel wheel;
  std::vector<TimerEntry> entries(1000);
  for (usize i = 0; i < entries.size(); ++i) {
    entries[i].deadline = (i + 1) * 1'000'000;
    wheel.insert(entries[i]);
  }
  for (usize i = 0; i < entries.size(); i += 2) wheel.remove(entries[i]);
  EXPECT_EQ(wheel.size(), 500u);
  std::vector<Instant> fired = drain_until(wheel, 2'000'000'000);
  ASSERT_EQ(fired.size(), 500u);
  for (Instant deadline : fired) EXPECT_EQ((deadline / 1'000'000) % 2, 0u);
  EXPECT_TRUE(wheel.empty());
  EXPECT_EQ(wheel.next_deadline(), async::kNever);
}

TEST(TimerWheel, far_future_timers_wait_beyond_the_wheel_span) {
  TimerWheel wheel;
  TimerEntry far, near;
  far.deadline = Instant{1} << 60;
  near.deadline = 1'000'000;
  wheel.insert(far);
  wheel.insert(near);
  EXPECT_EQ(drain_until(wheel, 2'000'000).size(), 1u);
  EXPECT_TRUE(drain_until(wheel, (Instant{1} << 60) - 1).empty());
  EXPECT_EQ(drain_until(wheel, Instant{1} << 60).size(), 1u);
}

Task<Instant> sleep_and_report(Executor* executor, async::Duration duration) {
  co_await async::sleep(duration);
  co_return executor->now();
}

TEST(Sleep, wakes_no_earlier_than_asked_and_in_deadline_order) {
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  Instant start = executor.now();
  std::vector<JoinHandle<Instant>> handles;
  for (int i = 5; i >= 1; --i)
    handles.push_back(spawn(executor, sleep_and_report(&executor, milliseconds(i * 10))));
  for (int i = 0; i < 5; ++i) {
    auto woke = async::block_on(handles[i]);
    ASSERT_TRUE(woke.is_ok());
    EXPECT_GE(woke.value(), start + milliseconds((5 - i) * 10));
  }
}

Task<int> sleep_forever_holding(std::atomic<int>* drops) {
  DropFlag flag(drops);
  co_await async::sleep(async::seconds(3600));
  co_return 1;
}

TEST(Sleep, cancelling_a_sleeper_withdraws_its_timer) {
  std::atomic<int> drops{0};
  HostPlatform platform;
  Executor executor(platform, 1);
  WorkerThreads threads(executor, 1);
  auto handle = spawn(executor, sleep_forever_holding(&drops));
  wait_for([&] { return executor.live_tasks() == 1 && executor.counters().polled >= 1; });
  handle.cancel();
  EXPECT_EQ(async::block_on(handle).error(), Error::Cancelled);
  EXPECT_EQ(drops.load(), 1);
}

Task<int> quick(int value) { co_return value; }

Task<support::Result<int, Error>> with_timeout(async::Duration duration, Task<int> inner) {
  auto result = co_await async::timeout(duration, std::move(inner));
  co_return result;
}

TEST(Timeout, returns_the_value_when_in_time) {
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  auto handle = spawn(executor, with_timeout(async::seconds(60), quick(5)));
  auto result = async::block_on(handle);
  ASSERT_TRUE(result.is_ok());
  ASSERT_TRUE(result.value().is_ok());
  EXPECT_EQ(result.value().value(), 5);
}

TEST(Timeout, expires_and_cancels_the_future_running_its_destructors) {
  std::atomic<int> drops{0};
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  Instant start = executor.now();
  auto handle = spawn(executor, with_timeout(milliseconds(20), sleep_forever_holding(&drops)));
  auto result = async::block_on(handle);
  ASSERT_TRUE(result.is_ok());
  ASSERT_TRUE(result.value().is_error());
  EXPECT_EQ(result.value().error(), Error::TimedOut);
  EXPECT_EQ(drops.load(), 1);  // by the time timeout() returned
  EXPECT_GE(executor.now(), start + milliseconds(20));
}

Task<async::Unit> unit_after(async::Duration duration, std::atomic<int>* drops) {
  DropFlag flag(drops);
  co_await async::sleep(duration);
  co_return async::Unit{};
}

Task<int> int_after(async::Duration duration, int value, std::atomic<int>* drops) {
  DropFlag flag(drops);
  co_await async::sleep(duration);
  co_return value;
}

Task<int> select_first(std::atomic<int>* drops, async::Duration a, async::Duration b) {
  auto result = co_await async::select(int_after(a, 1, drops), unit_after(b, drops));
  if (result.is_error()) co_return -1;
  // Both futures' destructors have run by now: the winner's and the cancelled loser's.
  if (drops->load() != 2) co_return -2;
  co_return result.value().index == 0 ? *result.value().first : 100;
}

TEST(Select, returns_the_first_to_finish_and_cancels_the_loser) {
  std::atomic<int> drops{0};
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  auto a_wins = spawn(executor, select_first(&drops, milliseconds(1), async::seconds(3600)));
  EXPECT_EQ(async::block_on(a_wins).value(), 1);
  drops.store(0);
  auto b_wins = spawn(executor, select_first(&drops, async::seconds(3600), milliseconds(1)));
  EXPECT_EQ(async::block_on(b_wins).value(), 100);
}

Task<void> yield_and_log(std::vector<int>* log, int id, int times) {
  for (int i = 0; i < times; ++i) {
    log->push_back(id);
    co_await async::yield_now();
  }
}

TEST(YieldNow, lets_the_other_tasks_on_the_worker_run_first) {
  HostPlatform platform;
  Executor executor(platform, 1);
  std::vector<int> log;
  platform.set_current_worker(0);
  auto a = spawn(executor, yield_and_log(&log, 1, 3));
  auto b = spawn(executor, yield_and_log(&log, 2, 3));
  while (!a.is_finished() || !b.is_finished()) executor.tick(0);
  platform.set_current_worker(async::kNoWorker);
  EXPECT_EQ(log, (std::vector<int>{1, 2, 1, 2, 1, 2}));
}

}  // namespace
}  // namespace async_test
