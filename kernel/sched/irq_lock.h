// IrqSpinLock: a spinlock that saves the interrupt state, disables interrupts while held and
// restores the previous state (never blindly turns interrupts on). Use it for data that an
// interrupt handler also touches. A capability for clang's thread-safety analysis, as
// support::SpinLock is: GUARDED_BY and REQUIRES name it, support::LockGuard holds it.
#pragma once

#include <arch/cpu.h>
#include <support/spinlock.h>
#include <support/thread_safety.h>

class CAPABILITY("irq spinlock") IrqSpinLock {
 public:
  // Each also names the inner lock, so that the analysis checks these bodies too.
  void lock() ACQUIRE() ACQUIRE(lock_) {
    bool enabled = arch::interrupts_disable();
    lock_.lock();
    saved_ = enabled;
  }
  void unlock() RELEASE() RELEASE(lock_) {
    bool enabled = saved_;
    lock_.unlock();
    arch::interrupts_restore(enabled);
  }
  bool try_lock() TRY_ACQUIRE(true) TRY_ACQUIRE(true, lock_) {
    bool enabled = arch::interrupts_disable();
    if (!lock_.try_lock()) {
      arch::interrupts_restore(enabled);
      return false;
    }
    saved_ = enabled;
    return true;
  }

 private:
  support::SpinLock lock_;
  bool saved_ GUARDED_BY(lock_) = false;  // the interrupt state before lock()
};
