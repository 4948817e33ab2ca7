// SpinLock: a test-and-test-and-set lock built on compiler atomics, and Locked<T>, which
// keeps data inside the lock that guards it. This lock knows nothing about interrupts: the kernel
// wraps it in an interrupt-saving lock (kernel/sched/irq_lock.h); hosted code and the executor
// (lib/async) use it as is. Both types carry clang's thread-safety annotations
// (<support/thread_safety.h>): a SpinLock is a capability that GUARDED_BY and REQUIRES can name.
#pragma once

#include <support/thread_safety.h>
#include <support/types.h>
#include <support/utility.h>

#if __STDC_HOSTED__
#include <sched.h>
#endif

namespace support {

inline void cpu_relax() {
#if defined(__riscv)
  __asm__ volatile(".insn i 0x0F, 0, x0, x0, 0x010");  // pause (Zihintpause), a nop without it
#elif defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

class CAPABILITY("spinlock") SpinLock {
 public:
  SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  // Test-and-test-and-set with bounded exponential backoff. Not fair, but unlike a ticket lock
  // it does not collapse when there are more spinning CPUs than physical cores (a ticket lock
  // makes every waiter wait for a descheduled one: seconds under QEMU or on an oversubscribed
  // host). Acquire on taking and release on giving back order the critical sections.
  void lock() ACQUIRE() {
    u32 backoff = 1;
    for (;;) {
      if (!__atomic_exchange_n(&locked_, 1u, __ATOMIC_ACQUIRE)) return;
      while (__atomic_load_n(&locked_, __ATOMIC_RELAXED) != 0) backoff = back_off(backoff);
    }
  }
  bool try_lock() TRY_ACQUIRE(true) {
    return __atomic_load_n(&locked_, __ATOMIC_RELAXED) == 0 &&
           !__atomic_exchange_n(&locked_, 1u, __ATOMIC_ACQUIRE);
  }
  void unlock() RELEASE() { __atomic_store_n(&locked_, 0u, __ATOMIC_RELEASE); }
  bool is_locked() const { return __atomic_load_n(&locked_, __ATOMIC_RELAXED) != 0; }

 private:
  // Waits `backoff` pauses and returns the next wait. Hosted, where threads outnumber cores and
  // are preempted, a waiter gives the CPU up once it has spun a while (the holder may be a
  // descheduled thread); the kernel spins (its critical sections are short and never sleep).
  static u32 back_off(u32 backoff) {
#if __STDC_HOSTED__
    if (backoff >= kHostedSpins) {
      sched_yield();
      return backoff;
    }
#endif
    for (u32 i = 0; i < backoff; ++i) cpu_relax();
    return backoff < kMaxBackoff ? backoff << 1 : backoff;
  }
  static constexpr u32 kMaxBackoff = 1024;
  static constexpr u32 kHostedSpins = 64;

  u32 locked_ = 0;
};

// Holds `lock` for the lifetime of the guard.
template <typename Lock> class SCOPED_CAPABILITY LockGuard {
 public:
  explicit LockGuard(Lock& lock) ACQUIRE(lock) : lock_(lock) { lock_.lock(); }
  ~LockGuard() RELEASE() { lock_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& lock_;
};

// Data reachable only with its lock held: `counter.with([](int& c) { ++c; })`. `fn` runs with
// the lock held; it must not suspend, nor take this lock again (with() EXCLUDES it, which the
// analysis checks where it can see it). Prefer this to a lock beside the data it guards.
template <typename T, typename Lock = SpinLock> class Locked {
 public:
  template <typename... Args> constexpr explicit Locked(Args&&... args)
      : value_(forward<Args>(args)...) {}

  template <typename Fn> decltype(auto) with(Fn&& fn) EXCLUDES(lock_) {
    LockGuard<Lock> guard(lock_);
    return fn(value_);
  }

  // The lock itself, for what its type offers besides lock() and unlock() (never a way to the
  // data: that is only through with()).
  Lock& lock() RETURN_CAPABILITY(lock_) { return lock_; }

 private:
  Lock lock_;
  T value_ GUARDED_BY(lock_);
};

}  // namespace support
