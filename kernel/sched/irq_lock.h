// IrqSpinLock: a spinlock that saves the interrupt state, disables interrupts while held and
// restores the previous state (never blindly turns interrupts on). Use it for data that an
// interrupt handler also touches.
#pragma once

#include <arch/cpu.h>
#include <support/spinlock.h>

class IrqSpinLock {
 public:
  void lock() {
    bool enabled = arch::interrupts_disable();
    lock_.lock();
    saved_ = enabled;
  }
  void unlock() {
    bool enabled = saved_;
    lock_.unlock();
    arch::interrupts_restore(enabled);
  }
  bool try_lock() {
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
  bool saved_ = false;
};
