#include <ipc/wait_set.h>

namespace ipc {

Result<void> WaitSet::add(Ref<Object> object, Signals mask, u64 key) {
  if (!object || count_ >= entries_.size()) return Error::Invalid;
  Entry& entry = entries_[count_++];
  entry.object_ = support::move(object);
  entry.mask_ = mask;
  entry.key_ = key;
  entry.set_ = this;
  entry.observer_.set_context(&entry);
  // What observe() returns is already visible through signals(): poll() reads it there.
  (void)entry.object_->observe(entry.observer_, mask);
  return {};
}

Result<void> WaitSet::add(HandleTable& table, u32 number, Signals mask, u64 key) {
  HandleInfo info = TRY(table.lookup(number, right::kWait));
  return add(support::move(info.object), mask, key);
}

usize WaitSet::poll(support::Span<Ready> out) const {
  usize ready = 0;
  for (usize i = 0; i < count_ && ready < out.size(); ++i) {
    const Entry& entry = entries_[i];
    Signals asserted = entry.object_->signals() & entry.mask_;
    if (!asserted.empty()) out[ready++] = Ready{entry.key_, asserted};
  }
  return ready;
}

void WaitSet::clear() {
  for (usize i = 0; i < count_; ++i) {
    Entry& entry = entries_[i];
    (void)entry.object_->unobserve(entry.observer_);
    entry.object_.reset();
    entry.set_ = nullptr;
  }
  count_ = 0;
}

void WaitSet::notify(Observer& observer, Object&, Signals) {
  Entry* entry = static_cast<Entry*>(observer.context());
  entry->set_->waker_.wake();
}

}  // namespace ipc
