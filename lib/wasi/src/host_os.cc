// wasi::HostOs over Linux system calls (hosted builds only).
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <wasi/host_os.h>

namespace wasi {

using support::Span;
using support::StringView;

Errno errno_from_linux(int error) {
  switch (error) {
    case 0: return Errno::Success;
    case E2BIG: return Errno::TooBig;
    case EACCES: return Errno::Acces;
    case EADDRINUSE: return Errno::Addrinuse;
    case EADDRNOTAVAIL: return Errno::Addrnotavail;
    case EAGAIN: return Errno::Again;
    case EBADF: return Errno::Badf;
    case EBUSY: return Errno::Busy;
    case ECONNABORTED: return Errno::Connaborted;
    case ECONNREFUSED: return Errno::Connrefused;
    case ECONNRESET: return Errno::Connreset;
    case EEXIST: return Errno::Exist;
    case EFAULT: return Errno::Fault;
    case EFBIG: return Errno::Fbig;
    case EHOSTUNREACH: return Errno::Hostunreach;
    case EILSEQ: return Errno::Ilseq;
    case EINPROGRESS: return Errno::Inprogress;
    case EINTR: return Errno::Intr;
    case EINVAL: return Errno::Inval;
    case EIO: return Errno::Io;
    case EISCONN: return Errno::Isconn;
    case EISDIR: return Errno::Isdir;
    case ELOOP: return Errno::Loop;
    case EMFILE: return Errno::Mfile;
    case EMLINK: return Errno::Mlink;
    case EMSGSIZE: return Errno::Msgsize;
    case ENAMETOOLONG: return Errno::Nametoolong;
    case ENETDOWN: return Errno::Netdown;
    case ENETUNREACH: return Errno::Netunreach;
    case ENFILE: return Errno::Nfile;
    case ENOBUFS: return Errno::Nobufs;
    case ENODEV: return Errno::Nodev;
    case ENOENT: return Errno::Noent;
    case ENOMEM: return Errno::Nomem;
    case ENOSPC: return Errno::Nospc;
    case ENOSYS: return Errno::Nosys;
    case ENOTCONN: return Errno::Notconn;
    case ENOTDIR: return Errno::Notdir;
    case ENOTEMPTY: return Errno::Notempty;
    case ENOTSOCK: return Errno::Notsock;
    case ENOTSUP: return Errno::Notsup;
    case ENOTTY: return Errno::Notty;
    case ENXIO: return Errno::Nxio;
    case EOVERFLOW: return Errno::Overflow;
    case EPERM: return Errno::Perm;
    case EPIPE: return Errno::Pipe;
    case ERANGE: return Errno::Range;
    case EROFS: return Errno::Rofs;
    case ESPIPE: return Errno::Spipe;
    case ETIMEDOUT: return Errno::Timedout;
    case EXDEV: return Errno::Xdev;
    default: return Errno::Io;
  }
}

namespace {

Errno last_error() { return errno_from_linux(errno); }

std::string str(StringView s) { return std::string(s.data(), s.size()); }

int fd_of(Handle h) { return static_cast<int>(h); }

clockid_t linux_clock(ClockId id) {
  switch (id) {
    case ClockId::Realtime: return CLOCK_REALTIME;
    case ClockId::Monotonic: return CLOCK_MONOTONIC;
    case ClockId::ProcessCputime: return CLOCK_PROCESS_CPUTIME_ID;
    case ClockId::ThreadCputime: return CLOCK_THREAD_CPUTIME_ID;
  }
  return CLOCK_MONOTONIC;
}

u64 nanos(const timespec& ts) {
  return static_cast<u64>(ts.tv_sec) * 1000000000ull + static_cast<u64>(ts.tv_nsec);
}

timespec from_nanos(u64 ns) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000ull);
  ts.tv_nsec = static_cast<long>(ns % 1000000000ull);
  return ts;
}

