// The executor: spawning, joining, waking, cancelling, stealing, closing, running out of memory.
#include "async_test_util.h"

#include <chrono>
#include <vector>

namespace async_test {
namespace {

using async::TaskHeader;
using async::Waker;

Task<int> add(int a, int b) { co_return a + b; }

Task<int> add_twice(int a) {
  int x = co_await add(a, a);
  int y = co_await add(x, 1);
  co_return y;
}

Task<void> record(std::atomic<int>* counter) {
  counter->fetch_add(1);
  co_return;
}

TEST(Executor, single_worker_runs_task_and_join_reports_value) {
  HostPlatform platform;
  Executor executor(platform, 1);
  WorkerThreads threads(executor, 1);
  auto handle = spawn(executor, add_twice(20));
  auto result = async::block_on(handle);
  ASSERT_TRUE(result.is_ok());
  EXPECT_EQ(result.value(), 41);
}

TEST(Executor, tick_polls_a_task_spawned_on_its_worker) {
  HostPlatform platform;
  Executor executor(platform, 1);
  platform.set_current_worker(0);
  auto handle = spawn(executor, add(2, 3));
  EXPECT_EQ(executor.queued(0), 1u);
  EXPECT_EQ(executor.injector_queued(), 0u);
  EXPECT_EQ(executor.tick(0), 1u);
  EXPECT_TRUE(handle.is_finished());
  EXPECT_EQ(handle.take_result().value(), 5);
  platform.set_current_worker(async::kNoWorker);
}

// Notes `id`, then spawns the next link of the chain (ids id+1 ... id+left) on this worker.
Task<void> spawn_chain(Executor* executor, std::vector<int>* order, int id, int left) {
  order->push_back(id);
  if (left > 0) spawn(*executor, spawn_chain(executor, order, id + 1, left - 1)).detach();
  co_return;
}

Task<void> note(std::vector<int>* order, int id) {
  order->push_back(id);
  co_return;
}

TEST(Executor, task_spawned_by_a_running_task_is_polled_next_but_cannot_starve_the_queue) {
  HostPlatform platform;
  Executor executor(platform, 1);
  platform.set_current_worker(0);
  std::vector<int> order;
  spawn(executor, spawn_chain(&executor, &order, 0, 10)).detach();  // outside a poll: queued
  spawn(executor, note(&order, 100)).detach();
  EXPECT_EQ(executor.queued(0), 2u);
  EXPECT_EQ(executor.tick(0), 12u);
  platform.set_current_worker(async::kNoWorker);
  // Each link runs right after its parent (the LIFO slot), but after kMaxLifoPolls links in a row
  // the next goes to the back of the queue, behind the task that waited there.
  static_assert(Executor::kMaxLifoPolls == 3);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 100, 4, 5, 6, 7, 8, 9, 10}));
}

TEST(Executor, tick_polls_at_most_256_tasks) {
  HostPlatform platform;
  Executor executor(platform, 1);
  platform.set_current_worker(0);
  std::atomic<int> done{0};
  for (int i = 0; i < 300; ++i) spawn(executor, record(&done)).detach();
  EXPECT_EQ(executor.tick(0), Executor::kTickBudget);
  EXPECT_EQ(done.load(), 256);
  EXPECT_EQ(executor.tick(0), 44u);
  EXPECT_EQ(done.load(), 300);
  platform.set_current_worker(async::kNoWorker);
}

TEST(Executor, spawn_from_outside_lands_in_injector_and_runs) {
  HostPlatform platform;
  Executor executor(platform, 2);
  std::atomic<int> done{0};
  auto handle = spawn(executor, record(&done));
  EXPECT_EQ(executor.injector_queued(), 1u);
  EXPECT_EQ(executor.queued(0) + executor.queued(1), 0u);
  WorkerThreads threads(executor, 2);
  ASSERT_TRUE(async::block_on(handle).is_ok());
  EXPECT_EQ(done.load(), 1);
  EXPECT_EQ(executor.injector_queued(), 0u);
}

Task<int> join_other(JoinHandle<int> other, std::atomic<int>* joined_on) {
  auto result = co_await other;
  Executor& executor = co_await async::current_executor();
  joined_on->store(static_cast<int>(executor.platform().current_worker()));
  co_return result.is_ok() ? result.value() * 2 : -1;
}

Task<int> parked_value(WakerSlot* slot, int value) {
  co_await Parked(*slot);
  co_return value;
}

TEST(Executor, join_handle_is_awaited_from_a_task_on_another_worker) {
  HostPlatform platform;
  Executor executor(platform, 2);
  WakerSlot slot;
  std::atomic<int> joined_on{-1};
  platform.set_current_worker(0);
  auto inner = spawn(executor, parked_value(&slot, 21));
  platform.set_current_worker(1);
  auto outer = spawn(executor, join_other(std::move(inner), &joined_on));
  platform.set_current_worker(async::kNoWorker);
  EXPECT_EQ(executor.queued(0), 1u);
  EXPECT_EQ(executor.queued(1), 1u);
  WorkerThreads threads(executor, 2);
  wait_for([&] { return slot.filled(); });
  slot.take().wake();
  auto result = async::block_on(outer);
  ASSERT_TRUE(result.is_ok());
  EXPECT_EQ(result.value(), 42);
  EXPECT_GE(joined_on.load(), 0);
}

