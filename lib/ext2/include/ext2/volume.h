// ext2::Volume: an ext2 file system (with the ext3 journal, when the image has one) on an
// fs::BlockDevice, portable and freestanding. The kernel serves WASI programs from it; on the
// host, tests run it on image files that e2fsprogs made and check what it wrote with e2fsck.
//
// What is supported and what is refused (docs/ext2.md has the list): revisions 0 and 1, blocks
// of 1 to 64 KiB, inodes of 128 bytes and more, block-mapped files (direct and single, double,
// triple indirect; sparse), fast and slow symlinks, hard links, linear directories and reading
// hashed (dir_index) ones, which any change turns linear (the index flag cleared, as old ext2
// kernels do). Extent-mapped images (ext4) mount read-only. Incompatible features not listed in
// volume.cc refuse the mount, naming them; unknown read-only-compatible ones mount read-only.
//
// Operations mirror fs::FileSystem (the same names, errors and POSIX rules), on inode numbers
// instead of NodeRefs. Anything damaged on disk (a block number out of range, a bad directory
// record, a loop) is Io for the operation that meets it, never a crash, a hang or an access out
// of bounds. An operation that fails for any other reason (NoSpace, NotFound, ...) changes
// nothing.
//
// Durability (ordered mode): an operation changes blocks in the cache; a commit (sync(), a full
// cache, commit_if_due(), unmount()) writes the dirty data blocks home and flushes, then logs the
// metadata blocks as one transaction through the journal (lib/jbd2, when the image has one),
// then writes them home, flushes and empties the log. Commits run only between operations (or
// between the steps of a long write), so with a journal a crash leaves either all of an
// operation's metadata changes or none.
//
// Locking: one SpinLock per volume guards everything, and device I/O happens under it (the
// device blocks its caller: the kernel must call from a task that may block, never from an
// interrupt). Reads and writes hold it for the whole call.
#pragma once

#include <fs/block_device.h>
#include <fs/error.h>
#include <fs/file_system.h>
#include <support/format.h>
#include <support/optional.h>
#include <support/span.h>
#include <support/spinlock.h>
#include <support/string_view.h>
#include <support/types.h>
#include <support/vector.h>

namespace ext2 {

using Ino = u32;  // 2 is the root

struct Options {
  bool read_only = false;
  u64 cache_bytes = 4 << 20;    // the block cache's budget (it may briefly exceed it mid-commit)
  fs::ClockFn clock = nullptr;  // nanoseconds since 1970; null: times are 0
  void* clock_context = nullptr;
  u64 commit_interval_ns = 5'000'000'000;  // commit_if_due() commits this long after the last
};

class Volume {
 public:
  struct Impl;

  // Mounts the file system on `device` (which must outlive the volume): checks the superblock
  // and the group descriptors; refuses (Invalid, with a line written to `why`, when not null,
  // naming the reason, e.g. the unsupported incompatible features) what it cannot handle; mounts
  // read-only (changes give ReadOnly) for unknown read-only-compatible features, extents, or a
  // read-only device. Replays the journal when it needs recovery and frees the inodes on the
  // orphan list. Io when the device fails, NoMemory. Delete the volume after unmount().
  static fs::Result<Volume*> mount(fs::BlockDevice& device, const Options& options,
                                   support::FormatSink* why);
  ~Volume();
  Volume(const Volume&) = delete;
  Volume& operator=(const Volume&) = delete;

  // Commits, frees what the orphan list still holds, writes everything, marks the file system
  // clean and flushes. After it every call fails with Invalid.
  fs::Result<void> unmount();

  Ino root() const { return 2; }
  bool read_only() const { return read_only_; }

  // --- Names in a directory, as fs::FileSystem (names 1..255 bytes without '/' or NUL).
  fs::Result<Ino> lookup(Ino dir, support::StringView name);  // "." and ".." too
  // New files get mode 0644, directories 0755, symlinks 0777.
  fs::Result<Ino> create_file(Ino dir, support::StringView name, fs::CreateMode mode);
  fs::Result<Ino> mkdir(Ino dir, support::StringView name);
  fs::Result<Ino> symlink(Ino dir, support::StringView name, support::StringView target);
  fs::Result<void> unlink(Ino dir, support::StringView name);
  fs::Result<void> rmdir(Ino dir, support::StringView name);
  fs::Result<void> rename(Ino old_dir, support::StringView old_name, Ino new_dir,
                          support::StringView new_name);
  fs::Result<void> link(Ino node, Ino new_dir, support::StringView new_name);
  fs::Result<usize> readlink(Ino node, support::Span<char> out);
  // Entries in on-disk order ("." and ".." first, as they are stored). A cookie is a byte
  // offset in the directory: 0 starts, next_cookie continues; entries never move, so a walk is
  // stable while the directory changes.
  fs::Result<support::Optional<fs::DirEntry>> readdir(Ino dir, u64 cookie);

  // --- Data (files only: IsDir, Invalid for others).
  fs::Result<usize> read(Ino file, u64 offset, support::Span<u8> out);
  // NoSpace (checked before anything changes: nothing is written), FileTooBig.
  fs::Result<usize> write(Ino file, u64 offset, support::Bytes data);
  fs::Result<u64> append(Ino file, support::Span<const support::Bytes> parts);
  fs::Result<void> truncate(Ino file, u64 size);

  // --- Metadata. Stat's size is the file's, the symlink target's, or the directory's bytes.
  fs::Result<fs::Stat> stat(Ino node);
  fs::Result<void> set_times(Ino node, fs::TimeUpdate atim, fs::TimeUpdate mtim);

  // --- Durability.
  // fsync: returns once the node's data and metadata are on the device (commits everything).
  fs::Result<void> sync(Ino node, bool data_only);
  // The periodic commit: commits when the last one is older than the commit interval.
  fs::Result<void> commit_if_due(u64 now_ns);

  // Open references: a file unlinked while retained keeps its inode and blocks until the last
  // release, and sits on the on-disk orphan list meanwhile (a crash does not leak it).
  void retain(Ino node);
  fs::Result<void> release(Ino node);

  // Bytes the free blocks hold (statvfs).
  u64 free_bytes();

 private:
  Volume(Impl* impl, bool read_only) : impl_(impl), read_only_(read_only) {}
  template <typename Fn> auto locked(Fn&& fn) {
    return impl_.with([&](Impl*& impl) { return fn(*impl); });
  }

  support::Locked<Impl*> impl_;
  bool read_only_;
};

}  // namespace ext2
