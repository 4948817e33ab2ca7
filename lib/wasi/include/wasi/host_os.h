// wasi::HostOs: wasi::Os over Linux, for the hosted runner and tests (not in the kernel build).
// Handles are Linux file descriptors; every operation blocks the calling thread (never
// WouldBlock). Directories are opened with O_DIRECTORY, single names with O_NOFOLLOW.
//
// FDFLAGS_NONBLOCK (Os::set_nonblocking) is kept here, per handle, never as O_NONBLOCK on the
// Linux descriptor (that flag belongs to the open file, which a terminal or a pipe shares with
// the processes around the runner): on such a handle sock_recv and sock_send pass
// MSG_DONTWAIT, and sock_accept, read and write first ask poll() without waiting and answer
// Again when it is not ready. (A write to a pipe with less room than asked can still wait for
// the rest: Linux gives no per-call flag for that.)
#pragma once

#include <vector>

#include <wasi/os.h>

namespace wasi {

class HostOs final : public Os {
 public:
  HostOs() = default;
  ~HostOs();
  HostOs(const HostOs&) = delete;
  HostOs& operator=(const HostOs&) = delete;

  // Opens a host directory to preopen (Linux path, followed as usual).
  Errno open_directory(const char* host_path, Handle* out);
  // A TCP listener on `address` ("A.B.C.D:PORT", IPv4; port 0 picks a free one) with
  // SO_REUSEADDR and a backlog of 128, for Wasi::add_socket; `*port` is the port it got.
  // Inval for a malformed address, else Linux's error (Addrinuse, Addrnotavail, Acces).
  Errno listen_tcp(const char* address, Handle* out, u16* port);

  Errno clock_res(ClockId id, u64* resolution) override;
  Errno clock_time(ClockId id, u64* now) override;
  Errno random(support::Span<u8> out) override;
  Errno read(Handle h, support::Span<u8> out, u64* done) override;
  Errno write(Handle h, support::Span<const u8> data, u64* done) override;
  Errno pread(Handle h, support::Span<u8> out, u64 offset, u64* done) override;
  Errno pwrite(Handle h, support::Span<const u8> data, u64 offset, u64* done) override;
  // One writev with O_APPEND set on the descriptor for its duration (the flag is cleared again:
  // Linux's pwrite ignores the offset on an O_APPEND descriptor).
  Errno append(Handle h, support::Span<const support::Bytes> parts, u64* at, u64* done) override;
  Errno stat(Handle h, FileStat* out) override;
  Errno set_size(Handle h, u64 size) override;
  Errno set_times(Handle h, u64 atim, u64 mtim, u16 flags) override;
  Errno sync(Handle h, bool data_only) override;
  Errno readdir(Handle dir, u64 cookie, DirEntry* entry, bool* end) override;
  Errno stat_at(Handle dir, support::StringView name, FileStat* out) override;
  Errno open_at(Handle dir, support::StringView name, const OpenOptions& options,
                Handle* out) override;
  Errno set_times_at(Handle dir, support::StringView name, u64 atim, u64 mtim, u16 flags) override;
  Errno mkdir_at(Handle dir, support::StringView name) override;
  Errno unlink_at(Handle dir, support::StringView name) override;
  Errno rmdir_at(Handle dir, support::StringView name) override;
  Errno rename_at(Handle from_dir, support::StringView from, Handle to_dir,
                  support::StringView to) override;
  Errno link_at(Handle from_dir, support::StringView from, Handle to_dir,
                support::StringView to) override;
  Errno symlink_at(support::StringView target, Handle dir, support::StringView name) override;
  Errno readlink_at(Handle dir, support::StringView name, support::Span<char> out,
                    u64* len) override;
  Errno close(Handle h) override;
  // Linux poll; POLLHUP is `hangup`, POLLERR an error (Pipe when waiting to write, else Io),
  // POLLNVAL Badf.
  Errno poll(support::Span<PollFd> fds, u64 deadline) override;
  // accept4 with SOCK_CLOEXEC; recv (MSG_PEEK); send with MSG_NOSIGNAL (a peer gone is Pipe,
  // never SIGPIPE); shutdown.
  Errno sock_accept(Handle listener, Handle* out) override;
  Errno sock_recv(Handle h, support::Span<u8> out, bool peek, u64* done) override;
  Errno sock_send(Handle h, support::Span<const u8> data, u64* done) override;
  Errno sock_shutdown(Handle h, bool read, bool write) override;
  Errno set_nonblocking(Handle h, bool nonblocking) override;

 private:
  struct DirStream;
  bool nonblocking(Handle h) const;
  DirStream* streams_ = nullptr;   // open directory streams for readdir, a list
  std::vector<bool> nonblocking_;  // by Linux descriptor: FDFLAGS_NONBLOCK is set on it
};

// The WASI errno for a Linux errno.
Errno errno_from_linux(int error);

}  // namespace wasi
