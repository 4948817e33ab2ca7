// Volume::Impl: the mounted file system's state and the mechanisms the public calls use. Every
// member function runs with the volume's lock held (Volume takes it).
#pragma once

#include <ext2/block_cache.h>
#include <ext2/format.h>
#include <ext2/volume.h>

namespace jbd2 {
class Journal;
}

namespace ext2 {

using Entry = BlockCache::Entry;

struct Group {
  u64 block_bitmap = 0, inode_bitmap = 0, inode_table = 0;
  u32 free_blocks = 0, free_inodes = 0, used_dirs = 0;
};

// An inode's fields that Warden uses, parsed; store() writes them back into the inode table
// block, leaving every other byte as it was.
struct Inode {
  Ino ino = 0;
  u16 mode = 0;
  u16 links = 0;
  u64 size = 0;
  u32 atime = 0, ctime = 0, mtime = 0, dtime = 0;
  u32 atime_x = 0, ctime_x = 0, mtime_x = 0;  // nanoseconds << 2 | epoch (large inodes)
  u32 flags = 0;
  u8 iblock[format::kBlockSlots * 4] = {};  // i_block: block numbers, extents or a target
  u64 blocks512 = 0;                        // i_blocks, in 512-byte units
  u64 file_acl = 0;
  u16 extra_isize = 0;
  u16 type() const { return mode & format::kTypeMask; }
  bool is_dir() const { return type() == format::kTypeDir; }
  bool is_file() const { return type() == format::kTypeFile; }
  bool is_symlink() const { return type() == format::kTypeSymlink; }
  bool uses_extents() const { return (flags & format::kFlagExtents) != 0; }
  u32 slot(u32 i) const { return format::le32(iblock + 4 * i); }
  void set_slot(u32 i, u32 block) { format::put32(iblock + 4 * i, block); }
};

// A directory record found by name.
struct Found {
  u64 index = 0;   // the directory block (logical)
  u32 pos = 0;     // the record's offset in it
  u32 prev = ~0u;  // the previous record's offset in the block, ~0u for the first
  Ino ino = 0;
  u8 type = 0;
};

// One record as the walk over a directory gives it.
struct Record {
  u64 index;  // logical block
  Entry* entry;
  u32 pos, prev, rec_len;
  Ino ino;
  u8 type;
  support::StringView name;
};

struct Volume::Impl {
  Impl(fs::BlockDevice& device, const Options& options, u32 block_size)
      : device(device), options(options), cache(device, block_size, options.cache_bytes) {}
  ~Impl();

  // --- Mount and commit (volume.cc).
  fs::Result<void> mount(support::FormatSink* why);
  fs::Result<void> read_super(support::FormatSink* why);
  fs::Result<void> check_features(support::FormatSink* why);
  fs::Result<void> read_groups(support::FormatSink* why);
  fs::Result<void> open_journal(support::FormatSink* why);
  fs::Result<void> start_writing();
  fs::Result<void> write_super();
  fs::Result<void> write_group(u32 group);
  fs::Result<void> commit();
  fs::Result<void> end_operation();  // trims the cache, committing when it is full of metadata
  fs::Result<void> process_orphans();
  fs::Result<void> finish_unmount();
  u64 now_ns() const;

  // --- The journal (journal.cc).
  fs::Result<void> journal_blocks(support::Vector<u64>& out, support::FormatSink* why);
  fs::Result<void> commit_metadata();         // the dirty metadata through the journal, then home
  fs::Result<void> commit_metadata_direct();  // home, flushed
  usize max_transaction() const;  // dirty metadata blocks that make end_operation commit
  // Sets or clears needs_recovery (RECOVER) in the superblock copy, when there is a journal.
  fs::Result<void> mark_journal_in_use(bool in_use);

  // --- Allocation (alloc.cc).
  fs::Result<u64> alloc_block(u64 goal);
  fs::Result<void> free_block(u64 block);
  fs::Result<Ino> alloc_inode(Ino parent, bool dir);
  fs::Result<void> free_inode_number(Ino ino, bool dir);
  bool block_valid(u64 block) const { return block >= first_data_block && block < blocks_count; }
  u32 blocks_in_group(u32 group) const;