TEST(Executor, join_handle_is_waited_on_from_a_plain_thread) {
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  WakerSlot slot;
  auto handle = spawn(executor, parked_value(&slot, 7));
  std::thread waiter([&] {
    auto result = async::block_on(handle);
    EXPECT_TRUE(result.is_ok());
    EXPECT_EQ(result.value(), 7);
  });
  wait_for([&] { return slot.filled(); });
  slot.take().wake();
  waiter.join();
}

// A leaf that wakes its own task while it is being polled, `wakes` times.
struct SelfWaking : async::Leaf<SelfWaking> {
  int polls = 0;
  int wakes = 1;
  bool poll(TaskHeader& task) {
    ++polls;
    if (polls > wakes) return true;
    task.waker().wake();  // while running: must cause exactly one more poll
    return false;
  }
  int await_resume() { return polls; }
};

Task<int> self_waking(int wakes) {
  SelfWaking leaf;
  leaf.wakes = wakes;
  int polls = co_await leaf;
  co_return polls;
}

TEST(Executor, woken_while_running_is_polled_again) {
  HostPlatform platform;
  Executor executor(platform, 1);
  platform.set_current_worker(0);
  auto handle = spawn(executor, self_waking(3));
  EXPECT_EQ(executor.tick(0), 4u);  // the first poll and one per wake, in the same tick
  ASSERT_TRUE(handle.is_finished());
  EXPECT_EQ(handle.take_result().value(), 4);
  platform.set_current_worker(async::kNoWorker);
}

// The first poll hands the waker to another thread and returns only after that thread woke it:
// the wake lands while the task is running, and must not be lost.
struct WokenFromElsewhere : async::Leaf<WokenFromElsewhere> {
  WakerSlot* slot;
  std::atomic<bool>* woken;
  int polls = 0;
  bool poll(TaskHeader& task) {
    if (++polls > 1) return true;
    slot->put(task.waker());
    while (!woken->load()) std::this_thread::yield();
    return false;
  }
  void await_resume() {}
};

Task<int> woken_elsewhere(WakerSlot* slot, std::atomic<bool>* woken) {
  WokenFromElsewhere leaf;
  leaf.slot = slot;
  leaf.woken = woken;
  co_await leaf;
  co_return leaf.polls;
}

TEST(Executor, wake_from_another_thread_during_poll_is_not_lost) {
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  for (int round = 0; round < 200; ++round) {
    WakerSlot slot;
    std::atomic<bool> woken{false};
    auto handle = spawn(executor, woken_elsewhere(&slot, &woken));
    wait_for([&] { return slot.filled(); });
    slot.take().wake();
    woken.store(true);
    auto result = async::block_on(handle);
    ASSERT_TRUE(result.is_ok());
    EXPECT_EQ(result.value(), 2);
  }
}

// Many threads wake the same tasks at random; each task checks that it never runs twice at once.
struct Shared {
  std::mutex mutex;
  std::vector<Waker> wakers;
  std::atomic<bool> stop{false};
};

struct RegisterAndYield : async::Leaf<RegisterAndYield> {
  Shared* shared;
  usize index;
  bool first = true;
  bool poll(TaskHeader& task) {
    if (!first) return true;
    first = false;
    std::lock_guard<std::mutex> guard(shared->mutex);
    shared->wakers[index] = task.waker();
    return false;
  }
  void await_resume() {}
};

Task<int> contended(Shared* shared, usize index, std::atomic<int>* in_poll, int rounds) {
  int overlaps = 0;
  for (int i = 0; i < rounds; ++i) {
    if (in_poll[index].exchange(1) != 0) ++overlaps;
    std::this_thread::yield();
    in_poll[index].store(0);
    RegisterAndYield leaf;
    leaf.shared = shared;
    leaf.index = index;
    co_await leaf;
  }
  co_return overlaps;
}

TEST(Executor, task_is_never_polled_twice_at_once_under_concurrent_wakes) {
  constexpr usize kTasks = 16;
  const int rounds = kUnderTsan ? 100 : 400;
  HostPlatform platform;
  Executor executor(platform, 4);
  WorkerThreads threads(executor, 4);
  Shared shared;
  shared.wakers.resize(kTasks);
  std::atomic<int> in_poll[kTasks] = {};
  std::vector<JoinHandle<int>> handles;
  for (usize i = 0; i < kTasks; ++i) {
    handles.push_back(spawn(executor, contended(&shared, i, in_poll, rounds)));
  }
  std::vector<std::thread> wakers;
  for (int t = 0; t < 2; ++t) {
    wakers.emplace_back([&shared, t] {
      usize i = static_cast<usize>(t);
      while (!shared.stop.load()) {
        Waker copy;
        {
          std::lock_guard<std::mutex> guard(shared.mutex);
          copy = shared.wakers[i % kTasks].clone();
        }
        copy.wake_by_ref();  // extra, racing wakes besides the real one below
        copy.wake();
        i += 7;
      }
    });
  }
  for (auto& handle : handles) {
    auto result = async::block_on(handle);
    ASSERT_TRUE(result.is_ok());
    EXPECT_EQ(result.value(), 0);
  }
  shared.stop.store(true);
  for (auto& thread : wakers) thread.join();
  std::lock_guard<std::mutex> guard(shared.mutex);
  shared.wakers.clear();
}

