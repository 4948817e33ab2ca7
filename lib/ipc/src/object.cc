#include <ipc/handle.h>
#include <ipc/message.h>
#include <ipc/object.h>

#include "assert.h"
#include "stats.h"

namespace ipc {

using support::LockGuard;
using support::MemoryOrder;
using support::SpinLock;

Object::Object(Kind kind) : kind_(kind), lock_(&own_lock_) { stats::detail::object_created(kind); }

Object::Object(Kind kind, SpinLock& shared_lock) : kind_(kind), lock_(&shared_lock) {
  stats::detail::object_created(kind);
}

Object::~Object() {
  // Whoever observes an object holds a reference to it, so none can be left.
  IPC_ASSERT(observers_.empty());
  stats::detail::object_destroyed(kind_);
}

Signals Object::observe(Observer& observer, Signals mask) {
  LockGuard<SpinLock> guard(*lock_);
  IPC_ASSERT(!observer.link.is_linked());
  observer.mask_ = mask;
  observer.observed_ = this;
  observers_.push_back(observer);
  return signals();
}

Signals Object::unobserve(Observer& observer) {
  LockGuard<SpinLock> guard(*lock_);
  if (observer.link.is_linked()) {
    IPC_ASSERT(observer.observed_ == this);
    observers_.remove(observer);
    observer.observed_ = nullptr;
  }
  return signals();
}

void Object::set_signals_locked(Signals managed, Signals value) {
  Signals old = Signals(signals_.load(MemoryOrder::Relaxed));
  Signals now = (old & ~managed) | (value & managed);
  if (now == old) return;
  // Release: a reader of signals() that sees a signal also sees the state that asserted it.
  signals_.store(now.bits(), MemoryOrder::Release);
  Signals rising = now & ~old;
  if (rising.empty()) return;
  for (Observer& observer : observers_) {
    if (observer.mask_.any(rising)) observer.callback_(observer, *this, now);
  }
}

bool Object::add_first_handle() {
  u32 expected = 0;
  return handles_.compare_exchange(expected, 1, MemoryOrder::AcqRel);
}

bool Object::drop_handle() {
  u32 count = handles_.load(MemoryOrder::Relaxed);
  for (;;) {
    IPC_ASSERT((count & ~kRetired) != 0 && (count & kRetired) == 0);
    // The last one leaves the count at zero and retired in one step: no handle can be made
    // from a transient reference in between.
    u32 next = count == 1 ? kRetired : count - 1;
    if (handles_.compare_exchange(count, next, MemoryOrder::AcqRel)) return count == 1;
  }
}

Result<Handle> Handle::create(Ref<Object> object, Rights rights) {
  if (!object || !object->add_first_handle()) return Error::BadHandle;
  stats::detail::handles_added(1);
  return Handle(object.leak(), rights, 0);
}

Result<Handle> Handle::duplicate(Rights rights) const {
  Rights resolved;
  if (object_ == nullptr) return Error::BadHandle;
  if (!has(right::kDuplicate) || !resolve_rights(rights_, rights, &resolved)) {
    return Error::AccessDenied;
  }
  object_->add_handle();
  object_->acquire();
  stats::detail::handles_added(1);
  return Handle(object_, resolved, word_);
}

Result<void> Handle::reduce(Rights rights) {
  Rights resolved;
  if (!resolve_rights(rights_, rights, &resolved)) return Error::AccessDenied;
  rights_ = resolved;
  return {};
}

void Handle::reset() {
  Object* object = detach();
  if (object == nullptr) return;
  Reaper reaper;
  reaper.drop_handle(object);
}

void Reaper::drop_handle(Object* object) {
  stats::detail::handles_dropped(1);
  if (object->drop_handle()) object->on_last_handle(*this);
  object->release();
}

void Reaper::run() {
  while (Message* message = pending_.pop_front()) {
    for (Handle& handle : message->handles()) {
      if (Object* object = handle.detach()) drop_handle(object);
    }
    Message::free(message);
  }
}

}  // namespace ipc
