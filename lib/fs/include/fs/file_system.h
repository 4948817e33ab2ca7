// FileSystem: a portable, freestanding in-memory file system (directories, regular files,
// symlinks, hard links) that the kernel fills from the initrd and serves to WASI programs.
//
// Operations take directory nodes and single names, as the WASI layer resolves paths itself;
// resolve() walks an absolute path for the kernel's own use (loading programs).
//
// Locking: one SpinLock per file system guards every node's state. A public call holds it for a
// bounded time, never suspends, never calls out except to the clock, and returns with it
// released. Reads and writes copy the caller's bytes in steps of at most kCopyStep bytes, each
// under the lock and atomic, with the lock released between them, so a large transfer never
// holds it for long and other operations (on any file) run between steps. A write first takes its
// whole range under the lock (allocating the chunks it needs beforehand, without the lock): its
// file already has its new size then, an append's offset is fixed (so concurrent appends never
// overlap), and nothing can fail after that point. A reader that runs between a write's steps
// sees the bytes not yet copied as they were before (zeros in new chunks); a truncate between
// steps cuts off what the write had not yet copied beyond the new size, as if it came after the
// write. Reference counts are atomic and dropping the last reference never takes the lock, so
// NodeRefs may be released anywhere.
//
// Quota: the file system charges what it allocates: kNodeCost per node (the root excepted),
// kChunkSize per allocated chunk of file data plus kSlotCost per chunk slot, the allocation of
// every symlink target, and FileSystem::entry_cost() per directory entry (its record and its
// name's allocation). An operation that would exceed the limit fails with NoSpace and changes
// nothing; freeing data or nodes gives the bytes back. An empty file system uses 0.
//
// Every failing operation changes nothing (check first, then act).
#pragma once

#include <fs/error.h>
#include <fs/node.h>
#include <support/allocation_cost.h>
#include <support/atomic.h>
#include <support/optional.h>
#include <support/span.h>
#include <support/spinlock.h>
#include <support/string_view.h>
#include <support/thread_safety.h>
#include <support/types.h>
#include <support/vector.h>

namespace fs {

inline constexpr usize kMaxNameSize = 255;       // bytes in one name
inline constexpr usize kMaxTarget = 4095;        // bytes in a symlink target
inline constexpr usize kMaxSymlinkHops = 40;     // per resolve()
inline constexpr usize kChunkSize = 4096;        // file data is stored in chunks of this size
inline constexpr u64 kMaxFileSize = 1ull << 40;  // offset + length limit
inline constexpr u64 kNodeCost = 256;            // quota bytes charged per node (its record)
inline constexpr usize kCopyStep = 64 * 1024;    // bytes a read or write copies per lock hold

// Quota bytes for one heap allocation of `bytes` (<support/allocation_cost.h>: what the kernel
// heap takes for it, which also covers a hosted malloc's chunk).
using support::allocation_cost;
// A slot of a file's chunk table (counted twice: the table doubles as it grows).
inline constexpr u64 kSlotCost = 2 * sizeof(u8*);

// Where file data comes from, kChunkSize bytes at a time. The kernel hands out whole pages: a
// chunk from its heap would take two (the heap's header does not fit beside 4 KiB in one page),
// twice what the quota charges. Called with or without the file system's lock held: it must not
// block or call into the file system.
class ChunkSource {
 public:
  virtual u8* alloc_chunk() = 0;  // kChunkSize bytes, or nullptr when out of memory
  virtual void free_chunk(u8* chunk) = 0;

 protected:
  ~ChunkSource() = default;
};

// Nanoseconds since some epoch; called with the lock held, so it must not block or re-enter.
using ClockFn = u64 (*)(void* context);

struct Stat {
  u64 inode;
  Kind kind;
  u64 nlink;
  u64 size;  // files: bytes; symlinks: target length; directories: entry count (without . ..)
  u64 atim, mtim, ctim;
};

// One readdir result. `next_cookie` continues the walk after this entry.
struct DirEntry {
  u64 inode;
  Kind kind;
  u64 next_cookie;
  u16 name_size;
  char name_bytes[kMaxNameSize];
  support::StringView name() const { return support::StringView(name_bytes, name_size); }
};

// A time to set: leave unchanged, set to the clock's now, or set to a value.
struct TimeUpdate {
  enum class Mode : u8 { Omit, Now, Set };
  Mode mode = Mode::Omit;
  u64 ns = 0;
  static TimeUpdate omit() { return {}; }
  static TimeUpdate now() { return {Mode::Now, 0}; }
  static TimeUpdate at(u64 ns) { return {Mode::Set, ns}; }
};

enum class CreateMode : u8 { Exclusive, OpenExisting };
enum class FollowLast : u8 { No, Yes };

class FileSystem {
 public:
  // Never fails: the root lives inside the object. `quota_bytes` bounds the charges above. File
  // data comes from `chunks`, or the heap when null.
  FileSystem(u64 quota_bytes, ClockFn clock, void* clock_context, ChunkSource* chunks = nullptr);
  // Every NodeRef must have been released. Tears the tree down without recursion.
  ~FileSystem();
  FileSystem(const FileSystem&) = delete;
  FileSystem& operator=(const FileSystem&) = delete;

