// SpinLock: a ticket lock (fair between CPUs) built on compiler atomics, and Locked<T>, which
// keeps data inside the lock that guards it. This lock knows nothing about interrupts: the kernel
// wraps it in an interrupt-saving lock (kernel/irq_spinlock.h); hosted code uses it as is.
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

  void lock() {
    u32 ticket = __atomic_fetch_add(&next_, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&serving_, __ATOMIC_ACQUIRE) != ticket) cpu_relax();
  }
  bool try_lock() {
    u32 serving = __atomic_load_n(&serving_, __ATOMIC_RELAXED);
    u32 expected = serving;
    return __atomic_compare_exchange_n(&next_, &expected, serving + 1, false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
  }
  void unlock() { __atomic_store_n(&serving_, serving_ + 1, __ATOMIC_RELEASE); }
  bool is_locked() const {
    return __atomic_load_n(&next_, __ATOMIC_RELAXED) !=
           __atomic_load_n(&serving_, __ATOMIC_RELAXED);
  }

 private:
  u32 next_ = 0;
  u32 serving_ = 0;
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

 private:
  Lock lock_;
  T value_;
};

}  // namespace support
