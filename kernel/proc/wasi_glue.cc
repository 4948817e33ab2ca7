// WASI for programs in the kernel: wasi::Os over the root file system (lib/fs) and the console
// (kernel/tty.cc), one per program, and the glue the program runtime calls (program.h).
//
// Handles are indices into the program's object table: the console, a file-system node (file,
// directory, symlink), the null device, or an IPC object (a pipe end, a channel end, a service:
// lib/ipc, docs/ipc.md). A child's standard descriptors share the parent's objects (a copy of the
// node reference, another handle to the pipe end), so a parent can hand its stdout file or a pipe
// to a child. A channel end has no kDuplicate: it cannot be a child's standard descriptor.
//
// Channels move descriptors between programs (the section "Channels and services" below): an
// IPC object's handle travels as it is, the console, a node or the null device travels wrapped
// in a TransitEntry (an ipc::Object of kind Console, File or Directory), and every descriptor
// carries its WASI state (rights, fdflags, position) with it.
//
// Waiting for IPC objects: an operation that would block registers the objects it waits for in
// the program's WaitSet, whose Waker sets Program::signalled and rings the program's doorbell
// (WaitFor::Objects); the task sleeps, holding no hart, and retries the call. Every new call that
// may wait first drops the previous registrations, so a program that stopped waiting holds no
// observer (and no reference) for long.
#include <fs/file_system.h>
#include <ipc/channel.h>
#include <ipc/pipe.h>
#include <ipc/service.h>
#include <ipc/wait_set.h>
#include <kernel/arch/time.h>
#include <kernel/console/console.h>
#include <kernel/console/tty.h>
#include <kernel/drivers/entropy.h>
#include <kernel/net/socket.h>
#include <support/allocation_cost.h>
#include <support/new.h>
#include <wasi/wasi.h>

#include <kernel/proc/disk.h>
#include <kernel/proc/fs_glue.h>
#include <kernel/proc/program.h>

namespace programs {

using wasi::Errno;
using wasi::Handle;

namespace {

// Console output per console::write (see KernelOs::write).
constexpr usize kConsolePiece = 256;
// Random bytes per hold of the generator's lock (about 0.1 ms in QEMU).
constexpr usize kRandomPiece = 4096;
// How often a poll that waits for IPC objects and console input looks at the console.
constexpr u64 kConsoleRecheckNs = 20'000'000;

Errno errno_of(ipc::Error error) {
  switch (error) {
    case ipc::Error::NoMemory:
    case ipc::Error::LimitReached: return Errno::Nomem;
    case ipc::Error::TableFull: return Errno::Mfile;
    case ipc::Error::BadHandle:
    case ipc::Error::WrongType: return Errno::Badf;
    case ipc::Error::AccessDenied: return Errno::Notcapable;
    case ipc::Error::WouldBlock: return Errno::WouldBlock;
    case ipc::Error::PeerClosed: return Errno::Pipe;
    case ipc::Error::BufferTooSmall: return Errno::Nobufs;
    case ipc::Error::TooBig: return Errno::Msgsize;
    case ipc::Error::WouldCycle:
    case ipc::Error::Invalid: return Errno::Inval;
    case ipc::Error::NotFound: return Errno::Noent;
    case ipc::Error::Exists: return Errno::Exist;
    case ipc::Error::Busy: return Errno::Again;
  }
  return Errno::Io;
}

// Rings the waiting program when a watched signal rises (an Observer callback: a leaf).
class ProgramWaker final : public ipc::WaitSet::Waker {
 public:
  Program* program = nullptr;
  void wake() override {
    if (program == nullptr) return;
    program->signalled.store(1);
    program->ring();
  }
};

// The signals a read or a write of a pipe end waits for.
constexpr ipc::Signals kReadWait = ipc::signal::kReadable | ipc::signal::kPeerClosed;
constexpr ipc::Signals kWriteWait = ipc::signal::kWritable | ipc::signal::kPeerClosed;

}  // namespace

class KernelOs final : public wasi::Os {
 public:
  // Null: the null device (/dev/null): reads end at once, writes take everything. Disk: a file
  // or directory of the disk file system (disk.h), by inode, holding a reference to it.
  enum class Kind : u8 { Free, Console, Node, Null, Ipc, Disk };
  struct Object {
    Kind kind = Kind::Free;
    fs::NodeRef node;
    disk::Ino ino = 0;  // Kind::Disk
    u64 offset = 0;     // stream reads of a file (the WASI layer positions the others itself)
    ipc::Handle ipc;    // Kind::Ipc
  };

  KernelOs() = default;
  KernelOs(const KernelOs&) = delete;
  KernelOs& operator=(const KernelOs&) = delete;
  ~KernelOs() {
    for (Object& o : objects_) {
      if (o.kind == Kind::Disk) disk::release(o.ino);
    }
    delete wait_set_;  // unregisters every observer before the entries go
    delete[] entries_;
    delete[] masks_;
    if (entries_charge_ != 0 && program != nullptr) program->account.uncharge(entries_charge_);
  }

  void attach(Program* p) {
    program = p;
    waker_.program = p;
  }
  Program* program = nullptr;  // set once the program record exists

  support::Result<Handle> add_console() {
    Object o;
    o.kind = Kind::Console;
    return add(support::move(o));
  }
  support::Result<Handle> add_node(fs::NodeRef node) {
    Object o;
    o.kind = Kind::Node;
    o.node = support::move(node);
    return add(support::move(o));
  }
  support::Result<Handle> add_ipc(ipc::Handle handle) {
    Object o;
    o.kind = Kind::Ipc;
    o.ipc = support::move(handle);
    return add(support::move(o));
  }
  // A copy of another program's object (shared stdio): the same node, or another handle to the
  // same IPC object (which must allow kDuplicate: BadDescriptor).
  support::Result<Handle, SpawnError> add_copy(const Object& other) {
    Object o;
    o.kind = other.kind;
    o.node = other.node;
    o.ino = other.ino;
    if (other.kind == Kind::Ipc) {
      auto copy = other.ipc.duplicate();
      if (copy.is_error()) {
        return copy.error() == ipc::Error::AccessDenied ? SpawnError::BadDescriptor
                                                        : SpawnError::NoMemory;
      }
      o.ipc = support::move(copy.value());
    }
    auto handle = add(support::move(o));
    if (handle.is_error()) return SpawnError::NoMemory;
    if (other.kind == Kind::Disk) disk::retain(other.ino);
    return handle.value();
  }
  // Makes a pipe charged to the program and puts its ends in the table: Mfile past the
  // program's descriptor limit, Nomem.
  Errno make_pipe(Handle* reader, Handle* writer) {
    if (program == nullptr) return Errno::Inval;
    if (live_ + 2 > g_limits.open_files) return Errno::Mfile;
    auto ends = ipc::Pipe::create(program->ipc_account, g_limits.pipe_bytes);
    if (ends.is_error()) return errno_of(ends.error());
    auto r = add_ipc(support::move(ends.value().reader));
    if (r.is_error()) return Errno::Nomem;
    auto w = add_ipc(support::move(ends.value().writer));
    if (w.is_error()) {
      (void)close(r.value());
      return Errno::Nomem;
    }
    *reader = r.value();
    *writer = w.value();
    return Errno::Success;
  }
  Object* get(Handle h) {
    if (h == 0 || h > objects_.size() || objects_[h - 1].kind == Kind::Free) return nullptr;
    return &objects_[h - 1];
  }
  // Makes sure `count` more objects fit: Mfile past the program's descriptor limit, Nomem; after
  // it, the next `count` adds cannot fail.
  Errno make_room(u32 count) {
    if (live_ + count > g_limits.open_files) return Errno::Mfile;
    usize free = objects_.size() - live_;
    if (free < count && objects_.try_reserve(objects_.size() + (count - free)).is_error()) {
      return Errno::Nomem;
    }
    return Errno::Success;
  }
  support::Result<Handle> add_object(Object o) { return add(support::move(o)); }

  Errno clock_res(wasi::ClockId id, u64* resolution) override {
    if (static_cast<u32>(id) > 3) return Errno::Inval;
    *resolution = 1000;  // the time counter runs at 10 MHz on `virt`: 100 ns, reported as 1 us
    return Errno::Success;
  }
  Errno clock_time(wasi::ClockId id, u64* now) override {
    switch (id) {
      case wasi::ClockId::Realtime: *now = entropy::realtime_ns(); return Errno::Success;
      case wasi::ClockId::Monotonic: *now = ktime::now_ns(); return Errno::Success;
      case wasi::ClockId::ProcessCputime:
      case wasi::ClockId::ThreadCputime:
        *now = program != nullptr ? program->cpu_ns.load() : 0;
        return Errno::Success;
    }
    return Errno::Inval;
  }
  Errno random(support::Span<u8> out) override {
    for (usize at = 0; at < out.size(); at += kRandomPiece) {
      entropy::random_bytes(out.subspan(at, support::min(kRandomPiece, out.size() - at)));
    }
    return Errno::Success;
  }
  // Long calls (transfers, random_get, fd_readdir) stop once the slice is over or the program is
  // asked to end; one that continues in a retry waits for nothing but its next turn.
  bool yield_due() override {
    if (program == nullptr || !slice_over(*program)) return false;
    wait_for(WaitFor::Turn, ~u64{0});
    return true;
  }

