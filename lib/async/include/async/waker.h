// Waker: a move-only handle that makes a suspended task (or a blocked thread) runnable again.
// The four operations follow Rust's RawWaker: clone() takes another reference, wake() consumes
// this one and wakes, wake_by_ref() wakes and keeps it, destruction drops the reference.
// Waking never allocates, never blocks and takes no lock, so it is safe from interrupt handlers.
#pragma once

#include <support/types.h>

namespace async {

struct WakerVTable {
  void (*clone)(void* data);  // takes one more reference on `data`
  void (*wake)(void* data);   // wakes and drops one reference
  void (*wake_by_ref)(void* data);
  void (*drop)(void* data);
};

class Waker {
 public:
  Waker() = default;
  // Adopts one reference on `data`.
  Waker(const WakerVTable* vtable, void* data) : vtable_(vtable), data_(data) {}
  Waker(Waker&& other) : vtable_(other.vtable_), data_(other.data_) { other.vtable_ = nullptr; }
  Waker& operator=(Waker&& other) {
    if (this != &other) {
      reset();
      vtable_ = other.vtable_;
      data_ = other.data_;
      other.vtable_ = nullptr;
    }
    return *this;
  }
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;
  ~Waker() { reset(); }

  Waker clone() const {
    if (vtable_ == nullptr) return Waker();
    vtable_->clone(data_);
    return Waker(vtable_, data_);
  }
  // Wakes and empties this waker. An empty waker's wake does nothing.
  void wake() {
    if (vtable_ == nullptr) return;
    const WakerVTable* vtable = vtable_;
    vtable_ = nullptr;
    vtable->wake(data_);
  }
  void wake_by_ref() const {
    if (vtable_ != nullptr) vtable_->wake_by_ref(data_);
  }
  // Drops the reference without waking.
  void reset() {
    if (vtable_ == nullptr) return;
    const WakerVTable* vtable = vtable_;
    vtable_ = nullptr;
    vtable->drop(data_);
  }
  bool will_wake(const Waker& other) const {
    return vtable_ == other.vtable_ && data_ == other.data_;
  }
  explicit operator bool() const { return vtable_ != nullptr; }

 private:
  const WakerVTable* vtable_ = nullptr;
  void* data_ = nullptr;
};

}  // namespace async
