// wasi::Os: what the WASI layer needs from the system underneath it. The hosted runner implements
// it over Linux (wasi/host_os.h), the kernel over its file system and console.
//
// Handles are the Os's own numbers for open objects (files, directories, terminals, pipes); the
// WASI layer maps program descriptors to them and never interprets them. Every name passed to an
// `*_at` method is ONE path component (no '/'), or "." for the directory itself; the WASI layer
// resolves paths component by component itself (wasi.cc), so a backend cannot let a program
// escape its preopened directories. Methods never follow a symbolic link in the last component.
//
// Errors are WASI errnos (wasi/abi.h). Blocking: an operation that cannot complete now (a read
// from a console with no input, a poll with nothing ready) either blocks the calling thread (the
// hosted Os) or returns Errno::WouldBlock having changed nothing and written nothing (the
// kernel's Os); the WASI layer then leaves the host call pending and the embedder retries it once
// the Os says the wait is over (docs/wasi.md, "Blocking").
#pragma once

#include <support/span.h>
#include <support/string_view.h>
#include <wasi/abi.h>

namespace wasi {

using Handle = u64;

struct FileStat {
  u64 dev = 0;
  u64 ino = 0;
  FileType type = FileType::Unknown;
  u64 nlink = 0;
  u64 size = 0;
  u64 atim = 0;  // nanoseconds since the epoch
  u64 mtim = 0;
  u64 ctim = 0;
};

struct DirEntry {
  u64 next = 0;  // the cookie of the entry after this one
  u64 ino = 0;   // must equal stat_at(dir, name).ino
  FileType type = FileType::Unknown;
  u32 name_len = 0;
  char name[256];
};

struct OpenOptions {
  bool read = false;
  bool write = false;
  bool create = false;     // create a regular file if absent
  bool exclusive = false;  // with create: fail with Exist if present
  bool truncate = false;
  bool directory = false;  // must be a directory (Notdir otherwise)
};

// One thing poll() waits for. `ready` and `nbytes`/`hangup`/`error` are outputs.
struct PollFd {
  Handle handle = 0;
  bool write = false;  // false: readable
  bool ready = false;
  bool hangup = false;
  Errno error = Errno::Success;
  u64 nbytes = 0;  // bytes available, when known
};

class Os {
 public:
  // Clocks, in nanoseconds. Realtime counts from the Unix epoch; Monotonic from any origin.
  virtual Errno clock_res(ClockId id, u64* resolution) = 0;
  virtual Errno clock_time(ClockId id, u64* now) = 0;
  // Fills `out` with random bytes (never blocks, never fails on a working system). The WASI layer
  // asks for at most 64 KiB at a time.
  virtual Errno random(support::Span<u8> out) = 0;

  // Stream transfer for objects without a position (terminals, pipes): may block (see above).
  // A read of 0 bytes means end of input.
  virtual Errno read(Handle h, support::Span<u8> out, u64* done) = 0;
  virtual Errno write(Handle h, support::Span<const u8> data, u64* done) = 0;
  // Positioned transfer for regular files (the WASI layer keeps each descriptor's offset).
  virtual Errno pread(Handle h, support::Span<u8> out, u64 offset, u64* done) = 0;
  virtual Errno pwrite(Handle h, support::Span<const u8> data, u64 offset, u64* done) = 0;
  // Append mode (FDFLAGS_APPEND): writes the parts one after another at the end of regular file
  // `h`, atomically with finding that end, so that no other write to the file (from this program
  // or any other) lands between or over them. `*at` is the offset the first byte went to, `*done`
  // the bytes written (fewer than asked only when an error such as Nospc stopped the write).
  virtual Errno append(Handle h, support::Span<const support::Bytes> parts, u64* at, u64* done) = 0;

  virtual Errno stat(Handle h, FileStat* out) = 0;
  virtual Errno set_size(Handle h, u64 size) = 0;
  // `flags` are WASI fstflags (kFstAtim, kFstAtimNow, kFstMtim, kFstMtimNow).
  virtual Errno set_times(Handle h, u64 atim, u64 mtim, u16 flags) = 0;
  virtual Errno sync(Handle h, bool data_only) = 0;
  // The entry at position `cookie` of directory `dir` (0 is the first): Success with `*entry`,
  // or Success with `*end` = true past the last one. Cookies are the `next` values it returned.
  virtual Errno readdir(Handle dir, u64 cookie, DirEntry* entry, bool* end) = 0;

  // Single-name operations in a directory (see the header comment). stat_at and open_at accept
  // ".", the directory itself. open_at on a symbolic link fails with Loop.
  virtual Errno stat_at(Handle dir, support::StringView name, FileStat* out) = 0;
  virtual Errno open_at(Handle dir, support::StringView name, const OpenOptions& options,
                        Handle* out) = 0;
  virtual Errno set_times_at(Handle dir, support::StringView name, u64 atim, u64 mtim,
                             u16 flags) = 0;
  virtual Errno mkdir_at(Handle dir, support::StringView name) = 0;
  virtual Errno unlink_at(Handle dir, support::StringView name) = 0;  // not a directory: Isdir
  virtual Errno rmdir_at(Handle dir, support::StringView name) = 0;   // Notempty, Notdir
  virtual Errno rename_at(Handle from_dir, support::StringView from, Handle to_dir,
                          support::StringView to) = 0;
  virtual Errno link_at(Handle from_dir, support::StringView from, Handle to_dir,
                        support::StringView to) = 0;
  virtual Errno symlink_at(support::StringView target, Handle dir, support::StringView name) = 0;
  // Copies the link's target into `out` (truncated to its size); `*len` is the bytes copied.
  virtual Errno readlink_at(Handle dir, support::StringView name, support::Span<char> out,
                            u64* len) = 0;
  virtual Errno close(Handle h) = 0;

