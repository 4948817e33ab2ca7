// SpinLock: a test-and-test-and-set lock built on compiler atomics, and Locked<T>, which
// keeps data inside the lock that guards it. This lock knows nothing about interrupts: the kernel
// wraps it in an interrupt-saving lock (kernel/sched/irq_lock.h); hosted code uses it as
// is.
#pragma once

#include <support/types.h>
#include <support/utility.h>

namespace support {

inline void cpu_relax() {
#if defined(__riscv)
  __asm__ volatile(".insn i 0x0F, 0, x0, x0, 0x010");  // pause (Zihintpause), a nop without it
#elif defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

class SpinLock {
 public:
  SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  // Test-and-test-and-set with bounded exponential backoff. Not fair, but unlike a ticket lock
  // it does not collapse when there are more spinning CPUs than physical cores (a ticket lock
  // makes every waiter wait for a descheduled one: seconds under QEMU or on an oversubscribed
  // host).
  void lock() {
    u32 backoff = 1;
    for (;;) {
      if (!__atomic_exchange_n(&locked_, 1u, __ATOMIC_ACQUIRE)) return;
      while (__atomic_load_n(&locked_, __ATOMIC_RELAXED) != 0) {
        for (u32 i = 0; i < backoff; ++i) cpu_relax();
        if (backoff < 1024) backoff <<= 1;
      }
    }
  }
  bool try_lock() {
    return __atomic_load_n(&locked_, __ATOMIC_RELAXED) == 0 &&
           !__atomic_exchange_n(&locked_, 1u, __ATOMIC_ACQUIRE);
  }
  void unlock() { __atomic_store_n(&locked_, 0u, __ATOMIC_RELEASE); }
  bool is_locked() const { return __atomic_load_n(&locked_, __ATOMIC_RELAXED) != 0; }

 private:
  u32 locked_ = 0;
};

// Holds `lock` for the lifetime of the guard.
template <typename Lock> class LockGuard {
 public:
  explicit LockGuard(Lock& lock) : lock_(lock) { lock_.lock(); }
  ~LockGuard() { lock_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& lock_;
};

// Data reachable only with its lock held: `counter.with([](int& c) { ++c; })`.
template <typename T, typename Lock = SpinLock> class Locked {
 public:
  template <typename... Args> explicit Locked(Args&&... args) : value_(forward<Args>(args)...) {}

  template <typename Fn> decltype(auto) with(Fn&& fn) {
    LockGuard<Lock> guard(lock_);
    return fn(value_);
  }

  // The lock itself, for what its type offers besides lock() and unlock() (never a way to the
  // data: that is only through with()).
  Lock& lock() { return lock_; }

 private:
  Lock lock_;
  T value_;
};

}  // namespace support
