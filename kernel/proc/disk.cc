// The disk file system at /data: mounting, the periodic commit, and the WASI operations on the
// volume (see disk.h).
#include <async/time.h>
#include <ext2/volume.h>
#include <kernel/boot/boot_args.h>
#include <kernel/console/console.h>
#include <kernel/console/log.h>
#include <kernel/drivers/entropy.h>
#include <kernel/drivers/virtio_blk.h>
#include <kernel/proc/disk.h>
#include <kernel/proc/fs_glue.h>
#include <kernel/sched/executor.h>
#include <support/atomic.h>
#include <support/format.h>

#include <kernel/proc/program.h>

namespace disk {

using programs::errno_of;
using support::StringView;

namespace {

// How often the running transaction is committed when nothing forces it sooner.
constexpr u64 kCommitIntervalNs = 5'000'000'000;
// How often the commit task asks.
constexpr u64 kCommitCheckMs = 1000;

support::Atomic<ext2::Volume*> g_volume{nullptr};
fs::NodeRef* g_mount_point = nullptr;  // kept for good once mounted

u64 realtime_clock(void*) { return entropy::realtime_ns(); }

ext2::Volume* volume() { return g_volume.load(support::MemoryOrder::Acquire); }

// The result of a volume call as an errno (Io once unmounted).
template <typename T> Errno check(const fs::Result<T>& r) {
  return r.is_error() ? errno_of(r.error()) : Errno::Success;
}

// Asks the volume every second; it commits when its last commit is kCommitIntervalNs old.
async::Task<void> commit_task() {
  for (;;) {
    co_await async::sleep(async::milliseconds(kCommitCheckMs));
    ext2::Volume* v = volume();
    if (v == nullptr) co_return;
    if (auto r = v->commit_if_due(entropy::realtime_ns()); r.is_error()) {
      LOG_WARN("disk: periodic commit failed: {}", fs::error_name(r.error()));
    }
  }
}

// The directory the volume covers: made in the root file system when absent (its parent must
// exist). Null when the path is not usable.
fs::NodeRef* make_mount_point(StringView path) {
  fs::FileSystem& root = programs::root();
  if (path.size() < 2 || path[0] != '/') return nullptr;
  usize slash = path.size();
  while (slash > 0 && path[slash - 1] != '/') --slash;
  auto parent = root.resolve(slash == 1 ? StringView("/") : path.substr(0, slash - 1));
  if (parent.is_error()) return nullptr;
  auto dir = root.mkdir(parent.value(), path.substr(slash));
  if (dir.is_error() && dir.error() == fs::Error::Exists) dir = root.resolve(path);
  if (dir.is_error() || !dir.value()->is_directory()) return nullptr;
  return new (std::nothrow) fs::NodeRef(support::move(dir.value()));
}

}  // namespace

void mount() {
  StringView where = "/data";
  if (auto value = boot_args::get("mount")) where = *value;
  fs::BlockDevice* device = drivers::disk(0);
  if (device == nullptr || where == "none") return;
  ext2::Options options;
  options.read_only = device->read_only();
  options.clock = realtime_clock;
  options.commit_interval_ns = kCommitIntervalNs;
  char reason[160];
  support::BufferSink why(reason, sizeof reason);
  auto mounted = ext2::Volume::mount(*device, options, &why);
  if (mounted.is_error()) {
    console::print("disk: not mounted: {}\n", why.view().size() > 0
                                                  ? why.view()
                                                  : StringView(fs::error_name(mounted.error())));
    return;
  }
  g_mount_point = make_mount_point(where);
  if (g_mount_point == nullptr) {
    console::print("disk: not mounted: cannot make the directory {}\n", where);
    (void)mounted.value()->unmount();
    return;
  }
  g_volume.store(mounted.value(), support::MemoryOrder::Release);
  LOG_INFO("disk: ext2 mounted at {}, {} MiB free{}", where, mounted.value()->free_bytes() >> 20,
           options.read_only ? ", read-only" : "");
  if (sched::executor().try_spawn_detached(commit_task()).is_error()) {
    LOG_WARN("disk: no periodic commit (no memory): fsync still commits");
  }
}

void unmount() {
  ext2::Volume* v = g_volume.exchange(nullptr);
  if (v == nullptr) return;
  if (auto r = v->unmount(); r.is_error()) {
    console::print("disk: unmount failed: {}\n", fs::error_name(r.error()));
  } else {
    LOG_INFO("disk: unmounted cleanly");
  }
  // The volume stays allocated: a program's call may still be running on it (and fails).
}

bool mounted() { return volume() != nullptr; }
const fs::Node* mount_point() { return g_mount_point != nullptr ? g_mount_point->get() : nullptr; }
Ino root() {
  ext2::Volume* v = volume();
  return v != nullptr ? v->root() : 0;
}

#define VOLUME_OR_IO()        \
  ext2::Volume* v = volume(); \
  if (v == nullptr) return Errno::Io

Errno lookup(Ino dir, StringView name, Ino* out) {
  VOLUME_OR_IO();
  auto r = v->lookup(dir, name);
  if (r.is_ok()) *out = r.value();
  return check(r);
}

bool is_directory(Ino node) {
  ext2::Volume* v = volume();
  if (v == nullptr) return false;
  auto s = v->stat(node);
  return s.is_ok() && s.value().kind == fs::Kind::Directory;
}

Errno stat(Ino node, wasi::FileStat* out) {
  VOLUME_OR_IO();
  auto s = v->stat(node);
  if (s.is_ok()) *out = programs::stat_of(s.value(), 2);
  return check(s);
}

Errno pread(Ino file, support::Span<u8> out, u64 offset, u64* done) {
  VOLUME_OR_IO();
  auto n = v->read(file, offset, out);
  if (n.is_ok()) *done = n.value();
  return check(n);
}

Errno pwrite(Ino file, support::Span<const u8> data, u64 offset, u64* done) {
  VOLUME_OR_IO();
  auto n = v->write(file, offset, support::Bytes(data.data(), data.size()));
  if (n.is_ok()) *done = n.value();
  return check(n);
}

Errno append(Ino file, support::Span<const support::Bytes> parts, u64* at, u64* done) {
  VOLUME_OR_IO();
  auto offset = v->append(file, parts);
  if (offset.is_error()) return errno_of(offset.error());
  u64 n = 0;
  for (support::Bytes part : parts) n += part.size();
  *at = offset.value();
  *done = n;
  return Errno::Success;
}

Errno set_size(Ino file, u64 size) {
  VOLUME_OR_IO();
  return check(v->truncate(file, size));
}

Errno set_times(Ino node, u64 atim, u64 mtim, u16 flags) {
  VOLUME_OR_IO();
  return check(v->set_times(node, programs::update(atim, flags, wasi::kFstAtim, wasi::kFstAtimNow),
                            programs::update(mtim, flags, wasi::kFstMtim, wasi::kFstMtimNow)));
}

Errno sync(Ino node, bool data_only) {
  VOLUME_OR_IO();
  return check(v->sync(node, data_only));
}

Errno readdir(Ino dir, u64 cookie, wasi::DirEntry* entry, bool* end) {
  VOLUME_OR_IO();
  auto next = v->readdir(dir, cookie);
  if (next.is_error()) return errno_of(next.error());
  if (!next.value().has_value()) {
    *end = true;
    return Errno::Success;
  }
  const fs::DirEntry& e = *next.value();
  *end = false;
  entry->next = e.next_cookie;
  entry->ino = e.inode;
  entry->type = programs::type_of(e.kind);
  entry->name_len = e.name_size;
  for (u32 i = 0; i < e.name_size; ++i) entry->name[i] = e.name_bytes[i];
  return Errno::Success;
}

Errno open(Ino dir, StringView name, const wasi::OpenOptions& options, Ino* out) {
  VOLUME_OR_IO();
  Ino node = 0;
  if (name == ".") {
    node = dir;
  } else if (options.create) {
    auto created = v->create_file(
        dir, name, options.exclusive ? fs::CreateMode::Exclusive : fs::CreateMode::OpenExisting);
    if (created.is_ok()) {
      node = created.value();
    } else if (created.error() == fs::Error::IsDir && !options.exclusive) {
      if (Errno e = lookup(dir, name, &node); e != Errno::Success) return e;
    } else if (created.error() == fs::Error::Exists && !options.exclusive) {
      return Errno::Loop;  // a symlink in the last component
    } else {
      return errno_of(created.error());
    }
  } else if (Errno e = lookup(dir, name, &node); e != Errno::Success) {
    return e;
  }
  auto s = v->stat(node);
  if (s.is_error()) return errno_of(s.error());
  fs::Kind kind = s.value().kind;
  if (kind == fs::Kind::Symlink) return Errno::Loop;
  if (options.directory && kind != fs::Kind::Directory) return Errno::Notdir;
  if (kind == fs::Kind::Directory && (options.write || options.truncate)) return Errno::Isdir;
  if (options.truncate && kind == fs::Kind::File) {
    if (auto r = v->truncate(node, 0); r.is_error()) return errno_of(r.error());
  }
  v->retain(node);
  *out = node;
  return Errno::Success;
}

Errno mkdir(Ino dir, StringView name) {
  VOLUME_OR_IO();
  return check(v->mkdir(dir, name));
}

Errno unlink(Ino dir, StringView name) {
  VOLUME_OR_IO();
  return check(v->unlink(dir, name));
}

Errno rmdir(Ino dir, StringView name) {
  VOLUME_OR_IO();
  return check(v->rmdir(dir, name));
}

Errno rename(Ino from_dir, StringView from, Ino to_dir, StringView to) {
  VOLUME_OR_IO();
  return check(v->rename(from_dir, from, to_dir, to));
}

Errno link(Ino node, Ino to_dir, StringView to) {
  VOLUME_OR_IO();
  if (is_directory(node)) return Errno::Perm;
  return check(v->link(node, to_dir, to));
}

Errno symlink(StringView target, Ino dir, StringView name) {
  VOLUME_OR_IO();
  return check(v->symlink(dir, name, target));
}

Errno readlink(Ino node, support::Span<char> out, u64* len) {
  VOLUME_OR_IO();
  auto n = v->readlink(node, out);
  if (n.is_error()) return errno_of(n.error());
  *len = n.value() < out.size() ? n.value() : out.size();
  return Errno::Success;
}

void retain(Ino node) {
  if (ext2::Volume* v = volume()) v->retain(node);
}

void release(Ino node) {
  ext2::Volume* v = volume();
  if (v == nullptr) return;
  if (auto r = v->release(node); r.is_error()) {
    LOG_WARN("disk: freeing inode {} failed: {}", node, fs::error_name(r.error()));
  }
}

}  // namespace disk