  // Waits until one of `fds` is ready or the Monotonic clock reaches `deadline` (~0: none; with
  // no fds only the deadline counts). Sets `ready` (and nbytes/hangup/error) on the ready ones
  // and returns Success; returns Success with none ready once the deadline passed (deadline 0:
  // just report readiness, never wait and never WouldBlock). Otherwise it blocks, or returns
  // WouldBlock (nothing written) as described above; returning Success early with nothing ready
  // makes the WASI layer call again at once (a spin).
  virtual Errno poll(support::Span<PollFd> fds, u64 deadline) = 0;

  // Sockets: handles whose stat type is SocketStream (a listener handed to the program like a
  // preopen, an accepted connection, a connection the embedder opened). The WASI layer moves a
  // socket's bytes only through sock_recv and sock_send (fd_read and fd_write on a socket
  // descriptor come here too), never through read/write. poll() reports a listener readable
  // when a connection waits to be accepted, a connection readable when bytes or the end of the
  // stream wait, writable when there is room to send, and `hangup` once the peer closed or the
  // connection broke (`error` for a broken one). Each may block or return WouldBlock having
  // changed nothing, like read (see the header comment); with set_nonblocking() on the handle a
  // blocking Os answers Again instead of waiting. An Os without sockets keeps the defaults
  // (every handle is not a socket).
  //
  // Accepts one connection on listening socket `listener`: a new handle in `*out` (a connection,
  // blocking until set_nonblocking says otherwise). Inval when `listener` does not listen.
  virtual Errno sock_accept(Handle listener, Handle* out) {
    (void)listener;
    (void)out;
    return Errno::Notsock;
  }
  // Receives into `out` what has arrived, at least one byte (it waits only while nothing has;
  // `*done` may be short); `peek` leaves the bytes to be received again. `*done` 0 is the end of
  // the stream (or `out` is empty). Connreset, Notconn (a listener) as the system says.
  virtual Errno sock_recv(Handle h, support::Span<u8> out, bool peek, u64* done) {
    (void)h;
    (void)out;
    (void)peek;
    (void)done;
    return Errno::Notsock;
  }
  // Sends from `data` (`*done` may be short; 0 only for empty `data`); Pipe once the sending side
  // is shut down or the peer is gone (never a signal), Connreset, Notconn (a listener).
  virtual Errno sock_send(Handle h, support::Span<const u8> data, u64* done) {
    (void)h;
    (void)data;
    (void)done;
    return Errno::Notsock;
  }
  // Shuts down receiving, sending or both (WASI sdflags RD = 1, WR = 2; never neither). Notconn
  // on a listener or a connection not yet connected.
  virtual Errno sock_shutdown(Handle h, bool read, bool write) {
    (void)h;
    (void)read;
    (void)write;
    return Errno::Notsock;
  }

  // The descriptor holding `h` set (or cleared) FDFLAGS_NONBLOCK: fd_fdstat_set_flags, or
  // sock_accept with FDFLAGS_NONBLOCK on the connection it makes. An Os that answers WouldBlock
  // needs nothing (the WASI layer turns WouldBlock into Again on such a descriptor) and keeps
  // this default. An Os that blocks the thread must from now on answer Again instead of waiting
  // in read, write, sock_accept, sock_recv and sock_send on `h` (the hosted Os), until cleared or
  // `h` is closed. An error leaves the descriptor's flags unchanged.
  virtual Errno set_nonblocking(Handle h, bool nonblocking) {
    (void)h;
    (void)nonblocking;
    return Errno::Success;
  }

  // True when the calling program has had its time (its slice is over, or it was asked to end):
  // a call that could go on for long stops at the next point where it can. Transfers end with
  // what they moved (a short count); random_get and fd_readdir return WouldBlock with their
  // progress kept and continue where they stopped when the embedder retries them (docs/wasi.md,
  // "Blocking"). An Os that runs each program on a thread of its own never needs to ask.
  virtual bool yield_due() { return false; }

  // Memory the WASI layer keeps for the calling program between calls (poll_oneoff's copy of its
  // subscriptions, at most kMaxSubscriptions of them, kept while it waits and reused after):
  // charged to the program, given back when the Wasi goes. false refuses it (the call fails with
  // Nomem). An Os that does not count what its programs hold takes everything.
  virtual bool charge(u64 bytes) {
    (void)bytes;
    return true;
  }
  virtual void uncharge(u64 bytes) { (void)bytes; }

 protected:
  ~Os() = default;
};

}  // namespace wasi
