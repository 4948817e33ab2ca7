#include <ipc/message.h>
#include <ipc/pipe.h>
#include <support/allocation_cost.h>
#include <support/new.h>

#include "assert.h"

namespace ipc {

using support::LockGuard;
using support::SpinLock;

PipeReader::PipeReader(Pipe& pipe) : Object(kKind, pipe.lock_), pipe_(pipe) {}
PipeWriter::PipeWriter(Pipe& pipe) : Object(kKind, pipe.lock_), pipe_(pipe) {}

Result<usize> PipeReader::read(support::Span<u8> out) { return pipe_.read(out); }
Result<usize> PipeWriter::write(support::Bytes data) { return pipe_.write(data); }

usize PipeReader::available() const {
  LockGuard<SpinLock> guard(pipe_.lock_);
  return pipe_.size_;
}
usize PipeWriter::room() const {
  LockGuard<SpinLock> guard(pipe_.lock_);
  return pipe_.reader_open_ ? pipe_.capacity_ - pipe_.size_ : 0;
}
u32 PipeReader::capacity() const { return pipe_.capacity_; }
u32 PipeWriter::capacity() const { return pipe_.capacity_; }

void PipeReader::on_last_handle(Reaper&) { pipe_.close_reader(); }
void PipeWriter::on_last_handle(Reaper&) { pipe_.close_writer(); }
void PipeReader::destroy() { pipe_.end_destroyed(); }
void PipeWriter::destroy() { pipe_.end_destroyed(); }

Pipe::Pipe(Charge charge, u32 capacity)
    : reader_(*this), writer_(*this), charge_(support::move(charge)), capacity_(capacity) {}

Result<PipeEnds> Pipe::create(Account& account, u32 capacity) {
  if (capacity == 0 || capacity > kMaxPipeCapacity) return Error::Invalid;
  usize size = sizeof(Pipe) + capacity;
  Charge charge = TRY(Charge::take(account, support::allocation_cost(size)));
  static_assert(alignof(Pipe) <= 16);
  u8* raw = new (std::nothrow) u8[size];
  if (raw == nullptr) return Error::NoMemory;
  Pipe* pipe = new (raw) Pipe(support::move(charge), capacity);
  {
    LockGuard<SpinLock> guard(pipe->lock_);
    pipe->refresh_locked();
  }
  // New objects: their first handles cannot fail.
  PipeEnds ends;
  ends.reader = MUST(Handle::create(Ref<Object>(&pipe->reader_), right::kPipeReader));
  ends.writer = MUST(Handle::create(Ref<Object>(&pipe->writer_), right::kPipeWriter));
  return ends;
}

void Pipe::end_destroyed() {
  if (ends_.fetch_sub(1, support::MemoryOrder::AcqRel) != 1) return;
  this->~Pipe();
  delete[] reinterpret_cast<u8*>(this);
}

Result<usize> Pipe::read(support::Span<u8> out) {
  LockGuard<SpinLock> guard(lock_);
  if (!reader_open_) return Error::BadHandle;
  if (out.empty()) return usize{0};
  if (size_ == 0) {
    if (writer_open_) return Error::WouldBlock;
    return usize{0};  // end of file
  }
  u32 n = out.size() < size_ ? static_cast<u32>(out.size()) : size_;
  u32 first = capacity_ - head_ < n ? capacity_ - head_ : n;
  __builtin_memcpy(out.data(), buffer() + head_, first);
  if (n > first) __builtin_memcpy(out.data() + first, buffer(), n - first);
  head_ = (head_ + n) % capacity_;
  size_ -= n;
  if (size_ == 0) head_ = 0;  // keeps later writes in one piece
  refresh_locked();
  return usize{n};
}

Result<usize> Pipe::write(support::Bytes data) {
  LockGuard<SpinLock> guard(lock_);
  if (!writer_open_) return Error::BadHandle;
  if (!reader_open_) return Error::PeerClosed;
  if (data.empty()) return usize{0};
  u32 room = capacity_ - size_;
  u32 whole = kPipeAtomicWrite < capacity_ ? kPipeAtomicWrite : capacity_;
  if (room == 0 || (data.size() <= whole && room < data.size())) return Error::WouldBlock;
  u32 n = data.size() < room ? static_cast<u32>(data.size()) : room;
  u32 tail = (head_ + size_) % capacity_;
  u32 first = capacity_ - tail < n ? capacity_ - tail : n;
  __builtin_memcpy(buffer() + tail, data.data(), first);
  if (n > first) __builtin_memcpy(buffer(), data.data() + first, n - first);
  size_ += n;
  refresh_locked();
  return usize{n};
}

void Pipe::close_reader() {
  LockGuard<SpinLock> guard(lock_);
  reader_open_ = false;
  size_ = 0;
  head_ = 0;
  refresh_locked();
}

void Pipe::close_writer() {
  LockGuard<SpinLock> guard(lock_);
  writer_open_ = false;
  refresh_locked();
}

void Pipe::refresh_locked() {
  constexpr Signals kManaged = signal::kReadable | signal::kWritable | signal::kPeerClosed;
  Signals reader;
  if (size_ != 0) reader |= signal::kReadable;
  if (!writer_open_) reader |= signal::kPeerClosed;
  reader_.set_signals_locked(kManaged, reader);
  // Writable promises that a whole write (up to kPipeAtomicWrite) fits: a writer woken by it
  // makes progress instead of spinning on WouldBlock.
  Signals writer;
  u32 whole = kPipeAtomicWrite < capacity_ ? kPipeAtomicWrite : capacity_;
  if (reader_open_ && capacity_ - size_ >= whole) writer |= signal::kWritable;
  if (!reader_open_) writer |= signal::kPeerClosed;
  writer_.set_signals_locked(kManaged, writer);
}

Result<PipeNumbers> pipe_create(HandleTable& table, u32 capacity) {
  u32 numbers[2];
  TRY(table.reserve(numbers));
  Result<PipeEnds> ends = Pipe::create(table.account(), capacity);
  if (ends.is_error()) {
    table.unreserve(numbers);
    return ends.error();
  }
  Handle handles[2] = {support::move(ends.value().reader), support::move(ends.value().writer)};
  table.fill(numbers, handles);
  return PipeNumbers{numbers[0], numbers[1]};
}

}  // namespace ipc
