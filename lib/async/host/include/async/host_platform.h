// The executor's platform on Linux: worker threads, futex sleeps, CLOCK_MONOTONIC, and a
// blocking join for threads outside the executor. Hosted only (tests, benchmarks, tools).
#pragma once

#include <async/executor.h>

#include <thread>
#include <vector>

namespace async {

class HostPlatform final : public Platform {
 public:
  u32 current_worker() const override;
  Here here() const override { return {current_worker(), false}; }
  void set_current_worker(u32 worker) override;
  Instant now() const override;
  void sleep(u32 worker, const u32* word, u32 expected, Instant deadline) override;
  void wake(u32 worker, const u32* word) override;

  // How often workers went to sleep / were woken (for tests).
  u64 sleeps() const { return sleeps_.load(); }
  u64 wakes() const { return wakes_.load(); }
  // Workers inside sleep() right now.
  u32 sleeping() const { return sleeping_.load(); }

 private:
  support::Atomic<u32> sleeping_{0};
  support::Atomic<u64> sleeps_{0};
  support::Atomic<u64> wakes_{0};
};

// Runs `count` workers of `executor`, one thread each, from construction until close(); the
// destructor closes the executor and joins the threads.
class WorkerThreads {
 public:
  WorkerThreads(Executor& executor, u32 count);
  ~WorkerThreads();
  WorkerThreads(const WorkerThreads&) = delete;
  WorkerThreads& operator=(const WorkerThreads&) = delete;
  // Closes the executor and waits for every worker to return (each returned Error::Closed).
  void stop();

 private:
  Executor& executor_;
  std::vector<std::thread> threads_;
};

// Blocks the calling thread (not a worker) until the task behind `handle` finishes.
class ThreadParker {
 public:
  ThreadParker();
  ~ThreadParker();
  ThreadParker(const ThreadParker&) = delete;
  ThreadParker& operator=(const ThreadParker&) = delete;
  Waker waker();
  // The wake count, read before the condition is checked; park(epoch) then returns at once if a
  // wake came in between, so no wake-up is lost.
  u32 epoch() const;
  // Blocks until a wake after `epoch` (or spuriously).
  void park(u32 epoch);

  struct State;  // reference-counted: a waker may outlive the parker

 private:
  State* state_;
};

template <typename T> support::Result<T, Error> block_on(JoinHandle<T>& handle) {
  ThreadParker parker;
  for (;;) {
    u32 epoch = parker.epoch();
    if (handle.poll_finished(parker.waker())) break;
    parker.park(epoch);
  }
  return handle.take_result();
}

}  // namespace async
