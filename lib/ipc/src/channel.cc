#include <ipc/channel.h>
#include <support/allocation_cost.h>
#include <support/new.h>
#include <support/thread_safety.h>

#include "assert.h"

namespace ipc {

using support::LockGuard;
using support::Span;
using support::SpinLock;

ChannelEnd::ChannelEnd(Channel& channel, u32 side)
    : Object(kKind, channel.lock_), channel_(channel), side_(side) {}

Result<void> ChannelEnd::write(MessagePtr& message) { return channel_.write(side_, message); }
Result<MessageSizes> ChannelEnd::peek() const { return channel_.peek(side_); }
Result<MessagePtr> ChannelEnd::read(u32 max_bytes, u32 max_handles, MessageSizes& sizes) {
  return channel_.read(side_, max_bytes, max_handles, sizes);
}
u32 ChannelEnd::queued() const {
  LockGuard<SpinLock> guard(channel_.lock_);
  return static_cast<u32>(channel_.queues_[side_].messages.size());
}
const ChannelLimits& ChannelEnd::limits() const { return channel_.limits_; }
// Called by Channel::write_locked with this end's lock held, through Object, where the analysis
// cannot see which lock that is.
u32 ChannelEnd::queued_carriers_locked() const NO_THREAD_SAFETY_ANALYSIS {
  return channel_.queues_[side_].carriers;
}
void ChannelEnd::on_last_handle(Reaper& reaper) { channel_.close(side_, reaper); }
void ChannelEnd::destroy() { channel_.end_destroyed(); }

Channel::Channel(Charge charge, const ChannelLimits& limits)
    : ends_{ChannelEnd(*this, 0), ChannelEnd(*this, 1)},
      limits_(limits),
      charge_(support::move(charge)) {}

Result<ChannelEnds> Channel::create(Account& account, const ChannelLimits& limits) {
  if (limits.max_message_handles > kMaxMessageHandles || limits.max_messages == 0 ||
      limits.max_message_bytes > limits.max_bytes) {
    return Error::Invalid;
  }
  Charge charge = TRY(Charge::take(account, support::allocation_cost(sizeof(Channel))));
  Channel* channel = new (std::nothrow) Channel(support::move(charge), limits);
  if (channel == nullptr) return Error::NoMemory;
  {
    LockGuard<SpinLock> guard(channel->lock_);
    channel->refresh_locked();
  }
  // New objects: their first handles cannot fail.
  ChannelEnds ends;
  ends.a = MUST(Handle::create(Ref<Object>(&channel->ends_[0]), right::kChannel));
  ends.b = MUST(Handle::create(Ref<Object>(&channel->ends_[1]), right::kChannel));
  return ends;
}

void Channel::end_destroyed() {
  if (alive_.fetch_sub(1, support::MemoryOrder::AcqRel) == 1) delete this;
}

bool Channel::has_room_locked(u32 side, u32 bytes) const {
  const Queue& queue = queues_[side];
  return queue.messages.size() < limits_.max_messages && bytes <= limits_.max_bytes - queue.bytes;
}

namespace {

// The distinct locks of one write, in address order (the order every multi-lock write takes
// them in, so two writes that need the same locks cannot deadlock). One capability to clang's
// thread-safety analysis, which tracks locks by name and cannot follow the loops of lock() and
// unlock(): their bodies are unchecked, and the analysis checks that the write that uses the set
// holds it from lock() to unlock().
class CAPABILITY("lock set") LockSet {
 public:
  void add(SpinLock* lock) {
    usize i = count_;
    while (i > 0 && locks_[i - 1] > lock) --i;
    if (i > 0 && locks_[i - 1] == lock) return;
    for (usize j = count_; j > i; --j) locks_[j] = locks_[j - 1];
    locks_[i] = lock;
    ++count_;
  }
  void lock() ACQUIRE() NO_THREAD_SAFETY_ANALYSIS {
    for (usize i = 0; i < count_; ++i) locks_[i]->lock();
  }
  void unlock() RELEASE() NO_THREAD_SAFETY_ANALYSIS {
    for (usize i = count_; i > 0; --i) locks_[i - 1]->unlock();
  }