FileType file_type(mode_t mode) {
  if (S_ISREG(mode)) return FileType::RegularFile;
  if (S_ISDIR(mode)) return FileType::Directory;
  if (S_ISCHR(mode)) return FileType::CharacterDevice;
  if (S_ISBLK(mode)) return FileType::BlockDevice;
  if (S_ISLNK(mode)) return FileType::SymbolicLink;
  if (S_ISSOCK(mode)) return FileType::SocketStream;
  return FileType::Unknown;  // FIFOs: WASI has no type for them
}

void fill(const struct stat& st, FileStat* out) {
  out->dev = st.st_dev;
  out->ino = st.st_ino;
  out->type = file_type(st.st_mode);
  out->nlink = st.st_nlink;
  out->size = static_cast<u64>(st.st_size);
  out->atim = nanos(st.st_atim);
  out->mtim = nanos(st.st_mtim);
  out->ctim = nanos(st.st_ctim);
}

// Whether `fd` is ready for `events` now (a poll that does not wait). An error counts as ready:
// the operation that follows reports it.
bool ready_now(int fd, short events) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  return n != 0;
}

void times(u64 atim, u64 mtim, u16 flags, timespec ts[2]) {
  ts[0] = from_nanos(atim);
  ts[1] = from_nanos(mtim);
  if (!(flags & kFstAtim)) ts[0].tv_nsec = UTIME_OMIT;
  if (flags & kFstAtimNow) ts[0].tv_nsec = UTIME_NOW;
  if (!(flags & kFstMtim)) ts[1].tv_nsec = UTIME_OMIT;
  if (flags & kFstMtimNow) ts[1].tv_nsec = UTIME_NOW;
}

}  // namespace

// A directory stream kept per handle so that consecutive readdir calls continue cheaply.
struct HostOs::DirStream {
  int fd;
  DIR* dir;
  u64 next;  // the cookie the stream is positioned at
  DirStream* link;
};

HostOs::~HostOs() {
  while (streams_ != nullptr) {
    DirStream* s = streams_;
    streams_ = s->link;
    closedir(s->dir);
    delete s;
  }
}

Errno HostOs::open_directory(const char* host_path, Handle* out) {
  int fd = ::open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return last_error();
  *out = static_cast<Handle>(fd);
  return Errno::Success;
}

Errno HostOs::clock_res(ClockId id, u64* resolution) {
  timespec ts;
  if (clock_getres(linux_clock(id), &ts) != 0) return last_error();
  *resolution = nanos(ts);
  return Errno::Success;
}

Errno HostOs::clock_time(ClockId id, u64* now) {
  timespec ts;
  if (clock_gettime(linux_clock(id), &ts) != 0) return last_error();
  *now = nanos(ts);
  return Errno::Success;
}

Errno HostOs::random(Span<u8> out) {
  usize done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return last_error();
    done += static_cast<usize>(n);
  }
  return Errno::Success;
}

bool HostOs::nonblocking(Handle h) const { return h < nonblocking_.size() && nonblocking_[h]; }