Task<void> yielding(std::atomic<u8>* slot, int yields) {
  for (int i = 0; i < yields; ++i) co_await async::yield_now();
  slot->fetch_add(1);
}

Task<void> mark(std::atomic<u8>* slot, std::atomic<usize>* done) {
  slot->fetch_add(1);
  done->fetch_add(1);
  co_return;
}

// Spawns tasks [begin, end) from inside a task (on a worker), detached.
Task<void> spawn_range(std::atomic<u8>* slots, usize begin, usize end, std::atomic<usize>* done) {
  Executor& executor = co_await async::current_executor();
  for (usize i = begin; i < end; ++i) {
    auto handle = executor.try_spawn(mark(&slots[i], done));
    if (handle.is_error()) std::abort();
    if (i % 1024 == 0) co_await async::yield_now();
  }
}

class ManyTasks : public ::testing::TestWithParam<u32> {};

TEST_P(ManyTasks, every_task_completes_exactly_once) {
  // 1,000,000 normally; fewer under the sanitizers, which are 5-20 times slower.
  const usize total = kUnderTsan ? 100'000 : kUnderAsan ? 200'000 : 1'000'000;
  u32 workers = GetParam();
  auto slots = std::make_unique<std::atomic<u8>[]>(total);
  std::atomic<usize> done{0};
  HostPlatform platform;
  Executor executor(platform, workers);
  WorkerThreads threads(executor, workers);
  // Half from outside (injector), half from tasks on workers (their queues, then stolen).
  usize half = total / 2;
  for (usize i = 0; i < half; ++i) {
    auto handle = executor.try_spawn(mark(&slots[i], &done));
    ASSERT_TRUE(handle.is_ok());
  }
  constexpr usize kSpawners = 8;
  std::vector<JoinHandle<void>> spawners;
  for (usize s = 0; s < kSpawners; ++s) {
    usize begin = half + (total - half) * s / kSpawners;
    usize end = half + (total - half) * (s + 1) / kSpawners;
    spawners.push_back(spawn(executor, spawn_range(slots.get(), begin, end, &done)));
  }
  for (auto& spawner : spawners) ASSERT_TRUE(async::block_on(spawner).is_ok());
  wait_for([&] { return done.load() == total; });
  threads.stop();
  for (usize i = 0; i < total; ++i) {
    ASSERT_EQ(slots[i].load(), 1) << "task " << i;
  }
  async::Counters counters = executor.counters();
  EXPECT_EQ(counters.spawned, total + kSpawners);
  EXPECT_EQ(counters.completed, total + kSpawners);
  EXPECT_EQ(executor.live_tasks(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Workers, ManyTasks, ::testing::Values(1u, 2u, 4u, 8u));

Task<void> note_victim_queue(Executor* executor, std::vector<u64>* seen) {
  seen->push_back(executor->queued(0));
  co_return;
}

TEST(Executor, steals_half_of_victim_queue) {
  HostPlatform platform;
  Executor executor(platform, 2);
  std::vector<u64> seen;
  platform.set_current_worker(0);
  for (int i = 0; i < 10; ++i) spawn(executor, note_victim_queue(&executor, &seen)).detach();
  EXPECT_EQ(executor.queued(0), 10u);
  platform.set_current_worker(1);  // this thread now acts as worker 1, whose queue is empty
  EXPECT_EQ(executor.tick(1), 10u);
  platform.set_current_worker(async::kNoWorker);
  ASSERT_EQ(seen.size(), 10u);
  EXPECT_EQ(seen[0], 5u);  // the first steal took 5 of 10, the rest stayed with worker 0
  EXPECT_EQ(executor.counters(1).stolen, 10u);
  EXPECT_EQ(executor.counters(0).stolen, 0u);
}

// Spawns `total` yielding tasks on this worker's queue, all at once.
Task<void> spawn_yielding(std::atomic<u8>* slots, usize total,
                          std::vector<JoinHandle<void>>* handles) {
  Executor& executor = co_await async::current_executor();
  for (usize i = 0; i < total; ++i) {
    auto handle = executor.try_spawn(yielding(&slots[i], 3));
    if (handle.is_error()) std::abort();
    handles->push_back(handle.release_value());
  }
}

TEST(Executor, idle_workers_steal_from_a_busy_one) {
  const usize total = kUnderTsan ? 2'000 : 20'000;
  auto slots = std::make_unique<std::atomic<u8>[]>(total);
  HostPlatform platform;
  Executor executor(platform, 4);
  WorkerThreads threads(executor, 4);
  std::vector<JoinHandle<void>> handles;
  auto spawner = spawn(executor, spawn_yielding(slots.get(), total, &handles));
  ASSERT_TRUE(async::block_on(spawner).is_ok());
  for (auto& handle : handles) ASSERT_TRUE(async::block_on(handle).is_ok());
  for (usize i = 0; i < total; ++i) ASSERT_EQ(slots[i].load(), 1);
  EXPECT_GT(executor.counters().stolen, 0u);
}

Task<void> parked_forever(DropFlag flag, std::atomic<int>* started, std::atomic<int>* finished) {
  DropFlag local(flag.drops);
  flag.drops = nullptr;
  started->fetch_add(1);
  co_await Forever{};
  finished->fetch_add(1);
}

TEST(Executor, cancel_before_first_poll_runs_destructors_and_never_runs_the_body) {
  std::atomic<int> drops{0}, started{0}, finished{0};
  HostPlatform platform;
  Executor executor(platform, 1);
  auto handle = spawn(executor, parked_forever(DropFlag(&drops), &started, &finished));
  handle.cancel();
  WorkerThreads threads(executor, 1);
  auto result = async::block_on(handle);
  ASSERT_TRUE(result.is_error());
  EXPECT_EQ(result.error(), Error::Cancelled);
  EXPECT_EQ(started.load(), 0);
  EXPECT_EQ(drops.load(), 1);  // the argument in the frame
}

// Cancelled, then detached before its first poll: the worker holds the only reference and takes
// the task without atomic read-modify-writes (held_alone), and still sees the cancel.
TEST(Executor, cancelled_and_detached_before_its_first_poll_never_runs_the_body) {
  std::atomic<int> drops{0}, started{0}, finished{0};
  HostPlatform platform;
  Executor executor(platform, 1);
  platform.set_current_worker(0);
  auto handle = spawn(executor, parked_forever(DropFlag(&drops), &started, &finished));
  handle.cancel();
  handle.detach();
  EXPECT_EQ(executor.tick(0), 1u);
  platform.set_current_worker(async::kNoWorker);
  EXPECT_EQ(started.load(), 0);
  EXPECT_EQ(drops.load(), 1);  // the argument in the frame
  EXPECT_EQ(executor.live_tasks(), 0u);
  EXPECT_EQ(executor.counters().completed, 1u);
}

TEST(Executor, cancel_runs_destructors_of_a_suspended_task) {
  std::atomic<int> drops{0}, started{0}, finished{0};
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  auto handle = spawn(executor, parked_forever(DropFlag(&drops), &started, &finished));
  wait_for([&] { return started.load() == 1; });
  EXPECT_EQ(drops.load(), 0);
  handle.cancel();
  auto result = async::block_on(handle);
  ASSERT_TRUE(result.is_error());
  EXPECT_EQ(result.error(), Error::Cancelled);
  EXPECT_EQ(drops.load(), 1);
  EXPECT_EQ(finished.load(), 0);
}

// Cancelled while its poll is running: it stops at the suspension point that poll reaches.
struct CancelledDuringPoll : async::Leaf<CancelledDuringPoll> {
  std::atomic<int>* in_poll;
  std::atomic<bool>* cancelled;
  bool poll(TaskHeader&) {
    in_poll->store(1);
    while (!cancelled->load()) std::this_thread::yield();
    return false;  // suspends (with no waker registered): only the cancel brings it back
  }
  void await_resume() {}
};

Task<void> cancelled_during_poll(std::atomic<int>* in_poll, std::atomic<bool>* cancelled,
                                 std::atomic<int>* drops, std::atomic<int>* after) {
  DropFlag flag(drops);
  CancelledDuringPoll leaf;
  leaf.in_poll = in_poll;
  leaf.cancelled = cancelled;
  co_await leaf;
  after->fetch_add(1);
}

TEST(Executor, cancel_during_poll_stops_at_the_next_suspension_point) {
  std::atomic<int> in_poll{0}, drops{0}, after{0};
  std::atomic<bool> cancelled{false};
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  auto handle = spawn(executor, cancelled_during_poll(&in_poll, &cancelled, &drops, &after));
  wait_for([&] { return in_poll.load() == 1; });
  handle.cancel();
  cancelled.store(true);
  auto result = async::block_on(handle);
  ASSERT_TRUE(result.is_error());
  EXPECT_EQ(result.error(), Error::Cancelled);
  EXPECT_EQ(after.load(), 0);
  EXPECT_EQ(drops.load(), 1);
}

TEST(Executor, cancel_after_completion_keeps_the_value) {
  HostPlatform platform;
  Executor executor(platform, 1);
  WorkerThreads threads(executor, 1);
  auto handle = spawn(executor, add(1, 2));
  auto result = async::block_on(handle);
  handle.cancel();
  ASSERT_TRUE(result.is_ok());
  EXPECT_EQ(result.value(), 3);
}

Task<void> parked_then_mark(WakerSlot* slot, std::atomic<int>* done) {
  co_await Parked(*slot);
  done->fetch_add(1);
}

TEST(Executor, dropping_the_handle_detaches_the_task) {
  std::atomic<int> done{0};
  WakerSlot slot;
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  spawn(executor, parked_then_mark(&slot, &done)).detach();
  wait_for([&] { return slot.filled(); });
  slot.take().wake();
  wait_for([&] { return done.load() == 1; });
  wait_for([&] { return executor.live_tasks() == 0; });
}

TEST(Executor, close_with_tasks_pending_returns_closed_refuses_spawns_and_frees_everything) {
  std::atomic<int> drops{0}, started{0}, finished{0};
  CountingAllocator allocator;
  std::vector<JoinHandle<void>> handles;
  {
    HostPlatform platform;
    Executor executor(platform, 2);
    WorkerThreads threads(executor, 2);
    for (int i = 0; i < 10; ++i) {
      auto handle =
          executor.try_spawn_in(parked_forever(DropFlag(&drops), &started, &finished), allocator);
      ASSERT_TRUE(handle.is_ok());
      handles.push_back(handle.release_value());
    }
    // And some that never get to run at all.
    for (int i = 0; i < 10; ++i) {
      auto handle =
          executor.try_spawn_in(parked_forever(DropFlag(&drops), &started, &finished), allocator);
      ASSERT_TRUE(handle.is_ok());
      handles.push_back(handle.release_value());
      if (i == 0) wait_for([&] { return started.load() >= 10; });
    }
    threads.stop();  // each run() returned Error::Closed (WorkerThreads checks)
    EXPECT_TRUE(executor.is_closed());
    auto refused = executor.try_spawn(add(1, 1));
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error(), Error::Closed);
    EXPECT_EQ(finished.load(), 0);
  }  // the executor cancels what is left
  EXPECT_EQ(drops.load(), 20);
  for (auto& handle : handles) {
    ASSERT_TRUE(handle.is_finished());
    auto result = handle.take_result();
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::Cancelled);
  }
  handles.clear();
  EXPECT_EQ(allocator.live(), 0);
}

