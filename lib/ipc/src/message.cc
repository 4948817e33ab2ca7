#include <ipc/message.h>
#include <support/allocation_cost.h>
#include <support/new.h>

#include "assert.h"
#include "stats.h"

namespace ipc {

usize Message::handles_offset() { return support::align_up(sizeof(Message), alignof(Handle)); }

usize Message::allocation_size(u32 byte_count, u32 handle_count) {
  return handles_offset() + usize{handle_count} * sizeof(Handle) + byte_count;
}

Handle* Message::handle_data() const {
  return reinterpret_cast<Handle*>(reinterpret_cast<uptr>(this) + handles_offset());
}

u8* Message::byte_data() const { return reinterpret_cast<u8*>(handle_data() + handle_count_); }

Message::Message(Charge charge, u32 byte_count, u32 handle_count)
    : charge_(support::move(charge)), byte_count_(byte_count), handle_count_(handle_count) {
  Handle* handles = handle_data();
  for (u32 i = 0; i < handle_count_; ++i) new (&handles[i]) Handle();
  stats::detail::message_created();
}

Message::~Message() {
  Handle* handles = handle_data();
  for (u32 i = 0; i < handle_count_; ++i) {
    IPC_ASSERT(!handles[i]);
    handles[i].~Handle();
  }
  stats::detail::message_freed();
}

Result<MessagePtr> Message::create(Account& sender, support::Bytes bytes, u32 handle_count) {
  if (bytes.size() > ~u32{0}) return Error::TooBig;
  u32 byte_count = static_cast<u32>(bytes.size());
  usize size = allocation_size(byte_count, handle_count);
  Charge charge = TRY(Charge::take(sender, support::allocation_cost(size)));
  static_assert(alignof(Message) <= 16 && alignof(Handle) <= 16);
  u8* raw = new (std::nothrow) u8[size];
  if (raw == nullptr) return Error::NoMemory;
  Message* message = new (raw) Message(support::move(charge), byte_count, handle_count);
  if (byte_count != 0) __builtin_memcpy(message->byte_data(), bytes.data(), byte_count);
  return MessagePtr(message);
}

void Message::free(Message* message) {
  message->~Message();
  delete[] reinterpret_cast<u8*>(message);
}

MessagePtr& MessagePtr::operator=(MessagePtr&& other) {
  if (this != &other) {
    reset();
    message_ = other.message_;
    other.message_ = nullptr;
  }
  return *this;
}

void MessagePtr::reset() {
  Message* message = release();
  if (message == nullptr) return;
  Reaper reaper;
  reaper.adopt(message);
}

}  // namespace ipc