  // What the WASI layer keeps for the program (poll_oneoff's subscriptions): its account.
  bool charge(u64 bytes) override { return program != nullptr && program->account.charge(bytes); }
  void uncharge(u64 bytes) override {
    if (program != nullptr) program->account.uncharge(bytes);
  }

  Errno read(Handle h, support::Span<u8> out, u64* done) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    if (o->kind == Kind::Ipc) {
      if (net::as_socket(o->ipc.object()) != nullptr) return socket_recv(*o, out, false, done);
      return read_pipe(*o, out, done);
    }
    if (o->kind == Kind::Null) {
      *done = 0;
      return Errno::Success;
    }
    if (o->kind == Kind::Node || o->kind == Kind::Disk) {
      Errno e = pread(h, out, o->offset, done);
      if (e == Errno::Success) o->offset += *done;
      return e;
    }
    // Console input belongs to the console's owner: any other program waits until it owns the
    // console (a background job stopped for reading the terminal, as POSIX's SIGTTIN).
    isize n = owns_console() ? tty::try_read(out.data(), out.size()) : -1;
    if (n < 0) {
      wait_for(WaitFor::Console, ~u64{0});
      return Errno::WouldBlock;
    }
    *done = static_cast<u64>(n);
    return Errno::Success;
  }
  Errno write(Handle h, support::Span<const u8> data, u64* done) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    if (o->kind == Kind::Ipc) {
      if (net::as_socket(o->ipc.object()) != nullptr) return socket_send(*o, data, done);
      return write_pipe(*o, data, done);
    }
    if (o->kind == Kind::Null) {
      *done = data.size();
      return Errno::Success;
    }
    if (o->kind == Kind::Disk) {
      u64 at = 0;
      support::Bytes part(data.data(), data.size());
      return disk::append(o->ino, support::Span<const support::Bytes>(&part, 1), &at, done);
    }
    if (o->kind == Kind::Node) {
      auto at = root().append(o->node, support::Bytes(data.data(), data.size()));
      if (at.is_error()) return errno_of(at.error());
      *done = data.size();
      return Errno::Success;
    }
    // In pieces (the console lock is held for one piece at most, with interrupts on between
    // them); a long write ends early with the count written so far once the program's slice is
    // over or it is asked to end, so it cannot hold a hart or the console beyond its slice.
    // wasi-libc's stdio and write loops continue with the rest in the program's next slice.
    usize written = 0;
    do {
      usize n = support::min(kConsolePiece, data.size() - written);
      console::write({reinterpret_cast<const char*>(data.data()) + written, n});
      written += n;
    } while (written < data.size() && (program == nullptr || !slice_over(*program)));
    *done = written;
    return Errno::Success;
  }
  Errno pread(Handle h, support::Span<u8> out, u64 offset, u64* done) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    if (o->kind == Kind::Disk) return disk::pread(o->ino, out, offset, done);
    if (o->kind != Kind::Node) return Errno::Spipe;
    auto n = root().read(o->node, offset, out);
    if (n.is_error()) return errno_of(n.error());
    *done = n.value();
    return Errno::Success;
  }
  Errno pwrite(Handle h, support::Span<const u8> data, u64 offset, u64* done) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    if (o->kind == Kind::Disk) return disk::pwrite(o->ino, data, offset, done);
    if (o->kind != Kind::Node) return Errno::Spipe;
    auto n = root().write(o->node, offset, support::Bytes(data.data(), data.size()));
    if (n.is_error()) return errno_of(n.error());
    *done = n.value();
    return Errno::Success;
  }

  Errno append(Handle h, support::Span<const support::Bytes> parts, u64* at, u64* done) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    if (o->kind == Kind::Null) {
      *at = 0;
      *done = 0;
      for (support::Bytes part : parts) *done += part.size();
      return Errno::Success;
    }
    if (o->kind == Kind::Disk) return disk::append(o->ino, parts, at, done);
    if (o->kind != Kind::Node) return Errno::Spipe;
    auto offset = root().append(o->node, parts);
    if (offset.is_error()) return errno_of(offset.error());
    u64 n = 0;
    for (support::Bytes part : parts) n += part.size();
    *at = offset.value();
    *done = n;
    return Errno::Success;
  }

  Errno stat(Handle h, wasi::FileStat* out) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    if (o->kind == Kind::Ipc || o->kind == Kind::Null) {
      // Preview 1 has no type for a pipe; the null device is not a terminal either.
      *out = {};
      out->type = o->kind == Kind::Ipc && net::as_socket(o->ipc.object()) != nullptr
                      ? wasi::FileType::SocketStream
                      : wasi::FileType::Unknown;
      out->nlink = 1;
      return Errno::Success;
    }
    if (o->kind == Kind::Disk) return disk::stat(o->ino, out);
    if (o->kind == Kind::Console) {
      *out = {};
      out->type = wasi::FileType::CharacterDevice;
      out->nlink = 1;
      return Errno::Success;
    }
    *out = stat_of(root().stat(o->node));
    return Errno::Success;
  }
  Errno set_size(Handle h, u64 size) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    if (o->kind == Kind::Disk) return disk::set_size(o->ino, size);
    if (o->kind != Kind::Node) return Errno::Inval;
    auto r = root().truncate(o->node, size);
    return r.is_error() ? errno_of(r.error()) : Errno::Success;
  }
  Errno set_times(Handle h, u64 atim, u64 mtim, u16 flags) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    if (o->kind == Kind::Disk) return disk::set_times(o->ino, atim, mtim, flags);
    if (o->kind != Kind::Node) return Errno::Success;
    root().set_times(o->node, update(atim, flags, wasi::kFstAtim, wasi::kFstAtimNow),
                     update(mtim, flags, wasi::kFstMtim, wasi::kFstMtimNow));
    return Errno::Success;
  }
  Errno sync(Handle h, bool data_only) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    return o->kind == Kind::Disk ? disk::sync(o->ino, data_only) : Errno::Success;
  }
  Errno readdir(Handle dir, u64 cookie, wasi::DirEntry* entry, bool* end) override {
    Object* o = get(dir);
    if (o == nullptr) return Errno::Badf;
    if (o->kind == Kind::Disk) return disk::readdir(o->ino, cookie, entry, end);
    if (o->kind != Kind::Node) return Errno::Notdir;
    auto next = root().readdir(o->node, cookie);
    if (next.is_error()) return errno_of(next.error());
    if (!next.value().has_value()) {
      *end = true;
      return Errno::Success;
    }
    const fs::DirEntry& e = *next.value();
    *end = false;
    entry->next = e.next_cookie;
    entry->ino = e.inode;
    entry->type = type_of(e.kind);
    entry->name_len = e.name_size;
    for (u32 i = 0; i < e.name_size; ++i) entry->name[i] = e.name_bytes[i];
    return Errno::Success;
  }

  Errno stat_at(Handle dir, support::StringView name, wasi::FileStat* out) override {
    Place p;
    if (Errno e = find(dir, name, p); e != Errno::Success) return e;
    if (p.disk) return disk::stat(p.ino, out);
    *out = stat_of(root().stat(p.node));
    return Errno::Success;
  }
  Errno open_at(Handle dir, support::StringView name, const wasi::OpenOptions& options,
                Handle* out) override {
    Object* d = get(dir);
    if (d == nullptr) return Errno::Badf;
    if (d->kind != Kind::Node && d->kind != Kind::Disk) return Errno::Notdir;
    if (live_ >= g_limits.open_files) return Errno::Mfile;
    if (d->kind == Kind::Disk) return open_disk(d->ino, name, options, out);
    fs::NodeRef node;
    if (options.create && name != ".") {
      auto created = root().create_file(
          d->node, name,
          options.exclusive ? fs::CreateMode::Exclusive : fs::CreateMode::OpenExisting);
      if (created.is_error()) {
        // An existing directory or symlink: report it as open would.
        if (created.error() == fs::Error::IsDir && !options.exclusive) {
          if (Errno e = lookup(dir, name, node); e != Errno::Success) return e;
        } else if (created.error() == fs::Error::Exists && !options.exclusive) {
          return Errno::Loop;  // a symlink in the last component
        } else {
          return errno_of(created.error());
        }
      } else {
        node = support::move(created.value());
      }
    } else if (Errno e = lookup(dir, name, node); e != Errno::Success) {
      return e;
    }
    if (is_mount_point(node)) return open_disk(disk::root(), ".", options, out);
    if (node->is_symlink()) return Errno::Loop;
    if (node.get() == g_null_node && node->is_file()) {
      Object null_object;
      null_object.kind = Kind::Null;
      auto handle = add(support::move(null_object));
      if (handle.is_error()) return Errno::Nomem;
      *out = handle.value();
      return Errno::Success;
    }
    if (options.directory && !node->is_directory()) return Errno::Notdir;
    if (node->is_directory() && (options.write || options.truncate)) return Errno::Isdir;
    if (options.truncate && node->is_file()) {
      auto r = root().truncate(node, 0);
      if (r.is_error()) return errno_of(r.error());
    }
    auto handle = add_node(support::move(node));
    if (handle.is_error()) return Errno::Nomem;
    *out = handle.value();
    return Errno::Success;
  }
  Errno set_times_at(Handle dir, support::StringView name, u64 atim, u64 mtim, u16 flags) override {
    Place p;
    if (Errno e = find(dir, name, p); e != Errno::Success) return e;
    if (p.disk) return disk::set_times(p.ino, atim, mtim, flags);
    root().set_times(p.node, update(atim, flags, wasi::kFstAtim, wasi::kFstAtimNow),
                     update(mtim, flags, wasi::kFstMtim, wasi::kFstMtimNow));
    return Errno::Success;
  }
  Errno mkdir_at(Handle dir, support::StringView name) override {
    Object* d = get(dir);
    if (d == nullptr) return Errno::Badf;
    if (d->kind == Kind::Disk) return disk::mkdir(d->ino, name);
    if (d->kind != Kind::Node) return Errno::Notdir;
    auto r = root().mkdir(d->node, name);
    return r.is_error() ? errno_of(r.error()) : Errno::Success;
  }
  Errno unlink_at(Handle dir, support::StringView name) override {
    Object* d = get(dir);
    if (d == nullptr) return Errno::Badf;
    if (d->kind == Kind::Disk) return disk::unlink(d->ino, name);
    if (d->kind != Kind::Node) return Errno::Notdir;
    if (names_mount_point(*d, name)) return Errno::Isdir;
    auto r = root().unlink(d->node, name);
    return r.is_error() ? errno_of(r.error()) : Errno::Success;
  }
  Errno rmdir_at(Handle dir, support::StringView name) override {
    Object* d = get(dir);
    if (d == nullptr) return Errno::Badf;
    if (d->kind == Kind::Disk) return disk::rmdir(d->ino, name);
    if (d->kind != Kind::Node) return Errno::Notdir;
    if (names_mount_point(*d, name)) return Errno::Busy;
    auto r = root().rmdir(d->node, name);
    return r.is_error() ? errno_of(r.error()) : Errno::Success;
  }
  Errno rename_at(Handle from_dir, support::StringView from, Handle to_dir,
                  support::StringView to) override {
    Object* a = get(from_dir);
    Object* b = get(to_dir);
    if (a == nullptr || b == nullptr) return Errno::Badf;
    if (a->kind == Kind::Disk && b->kind == Kind::Disk)
      return disk::rename(a->ino, from, b->ino, to);
    if ((a->kind == Kind::Disk && b->kind == Kind::Node) ||
        (a->kind == Kind::Node && b->kind == Kind::Disk)) {
      return Errno::Xdev;
    }
    if (a->kind != Kind::Node || b->kind != Kind::Node) return Errno::Notdir;
    if (names_mount_point(*a, from) || names_mount_point(*b, to)) return Errno::Busy;
    auto r = root().rename(a->node, from, b->node, to);
    return r.is_error() ? errno_of(r.error()) : Errno::Success;
  }
  Errno link_at(Handle from_dir, support::StringView from, Handle to_dir,
                support::StringView to) override {
    Place p;
    if (Errno e = find(from_dir, from, p); e != Errno::Success) return e;
    Object* b = get(to_dir);
    if (b == nullptr) return Errno::Badf;
    if (b->kind != Kind::Node && b->kind != Kind::Disk) return Errno::Notdir;
    if (p.disk != (b->kind == Kind::Disk)) return Errno::Xdev;
    if (p.disk) return disk::link(p.ino, b->ino, to);
    if (p.node->is_directory()) return Errno::Perm;
    auto r = root().link(p.node, b->node, to);
    return r.is_error() ? errno_of(r.error()) : Errno::Success;
  }
  Errno symlink_at(support::StringView target, Handle dir, support::StringView name) override {
    Object* d = get(dir);
    if (d == nullptr) return Errno::Badf;
    if (d->kind == Kind::Disk) return disk::symlink(target, d->ino, name);
    if (d->kind != Kind::Node) return Errno::Notdir;
    auto r = root().symlink(d->node, name, target);
    return r.is_error() ? errno_of(r.error()) : Errno::Success;
  }
  Errno readlink_at(Handle dir, support::StringView name, support::Span<char> out,
                    u64* len) override {
    Place p;
    if (Errno e = find(dir, name, p); e != Errno::Success) return e;
    if (p.disk) return disk::readlink(p.ino, out, len);
    auto n = root().readlink(p.node, out);
    if (n.is_error()) return errno_of(n.error());
    *len = n.value() < out.size() ? n.value() : out.size();
    return Errno::Success;
  }
  Errno close(Handle h) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    if (o->kind == Kind::Disk) disk::release(o->ino);
    o->ino = 0;
    o->node.reset();
    o->ipc.reset();  // its last handle closes the pipe end: the peer sees EOF or EPIPE
    o->kind = Kind::Free;
    --live_;
    return Errno::Success;
  }

  // For the channel calls (below): forget the last wait; suspend until `o` asserts one of `mask`
  // (WouldBlock).
  void stop_waiting() { end_wait(); }
  Errno wait_for_signals(Object& o, ipc::Signals mask) { return wait_for_object(o, mask); }

  // Sockets (kernel/net/socket.h): an IPC object of kind Socket in the table.
  Errno sock_accept(Handle listener, Handle* out) override {
    Object* o = get(listener);
    if (o == nullptr) return Errno::Badf;
    net::Socket* socket = o->kind == Kind::Ipc ? net::as_socket(o->ipc.object()) : nullptr;
    if (socket == nullptr) return Errno::Notsock;
    end_wait();
    if (!o->ipc.has(ipc::right::kRead)) return Errno::Notcapable;
    if (program == nullptr) return Errno::Inval;
    if (Errno e = make_room(1); e != Errno::Success) return e;
    ipc::Handle connection;
    Errno e = socket->accept(program->ipc_account, &connection);
    if (e == Errno::WouldBlock) return wait_for_object(*o, kReadWait);
    if (e != Errno::Success) return e;
    auto h = add_ipc(support::move(connection));
    if (h.is_error()) return Errno::Nomem;  // cannot happen after make_room
    *out = h.value();
    return Errno::Success;
  }
  Errno sock_recv(Handle h, support::Span<u8> out, bool peek, u64* done) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    if (o->kind != Kind::Ipc || net::as_socket(o->ipc.object()) == nullptr) return Errno::Notsock;
    return socket_recv(*o, out, peek, done);
  }
  Errno sock_send(Handle h, support::Span<const u8> data, u64* done) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    if (o->kind != Kind::Ipc || net::as_socket(o->ipc.object()) == nullptr) return Errno::Notsock;
    return socket_send(*o, data, done);
  }
  Errno sock_shutdown(Handle h, bool read, bool write) override {
    Object* o = get(h);
    if (o == nullptr) return Errno::Badf;
    net::Socket* socket = o->kind == Kind::Ipc ? net::as_socket(o->ipc.object()) : nullptr;
    if (socket == nullptr) return Errno::Notsock;
    return socket->shutdown(read, write);
  }
  // A socket made for the program (warden.tcp_listen, tcp_connect) into the table: Mfile, Nomem.
  Errno add_socket(ipc::Handle socket, Handle* out) {
    if (Errno e = make_room(1); e != Errno::Success) return e;
    auto h = add_ipc(support::move(socket));
    if (h.is_error()) return Errno::Nomem;
    *out = h.value();
    return Errno::Success;
  }
  // Suspends the call until `object` (not in the table: a connection being made) asserts one of
  // `mask`: WouldBlock.
  Errno wait_for_ref(ipc::Ref<ipc::Object> object, ipc::Signals mask) {
    end_wait();
    ipc::WaitSet* set = begin_wait();
    if (set == nullptr || set->add(support::move(object), mask, 0).is_error()) {
      wait_for(WaitFor::Turn, ~u64{0});
      return Errno::WouldBlock;
    }
    finish_wait(~u64{0});
    return Errno::WouldBlock;
  }

  Errno poll(support::Span<wasi::PollFd> fds, u64 deadline) override {
    end_wait();
    bool any = false, console_read = false, objects = false;
    for (wasi::PollFd& fd : fds) {
      Object* o = get(fd.handle);
      if (o == nullptr) {
        fd.ready = true;
        fd.error = Errno::Badf;
      } else if (o->kind == Kind::Ipc) {
        objects = true;
        poll_ipc(*o, fd);
      } else if (o->kind == Kind::Console && !fd.write) {
        console_read = true;
        fd.ready = owns_console() && tty::readable();
      } else {
        fd.ready = true;  // files and console output never wait
      }
      any |= fd.ready;
    }
    if (any) return Errno::Success;
    u64 now = ktime::now_ns();
    if (deadline != ~u64{0} && now >= deadline) return Errno::Success;
    if (objects) {
      // Console input does not ring a program waiting for objects: with both, look at the
      // console again every kConsoleRecheckNs.
      if (console_read) deadline = support::min(deadline, now + kConsoleRecheckNs);
      wait_for_objects(fds, deadline);
      return Errno::WouldBlock;
    }
    wait_for(console_read ? WaitFor::Console : WaitFor::Deadline, deadline);
    return Errno::WouldBlock;
  }

 private:
  support::Result<Handle> add(Object o) {
    for (usize i = 0; i < objects_.size(); ++i) {
      if (objects_[i].kind == Kind::Free) {
        objects_[i] = support::move(o);
        ++live_;
        return static_cast<Handle>(i + 1);
      }
    }
    TRY(objects_.try_push(support::move(o)));
    ++live_;
    return static_cast<Handle>(objects_.size());
  }

  Errno lookup(Handle dir, support::StringView name, fs::NodeRef& out) {
    Object* d = get(dir);
    if (d == nullptr) return Errno::Badf;
    if (d->kind != Kind::Node) return Errno::Notdir;
    if (name == ".") {
      out = d->node;
      return Errno::Success;
    }
    auto node = root().lookup(d->node, name);
    if (node.is_error()) return errno_of(node.error());
    out = support::move(node.value());
    return Errno::Success;
  }

  // Where a name leads: a node of the root file system, or (disk) an inode of the disk: a name in
  // a disk directory, or the mount point, which leads to the disk's root.
  struct Place {
    fs::NodeRef node;
    bool disk = false;
    disk::Ino ino = 0;
  };
  Errno find(Handle dir, support::StringView name, Place& out) {
    Object* d = get(dir);
    if (d != nullptr && d->kind == Kind::Disk) {
      out.disk = true;
      out.ino = d->ino;
      return name == "." ? Errno::Success : disk::lookup(d->ino, name, &out.ino);
    }
    if (Errno e = lookup(dir, name, out.node); e != Errno::Success) return e;
    if (is_mount_point(out.node)) {
      out.node.reset();
      out.disk = true;
      out.ino = disk::root();
    }
    return Errno::Success;
  }
  static bool is_mount_point(const fs::NodeRef& node) {
    return disk::mounted() && node.get() == disk::mount_point();
  }
  // Whether `name` in directory `d` (of the root file system) is the mount point.
  bool names_mount_point(const Object& d, support::StringView name) {
    if (!disk::mounted() || name == "." || name == "..") return false;
    auto node = root().lookup(d.node, name);
    return node.is_ok() && is_mount_point(node.value());
  }
  // Opens `name` in disk directory `dir` into a new table entry.
  Errno open_disk(disk::Ino dir, support::StringView name, const wasi::OpenOptions& options,
                  Handle* out) {
    disk::Ino ino = 0;
    if (Errno e = disk::open(dir, name, options, &ino); e != Errno::Success) return e;
    Object o;
    o.kind = Kind::Disk;
    o.ino = ino;
    auto handle = add(support::move(o));
    if (handle.is_error()) {
      disk::release(ino);
      return Errno::Nomem;
    }
    *out = handle.value();
    return Errno::Success;
  }

  bool owns_console() const { return program != nullptr && program->pid == console_owner(); }

  // A socket's transfers; WouldBlock waits like a pipe end's (the WASI layer answers Again
  // instead for a descriptor with FDFLAGS_NONBLOCK).
  Errno socket_recv(Object& o, support::Span<u8> out, bool peek, u64* done) {
    end_wait();
    if (!o.ipc.has(ipc::right::kRead)) return Errno::Notcapable;
    Errno e = net::as_socket(o.ipc.object())->recv(out, peek, done);
    return e == Errno::WouldBlock ? wait_for_object(o, kReadWait) : e;
  }
  Errno socket_send(Object& o, support::Span<const u8> data, u64* done) {
    end_wait();
    if (!o.ipc.has(ipc::right::kWrite)) return Errno::Notcapable;
    Errno e = net::as_socket(o.ipc.object())->send(data, done);
    return e == Errno::WouldBlock ? wait_for_object(o, kWriteWait) : e;
  }

  Errno read_pipe(Object& o, support::Span<u8> out, u64* done) {
    end_wait();
    if (o.ipc.object()->kind() != ipc::Kind::PipeReader) return Errno::Badf;
    if (!o.ipc.has(ipc::right::kRead)) return Errno::Notcapable;
    auto* reader = static_cast<ipc::PipeReader*>(o.ipc.object());
    auto n = reader->read(out);
    if (n.is_ok()) {
      *done = n.value();
      return Errno::Success;
    }
    if (n.error() == ipc::Error::WouldBlock) return wait_for_object(o, kReadWait);
    return errno_of(n.error());
  }
  Errno write_pipe(Object& o, support::Span<const u8> data, u64* done) {
    end_wait();
    if (o.ipc.object()->kind() != ipc::Kind::PipeWriter) return Errno::Badf;
    if (!o.ipc.has(ipc::right::kWrite)) return Errno::Notcapable;
    auto* writer = static_cast<ipc::PipeWriter*>(o.ipc.object());
    auto n = writer->write(support::Bytes(data.data(), data.size()));
    if (n.is_ok()) {
      *done = n.value();
      return Errno::Success;
    }
    if (n.error() == ipc::Error::WouldBlock) return wait_for_object(o, kWriteWait);
    return errno_of(n.error());
  }
  // poll_oneoff's readiness of an IPC object. A pipe end: readable with bytes or once every
  // writer is gone (hangup), writable with room or once every reader is gone (hangup: a write
  // fails, EPIPE). A channel end: readable with a message (nbytes: its size) or once the peer is
  // closed (hangup), writable with room in the peer's queue for a message of the largest size or
  // once the peer is closed (hangup). A service: readable with a connection pending (nbytes: how
  // many).
  static void poll_ipc(Object& o, wasi::PollFd& fd) {
    ipc::Object* object = o.ipc.object();
    ipc::Signals now = object->signals();
    bool closed = now.contains(ipc::signal::kPeerClosed);
    ipc::Kind kind = object->kind();
    if (kind == ipc::Kind::Socket) {
      // A socket: readable with a connection to accept, bytes, the end of the stream or an
      // error; writable with room to send (or once sending cannot go on: send answers at once).
      fd.ready = now.contains(fd.write ? ipc::signal::kWritable : ipc::signal::kReadable) || closed;
      fd.hangup = closed;
    } else if (!fd.write && kind == ipc::Kind::PipeReader) {
      fd.nbytes = static_cast<ipc::PipeReader*>(object)->available();
      fd.ready = fd.nbytes > 0 || closed;
      fd.hangup = closed;
    } else if (fd.write && kind == ipc::Kind::PipeWriter) {
      fd.nbytes = static_cast<ipc::PipeWriter*>(object)->room();
      fd.ready = now.contains(ipc::signal::kWritable) || closed;
      fd.hangup = closed;
    } else if (kind == ipc::Kind::ChannelEnd) {
      auto* end = static_cast<ipc::ChannelEnd*>(object);
      if (fd.write) {
        fd.ready = now.contains(ipc::signal::kWritable) || closed;
      } else {
        auto next = end->peek();
        fd.nbytes = next.is_ok() ? next.value().bytes : 0;
        fd.ready = next.is_ok() || closed;
      }
      fd.hangup = closed;
    } else if (!fd.write && kind == ipc::Kind::Service) {
      fd.nbytes = static_cast<ipc::Service*>(object)->pending();
      fd.ready = fd.nbytes > 0;
    } else {
      fd.ready = true;  // the wrong end for this direction: it can never become ready
      fd.error = Errno::Badf;
    }
  }

  // The program's wait set, made at its first wait for objects: as many entries as it may have
  // descriptors (one per object it can wait for), and a mask per descriptor for a poll to gather
  // what it waits for on each, charged to it. Null when that fails.
  ipc::WaitSet* wait_set() {
    if (wait_set_ != nullptr || program == nullptr) return wait_set_;
    u32 count = g_limits.open_files;
    u64 bytes =
        u64{count} * (sizeof(ipc::WaitSet::Entry) + sizeof(ipc::Signals)) + sizeof(ipc::WaitSet);
    if (!program->account.charge(bytes)) return nullptr;
    entries_ = new (std::nothrow) ipc::WaitSet::Entry[count];
    masks_ = new (std::nothrow) ipc::Signals[count];
    if (entries_ != nullptr && masks_ != nullptr) {
      wait_set_ = new (std::nothrow) ipc::WaitSet({entries_, count}, waker_);
    }
    if (wait_set_ == nullptr) {
      delete[] entries_;
      entries_ = nullptr;
      delete[] masks_;
      masks_ = nullptr;
      program->account.uncharge(bytes);
      return nullptr;
    }
    masks_count_ = count;
    entries_charge_ = bytes;
    return wait_set_;
  }
  // Forgets what the last wait watched (its observers and references).
  void end_wait() {
    if (wait_set_ != nullptr && wait_set_->size() > 0) wait_set_->clear();
  }
  // Suspends the call until `o` asserts one of `mask`: WouldBlock. Without a wait set (no memory)
  // the call is retried at the program's next turn instead.
  Errno wait_for_object(Object& o, ipc::Signals mask) {
    ipc::WaitSet* set = begin_wait();
    if (set == nullptr || set->add(o.ipc.ref(), mask, 0).is_error()) {
      wait_for(WaitFor::Turn, ~u64{0});
      return Errno::WouldBlock;
    }
    finish_wait(~u64{0});
    return Errno::WouldBlock;
  }
  // One entry per object, watching for what every subscription naming it waits for: a poll may
  // name a descriptor any number of times (4,096 subscriptions), for reading and for writing.
  void wait_for_objects(support::Span<wasi::PollFd> fds, u64 deadline) {
    ipc::WaitSet* set = begin_wait();
    bool fits = set != nullptr;
    for (u32 i = 0; fits && i < masks_count_; ++i) masks_[i] = ipc::signal::kNone;
    for (wasi::PollFd& fd : fds) {
      if (!fits) break;
      Object* o = get(fd.handle);
      if (o == nullptr || o->kind != Kind::Ipc) continue;
      fits = fd.handle <= masks_count_;
      if (fits) masks_[fd.handle - 1] |= fd.write ? kWriteWait : kReadWait;
    }
    for (u32 i = 0; fits && i < masks_count_; ++i) {
      if (!masks_[i].empty()) fits = set->add(objects_[i].ipc.ref(), masks_[i], 0).is_ok();
    }
    if (!fits) {
      // No memory for the set (or a table past the limit): poll again at the next turn.
      wait_for(WaitFor::Turn, ~u64{0});
      return;
    }
    finish_wait(deadline);
  }
  ipc::WaitSet* begin_wait() {
    ipc::WaitSet* set = wait_set();
    if (set == nullptr) return nullptr;
    set->clear();
    program->signalled.store(0);
    return set;
  }
  // After the objects were added: a signal that rose before an observer was registered counts.
  void finish_wait(u64 deadline) {
    ipc::WaitSet::Ready ready[1];
    if (wait_set_->poll(ready) > 0) program->signalled.store(1);
    wait_for(WaitFor::Objects, deadline);
  }

  void wait_for(WaitFor what, u64 deadline) {
    if (program == nullptr) return;
    program->set_wait_for(what);
    program->deadline = deadline;
  }

  support::Vector<Object> objects_;
  u32 live_ = 0;
  ProgramWaker waker_;
  ipc::WaitSet::Entry* entries_ = nullptr;
  ipc::Signals* masks_ = nullptr;  // wait_for_objects' per descriptor, masks_count_ of them
  u32 masks_count_ = 0;
  ipc::WaitSet* wait_set_ = nullptr;
  u64 entries_charge_ = 0;
};

