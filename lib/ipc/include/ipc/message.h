// Message: what a channel carries, bytes and handles, in one allocation charged to its sender
// until it is received or freed; and Reaper, which closes objects without recursion.
#pragma once

#include <ipc/account.h>
#include <ipc/error.h>
#include <ipc/handle.h>
#include <support/intrusive_list.h>
#include <support/span.h>

namespace ipc {

class MessagePtr;

struct MessageSizes {
  u32 bytes = 0;
  u32 handles = 0;
  bool operator==(const MessageSizes&) const = default;
};

class Message {
 public:
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  // A message holding a copy of `bytes` and room for `handle_count` handles (empty ones; the
  // sender moves its handles into handles()). Charged to `sender` (support::allocation_cost of
  // the one allocation) until freed: Error::LimitReached, Error::NoMemory.
  static Result<MessagePtr> create(Account& sender, support::Bytes bytes, u32 handle_count);

  support::Bytes bytes() const { return support::Bytes(byte_data(), byte_count_); }
  support::Span<Handle> handles() { return support::Span<Handle>(handle_data(), handle_count_); }
  MessageSizes sizes() const { return {byte_count_, handle_count_}; }
  // What the sender is charged for it.
  u64 charged() const { return charge_.bytes(); }

  // The queue link (a channel's or a service's queue, or a Reaper's list).
  support::IntrusiveNode link;

 private:
  friend class MessagePtr;
  friend class Reaper;
  friend class ChannelEnd;
  friend class Channel;

  Message(Charge charge, u32 byte_count, u32 handle_count);
  ~Message();
  // Frees a message whose handles are all empty.
  static void free(Message* message);
  static usize handles_offset();
  static usize allocation_size(u32 byte_count, u32 handle_count);
  Handle* handle_data() const;
  u8* byte_data() const;

  Charge charge_;
  const u32 byte_count_;
  const u32 handle_count_;
  u32 carriers_ = 0;  // handles of carrier kinds, counted when queued (cycle rule)
};

using MessageList = support::IntrusiveList<Message, &Message::link>;

// Owns a message; freeing it drops the handles it still carries (through a Reaper).
class MessagePtr {
 public:
  MessagePtr() = default;
  explicit MessagePtr(Message* message) : message_(message) {}
  MessagePtr(const MessagePtr&) = delete;
  MessagePtr& operator=(const MessagePtr&) = delete;
  MessagePtr(MessagePtr&& other) : message_(other.message_) { other.message_ = nullptr; }
  MessagePtr& operator=(MessagePtr&& other);
  ~MessagePtr() { reset(); }

  void reset();
  Message* release() {
    Message* message = message_;
    message_ = nullptr;
    return message;
  }
  Message* get() const { return message_; }
  Message* operator->() const { return message_; }
  Message& operator*() const { return *message_; }
  explicit operator bool() const { return message_ != nullptr; }

 private:
  Message* message_ = nullptr;
};

// Drops handles and frees messages iteratively: a closed channel end hands its queue over
// (on_last_handle), and closing the handles those messages carry may close further ends, whose
// queues join the same list instead of recursing (a chain of ends each queued in the previous
// one's queue is as long as a program likes). run() at destruction; call it with no IPC lock
// held.
class Reaper {
 public:
  Reaper() = default;
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;
  ~Reaper() { run(); }

  void adopt(Message* message) { pending_.push_back(*message); }
  void adopt(MessageList& messages) {
    while (Message* message = messages.pop_front()) pending_.push_back(*message);
  }
  // Drops one handle (its handle count and its reference) of `object`.
  void drop_handle(Object* object);
  // Frees every adopted message, and those that closing their handles hands over.
  void run();

 private:
  MessageList pending_;
};

}  // namespace ipc