  NodeRef root() { return NodeRef(&root_); }

  // --- Single names in a directory. `dir` must be a directory (else NotDir); names must be
  // non-empty, without '/', at most kMaxNameSize bytes (NameTooLong), and for the creating and
  // removing calls not "." or ".." (Invalid). Creating in a removed directory is NotFound.

  // "." is `dir`, ".." its parent (the root's is the root; a removed directory's is NotFound).
  Result<NodeRef> lookup(const NodeRef& dir, support::StringView name);
  // A new empty file. OpenExisting returns an existing file of that name (IsDir for a directory,
  // Exists for a symlink: the caller follows symlinks); Exclusive fails with Exists.
  Result<NodeRef> create_file(const NodeRef& dir, support::StringView name, CreateMode mode);
  Result<NodeRef> mkdir(const NodeRef& dir, support::StringView name);
  // `target` is stored as is (1..kMaxTarget bytes, else Invalid / NameTooLong).
  Result<NodeRef> symlink(const NodeRef& dir, support::StringView name, support::StringView target);
  // Removes a non-directory name (IsDir for a directory).
  Result<void> unlink(const NodeRef& dir, support::StringView name);
  // Removes an empty directory (NotDir, NotEmpty).
  Result<void> rmdir(const NodeRef& dir, support::StringView name);
  // POSIX rename: replaces a non-directory target with a non-directory (IsDir otherwise) and an
  // empty directory with a directory (NotDir, NotEmpty otherwise); a directory cannot move into
  // its own subtree (Invalid); renaming onto the same node succeeds and does nothing.
  Result<void> rename(const NodeRef& old_dir, support::StringView old_name, const NodeRef& new_dir,
                      support::StringView new_name);
  // A new name for `node` (a file or symlink; IsDir for a directory, NotFound if it has no
  // names left).
  Result<void> link(const NodeRef& node, const NodeRef& new_dir, support::StringView new_name);

  // The symlink's target copied into `out` (truncated to fit); returns the full target length.
  // Invalid if `node` is not a symlink.
  Result<usize> readlink(const NodeRef& node, support::Span<char> out);

  // Entry `cookie` of `dir`: 0 is ".", 1 is "..", then the entries in creation order; kNone at
  // the end. Continue with entry.next_cookie. While the directory changes, a walk never returns
  // an entry twice under the same name unless it was renamed, never misses an entry that exists
  // throughout, and always ends (cookies only grow). Entries added during the walk may or may
  // not appear. A renamed entry keeps its place within the same directory.
  Result<support::Optional<DirEntry>> readdir(const NodeRef& dir, u64 cookie);

  // --- Data. Files only: IsDir for a directory, Invalid for a symlink.

  // Copies up to out.size() bytes at `offset` in steps (see Locking); returns the count (0 at or
  // past the end; less than asked when the file ends, or shrinks between steps). Holes read as
  // zeros. Updates atim.
  Result<usize> read(const NodeRef& file, u64 offset, support::Span<u8> out);
  // Writes all of `data` at `offset`, growing the file (the gap reads as zeros); returns
  // data.size(). NoSpace, NoMemory or FileTooBig change nothing.
  Result<usize> write(const NodeRef& file, u64 offset, support::Bytes data);
  // Writes at the current end, taking the range atomically with finding the end (two appends
  // never overlap, however large); returns the offset written at. Fails as write() does.
  Result<u64> append(const NodeRef& file, support::Bytes data);
  // The parts one after another at the current end, as one write (nothing else lands between
  // them; O_APPEND's writev); fails as write does, changing nothing.
  Result<u64> append(const NodeRef& file, support::Span<const support::Bytes> parts);
  // Shrinks (freeing chunks) or grows (a hole, no storage) the file to `size`.
  Result<void> truncate(const NodeRef& file, u64 size);
  // The whole file in one allocation (NoMemory if it cannot be made).
  Result<support::Vector<u8>> read_all(const NodeRef& file);