TEST(Executor, destroying_the_executor_cancels_tasks_that_waited_and_tasks_never_polled) {
  std::atomic<int> drops{0}, started{0}, finished{0};
  CountingAllocator allocator;
  std::vector<JoinHandle<void>> handles;
  {
    HostPlatform platform;
    Executor executor(platform, 1);
    auto spawn_one = [&] {
      auto handle =
          executor.try_spawn_in(parked_forever(DropFlag(&drops), &started, &finished), allocator);
      ASSERT_TRUE(handle.is_ok());
      handles.push_back(handle.release_value());
    };
    platform.set_current_worker(0);
    spawn_one();  // polled below: waits, on the owned list
    EXPECT_EQ(executor.tick(0), 1u);
    EXPECT_EQ(executor.live_tasks(), 1u);
    spawn_one();  // on worker 0's queue, never polled
    platform.set_current_worker(async::kNoWorker);
    spawn_one();  // on the injector, never polled
    EXPECT_EQ(started.load(), 1);
  }
  EXPECT_EQ(drops.load(), 3);
  for (auto& handle : handles) {
    ASSERT_TRUE(handle.is_finished());
    auto result = handle.take_result();
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::Cancelled);
  }
  handles.clear();
  EXPECT_EQ(allocator.live(), 0);
  EXPECT_EQ(finished.load(), 0);
}

