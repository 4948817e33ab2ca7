// BlockCache: the file system blocks of one volume in memory, write-back, evicted least recently
// used first under a byte budget. Dirty blocks are tracked as metadata (journaled at a commit)
// or data (written home before the commit that references them: ordered mode).
//
// Not thread-safe: the Volume's lock guards it. A pointer returned by get() or fresh() stays
// valid until the next trim() or forget() of that block (so an operation may hold a few while it
// works, and trim() runs only between operations or between the steps of a long write).
#pragma once

#include <fs/block_device.h>
#include <fs/error.h>
#include <support/span.h>
#include <support/types.h>
#include <support/vector.h>

namespace ext2 {

enum class Dirt : u8 { Clean, Data, Meta };

class BlockCache {
 public:
  struct Entry {
    u64 block = 0;
    u8* data = nullptr;
    Dirt dirt = Dirt::Clean;
    Entry* hash_next = nullptr;
    Entry* lru_prev = nullptr;  // toward the most recently used
    Entry* lru_next = nullptr;
  };

  BlockCache(fs::BlockDevice& device, u32 block_size, u64 budget_bytes);
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  u32 block_size() const { return block_size_; }
  // The block's bytes, read from the device when not cached (Io, NoMemory).
  fs::Result<Entry*> get(u64 block);
  // The block's entry without reading it: its bytes are zeros unless it was cached (for a block
  // about to be overwritten whole, or newly allocated).
  fs::Result<Entry*> fresh(u64 block);
  // Marks the entry dirty; metadata stays metadata until written.
  void dirty(Entry* entry, Dirt dirt);
  // Drops the block (a freed block: its dirty bytes are never written).
  void forget(u64 block);

  // Writes every dirty block of kind `dirt` home (several requests at once); they become clean.
  fs::Result<void> write_back(Dirt dirt);
  // The dirty metadata blocks (for the journal), in no particular order.
  fs::Result<void> collect(Dirt dirt, support::Vector<Entry*>& out);
  usize count(Dirt dirt) const { return dirty_count_[static_cast<u8>(dirt)]; }
  // Evicts clean blocks, least recently used first, while over budget; writes dirty data home
  // when that is not enough and `may_write_data`. Returns true when still over budget (only
  // dirty metadata is left: the caller should commit).
  fs::Result<bool> trim(bool may_write_meta);
  // Drops every clean entry (tests; and after a journal replay wrote blocks behind its back).
  void drop_clean();

 private:
  Entry* find(u64 block);
  fs::Result<Entry*> insert(u64 block);
  void unlink_lru(Entry* e);
  void push_front(Entry* e);
  void remove(Entry* e);
  fs::Result<void> write_entries(support::Span<Entry*> entries);

  fs::BlockDevice& device_;
  u32 block_size_;
  u64 budget_;
  u64 used_ = 0;
  support::Vector<Entry*> buckets_;
  Entry* lru_head_ = nullptr;  // most recently used
  Entry* lru_tail_ = nullptr;
  usize dirty_count_[3] = {0, 0, 0};
};

}  // namespace ext2