// A channel write waiting for room in the peer's queue: the message made on the first attempt
// (the guest's bytes copied once) and the transfers, kept across retries of the pending call.
struct PendingWrite {
  bool active = false;
  u32 fd = 0;
  ipc::MessagePtr message;  // its handle slots are empty between attempts
  ChannelTransfer transfers[ipc::kMaxMessageHandles] = {};
  u32 count = 0;
  void reset() {
    active = false;
    message.reset();
    count = 0;
  }
};

struct WasiState {
  KernelOs os;
  wasi::Wasi wasi{os};  // destroyed before `os`: it closes its handles through `os`
  PendingWrite pending_write;
  // warden.tcp_connect's connection while it is being made (the call waits; closed with the
  // program if it ends first).
  ipc::Handle connecting;
};

namespace {

support::StringView view(const support::Vector<u8>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

// Opens `path` for a kernel-started program's standard descriptor.
support::Result<Handle, SpawnError> open_stdio_path(KernelOs& os, StringView path, bool output) {
  fs::NodeRef node;
  if (output) {
    node = TRY(create_empty_file(path));
  } else {
    auto file = root().resolve(path);
    if (file.is_error()) return SpawnError::NotFound;
    node = support::move(file.value());
  }
  auto handle = os.add_node(support::move(node));
  if (handle.is_error()) return SpawnError::NoMemory;
  return handle.value();
}

// A child's standard descriptor for `handle`: a stream with the rights of its kind (as
// Wasi::add_fd), less every right the parent's descriptor `from` (when it is a copy of one) does
// not have, so that a child never writes what its parent could only read.
support::Result<u32> add_stdio_fd(WasiState& state, Handle handle, const wasi::Descriptor* from) {
  if (from == nullptr) return state.wasi.add_fd(handle);
  wasi::FileStat st;
  if (state.os.stat(handle, &st) != Errno::Success) st.type = wasi::FileType::Unknown;
  bool directory = st.type == wasi::FileType::Directory;
  wasi::Descriptor like;
  like.type = st.type;
  like.stream = true;
  like.base = (directory ? wasi::right::kDirectory : wasi::right::kStream) & from->base;
  like.inheriting = (directory ? wasi::right::kDirectoryInheriting : 0) & from->inheriting;
  return state.wasi.add_fd_like(handle, like);
}

}  // namespace

support::Result<WasiState*, SpawnError> wasi_create(const SpawnRequest& request,
                                                    WasiState* parent_wasi) {
  auto* state = new (std::nothrow) WasiState;
  if (state == nullptr) return SpawnError::NoMemory;
  auto fail = [state](SpawnError error) -> support::Result<WasiState*, SpawnError> {
    delete state;
    return error;
  };
  for (const SpawnRequest::Fd& fd : request.fds) {
    if (parent_wasi == nullptr) return fail(SpawnError::BadDescriptor);
    const wasi::Descriptor* d = parent_wasi->wasi.descriptor(fd.parent);
    KernelOs::Object* o = d != nullptr ? parent_wasi->os.get(d->handle) : nullptr;
    if (o == nullptr) return fail(SpawnError::BadDescriptor);
    auto handle = state->os.add_copy(*o);
    if (handle.is_error()) return fail(handle.error());
    auto placed = state->wasi.add_fd_at(fd.child, handle.value(), d->base & fd.rights,
                                        d->inheriting & fd.rights);
    if (placed.is_error()) {
      return fail(placed.error() == support::Error::Exists ? SpawnError::Invalid
                                                           : SpawnError::NoMemory);
    }
  }
  for (int i = 0; i < 3 && !request.map_fds; ++i) {
    support::Result<Handle, SpawnError> handle = SpawnError::Invalid;
    const wasi::Descriptor* from = nullptr;  // the parent's descriptor it copies
    if (request.stdio_path[i].size() > 0) {
      handle = open_stdio_path(state->os, request.stdio_path[i], i != 0);
    } else if (request.stdio[i] >= 0 && parent_wasi != nullptr) {
      from = parent_wasi->wasi.descriptor(static_cast<u32>(request.stdio[i]));
      KernelOs::Object* o =
          from != nullptr && from->open ? parent_wasi->os.get(from->handle) : nullptr;
      if (o == nullptr) return fail(SpawnError::BadDescriptor);
      handle = state->os.add_copy(*o);
    } else {
      auto console_handle = state->os.add_console();
      if (console_handle.is_error()) return fail(SpawnError::NoMemory);
      handle = console_handle.value();
    }
    if (handle.is_error()) return fail(handle.error());
    if (add_stdio_fd(*state, handle.value(), from).is_error()) return fail(SpawnError::NoMemory);
  }
  auto dir = state->os.add_node(root().root());
  if (dir.is_error() || state->wasi.add_preopen(dir.value(), "/").is_error()) {
    return fail(SpawnError::NoMemory);
  }
  if (request.listener != nullptr && *request.listener) {
    // After the preopen: wasi-libc looks for preopens from 3 up and stops at the first that is
    // not one.
    Handle socket = 0;
    if (state->os.add_socket(support::move(*request.listener), &socket) != Errno::Success ||
        state->wasi.add_socket(socket, wasi::SocketRole::Listener).is_error()) {
      return fail(SpawnError::NoMemory);
    }
  }
  for (const auto& arg : request.argv) {
    if (state->wasi.add_arg(view(arg)).is_error()) return fail(SpawnError::NoMemory);
  }
  // PWD tells the program's startup code its working directory (docs/programs.md).
  for (const auto& entry : request.env) {
    if (view(entry).starts_with("PWD=")) continue;
    if (state->wasi.add_env(view(entry)).is_error()) return fail(SpawnError::NoMemory);
  }
  char pwd[1024];
  if (request.cwd.size() + 5 > sizeof pwd) return fail(SpawnError::Invalid);
  if (state->wasi.add_env(support::format_to_buffer(pwd, sizeof pwd, "PWD={}", request.cwd))
          .is_error()) {
    return fail(SpawnError::NoMemory);
  }
  return state;
}

void wasi_attach(WasiState* state, Program* program) { state->os.attach(program); }

support::Result<wasm::Extern, Failure> resolve_wasi(Program& program, wasm::Store& store,
                                                    const wasm::Import& import,
                                                    const wasm::Module& module) {
  StringView name = module.name_of(import.name);
  if (import.kind != wasm::ExternKind::Func)
    return failure("unlinkable: {}.{} is not a function", wasi::kModuleName, name);
  wasi::ImportResolution r = program.wasi->wasi.resolve_import(store, wasi::kModuleName, name,
                                                               module.types[import.func_type]);
  if (r.kind == wasi::ImportResolution::Kind::Found) return wasm::Extern::func(r.func);
  if (r.kind == wasi::ImportResolution::Kind::NoMemory) return failure("out of memory");
  return failure("unlinkable: {}", r.message);
}

void wasi_bind(Program& program) { (void)program.wasi->wasi.bind(program.instance); }

bool wasi_pending(Program& program) {
  return program.wasi != nullptr && program.wasi->wasi.pending();
}

wasm::HostStatus wasi_retry(Program& program, wasm::HostCall& call) {
  return program.wasi->wasi.retry(call);
}

void wasi_destroy(WasiState* state) { delete state; }

wasi::Errno wasi_pipe(Program& program, u32* read_fd, u32* write_fd) {
  WasiState& state = *program.wasi;
  Handle reader = 0, writer = 0;
  if (Errno e = state.os.make_pipe(&reader, &writer); e != Errno::Success) return e;
  auto r = state.wasi.add_fd(reader);
  if (r.is_error()) {
    (void)state.os.close(reader);
    (void)state.os.close(writer);
    return Errno::Nomem;
  }
  auto w = state.wasi.add_fd(writer);
  if (w.is_error()) {
    (void)state.wasi.close_fd(r.value());
    (void)state.os.close(writer);
    return Errno::Nomem;
  }
  *read_fd = r.value();
  *write_fd = w.value();
  return Errno::Success;
}

// ---------------------------------------------------------------------------------------------
// Sockets made by the program: warden.tcp_listen and warden.tcp_connect (docs/net.md).

namespace {

// A socket handle as a new descriptor with the rights of its role.
wasi::Errno install_socket(WasiState& state, ipc::Handle socket, wasi::SocketRole role, u32* fd) {
  Handle h = 0;
  if (Errno e = state.os.add_socket(support::move(socket), &h); e != Errno::Success) return e;
  auto number = state.wasi.add_socket(h, role);
  if (number.is_error()) {
    (void)state.os.close(h);
    return Errno::Nomem;
  }
  *fd = number.value();
  return Errno::Success;
}

// Descriptors the program may still open (a socket counts like any other).
wasi::Errno room_for_one(WasiState& state) {
  if (Errno e = state.os.make_room(1); e != Errno::Success) return e;
  return state.wasi.reserve_fds(1).is_error() ? Errno::Nomem : Errno::Success;
}

}  // namespace

wasi::Errno wasi_tcp_listen(Program& program, net::Endpoint local, u32 backlog, u32* fd) {
  WasiState& state = *program.wasi;
  if (Errno e = room_for_one(state); e != Errno::Success) return e;
  ipc::Handle socket;
  if (Errno e = net::listen(program.ipc_account, local, backlog, &socket); e != Errno::Success) {
    return e;
  }
  return install_socket(state, support::move(socket), wasi::SocketRole::Listener, fd);
}

wasi::Errno wasi_tcp_connect(Program& program, net::Endpoint remote, u32* fd) {
  WasiState& state = *program.wasi;
  if (!state.connecting) {
    if (Errno e = room_for_one(state); e != Errno::Success) return e;
    ipc::Handle socket;
    Errno e = net::connect(program.ipc_account, remote, &socket);
    if (e != Errno::Success) return e;
    state.connecting = support::move(socket);
  }
  net::Socket* socket = net::as_socket(state.connecting.object());
  Errno status = socket->connect_status();
  if (status == Errno::WouldBlock) {
    return state.os.wait_for_ref(state.connecting.ref(),
                                 ipc::signal::kWritable | ipc::signal::kPeerClosed);
  }
  state.os.stop_waiting();
  ipc::Handle made = support::move(state.connecting);
  if (status != Errno::Success) return status;  // dropping `made` closes the failed socket
  return install_socket(state, support::move(made), wasi::SocketRole::Connection, fd);
}

// ---------------------------------------------------------------------------------------------
// Channels and services (warden.channel, channel_write, channel_read, service_publish,
// service_connect, service_accept): docs/ipc.md, "In the kernel today".
//
// A descriptor moved through a channel leaves the sender's tables only once the message is
// queued: every check comes first, then the handles move into the message; if the channel
// refuses it (a full queue, a closed peer, the cycle rule) they move back, unchanged. The
// receiver's new descriptor gets the sender's WASI state (type, rights, fdflags, position),
// rights ANDed with the transfer's `rights` under kTransferReduce; an IPC handle also loses
// kRead or kWrite with fd_read or fd_write.

namespace {

// The WASI state a moved descriptor arrives with.
struct MovedState {
  wasi::FileType type = wasi::FileType::Unknown;
  wasi::Rights base = 0;
  wasi::Rights inheriting = 0;
  u16 flags = 0;
  u64 offset = 0;
  bool stream = false;
};

MovedState moved_state(const wasi::Descriptor& d, const ChannelTransfer& t) {
  MovedState m{d.type, d.base, d.inheriting, d.flags, d.offset, d.stream};
  if ((t.flags & kTransferReduce) != 0) {
    m.base &= t.rights;
    m.inheriting &= t.rights;
  }
  return m;
}

wasi::Descriptor descriptor_like(const MovedState& m) {
  wasi::Descriptor d;
  d.type = m.type;
  d.base = m.base;
  d.inheriting = m.inheriting;
  d.flags = m.flags;
  d.offset = m.offset;
  d.stream = m.stream;
  return d;
}

// An IPC handle carries its descriptor's state in its word: rights in bits 0-31, fdflags in
// 32-47, the stream bit at 48 (its type is asked from the object again: a pipe or a channel
// has none in preview 1; its position is the object's).
static_assert(wasi::right::kAll < (u64{1} << 32), "WASI rights fit in the word's low half");
constexpr u64 kWordStream = u64{1} << 48;
u64 word_of(const MovedState& m) {
  return m.base | (u64{m.flags} << 32) | (m.stream ? kWordStream : 0);
}
MovedState state_of_word(u64 word) {
  MovedState m;
  m.base = word & 0xffff'ffff;
  m.flags = static_cast<u16>(word >> 32);
  m.stream = (word & kWordStream) != 0;
  return m;
}

// The console, a file-system node or the null device on its way through a channel: the kernel's
// ipc::Object for them (kind Console, Directory or File; the kernel makes no other objects of
// these kinds), filled by the sender's channel_write and emptied into a new table entry by the
// receiver's channel_read. Charged to the sender until freed; a message freed unread (its
// receiver died) frees it and with it the node reference.
class TransitEntry final : public ipc::Object {
 public:
  static bool is_kind(ipc::Kind kind) {
    return kind == ipc::Kind::Console || kind == ipc::Kind::File || kind == ipc::Kind::Directory;
  }
  static ipc::Kind kind_for(const KernelOs::Object& o) {
    if (o.kind == KernelOs::Kind::Console) return ipc::Kind::Console;
    if (o.kind == KernelOs::Kind::Node && o.node->is_directory()) return ipc::Kind::Directory;
    if (o.kind == KernelOs::Kind::Disk && disk::is_directory(o.ino)) return ipc::Kind::Directory;
    return ipc::Kind::File;
  }
  // A new, empty entry for `o` and its first handle: NoMemory, LimitReached.
  static support::Result<ipc::Handle, ipc::Error> create(ipc::Account& account,
                                                         const KernelOs::Object& o) {
    ipc::Charge charge =
        TRY(ipc::Charge::take(account, support::allocation_cost(sizeof(TransitEntry))));
    auto* entry = new (std::nothrow) TransitEntry(kind_for(o), support::move(charge));
    if (entry == nullptr) return ipc::Error::NoMemory;
    return ipc::Handle::create(ipc::Ref<ipc::Object>(entry),
                               ipc::right::kRead | ipc::right::kWrite | ipc::right::kTransfer);
  }
  // Takes `o`'s contents (it stays in the table, empty, until the message is queued).
  void take(KernelOs::Object& o, const MovedState& state) {
    kind_ = o.kind;
    node_ = support::move(o.node);
    ino_ = o.ino;  // the disk reference travels with it
    o.ino = 0;
    offset_ = o.offset;
    state_ = state;
  }
  // Gives them to `o` (back to the sender after a refused write, or to the receiver's new entry).
  void give(KernelOs::Object& o) {
    o.kind = kind_;
    o.node = support::move(node_);
    o.ino = ino_;
    ino_ = 0;
    o.offset = offset_;
  }
  const MovedState& state() const { return state_; }