TEST(Executor, spawn_fails_cleanly_when_allocator_is_exhausted) {
  std::atomic<int> drops{0}, started{0}, finished{0};
  HostPlatform platform;
  Executor executor(platform, 1);
  CountingAllocator allocator(0);
  auto handle =
      executor.try_spawn_in(parked_forever(DropFlag(&drops), &started, &finished), allocator);
  ASSERT_TRUE(handle.is_error());
  EXPECT_EQ(handle.error(), Error::NoMemory);
  EXPECT_EQ(drops.load(), 1);  // the future was destroyed, its argument with it
  EXPECT_EQ(allocator.live(), 0);
  EXPECT_EQ(executor.live_tasks(), 0u);
  EXPECT_EQ(executor.counters().spawned, 0u);
}

Task<int> framed_in(async::Allocator&, int value) { co_return value; }

Task<support::Result<int, Error>> child_in(async::Allocator&, int value) { co_return value; }

// Out of line, so that the compiler cannot elide the child's frame into its parent's (which
// it may do for a child awaited at once, and then there is no allocation to fail).
[[gnu::noinline]] Task<support::Result<int, Error>> make_child(async::Allocator* allocator) {
  return child_in(*allocator, 5);
}

Task<support::Result<int, Error>> parent_of_failing_child(async::Allocator* allocator) {
  Task<support::Result<int, Error>> child = make_child(allocator);
  auto value = co_await std::move(child);
  co_return value;
}

TEST(Executor, coroutine_frame_allocation_failure_is_reported_not_fatal) {
  CountingAllocator exhausted(0);
  Task<int> task = framed_in(exhausted, 1);
  EXPECT_FALSE(task.valid());
  HostPlatform platform;
  Executor executor(platform, 1);
  auto handle = executor.try_spawn(std::move(task));
  ASSERT_TRUE(handle.is_error());
  EXPECT_EQ(handle.error(), Error::NoMemory);

  WorkerThreads threads(executor, 1);
  auto parent = spawn(executor, parent_of_failing_child(&exhausted));
  auto result = async::block_on(parent);
  ASSERT_TRUE(result.is_ok());
  ASSERT_TRUE(result.value().is_error());
  EXPECT_EQ(result.value().error(), Error::NoMemory);
}