Errno HostOs::read(Handle h, Span<u8> out, u64* done) {
  if (nonblocking(h) && !ready_now(fd_of(h), POLLIN)) return Errno::Again;
  for (;;) {
    ssize_t n = ::read(fd_of(h), out.data(), out.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return last_error();
    *done = static_cast<u64>(n);
    return Errno::Success;
  }
}

Errno HostOs::write(Handle h, Span<const u8> data, u64* done) {
  if (nonblocking(h) && !ready_now(fd_of(h), POLLOUT)) return Errno::Again;
  for (;;) {
    ssize_t n = ::write(fd_of(h), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return last_error();
    *done = static_cast<u64>(n);
    return Errno::Success;
  }
}

Errno HostOs::pread(Handle h, Span<u8> out, u64 offset, u64* done) {
  if (offset > static_cast<u64>(INT64_MAX)) return Errno::Inval;
  for (;;) {
    ssize_t n = ::pread(fd_of(h), out.data(), out.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return last_error();
    *done = static_cast<u64>(n);
    return Errno::Success;
  }
}

Errno HostOs::pwrite(Handle h, Span<const u8> data, u64 offset, u64* done) {
  if (offset > static_cast<u64>(INT64_MAX)) return Errno::Inval;
  for (;;) {
    ssize_t n = ::pwrite(fd_of(h), data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return last_error();
    *done = static_cast<u64>(n);
    return Errno::Success;
  }
}

Errno HostOs::append(Handle h, Span<const support::Bytes> parts, u64* at, u64* done) {
  iovec small[16];
  std::vector<iovec> large;
  iovec* iov = small;
  if (parts.size() > 16) {
    large.resize(parts.size());
    iov = large.data();
  }
  for (usize i = 0; i < parts.size(); ++i) {
    iov[i].iov_base = const_cast<u8*>(parts[i].data());
    iov[i].iov_len = parts[i].size();
  }
  int fd = fd_of(h);
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return last_error();
  if (!(flags & O_APPEND) && fcntl(fd, F_SETFL, flags | O_APPEND) != 0) return last_error();
  ssize_t n;
  do {
    n = ::writev(fd, iov, static_cast<int>(parts.size()));
  } while (n < 0 && errno == EINTR);
  int error = errno;
  // The descriptor's position is now the end of what was written.
  off_t end = n >= 0 ? lseek(fd, 0, SEEK_CUR) : -1;
  if (!(flags & O_APPEND)) (void)fcntl(fd, F_SETFL, flags);
  if (n < 0) return errno_from_linux(error);
  if (end < n) return Errno::Io;
  *done = static_cast<u64>(n);
  *at = static_cast<u64>(end - n);
  return Errno::Success;
}

Errno HostOs::stat(Handle h, FileStat* out) {
  struct stat st;
  if (fstat(fd_of(h), &st) != 0) return last_error();
  fill(st, out);
  return Errno::Success;
}

Errno HostOs::set_size(Handle h, u64 size) {
  if (size > static_cast<u64>(INT64_MAX)) return Errno::Fbig;
  return ftruncate(fd_of(h), static_cast<off_t>(size)) == 0 ? Errno::Success : last_error();
}

Errno HostOs::set_times(Handle h, u64 atim, u64 mtim, u16 flags) {
  timespec ts[2];
  times(atim, mtim, flags, ts);
  return futimens(fd_of(h), ts) == 0 ? Errno::Success : last_error();
}

Errno HostOs::sync(Handle h, bool data_only) {
  int r = data_only ? fdatasync(fd_of(h)) : fsync(fd_of(h));
  // Syncing a terminal or a pipe is a no-op, not an error, for a program.
  if (r != 0 && errno != EINVAL && errno != EROFS) return last_error();
  return Errno::Success;
}

Errno HostOs::readdir(Handle dir, u64 cookie, DirEntry* entry, bool* end) {
  DirStream* s = streams_;
  while (s != nullptr && s->fd != fd_of(dir)) s = s->link;
  if (s == nullptr) {
    int copy = openat(fd_of(dir), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0) return last_error();
    DIR* d = fdopendir(copy);
    if (d == nullptr) {
      ::close(copy);
      return last_error();
    }
    s = new DirStream{fd_of(dir), d, 0, streams_};
    streams_ = s;
  }
  if (cookie != s->next) {
    if (cookie == 0)
      rewinddir(s->dir);
    else
      seekdir(s->dir, static_cast<long>(cookie));
  }
  errno = 0;
  struct dirent* e = ::readdir(s->dir);
  if (e == nullptr) {
    if (errno != 0) return last_error();
    *end = true;
    s->next = ~0ull;
    return Errno::Success;
  }
  *end = false;
  long pos = telldir(s->dir);
  s->next = static_cast<u64>(pos);
  entry->next = s->next;
  entry->ino = e->d_ino;
  usize len = __builtin_strlen(e->d_name);
  entry->name_len = static_cast<u32>(len);
  __builtin_memcpy(entry->name, e->d_name, len);
  switch (e->d_type) {
    case DT_REG: entry->type = FileType::RegularFile; break;
    case DT_DIR: entry->type = FileType::Directory; break;
    case DT_CHR: entry->type = FileType::CharacterDevice; break;
    case DT_BLK: entry->type = FileType::BlockDevice; break;
    case DT_LNK: entry->type = FileType::SymbolicLink; break;
    case DT_SOCK: entry->type = FileType::SocketStream; break;
    default: {
      struct stat st;
      entry->type = fstatat(fd_of(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
                        ? file_type(st.st_mode)
                        : FileType::Unknown;
    }
  }
  return Errno::Success;
}

Errno HostOs::stat_at(Handle dir, StringView name, FileStat* out) {
  struct stat st;
  if (fstatat(fd_of(dir), str(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return last_error();
  fill(st, out);
  return Errno::Success;
}

Errno HostOs::open_at(Handle dir, StringView name, const OpenOptions& o, Handle* out) {
  int flags = O_CLOEXEC | O_NOFOLLOW;
  flags |= o.write ? (o.read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (o.create) flags |= O_CREAT;
  if (o.exclusive) flags |= O_EXCL;
  if (o.truncate) flags |= O_TRUNC;
  if (o.directory) flags |= O_DIRECTORY;
  std::string n = str(name);
  int fd = openat(fd_of(dir), n.c_str(), flags, 0666);
  if (fd < 0 && errno == EACCES && !o.read && !o.write) {
    // Opened only to stat or to walk through: a path descriptor needs no permission.
    fd = openat(fd_of(dir), n.c_str(),
                O_PATH | O_CLOEXEC | O_NOFOLLOW | (o.directory ? O_DIRECTORY : 0));
  }
  if (fd < 0) return last_error();
  *out = static_cast<Handle>(fd);
  return Errno::Success;
}

Errno HostOs::set_times_at(Handle dir, StringView name, u64 atim, u64 mtim, u16 flags) {
  timespec ts[2];
  times(atim, mtim, flags, ts);
  return utimensat(fd_of(dir), str(name).c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0 ? Errno::Success
                                                                                : last_error();
}

Errno HostOs::mkdir_at(Handle dir, StringView name) {
  return mkdirat(fd_of(dir), str(name).c_str(), 0777) == 0 ? Errno::Success : last_error();
}

Errno HostOs::unlink_at(Handle dir, StringView name) {
  return unlinkat(fd_of(dir), str(name).c_str(), 0) == 0 ? Errno::Success : last_error();
}

Errno HostOs::rmdir_at(Handle dir, StringView name) {
  if (unlinkat(fd_of(dir), str(name).c_str(), AT_REMOVEDIR) == 0) return Errno::Success;
  return errno == EEXIST ? Errno::Notempty : last_error();
}

Errno HostOs::rename_at(Handle from_dir, StringView from, Handle to_dir, StringView to) {
  return renameat(fd_of(from_dir), str(from).c_str(), fd_of(to_dir), str(to).c_str()) == 0
             ? Errno::Success
             : last_error();
}

Errno HostOs::link_at(Handle from_dir, StringView from, Handle to_dir, StringView to) {
  return linkat(fd_of(from_dir), str(from).c_str(), fd_of(to_dir), str(to).c_str(), 0) == 0
             ? Errno::Success
             : last_error();
}

Errno HostOs::symlink_at(StringView target, Handle dir, StringView name) {
  return symlinkat(str(target).c_str(), fd_of(dir), str(name).c_str()) == 0 ? Errno::Success
                                                                            : last_error();
}

Errno HostOs::readlink_at(Handle dir, StringView name, Span<char> out, u64* len) {
  ssize_t n = readlinkat(fd_of(dir), str(name).c_str(), out.data(), out.size());
  if (n < 0) return last_error();
  *len = static_cast<u64>(n);
  return Errno::Success;
}

Errno HostOs::close(Handle h) {
  if (h < nonblocking_.size()) nonblocking_[h] = false;
  for (DirStream** p = &streams_; *p != nullptr; p = &(*p)->link) {
    if ((*p)->fd != fd_of(h)) continue;
    DirStream* s = *p;
    *p = s->link;
    closedir(s->dir);
    delete s;
    break;
  }
  return ::close(fd_of(h)) == 0 ? Errno::Success : last_error();
}

Errno HostOs::poll(Span<PollFd> fds, u64 deadline) {
  std::vector<pollfd> polls(fds.size());
  for (usize i = 0; i < fds.size(); ++i) {
    polls[i].fd = fd_of(fds[i].handle);
    polls[i].events = fds[i].write ? POLLOUT : POLLIN;
    polls[i].revents = 0;
  }
  for (;;) {
    timespec now_ts;
    clock_gettime(CLOCK_MONOTONIC, &now_ts);
    u64 now = nanos(now_ts);
    timespec wait;
    timespec* timeout = nullptr;
    if (deadline != ~0ull) {
      wait = from_nanos(deadline > now ? deadline - now : 0);
      timeout = &wait;
    }
    int n = ppoll(polls.data(), polls.size(), timeout, nullptr);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return last_error();
    for (usize i = 0; i < fds.size(); ++i) {
      short r = polls[i].revents;
      if (r == 0) continue;
      fds[i].ready = true;
      fds[i].hangup = (r & POLLHUP) != 0;
      if (r & POLLERR) fds[i].error = fds[i].write ? Errno::Pipe : Errno::Io;
      if (r & POLLNVAL) fds[i].error = Errno::Badf;
      int avail = 0;
      if (!fds[i].write && ioctl(polls[i].fd, FIONREAD, &avail) == 0 && avail > 0)
        fds[i].nbytes = static_cast<u64>(avail);
    }
    return Errno::Success;
  }
}

Errno HostOs::listen_tcp(const char* address, Handle* out, u16* port) {
  const char* colon = __builtin_strrchr(address, ':');
  if (colon == nullptr) return Errno::Inval;
  std::string host(address, static_cast<usize>(colon - address));
  char* end = nullptr;
  unsigned long number = strtoul(colon + 1, &end, 10);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (colon[1] == '\0' || *end != '\0' || number > 65535 ||
      inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1)
    return Errno::Inval;
  sa.sin_port = htons(static_cast<u16>(number));
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return last_error();
  int one = 1;
  socklen_t len = sizeof sa;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 128) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    Errno e = last_error();
    ::close(fd);
    return e;
  }
  *out = static_cast<Handle>(fd);
  *port = ntohs(sa.sin_port);
  return Errno::Success;
}

Errno HostOs::sock_accept(Handle listener, Handle* out) {
  if (nonblocking(listener) && !ready_now(fd_of(listener), POLLIN)) return Errno::Again;
  for (;;) {
    int fd = accept4(fd_of(listener), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0 && errno == EINTR) continue;
    if (fd < 0) return last_error();
    *out = static_cast<Handle>(fd);
    return Errno::Success;
  }
}

Errno HostOs::sock_recv(Handle h, Span<u8> out, bool peek, u64* done) {
  const int flags = (peek ? MSG_PEEK : 0) | (nonblocking(h) ? MSG_DONTWAIT : 0);
  for (;;) {
    ssize_t n = ::recv(fd_of(h), out.data(), out.size(), flags);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return last_error();
    *done = static_cast<u64>(n);
    return Errno::Success;
  }
}

Errno HostOs::sock_send(Handle h, Span<const u8> data, u64* done) {
  const int flags = MSG_NOSIGNAL | (nonblocking(h) ? MSG_DONTWAIT : 0);
  for (;;) {
    ssize_t n = ::send(fd_of(h), data.data(), data.size(), flags);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return last_error();
    *done = static_cast<u64>(n);
    return Errno::Success;
  }
}

Errno HostOs::sock_shutdown(Handle h, bool read, bool write) {
  // Linux lets shutdown() stop a listener; the Os contract says Notconn.
  int listening = 0;
  socklen_t len = sizeof listening;
  if (getsockopt(fd_of(h), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening)
    return Errno::Notconn;
  const int how = read && write ? SHUT_RDWR : read ? SHUT_RD : SHUT_WR;
  return ::shutdown(fd_of(h), how) == 0 ? Errno::Success : last_error();
}

Errno HostOs::set_nonblocking(Handle h, bool on) {
  if (fd_of(h) < 0 || h > 0xffffff) return Errno::Badf;
  if (h >= nonblocking_.size()) nonblocking_.resize(h + 1);
  nonblocking_[h] = on;
  return Errno::Success;
}

}  // namespace wasi