  // --- Inodes and their blocks (inode.cc).
  fs::Result<Inode> load(Ino ino);
  fs::Result<void> store(Inode& inode);
  void stamp(Inode& inode, bool a, bool m, bool c);
  fs::Result<u64> map(const Inode& inode, u64 index);  // 0: a hole
  fs::Result<u64> map_extent(const Inode& inode, u64 index);
  fs::Result<u64> map_create(Inode& inode, u64 index, bool& created);
  bool fast_symlink(const Inode& inode) const;
  fs::Result<u64> new_block_in(Inode& inode, u64 goal);  // allocated, counted in i_blocks
  fs::Result<u64> blocks_to_add(const Inode& inode, u64 offset, u64 size);
  fs::Result<void> shrink(Inode& inode, u64 size);
  fs::Result<bool> free_tree(Inode& inode, u64 block, u32 depth, u64 first, u64 base);
  fs::Result<void> free_in(Inode& inode, u64 block);  // freed, uncounted from i_blocks
  fs::Result<void> destroy(Inode& inode);
  fs::Result<void> release_xattr(Inode& inode);
  fs::Result<usize> read_data(Inode& inode, u64 offset, support::Span<u8> out);
  fs::Result<void> write_data(Inode& inode, u64 offset, support::Bytes data);
  u64 max_file_size() const;
  fs::Result<void> drop_link(Inode& inode);  // one name fewer: frees or orphans at zero
  fs::Result<void> orphan_add(Inode& inode);
  fs::Result<void> orphan_remove(Inode& inode);
  bool is_open(Ino ino) const;

  // --- Directories (dir.cc).
  template <typename Fn> fs::Result<bool> walk(const Inode& dir, u64 from, Fn&& fn);
  fs::Result<Record> parse(Entry* entry, u64 index, u32 pos, u32 prev);
  fs::Result<support::Optional<Found>> find(const Inode& dir, support::StringView name);
  fs::Result<void> add_entry(Inode& dir, support::StringView name, Ino ino, u8 type);
  fs::Result<void> remove_entry(Inode& dir, const Found& found);
  fs::Result<void> set_entry(Inode& dir, const Found& found, Ino ino, u8 type);
  fs::Result<bool> is_empty(const Inode& dir);
  fs::Result<void> set_dotdot(Inode& dir, Ino parent);
  fs::Result<void> init_dir(Inode& dir, Ino parent);
  fs::Result<support::Optional<fs::DirEntry>> read_dir(const Inode& dir, u64 cookie);
  u8 file_type(u16 mode) const;
  void put_record(u8* p, Ino ino, u32 rec_len, support::StringView name, u8 type);
  u32 rec_len_at(const u8* p) const;
  void set_rec_len(u8* p, u32 rec_len) const;
  fs::Result<void> clear_inode(Ino ino);

  // --- Operations (ops.cc): the public calls, with the lock held.
  fs::Result<Inode> load_dir(Ino dir);
  fs::Result<Ino> lookup(Ino dir, support::StringView name);
  fs::Result<Ino> create(Ino dir, support::StringView name, u16 mode, support::StringView target,
                         fs::CreateMode create_mode);
  fs::Result<void> remove(Ino dir, support::StringView name, bool directory);
  fs::Result<void> rename(Ino old_dir, support::StringView old_name, Ino new_dir,
                          support::StringView new_name);
  fs::Result<void> check_rename_target(const Inode& src, const Found& dst);
  fs::Result<void> check_not_ancestor(Ino moved, Ino new_dir);
  fs::Result<void> link(Ino node, Ino new_dir, support::StringView new_name);
  fs::Result<usize> readlink(Ino node, support::Span<char> out);
  fs::Result<u64> write(Ino file, bool at_end, u64 offset,
                        support::Span<const support::Bytes> parts);
  fs::Result<void> truncate(Ino file, u64 size);
  fs::Result<fs::Stat> stat(Ino node);
  fs::Result<void> set_times(Ino node, fs::TimeUpdate atim, fs::TimeUpdate mtim);
  fs::Result<void> release(Ino node);
  fs::Result<void> writable() const {
    return read_only ? fs::Result<void>(fs::Error::ReadOnly) : fs::Result<void>();
  }

  fs::BlockDevice& device;
  Options options;
  BlockCache cache;
  jbd2::Journal* journal = nullptr;
  bool read_only = false;
  bool unmounted = false;
  bool journal_replayed = false;

  u8 super[format::kSuperSize] = {};
  u32 block_size = 0;
  u64 blocks_count = 0;
  u64 free_blocks = 0;
  u32 free_inodes = 0;
  u32 first_data_block = 0;
  u32 blocks_per_group = 0;
  u32 inodes_per_group = 0;
  u32 inodes_count = 0;
  u32 inode_size = 0;
  u32 first_ino = 0;
  u32 desc_size = 0;
  u32 group_count = 0;
  u32 incompat = 0, ro_compat = 0, compat = 0;
  u64 gdt_block = 0;
  support::Vector<Group> groups;

  struct Open {
    Ino ino;
    u32 count;
  };
  support::Vector<Open> open;
  u64 last_commit_ns = 0;
  u64 alloc_goal = 0;  // where the last block went, for the next
};

// A time field with its extra (nanoseconds and epoch) field, as nanoseconds since 1970.
u64 inode_time(const Inode& inode, u32 lo, u32 extra);
void encode_time(u64 ns, u32& lo, u32& extra);

// Appends `text` to `why` (when not null).
void say(support::FormatSink* why, support::StringView text);

}  // namespace ext2
