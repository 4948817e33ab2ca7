// Helpers shared by the executor tests.
#pragma once

#include <async/async.h>
#include <async/host_platform.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

namespace async_test {

using async::Error;
using async::Executor;
using async::HostPlatform;
using async::JoinHandle;
using async::Task;
using async::WorkerThreads;

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kUnderTsan = true;
#else
inline constexpr bool kUnderTsan = false;
#endif
#if __has_feature(address_sanitizer)
inline constexpr bool kUnderAsan = true;
#else
inline constexpr bool kUnderAsan = false;
#endif
#else
inline constexpr bool kUnderTsan = false;
inline constexpr bool kUnderAsan = false;
#endif

// Spawns or dies: the tests below spawn with the default allocator, which does not fail.
template <typename T> JoinHandle<T> spawn(Executor& executor, Task<T> task) {
  auto handle = executor.try_spawn(std::move(task));
  EXPECT_TRUE(handle.is_ok());
  return handle.release_value();
}

// Waits (without asserting anything about time) until `condition` holds.
template <typename Fn> void wait_for(Fn condition) {
  while (!condition()) std::this_thread::yield();
}

// An object whose destruction is observable.
struct DropFlag {
  explicit DropFlag(std::atomic<int>* drops) : drops(drops) {}
  DropFlag(DropFlag&& other) : drops(other.drops) { other.drops = nullptr; }
  DropFlag(const DropFlag&) = delete;
  ~DropFlag() {
    if (drops != nullptr) drops->fetch_add(1);
  }
  std::atomic<int>* drops;
};

// An allocator that fails after `budget` allocations and counts what is live.
class CountingAllocator final : public async::Allocator {
 public:
  explicit CountingAllocator(int budget = 1 << 30) : budget_(budget) {}
  void* allocate(usize size) override {
    if (budget_.fetch_sub(1) <= 0) return nullptr;
    live_.fetch_add(1);
    return ::operator new(size, std::nothrow);
  }
  void deallocate(void* block, usize) override {
    live_.fetch_sub(1);
    ::operator delete(block);
  }
  int live() const { return live_.load(); }
  void set_budget(int budget) { budget_.store(budget); }

 private:
  std::atomic<int> budget_;
  std::atomic<int> live_{0};
};

// A waker handed from a task to the test thread.
class WakerSlot {
 public:
  void put(async::Waker waker) {
    std::lock_guard<std::mutex> guard(mutex_);
    waker_ = std::move(waker);
    filled_.store(true);
  }
  async::Waker take() {
    std::lock_guard<std::mutex> guard(mutex_);
    filled_.store(false);
    return std::move(waker_);
  }
  bool filled() const { return filled_.load(); }

 private:
  std::mutex mutex_;
  async::Waker waker_;
  std::atomic<bool> filled_{false};
};

// A leaf that suspends until the waker it left in `slot` is woken (once).
struct Parked : async::Leaf<Parked> {
  explicit Parked(WakerSlot& slot) : slot(slot) {}
  bool poll(async::TaskHeader& task) {
    if (registered) return true;
    registered = true;
    slot.put(task.waker());
    return false;
  }
  void await_resume() {}
  WakerSlot& slot;
  bool registered = false;
};

// A leaf that never completes (a task parked here waits for cancellation).
struct Forever : async::Leaf<Forever> {
  bool poll(async::TaskHeader&) { return false; }
  void await_resume() {}
};

}  // namespace async_test