TEST(Executor, frames_and_records_come_from_the_given_allocator_and_all_return) {
  CountingAllocator allocator;
  {
    HostPlatform platform;
    Executor executor(platform, 2);
    WorkerThreads threads(executor, 2);
    std::vector<JoinHandle<int>> handles;
    for (int i = 0; i < 100; ++i) {
      auto handle = executor.try_spawn_in(framed_in(allocator, i), allocator);
      ASSERT_TRUE(handle.is_ok());
      handles.push_back(handle.release_value());
    }
    // A record each (kept by its handle), and a frame each until the task finishes.
    EXPECT_GE(allocator.live(), 100);
    EXPECT_LE(allocator.live(), 200);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(async::block_on(handles[i]).value(), i);
  }
  EXPECT_EQ(allocator.live(), 0);
}

TEST(Executor, spawning_takes_one_allocation_for_frame_and_record) {
  CountingAllocator allocator(1);  // room for the frame only: the record must share its block
  HostPlatform platform;
  Executor executor(platform, 1);
  auto spawned = executor.try_spawn_in(framed_in(allocator, 7), allocator);
  ASSERT_TRUE(spawned.is_ok());
  JoinHandle<int> handle = spawned.release_value();
  EXPECT_EQ(allocator.live(), 1);
  platform.set_current_worker(0);
  EXPECT_EQ(executor.tick(0), 1u);
  platform.set_current_worker(async::kNoWorker);
  ASSERT_TRUE(handle.is_finished());
  EXPECT_EQ(allocator.live(), 1);  // the frame is destroyed; its block holds the record
  EXPECT_EQ(handle.take_result().value(), 7);
  handle.detach();
  EXPECT_EQ(allocator.live(), 0);
}

TEST(Executor, record_gets_its_own_block_when_the_frame_came_from_another_allocator) {
  CountingAllocator frames, records;
  HostPlatform platform;
  Executor executor(platform, 1);
  auto spawned = executor.try_spawn_in(framed_in(frames, 3), records);
  ASSERT_TRUE(spawned.is_ok());
  JoinHandle<int> handle = spawned.release_value();
  EXPECT_EQ(records.live(), 1);
  EXPECT_EQ(frames.live(), 1);
  platform.set_current_worker(0);
  EXPECT_EQ(executor.tick(0), 1u);
  platform.set_current_worker(async::kNoWorker);
  ASSERT_TRUE(handle.is_finished());
  EXPECT_EQ(frames.live(), 0);  // freed when the task finished
  EXPECT_EQ(handle.take_result().value(), 3);
  handle.detach();
  EXPECT_EQ(records.live(), 0);
}

Task<void> parked_twice(WakerSlot* slot) {
  co_await Parked(*slot);
  co_await Parked(*slot);
}

// try_spawn_detached: no JoinHandle; the task holds the queue's reference only, and its frame
// and record go back to the allocator when it finishes.
TEST(Executor, a_detached_task_runs_and_returns_its_frame_and_record_when_it_finishes) {
  CountingAllocator allocator(1);  // the frame's block only: the record must share it
  HostPlatform platform;
  Executor executor(platform, 1);
  std::atomic<int> done{0};
  ASSERT_TRUE(executor.try_spawn_detached_in(record(&done), allocator).is_ok());
  EXPECT_EQ(allocator.live(), 1);
  platform.set_current_worker(0);
  EXPECT_EQ(executor.tick(0), 1u);
  platform.set_current_worker(async::kNoWorker);
  EXPECT_EQ(done.load(), 1);
  EXPECT_EQ(allocator.live(), 0);
  EXPECT_EQ(executor.live_tasks(), 0u);
  EXPECT_EQ(executor.counters().completed, 1u);
}

// Spawned detached from a running task: each takes the LIFO slot and displaces the one before
// to the queue, and every one runs once.
Task<void> spawn_detached_many(std::atomic<int>* done, int count) {
  Executor& executor = co_await async::current_executor();
  for (int i = 0; i < count; ++i) EXPECT_TRUE(executor.try_spawn_detached(record(done)).is_ok());
}

TEST(Executor, tasks_spawned_detached_by_a_task_all_run_once) {
  std::atomic<int> done{0};
  {
    HostPlatform platform;
    Executor executor(platform, 2);
    WorkerThreads threads(executor, 2);
    auto spawner = spawn(executor, spawn_detached_many(&done, 1000));
    EXPECT_TRUE(async::block_on(spawner).is_ok());
    while (done.load() < 1000) std::this_thread::yield();
  }
  EXPECT_EQ(done.load(), 1000);
}

