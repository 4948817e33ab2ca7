// async::SpinLock: the lock of the executor's short critical sections (queues' consumer side,
// timers, join slots, wait queues, channels). A test-and-test-and-set lock rather than
// support::SpinLock's ticket lock: on the host, threads outnumber cores and are preempted, and a
// ticket lock then stalls every waiter behind a descheduled one. Hosted builds yield the CPU
// after a short spin; the kernel spins (its critical sections never sleep and are short).
// Never held across a suspension point, never taken by a waker.
#pragma once

#include <support/atomic.h>
#include <support/spinlock.h>

#if __STDC_HOSTED__
#include <sched.h>
#endif

namespace async {

class SpinLock {
 public:
  SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  // Acquire on taking and release on giving back are what a lock needs: the critical sections
  // are ordered through them.
  void lock() {
    u32 spins = 0;
    for (;;) {
      if (locked_.exchange(1, support::MemoryOrder::Acquire) == 0) return;
      while (locked_.load(support::MemoryOrder::Relaxed) != 0) relax(spins++);
    }
  }
  bool try_lock() {
    return locked_.load(support::MemoryOrder::Relaxed) == 0 &&
           locked_.exchange(1, support::MemoryOrder::Acquire) == 0;
  }
  void unlock() { locked_.store(0, support::MemoryOrder::Release); }

 private:
  static void relax(u32 spins) {
#if __STDC_HOSTED__
    if (spins >= 64) {
      sched_yield();
      return;
    }
#endif
    support::cpu_relax();
  }

  support::Atomic<u32> locked_{0};
};

}  // namespace async