 private:
  SpinLock* locks_[kMaxMessageHandles + 1];
  usize count_ = 0;
};

}  // namespace

// lock_ is one of the set's locks, which the analysis cannot see: write_locked() is where the
// guarded state is touched, and it is checked.
Result<void> Channel::write(u32 from, MessagePtr& message) NO_THREAD_SAFETY_ANALYSIS {
  IPC_ASSERT(message);
  MessageSizes sizes = message->sizes();
  if (sizes.bytes > limits_.max_message_bytes || sizes.handles > limits_.max_message_handles) {
    return Error::TooBig;
  }
  LockSet locks;
  locks.add(&lock_);
  u32 carriers = 0;
  for (Handle& handle : message->handles()) {
    IPC_ASSERT(handle);
    if (carries_handles(handle.object()->kind())) {
      ++carriers;
      locks.add(&handle.object()->lock());
    }
  }
  locks.lock();
  Result<void> result = write_locked(from, message, carriers);
  locks.unlock();
  return result;
}

Result<void> Channel::write_locked(u32 from, MessagePtr& message, u32 carriers) {
  u32 to = 1 - from;
  if (!queues_[from].open) return Error::BadHandle;
  if (!queues_[to].open) return Error::PeerClosed;
  if (carriers != 0) {
    for (Handle& handle : message->handles()) {
      Object* object = handle.object();
      if (!carries_handles(object->kind())) continue;
      // (a) an end of this very channel; (b) a carrier with carriers queued for it (its lock is
      // held: it is in the set).
      if (&object->lock() == &lock_ || object->queued_carriers_locked() != 0) {
        return Error::WouldCycle;
      }
    }
  }
  u32 bytes = message->sizes().bytes;
  if (!has_room_locked(to, bytes)) return Error::WouldBlock;
  Message* queued = message.release();
  queued->carriers_ = carriers;
  Queue& queue = queues_[to];
  queue.messages.push_back(*queued);
  queue.bytes += bytes;
  queue.carriers += carriers;
  refresh_locked();
  return {};
}

Result<MessageSizes> Channel::peek(u32 side) const {
  LockGuard<SpinLock> guard(lock_);
  const Queue& queue = queues_[side];
  if (!queue.open) return Error::BadHandle;
  // front() is not const; the list is only read.
  Message* head = const_cast<MessageList&>(queue.messages).front();
  if (head == nullptr) return queues_[1 - side].open ? Error::WouldBlock : Error::PeerClosed;
  return head->sizes();
}

Result<MessagePtr> Channel::read(u32 side, u32 max_bytes, u32 max_handles, MessageSizes& sizes) {
  LockGuard<SpinLock> guard(lock_);
  Queue& queue = queues_[side];
  if (!queue.open) return Error::BadHandle;
  Message* head = queue.messages.front();
  if (head == nullptr) return queues_[1 - side].open ? Error::WouldBlock : Error::PeerClosed;
  sizes = head->sizes();
  if (sizes.bytes > max_bytes || sizes.handles > max_handles) return Error::BufferTooSmall;
  queue.messages.pop_front();
  queue.bytes -= sizes.bytes;
  queue.carriers -= head->carriers_;
  refresh_locked();
  return MessagePtr(head);
}

void Channel::close(u32 side, Reaper& reaper) {
  LockGuard<SpinLock> guard(lock_);
  Queue& queue = queues_[side];
  queue.open = false;
  // The reaper frees them (and closes what they carry) once this returns, outside the lock.
  reaper.adopt(queue.messages);
  queue.bytes = 0;
  queue.carriers = 0;
  refresh_locked();
}

void Channel::refresh_locked() {
  constexpr Signals kManaged = signal::kReadable | signal::kWritable | signal::kPeerClosed;
  for (u32 side = 0; side < 2; ++side) {
    const Queue& mine = queues_[side];
    const Queue& peers = queues_[1 - side];
    Signals now;
    if (!mine.messages.empty()) now |= signal::kReadable;
    // Writable promises room for a message of any allowed size: a writer woken by it makes
    // progress instead of spinning on WouldBlock.
    if (mine.open && peers.open && has_room_locked(1 - side, limits_.max_message_bytes)) {
      now |= signal::kWritable;
    }
    if (!peers.open) now |= signal::kPeerClosed;
    ends_[side].set_signals_locked(kManaged, now);
  }
}

Result<ChannelNumbers> channel_create(HandleTable& table, const ChannelLimits& limits) {
  u32 numbers[2];
  TRY(table.reserve(numbers));
  Result<ChannelEnds> ends = Channel::create(table.account(), limits);
  if (ends.is_error()) {
    table.unreserve(numbers);
    return ends.error();
  }
  Handle handles[2] = {support::move(ends.value().a), support::move(ends.value().b)};
  table.fill(numbers, handles);
  return ChannelNumbers{numbers[0], numbers[1]};
}

Result<void> channel_write(HandleTable& table, u32 channel, support::Bytes bytes,
                           Span<const HandleTransfer> transfers) {
  Ref<ChannelEnd> end = TRY(table.get<ChannelEnd>(channel, right::kWrite));
  const ChannelLimits& limits = end->limits();
  if (bytes.size() > limits.max_message_bytes || transfers.size() > limits.max_message_handles) {
    return Error::TooBig;
  }
  MessagePtr message =
      TRY(Message::create(table.account(), bytes, static_cast<u32>(transfers.size())));
  TRY(table.take(transfers, message->handles()));
  Result<void> written = end->write(message);
  if (written.is_error()) {
    // Back where they were; after close_all they stay in the message and close with it.
    table.undo_take(transfers, message->handles());
    return written.error();
  }
  table.commit_take(transfers);
  return {};
}

Result<void> channel_read(HandleTable& table, u32 channel, Span<u8> bytes, Span<u32> handles,
                          MessageSizes& sizes) {
  Ref<ChannelEnd> end = TRY(table.get<ChannelEnd>(channel, right::kRead));
  u32 max_bytes = bytes.size() < ~u32{0} ? static_cast<u32>(bytes.size()) : ~u32{0};
  for (;;) {
    MessageSizes head = TRY(end->peek());
    sizes = head;
    if (head.bytes > max_bytes || head.handles > handles.size()) return Error::BufferTooSmall;
    Span<u32> numbers = handles.subspan(0, head.handles);
    TRY(table.reserve(numbers));
    Result<MessagePtr> taken = end->read(max_bytes, head.handles, sizes);
    if (taken.is_error()) {
      table.unreserve(numbers);
      // Another holder of this end read the message sized above, and the next one needs more
      // numbers than were reserved: size it again.
      if (taken.error() == Error::BufferTooSmall && sizes.bytes <= max_bytes &&
          sizes.handles <= handles.size()) {
        continue;
      }
      return taken.error();
    }
    MessagePtr message = taken.release_value();
    support::Bytes data = message->bytes();
    if (!data.empty()) __builtin_memcpy(bytes.data(), data.data(), data.size());
    u32 count = message->sizes().handles;
    table.fill(numbers.subspan(0, count), message->handles());
    table.unreserve(numbers.subspan(count));
    return {};
  }
}

}  // namespace ipc
