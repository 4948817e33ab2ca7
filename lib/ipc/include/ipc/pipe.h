// Pipe: a byte stream through a bounded ring buffer, with a read end (PipeReader) and a write end
// (PipeWriter), each an Object that handles name.
//
// Operations never block: when they cannot proceed they return Error::WouldBlock, and the
// caller waits for a signal (Readable, Writable, PeerClosed) with an Observer or a WaitSet.
//  - read: up to the bytes buffered (a partial read is normal). An empty pipe gives WouldBlock
//    while the write end is open, then 0 (end of file) once it is closed.
//  - write: up to the room left (a partial write is normal), except that a write of at most
//    kPipeAtomicWrite bytes (POSIX's PIPE_BUF) goes in whole or not at all, so that lines from
//    several writers never interleave. A full pipe gives WouldBlock; once the read end is closed
//    every write fails with PeerClosed (EPIPE), whatever its size.
//
// An end is CLOSED when its last handle goes, not its last reference: a transient reference
// that the kernel holds while it runs an operation does not delay end of file or a broken pipe;
// an operation through such a reference on a closed end fails with BadHandle. Bytes still
// buffered when the read end closes are discarded.
//
// The two ends and the buffer are one allocation, charged to the creator's Account until both
// ends are freed. One lock (shared by both ends) guards the pipe; the bytes are copied under it,
// at most the capacity per call.
#pragma once

#include <ipc/account.h>
#include <ipc/error.h>
#include <ipc/handle.h>
#include <ipc/handle_table.h>
#include <ipc/object.h>
#include <support/span.h>
#include <support/spinlock.h>
#include <support/thread_safety.h>

namespace ipc {

inline constexpr u32 kDefaultPipeCapacity = 64 << 10;
inline constexpr u32 kMaxPipeCapacity = 16 << 20;
inline constexpr u32 kPipeAtomicWrite = 4096;

class Pipe;

class PipeReader final : public Object {
 public:
  static constexpr Kind kKind = Kind::PipeReader;

  // Moves up to out.size() buffered bytes into `out` and returns how many: 0 means end of file
  // (or an empty `out`). WouldBlock: empty, a writer is open. BadHandle: this end is closed.
  Result<usize> read(support::Span<u8> out);
  // Bytes buffered now (poll_oneoff's nbytes).
  usize available() const;
  u32 capacity() const;

 private:
  friend class Pipe;
  explicit PipeReader(Pipe& pipe);
  void on_last_handle(Reaper& reaper) override;
  void destroy() override;
  Pipe& pipe_;
};

class PipeWriter final : public Object {
 public:
  static constexpr Kind kKind = Kind::PipeWriter;

  // Copies from `data` into the pipe and returns how many bytes (see the header comment for
  // partial and whole writes). WouldBlock: no room (for a small write: not enough room).
  // PeerClosed: the read end is closed. BadHandle: this end is closed.
  Result<usize> write(support::Bytes data);
  // Room left now.
  usize room() const;
  u32 capacity() const;

 private:
  friend class Pipe;
  explicit PipeWriter(Pipe& pipe);
  void on_last_handle(Reaper& reaper) override;
  void destroy() override;
  Pipe& pipe_;
};

struct PipeEnds {
  Handle reader;  // rights right::kPipeReader
  Handle writer;  // rights right::kPipeWriter
};

class Pipe {
 public:
  // A pipe of `capacity` bytes (1 .. kMaxPipeCapacity: Invalid otherwise), charged to `account`
  // (LimitReached) until both its ends are freed: NoMemory.
  static Result<PipeEnds> create(Account& account, u32 capacity = kDefaultPipeCapacity);

 private:
  friend class PipeReader;
  friend class PipeWriter;

  Pipe(Charge charge, u32 capacity);
  ~Pipe() = default;
  u8* buffer() { return reinterpret_cast<u8*>(this + 1); }
  Result<usize> read(support::Span<u8> out);
  Result<usize> write(support::Bytes data);
  void close_reader();
  void close_writer();
  // Both ends' signals from the state.
  void refresh_locked() REQUIRES(lock_);
  // An end object was destroyed: the second frees the pipe.
  void end_destroyed();

  mutable support::SpinLock lock_;
  PipeReader reader_;
  PipeWriter writer_;
  Charge charge_;
  const u32 capacity_;
  support::Atomic<u32> ends_{2};    // end objects not yet destroyed
  u32 head_ GUARDED_BY(lock_) = 0;  // the first buffered byte
  u32 size_ GUARDED_BY(lock_) = 0;  // bytes buffered
  bool reader_open_ GUARDED_BY(lock_) = true;
  bool writer_open_ GUARDED_BY(lock_) = true;
  // The buffer follows the object in the same allocation.
};

// The table-level call (WASI's pipe, the shell's `|`): makes a pipe charged to the table's
// account and puts its ends at the two lowest free numbers, all or nothing.
struct PipeNumbers {
  u32 reader = 0;
  u32 writer = 0;
};
Result<PipeNumbers> pipe_create(HandleTable& table, u32 capacity = kDefaultPipeCapacity);

}  // namespace ipc