// A detached task that waits is woken and finishes like any other; one that never ran is
// cancelled by the executor's destructor (its destructors run, its memory returns).
TEST(Executor, a_detached_task_that_waits_is_woken_and_one_never_polled_is_freed_at_shutdown) {
  CountingAllocator allocator;
  std::atomic<int> drops{0}, started{0}, finished{0};
  WakerSlot slot;
  {
    HostPlatform platform;
    Executor executor(platform, 1);
    ASSERT_TRUE(executor.try_spawn_detached_in(parked_twice(&slot), allocator).is_ok());
    platform.set_current_worker(0);
    EXPECT_EQ(executor.tick(0), 1u);  // parked, its waker in the slot
    EXPECT_EQ(executor.live_tasks(), 1u);
    slot.take().wake();
    EXPECT_EQ(executor.tick(0), 1u);  // parked again
    slot.take().wake();
    EXPECT_EQ(executor.tick(0), 1u);  // finished
    EXPECT_EQ(executor.live_tasks(), 0u);
    EXPECT_EQ(allocator.live(), 0);
    ASSERT_TRUE(
        executor
            .try_spawn_detached_in(parked_forever(DropFlag(&drops), &started, &finished), allocator)
            .is_ok());
    platform.set_current_worker(async::kNoWorker);
    EXPECT_EQ(allocator.live(), 1);
  }
  EXPECT_EQ(started.load(), 0);
  EXPECT_EQ(drops.load(), 1);
  EXPECT_EQ(allocator.live(), 0);
}

TEST(Executor, a_detached_spawn_on_a_closed_executor_fails_and_destroys_the_task) {
  CountingAllocator allocator;
  std::atomic<int> drops{0}, started{0}, finished{0};
  HostPlatform platform;
  Executor executor(platform, 1);
  executor.close();
  auto spawned = executor.try_spawn_detached_in(
      parked_forever(DropFlag(&drops), &started, &finished), allocator);
  ASSERT_TRUE(spawned.is_error());
  EXPECT_EQ(spawned.error(), Error::Closed);
  EXPECT_EQ(drops.load(), 1);
  EXPECT_EQ(allocator.live(), 0);
}

// Every spawned frame's block carries this room; with a 16-byte frame prefix and a small frame
// the block of a short task fits a 192-byte size class of the block cache.
TEST(Executor, a_task_record_takes_at_most_two_cache_lines) {
  EXPECT_LE(async::detail::record_reserve<void>(), 128u);
  EXPECT_LE(sizeof(async::detail::SpawnedTask<void>), async::detail::record_reserve<void>());
}

TEST(Executor, task_woken_on_a_worker_joins_its_queue_and_from_outside_its_last_worker) {
  HostPlatform platform;
  Executor executor(platform, 2);
  WakerSlot slot;
  platform.set_current_worker(0);
  auto handle = spawn(executor, parked_twice(&slot));
  EXPECT_EQ(executor.tick(0), 1u);  // parks on worker 0
  platform.set_current_worker(1);
  slot.take().wake();  // issued on worker 1 (as from a task or interrupt handler there)
  EXPECT_EQ(executor.queued(0), 0u);
  EXPECT_EQ(executor.queued(1), 1u);
  EXPECT_EQ(executor.tick(1), 1u);  // parks again, now on worker 1
  platform.set_current_worker(async::kNoWorker);
  slot.take().wake();  // from outside: back to the worker that last ran it
  EXPECT_EQ(executor.queued(0), 0u);
  EXPECT_EQ(executor.queued(1), 1u);
  platform.set_current_worker(1);
  EXPECT_EQ(executor.tick(1), 1u);
  platform.set_current_worker(async::kNoWorker);
  EXPECT_TRUE(handle.is_finished());
}

Task<void> parked_then_note(WakerSlot* slot, std::vector<int>* order, int id) {
  co_await Parked(*slot);
  order->push_back(id);
  co_await Parked(*slot);
}

// With one worker, what it queues itself goes on a FIFO of its own (no atomics), what others
// push on its run queue; the two still make one queue in the order the worker saw them arrive.
TEST(Executor, one_worker_runs_its_own_tasks_and_tasks_woken_from_outside_in_arrival_order) {
  HostPlatform platform;
  Executor executor(platform, 1);
  WakerSlot slot;
  std::vector<int> order;
  platform.set_current_worker(0);
  auto parked = spawn(executor, parked_then_note(&slot, &order, 10));
  EXPECT_EQ(executor.tick(0), 1u);            // parks
  spawn(executor, note(&order, 1)).detach();  // own FIFO
  platform.set_current_worker(async::kNoWorker);
  slot.take().wake();  // from outside: the run queue
  platform.set_current_worker(0);
  spawn(executor, note(&order, 2)).detach();  // own FIFO, behind the woken task
  EXPECT_EQ(executor.queued(0), 3u);
  EXPECT_EQ(executor.tick(0), 3u);
  EXPECT_EQ(order, (std::vector<int>{1, 10, 2}));
  EXPECT_EQ(executor.queued(0), 0u);
  EXPECT_FALSE(parked.is_finished());  // parked again
  platform.set_current_worker(async::kNoWorker);
  slot.take().wake();
  platform.set_current_worker(0);
  EXPECT_EQ(executor.tick(0), 1u);
  platform.set_current_worker(async::kNoWorker);
  EXPECT_TRUE(parked.is_finished());
}