  // --- Metadata.
  Stat stat(const NodeRef& node);
  // Sets atim and mtim as asked; ctim becomes now.
  void set_times(const NodeRef& node, TimeUpdate atim, TimeUpdate mtim);

  // --- Paths, for the kernel. An absolute path ("/bin/echo.wasm"; Invalid if relative) from the
  // root, following symlinks (relative targets from the symlink's directory) up to
  // kMaxSymlinkHops times (Loop). FollowLast::No returns a final symlink itself. A trailing "/"
  // requires a directory.
  Result<NodeRef> resolve(support::StringView path, FollowLast follow = FollowLast::Yes);

  // --- Quota.
  u64 used() const { return used_.load(); }
  u64 limit() const { return limit_; }
  // What a directory entry named with `name_size` bytes is charged: its record in the
  // directory's array (counted twice: the array doubles) and its name's own allocation.
  static u64 entry_cost(usize name_size);

  // Threads now waiting for the lock (tests of the steps of reads and writes).
  u32 waiters() { return state_.lock().waiters(); }
  // How long a transfer lets waiting threads in between its steps, in spins of cpu_relax. Tests
  // that need the waiter to get in whatever the host's scheduler does set it very high.
  void set_step_patience(u64 spins) { state_.lock().set_patience(spins); }

 private:
  friend class Node;
  struct State {
    u64 next_inode = 2;  // the root is 1
  };

  // The lock: a SpinLock that counts the threads waiting for it, so that a read or write can let
  // them in between its steps. The SpinLock is not fair, and the instant between two steps of one
  // thread is too short for a waiter (which backs off while it spins) to catch on its own.
  class CAPABILITY("step lock") StepLock {
   public:
    // Each also names the inner lock, so that the analysis checks these bodies too.
    void lock() ACQUIRE() ACQUIRE(lock_) {
      if (lock_.try_lock()) return;
      waiting_.fetch_add(1);
      lock_.lock();
      waiting_.fetch_sub(1);
    }
    void unlock() RELEASE() RELEASE(lock_) { lock_.unlock(); }
    u32 waiters() const { return waiting_.load(support::MemoryOrder::Relaxed); }
    // Called between two steps, without the lock: while threads wait for it, waits (a bounded
    // while) for them to take it first.
    void let_waiters_in() {
      u64 patience = patience_.load(support::MemoryOrder::Relaxed);
      for (u64 i = 0; i < patience && waiters() != 0; ++i) support::cpu_relax();
    }
    void set_patience(u64 spins) { patience_.store(spins, support::MemoryOrder::Relaxed); }

   private:
    support::Atomic<u64> patience_{1u << 14};
    support::SpinLock lock_;
    support::Atomic<u32> waiting_{0};
  };

  u64 now() { return clock_(clock_context_); }
  u8* alloc_chunk();
  void free_chunk(u8* chunk);
  // Atomic so that the last release, which may happen anywhere, needs no lock.
  Result<void> charge(u64 bytes);
  void uncharge(u64 bytes) { used_.fetch_sub(bytes); }

  // Helpers below run with the lock held.
  Result<Node*> new_node_locked(State& state, Kind kind);
  Result<void> add_entry_locked(Node& dir, support::StringView name, Node& child);
  NodeRef remove_entry_locked(Node& dir, usize index);
  Result<usize> find_locked(Node& dir, support::StringView name);
  // The entry unlink or rmdir removes: NotDir when `dir` is not a directory, Invalid or
  // NameTooLong for a name no entry can have ("." and ".." too), NotFound.
  Result<usize> find_removable_locked(Node& dir, support::StringView name);
  Result<Node*> lookup_locked(Node& dir, support::StringView name);
  enum class WriteAt : u8 { Offset, End };
  // write() and append(): takes the range, then copies in steps; returns the offset.
  Result<u64> write_in_steps(Node& file, WriteAt at, u64 offset,
                             support::Span<const support::Bytes> parts);
  void shrink_locked(Node& file, u64 size);
  void touch_dir_locked(Node& dir, u64 t);

  ClockFn clock_;
  void* clock_context_;
  ChunkSource* chunks_;
  u64 limit_;
  support::Atomic<u64> used_{0};
  support::Locked<State, StepLock> state_;
  Node root_;
};

}  // namespace fs
