// Atomic<T>: a thin wrapper over the compiler's __atomic builtins for integers, booleans and
// pointers, usable freestanding (<atomic> is not). Every operation is sequentially consistent
// unless a weaker order is passed explicitly; a caller that passes one says why in a comment.
#pragma once

#include <support/types.h>

namespace support {

enum class MemoryOrder : int {
  Relaxed = __ATOMIC_RELAXED,
  Acquire = __ATOMIC_ACQUIRE,
  Release = __ATOMIC_RELEASE,
  AcqRel = __ATOMIC_ACQ_REL,
  SeqCst = __ATOMIC_SEQ_CST,
};

template <typename T> class Atomic {
 public:
  constexpr Atomic() : value_() {}
  constexpr Atomic(T value) : value_(value) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(MemoryOrder order = MemoryOrder::SeqCst) const {
    return __atomic_load_n(&value_, static_cast<int>(order));
  }
  void store(T value, MemoryOrder order = MemoryOrder::SeqCst) {
    __atomic_store_n(&value_, value, static_cast<int>(order));
  }
  T exchange(T value, MemoryOrder order = MemoryOrder::SeqCst) {
    return __atomic_exchange_n(&value_, value, static_cast<int>(order));
  }
  // On failure `expected` receives the current value.
  bool compare_exchange(T& expected, T desired, MemoryOrder order = MemoryOrder::SeqCst) {
    int failure = order == MemoryOrder::AcqRel    ? __ATOMIC_ACQUIRE
                  : order == MemoryOrder::Release ? __ATOMIC_RELAXED
                                                  : static_cast<int>(order);
    return __atomic_compare_exchange_n(&value_, &expected, desired, false, static_cast<int>(order),
                                       failure);
  }
  T fetch_add(T delta, MemoryOrder order = MemoryOrder::SeqCst) {
    return __atomic_fetch_add(&value_, delta, static_cast<int>(order));
  }
  T fetch_sub(T delta, MemoryOrder order = MemoryOrder::SeqCst) {
    return __atomic_fetch_sub(&value_, delta, static_cast<int>(order));
  }
  T fetch_or(T bits, MemoryOrder order = MemoryOrder::SeqCst) {
    return __atomic_fetch_or(&value_, bits, static_cast<int>(order));
  }
  T fetch_and(T bits, MemoryOrder order = MemoryOrder::SeqCst) {
    return __atomic_fetch_and(&value_, bits, static_cast<int>(order));
  }

  // The address, for futex-style waits on the host (the word is only ever accessed atomically).
  T* raw() { return &value_; }
  const T* raw() const { return &value_; }

 private:
  T value_;
};

}  // namespace support