 private:
  TransitEntry(ipc::Kind kind, ipc::Charge charge) : Object(kind), charge_(support::move(charge)) {}
  ~TransitEntry() override {
    if (kind_ == KernelOs::Kind::Disk && ino_ != 0) disk::release(ino_);
  }

  ipc::Charge charge_;
  KernelOs::Kind kind_ = KernelOs::Kind::Free;
  fs::NodeRef node_;
  disk::Ino ino_ = 0;  // with kind_ Disk: the reference it holds
  u64 offset_ = 0;
  MovedState state_;
};

// The global registry of services (/svc/NAME), made at boot.
alignas(ipc::ServiceRegistry) u8 g_services_storage[sizeof(ipc::ServiceRegistry)];
ipc::ServiceRegistry* g_services = nullptr;

constexpr ipc::Signals kAcceptWait = ipc::signal::kReadable;

// A descriptor of the program and its table entry.
struct Entry {
  const wasi::Descriptor* d = nullptr;
  KernelOs::Object* o = nullptr;
};

// The open descriptor `fd` with the WASI rights `needed`: Badf, Notcapable.
support::Result<Entry, Errno> entry_of(WasiState& s, u32 fd, wasi::Rights needed) {
  const wasi::Descriptor* d = s.wasi.descriptor(fd);
  if (d == nullptr || !d->owned) return Errno::Badf;
  KernelOs::Object* o = s.os.get(d->handle);
  if (o == nullptr) return Errno::Badf;
  if ((d->base & needed) != needed) return Errno::Notcapable;
  return Entry{d, o};
}

// The IPC object of kind T::kKind an entry holds, or null.
template <typename T> T* ipc_object(const KernelOs::Object& o) {
  if (o.kind != KernelOs::Kind::Ipc || !o.ipc || o.ipc.object()->kind() != T::kKind) return nullptr;
  return static_cast<T*>(o.ipc.object());
}

// WouldBlock from an IPC object: Again with FDFLAGS_NONBLOCK, else the program waits for `mask`.
Errno blocked(WasiState& s, const Entry& e, ipc::Signals mask) {
  if ((e.d->flags & wasi::kFdflagNonblock) != 0) return Errno::Again;
  return s.os.wait_for_signals(*e.o, mask);
}

// Room for `count` new descriptors in both tables: Mfile, Nomem.
Errno make_room(WasiState& s, u32 count) {
  if (Errno e = s.os.make_room(count); e != Errno::Success) return e;
  return s.wasi.reserve_fds(count).is_error() ? Errno::Nomem : Errno::Success;
}

// A handle made here (a channel end, a service, an accepted connection) as a new descriptor with
// the default state of its kind. After make_room it does not fail.
support::Result<u32, Errno> install_new(WasiState& s, ipc::Handle handle) {
  auto h = s.os.add_ipc(support::move(handle));
  if (h.is_error()) return Errno::Nomem;
  auto fd = s.wasi.add_fd(h.value());
  if (fd.is_error()) {
    (void)s.os.close(h.value());
    return Errno::Nomem;
  }
  return fd.value();
}

// A handle that arrived in a message as a new descriptor (the sender's state, its rights
// reduced). After make_room it does not fail.
support::Result<u32, Errno> install_received(WasiState& s, ipc::Handle handle) {
  KernelOs::Object o;
  MovedState state;
  bool ipc_object = !TransitEntry::is_kind(handle.object()->kind());
  if (ipc_object) {
    state = state_of_word(handle.word());
    ipc::Rights rights = handle.rights();
    if ((state.base & wasi::right::kFdRead) == 0) rights &= ~ipc::right::kRead;
    if ((state.base & wasi::right::kFdWrite) == 0) rights &= ~ipc::right::kWrite;
    (void)handle.reduce(rights);  // a subset: cannot fail
    o.kind = KernelOs::Kind::Ipc;
    o.ipc = support::move(handle);
  } else {
    auto* entry = static_cast<TransitEntry*>(handle.object());
    entry->give(o);
    state = entry->state();
    handle.reset();  // its last handle: the entry is freed with its charge
  }
  auto h = s.os.add_object(support::move(o));
  if (h.is_error()) return Errno::Nomem;
  if (ipc_object) {
    wasi::FileStat st;
    state.type = s.os.stat(h.value(), &st) == Errno::Success ? st.type : wasi::FileType::Unknown;
  }
  auto fd = s.wasi.add_fd_like(h.value(), descriptor_like(state));
  if (fd.is_error()) {
    (void)s.os.close(h.value());
    return Errno::Nomem;
  }
  return fd.value();
}

// Moves the handles of a refused write back into their entries (`entries[i]` gave slot i),
// unchanged, and empties the message's slots.
void move_back(support::Span<KernelOs::Object* const> entries, support::Span<ipc::Handle> slots) {
  for (usize i = 0; i < entries.size(); ++i) {
    KernelOs::Object& o = *entries[i];
    if (o.kind == KernelOs::Kind::Ipc) {
      o.ipc = support::move(slots[i]);
    } else {
      static_cast<TransitEntry*>(slots[i].object())->give(o);
      slots[i].reset();
    }
  }
}

// The checks of one write: every transfer names a distinct open descriptor other than the
// channel, with known flags and, for an IPC object, kTransfer. Fills `entries`.
Errno check_transfers(WasiState& s, const PendingWrite& w, KernelOs::Object** entries) {
  for (u32 i = 0; i < w.count; ++i) {
    const ChannelTransfer& t = w.transfers[i];
    if ((t.flags & ~kTransferReduce) != 0) return Errno::Inval;
    // The channel's own end (the cycle rule), or a descriptor named twice.
    if (t.fd == w.fd) return Errno::Inval;
    for (u32 j = 0; j < i; ++j) {
      if (w.transfers[j].fd == t.fd) return Errno::Inval;
    }
    Entry e = TRY(entry_of(s, t.fd, 0));
    if (e.o->kind == KernelOs::Kind::Ipc && !e.o->ipc.has(ipc::right::kTransfer)) {
      return Errno::Notcapable;
    }
    entries[i] = e.o;
  }
  return Errno::Success;
}

// One attempt of the pending write.
Errno write_attempt(Program& p, WasiState& s) {
  PendingWrite& w = s.pending_write;
  s.os.stop_waiting();
  Entry channel = TRY(entry_of(s, w.fd, wasi::right::kFdWrite));
  ipc::ChannelEnd* end = ipc_object<ipc::ChannelEnd>(*channel.o);
  if (end == nullptr) return Errno::Badf;
  if (!channel.o->ipc.has(ipc::right::kWrite)) return Errno::Notcapable;
  ipc::Ref<ipc::ChannelEnd> end_ref(end);

  // Every check first, and the TransitEntries made (in the message's slots, still empty); nothing
  // moves before all are known good.
  KernelOs::Object* entries[ipc::kMaxMessageHandles];
  if (Errno e = check_transfers(s, w, entries); e != Errno::Success) return e;
  support::Span<ipc::Handle> slots = w.message->handles();
  for (u32 i = 0; i < w.count; ++i) {
    if (entries[i]->kind == KernelOs::Kind::Ipc) continue;
    auto wrapper = TransitEntry::create(p.ipc_account, *entries[i]);
    if (wrapper.is_error()) {
      for (ipc::Handle& slot : slots) slot.reset();  // empty entries: nothing else to undo
      return Errno::Nomem;
    }
    slots[i] = support::move(wrapper.value());
  }

  // Move them into the message; back if the channel refuses it.
  for (u32 i = 0; i < w.count; ++i) {
    KernelOs::Object& o = *entries[i];
    MovedState state = moved_state(*s.wasi.descriptor(w.transfers[i].fd), w.transfers[i]);
    if (o.kind == KernelOs::Kind::Ipc) {
      slots[i] = support::move(o.ipc);
      slots[i].set_word(word_of(state));
    } else {
      static_cast<TransitEntry*>(slots[i].object())->take(o, state);
    }
  }
  auto written = end_ref->write(w.message);
  if (written.is_error()) {
    move_back(support::Span<KernelOs::Object* const>(entries, w.count), slots);
    if (written.error() == ipc::Error::WouldBlock) {
      return blocked(s, channel, ipc::signal::kWritable | ipc::signal::kPeerClosed);
    }
    return errno_of(written.error());
  }
  // Queued: the moved descriptors are closed (their entries are empty now).
  for (u32 i = 0; i < w.count; ++i) (void)s.wasi.close_fd(w.transfers[i].fd);
  return Errno::Success;
}

// Ends a write attempt: the pending write is kept only while the program waits for room.
Errno finish_write(WasiState& s, Errno e) {
  if (e != Errno::WouldBlock) s.pending_write.reset();
  return e;
}

// The name after an optional "/svc/" (what a program sees as /svc/NAME).
StringView service_name(StringView name) {
  return name.starts_with("/svc/") ? name.substr(5) : name;
}

Errno make_pair(WasiState& s, ipc::Handle a, ipc::Handle b, u32* fd0, u32* fd1) {
  auto x = install_new(s, support::move(a));
  if (x.is_error()) return x.error();
  auto y = install_new(s, support::move(b));
  if (y.is_error()) {
    (void)s.wasi.close_fd(x.value());
    return y.error();
  }
  *fd0 = x.value();
  *fd1 = y.value();
  return Errno::Success;
}

}  // namespace

void init_services() { g_services = new (g_services_storage) ipc::ServiceRegistry(); }

wasi::Errno wasi_channel(Program& program, u32* fd0, u32* fd1) {
  WasiState& s = *program.wasi;
  if (Errno e = make_room(s, 2); e != Errno::Success) return e;
  auto ends = ipc::Channel::create(program.ipc_account);
  if (ends.is_error()) return errno_of(ends.error());
  return make_pair(s, support::move(ends.value().a), support::move(ends.value().b), fd0, fd1);
}

wasi::Errno wasi_channel_write(Program& program, u32 fd, support::Bytes bytes,
                               support::Span<const ChannelTransfer> transfers) {
  WasiState& s = *program.wasi;
  s.pending_write.reset();
  ipc::ChannelLimits limits;
  if (bytes.size() > limits.max_message_bytes || transfers.size() > limits.max_message_handles) {
    return Errno::Msgsize;
  }
  // Before the message is made: a bad descriptor costs nothing.
  Entry channel = TRY(entry_of(s, fd, wasi::right::kFdWrite));
  if (ipc_object<ipc::ChannelEnd>(*channel.o) == nullptr) return Errno::Badf;
  auto message =
      ipc::Message::create(program.ipc_account, bytes, static_cast<u32>(transfers.size()));
  if (message.is_error()) return errno_of(message.error());
  PendingWrite& w = s.pending_write;
  w.active = true;
  w.fd = fd;
  w.message = support::move(message.value());
  w.count = static_cast<u32>(transfers.size());
  for (u32 i = 0; i < w.count; ++i) w.transfers[i] = transfers[i];
  return finish_write(s, write_attempt(program, s));
}

wasi::Errno wasi_channel_write_retry(Program& program) {
  WasiState& s = *program.wasi;
  if (!s.pending_write.active) return Errno::Inval;
  return finish_write(s, write_attempt(program, s));
}

wasi::Errno wasi_channel_read(Program& program, u32 fd, support::Span<u8> bytes,
                              support::Span<u32> fds, ipc::MessageSizes* sizes) {
  WasiState& s = *program.wasi;
  s.os.stop_waiting();
  Entry channel = TRY(entry_of(s, fd, wasi::right::kFdRead));
  ipc::ChannelEnd* end = ipc_object<ipc::ChannelEnd>(*channel.o);
  if (end == nullptr) return Errno::Badf;
  if (!channel.o->ipc.has(ipc::right::kRead)) return Errno::Notcapable;
  ipc::Ref<ipc::ChannelEnd> end_ref(end);  // the entry may move when the table grows
  u32 max_bytes = bytes.size() < ~u32{0} ? static_cast<u32>(bytes.size()) : ~u32{0};
  auto head = end_ref->peek();
  if (head.is_error()) {
    if (head.error() == ipc::Error::WouldBlock) {
      return blocked(s, channel, ipc::signal::kReadable | ipc::signal::kPeerClosed);
    }
    return errno_of(head.error());
  }
  *sizes = head.value();
  if (sizes->bytes > max_bytes || sizes->handles > fds.size()) return Errno::Nobufs;
  // Room for its handles first: a table that cannot take them leaves the message queued.
  if (Errno e = make_room(s, sizes->handles); e != Errno::Success) return e;
  // This program is the end's one holder (no kDuplicate) and runs one call at a time: the
  // message sized above is the one read.
  auto message = end_ref->read(max_bytes, sizes->handles, *sizes);
  if (message.is_error()) return errno_of(message.error());
  support::Bytes data = message.value()->bytes();
  if (!data.empty()) __builtin_memcpy(bytes.data(), data.data(), data.size());
  support::Span<ipc::Handle> handles = message.value()->handles();
  for (usize i = 0; i < handles.size(); ++i) {
    auto installed = install_received(s, support::move(handles[i]));
    // Cannot fail after make_room; if it did, the handle is closed and the number is ~0.
    fds[i] = installed.is_ok() ? installed.value() : ~u32{0};
  }
  return Errno::Success;
}

wasi::Errno wasi_service_publish(Program& program, StringView name, u32* fd) {
  WasiState& s = *program.wasi;
  if (Errno e = make_room(s, 1); e != Errno::Success) return e;
  auto service = g_services->publish(program.ipc_account, service_name(name));
  if (service.is_error()) return errno_of(service.error());
  auto installed = install_new(s, support::move(service.value()));
  if (installed.is_error()) return installed.error();
  *fd = installed.value();
  return Errno::Success;
}

wasi::Errno wasi_service_connect(Program& program, StringView name, u32* fd) {
  WasiState& s = *program.wasi;
  if (Errno e = make_room(s, 1); e != Errno::Success) return e;
  auto end = g_services->connect(program.ipc_account, service_name(name));
  if (end.is_error()) return errno_of(end.error());
  auto installed = install_new(s, support::move(end.value()));
  if (installed.is_error()) return installed.error();
  *fd = installed.value();
  return Errno::Success;
}

wasi::Errno wasi_service_accept(Program& program, u32 service_fd, u32* fd) {
  WasiState& s = *program.wasi;
  s.os.stop_waiting();
  Entry entry = TRY(entry_of(s, service_fd, wasi::right::kFdRead));
  ipc::Service* service = ipc_object<ipc::Service>(*entry.o);
  if (service == nullptr) return Errno::Badf;
  if (!entry.o->ipc.has(ipc::right::kRead)) return Errno::Notcapable;
  ipc::Ref<ipc::Service> service_ref(service);
  if (service->pending() == 0) return blocked(s, entry, kAcceptWait);
  // Room first: a table that cannot take the connection leaves it pending.
  if (Errno e = make_room(s, 1); e != Errno::Success) return e;
  auto end = service_ref->accept();
  if (end.is_error()) return errno_of(end.error());
  auto installed = install_new(s, support::move(end.value()));
  if (installed.is_error()) return installed.error();
  *fd = installed.value();
  return Errno::Success;
}

}  // namespace programs