TEST(Executor, counters_tell_wakes_inside_from_wakes_outside_a_worker) {
  HostPlatform platform;
  Executor executor(platform, 1);
  WakerSlot slot;
  std::atomic<int> done{0};
  platform.set_current_worker(0);
  auto a = spawn(executor, parked_then_mark(&slot, &done));
  auto b = spawn(executor, self_waking(1));
  executor.tick(0);  // b wakes itself inside its poll; a parks
  async::Counters inside = executor.counters();
  EXPECT_EQ(inside.woken_inside, 1u);
  EXPECT_EQ(inside.woken_outside, 0u);
  EXPECT_EQ(inside.spawned, 2u);
  platform.set_current_worker(async::kNoWorker);
  slot.take().wake();  // from outside any worker
  platform.set_current_worker(0);
  executor.tick(0);
  platform.set_current_worker(async::kNoWorker);
  async::Counters after = executor.counters();
  EXPECT_EQ(after.woken_outside, 1u);
  EXPECT_EQ(after.completed, 2u);
  EXPECT_EQ(after.polled, 4u);  // a twice, b twice
  EXPECT_EQ(done.load(), 1);
}

TEST(Executor, idle_workers_sleep_and_are_woken_when_work_arrives) {
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  for (int i = 0; i < 20; ++i) {
    wait_for([&] { return platform.sleeping() == 2; });  // both workers are in (or at) sleep()
    u64 wakes = platform.wakes();
    auto handle = spawn(executor, add(i, 1));
    EXPECT_EQ(async::block_on(handle).value(), i + 1);
    EXPECT_GT(platform.wakes(), wakes);
  }
}

// ---- A woken task runs while its waker keeps its worker busy
// -------------------------------------
//
// A task that wakes others and then runs on without suspending (a program's long slice; here a
// spin) must not hold them: the first woken goes to its worker's LIFO slot, the second displaces
// it to the run queue. Another worker, asleep when the wakes happen, must run both while the
// waker still spins: the displaced one wakes it to steal it, and once awake it takes the other
// from the slot. The spin gives up after a generous time only so that a failure ends: the test
// asserts what ran where and before what, never how fast.

constexpr auto kSpinGiveUp = std::chrono::seconds(60);

Task<void> parked_then_report(WakerSlot* slot, std::atomic<u32>* ran_on) {
  co_await Parked(*slot);
  Executor& executor = co_await async::current_executor();
  ran_on->store(executor.platform().current_worker());
}

// Wakes the `count` tasks parked on `slots`, then spins (no co_await) until each has reported the
// worker it ran on. Returns false if it gave up.
Task<bool> wake_then_spin(WakerSlot* slots, std::atomic<u32>* ran_on, int count,
                          std::atomic<u32>* spun_on) {
  Executor& executor = co_await async::current_executor();
  spun_on->store(executor.platform().current_worker());
  for (int i = 0; i < count; ++i) slots[i].take().wake();
  auto give_up = std::chrono::steady_clock::now() + kSpinGiveUp;
  for (int i = 0; i < count; ++i) {
    while (ran_on[i].load() == async::kNoWorker) {
      if (std::chrono::steady_clock::now() > give_up) co_return false;
    }
  }
  co_return true;
}

void woken_tasks_run_on_another_worker_while_the_waker_spins(int count) {
  HostPlatform platform;
  Executor executor(platform, 2);
  WorkerThreads threads(executor, 2);
  WakerSlot slots[2];
  std::atomic<u32> ran_on[2] = {async::kNoWorker, async::kNoWorker};
  std::vector<JoinHandle<void>> woken;
  for (int i = 0; i < count; ++i)
    woken.push_back(spawn(executor, parked_then_report(&slots[i], &ran_on[i])));
  for (int i = 0; i < count; ++i) wait_for([&] { return slots[i].filled(); });
  wait_for([&] { return platform.sleeping() == 2; });  // both workers asleep
  std::atomic<u32> spun_on{async::kNoWorker};
  auto spinner = spawn(executor, wake_then_spin(slots, ran_on, count, &spun_on));
  auto ran_while_spinning = async::block_on(spinner);
  ASSERT_TRUE(ran_while_spinning.is_ok());
  EXPECT_TRUE(ran_while_spinning.value()) << "a woken task waited for its waker's poll to end";
  for (int i = 0; i < count; ++i) {
    EXPECT_NE(ran_on[i].load(), spun_on.load()) << "task " << i;
    EXPECT_TRUE(async::block_on(woken[i]).is_ok());
  }
  async::Counters counters = executor.counters();
  // The wakes went through the LIFO slot; the other worker took each task from the slot or, once
  // displaced, from the run queue.
  EXPECT_GE(counters.lifo, static_cast<u64>(count));
  EXPECT_GE(counters.lifo_stolen, 1u);
  EXPECT_GE(counters.lifo_stolen + counters.stolen, static_cast<u64>(count));
}

TEST(Executor, tasks_woken_into_the_lifo_slot_and_queue_run_on_another_worker_while_waker_spins) {
  woken_tasks_run_on_another_worker_while_the_waker_spins(2);
}

}  // namespace
}  // namespace async_test
