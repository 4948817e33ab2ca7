// Channel: two ends that pass messages (bytes and handles) both ways, as in Zircon.
//
// write() queues a message for the peer; read() takes the next message queued for this end.
// Neither blocks: a full queue gives Error::WouldBlock (backpressure: wait for Writable), an
// empty one WouldBlock while the peer is open (wait for Readable) and PeerClosed once it is
// closed and every message it sent has been read. Each direction's queue is bounded by messages
// and by bytes (ChannelLimits); one message is bounded by bytes and handles (TooBig).
//
// Handles in a message are MOVED: channel_write takes them out of the sender's table atomically
// (all or nothing), each with the rights the sender gives (a subset; a handle without kTransfer
// is refused), and channel_read puts them in the receiver's table. A message is charged to its
// sender's Account until it is read or freed.
//
// Closing (an end is closed when its last handle goes, as for pipes): the peer sees PeerClosed
// and can still read what was queued for it; the messages queued FOR the closed end are freed
// at once, and with them the handles they carry (a handle sent to a receiver that dies is freed,
// and if it was the last handle of its object, that object closes too).
//
// Cycles. Handles in queues can keep each other alive: end A queued in B's queue and B queued in
// A's, with no program holding either, would never close. So a write is refused with
// WouldCycle when it carries (a) an end of the same channel, or (b) a channel end or service that
// has channel ends or services queued for it (read them first). With (a) and (b) the "queued in"
// relation stays acyclic, so once no program holds handles every queue is freed (docs/ipc.md,
// "Cycles", has the argument). The check and the queuing happen under the locks of every object
// involved, taken in address order, so two writes cannot race around it.
//
// The two ends are one allocation, charged to the creator's Account until both are freed; one
// lock (shared by both ends) guards both queues. Bytes are copied outside it.
#pragma once

#include <ipc/account.h>
#include <ipc/error.h>
#include <ipc/handle.h>
#include <ipc/handle_table.h>
#include <ipc/message.h>
#include <ipc/object.h>
#include <support/span.h>
#include <support/spinlock.h>
#include <support/thread_safety.h>

namespace ipc {

inline constexpr u32 kMaxMessageHandles = 64;

struct ChannelLimits {
  u32 max_messages = 64;             // queued toward one end
  u32 max_bytes = 256 << 10;         // message bytes queued toward one end
  u32 max_message_bytes = 64 << 10;  // in one message
  u32 max_message_handles = 64;      // in one message, at most kMaxMessageHandles
};

class Channel;

class ChannelEnd final : public Object {
 public:
  static constexpr Kind kKind = Kind::ChannelEnd;

  // Queues `message` for the peer. On success the channel takes it (`message` is left empty);
  // on failure it is left with the caller, unchanged. BadHandle: this end is closed. TooBig:
  // over the limits for one message. PeerClosed. WouldCycle (header comment). WouldBlock: the
  // peer's queue is full.
  Result<void> write(MessagePtr& message);
  // The sizes of the next message: WouldBlock (none yet), PeerClosed (none, and none will come),
  // BadHandle (this end is closed).
  Result<MessageSizes> peek() const;
  // Takes the next message if it has at most `max_bytes` bytes and `max_handles` handles;
  // `sizes` is set to its sizes whenever there is one. BufferTooSmall: it is bigger (it stays
  // queued). Otherwise as peek().
  Result<MessagePtr> read(u32 max_bytes, u32 max_handles, MessageSizes& sizes);
  // Messages queued for this end now.
  u32 queued() const;
  const ChannelLimits& limits() const;

  u32 queued_carriers_locked() const override;

 private:
  friend class Channel;
  ChannelEnd(Channel& channel, u32 side);
  void on_last_handle(Reaper& reaper) override;
  void destroy() override;
  Channel& channel_;
  const u32 side_;  // 0 or 1; the peer is 1 - side_
};

struct ChannelEnds {
  Handle a;  // rights right::kChannel
  Handle b;
};

class Channel {
 public:
  // A channel charged to `account` (LimitReached) until both ends are freed: NoMemory;
  // Invalid if limits.max_message_handles > kMaxMessageHandles.
  static Result<ChannelEnds> create(Account& account, const ChannelLimits& limits = {});

 private:
  friend class ChannelEnd;

  // One direction: the messages queued for end `side`.
  struct Queue {
    MessageList messages;
    u32 bytes = 0;
    u32 carriers = 0;  // carrier handles in those messages (cycle rule)
    bool open = true;  // end `side` has handles
  };

  Channel(Charge charge, const ChannelLimits& limits);
  ~Channel() = default;
  Result<void> write(u32 from, MessagePtr& message);
  // The write's checks and queuing, with lock_ and the lock of every carrier in it held.
  Result<void> write_locked(u32 from, MessagePtr& message, u32 carriers) REQUIRES(lock_);
  Result<MessageSizes> peek(u32 side) const;
  Result<MessagePtr> read(u32 side, u32 max_bytes, u32 max_handles, MessageSizes& sizes);
  void close(u32 side, Reaper& reaper);
  bool has_room_locked(u32 side, u32 bytes) const REQUIRES(lock_);
  // Both ends' signals from the state.
  void refresh_locked() REQUIRES(lock_);
  void end_destroyed();

  mutable support::SpinLock lock_;
  ChannelEnd ends_[2];
  Queue queues_[2] GUARDED_BY(lock_);
  const ChannelLimits limits_;
  Charge charge_;
  support::Atomic<u32> alive_{2};  // end objects not yet destroyed
};

// --- Table-level calls: what a system call does with a program's table.

// Makes a channel charged to the table's account; its ends go to the two lowest free numbers,
// all or nothing.
struct ChannelNumbers {
  u32 a = 0;
  u32 b = 0;
};
Result<ChannelNumbers> channel_create(HandleTable& table, const ChannelLimits& limits = {});

// Sends `bytes` and the handles `transfers` name through the channel end at `channel` (which
// needs kWrite): the handles leave the table only if the message is queued (all or nothing).
// Errors: those of lookup (BadHandle, AccessDenied, WrongType), of HandleTable::take, of
// Message::create, and of ChannelEnd::write.
Result<void> channel_write(HandleTable& table, u32 channel, support::Bytes bytes,
                           support::Span<const HandleTransfer> transfers);

// Reads the next message from the channel end at `channel` (kRead) into `bytes` and puts its
// handles in the table, their numbers in `handles`. `sizes` is set to the message's sizes
// whenever there is one: on success what was read, on BufferTooSmall what is needed (the
// message stays queued). The handles take the lowest free numbers; if the table cannot take them
// all (TableFull, LimitReached) the message stays queued.
Result<void> channel_read(HandleTable& table, u32 channel, support::Span<u8> bytes,
                          support::Span<u32> handles, MessageSizes& sizes);

}  // namespace ipc
