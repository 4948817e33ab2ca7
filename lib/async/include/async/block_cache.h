// BlockCache: recycling of task records and coroutine frames, per CPU (per thread on the host).
//
// Spawning a task costs one block (its root frame, with the record in front of it: task.h) and
// finishing it frees that block. The default allocator (default_allocator()) keeps freed blocks
// of up to kMaxBlock bytes in the calling CPU's BlockCache, in size classes of kClassBytes, and
// hands them out again: no lock, no atomic operation and no call into the general-purpose
// allocator on that path. Blocks move between CPUs (a task spawned from outside the executor
// and finished on a worker) through a shared depot, a whole magazine (kMagazine blocks) at a
// time under the depot's lock, so the lock is taken once per kMagazine blocks.
//
// Memory is returned: a CPU keeps at most two magazines per class, the depot at most kDepotBytes
// per class (the rest goes back to the general-purpose allocator at once), and
// when the general-purpose allocator fails, the calling CPU's cache and the depot are emptied
// into it and the allocation is retried (trim()).
//
// A block region (set_region, the host's: huge pages): when the platform gives one, blocks are
// carved from it instead of asked of the general-purpose allocator one by one, kChunkBytes at a
// time per CPU (a bump pointer), and a block of the region, once freed, stays cached (the depot
// keeps every magazine): the region's size is the bound on what the caches keep. A burst of tasks
// then faults in huge pages, not one small page per few blocks, and the next burst reuses them.
// When the region is used up, blocks come from the general-purpose allocator again and go back
// to it when freed (no cache).
//
// Which cache the calling CPU uses is decided by a locator the platform installs
// (set_block_cache_locator): the host's returns a thread-local cache (async/host_platform.h).
// Without a locator (the kernel today: its interrupt handlers may free blocks on a CPU that is
// in the middle of a cache operation) every block goes to the general-purpose allocator.
#pragma once

#include <support/atomic.h>
#include <support/spinlock.h>
#include <support/types.h>

// Under AddressSanitizer a cached block is poisoned but for its links (block_cache.cc): every
// allocation and free then goes through the out-of-line paths that do it.
#if defined(__SANITIZE_ADDRESS__)
#define WARDEN_BLOCK_CACHE_POISONS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WARDEN_BLOCK_CACHE_POISONS 1
#endif
#endif
#ifndef WARDEN_BLOCK_CACHE_POISONS
#define WARDEN_BLOCK_CACHE_POISONS 0
#endif

namespace async {

namespace detail {
// A block while it is cached: linked into a magazine; a magazine's first block links the next
// magazine in the depot.
struct CachedBlock {
  CachedBlock* next;
  CachedBlock* next_magazine;
  usize count;  // a depot magazine's first block: how many blocks the magazine holds
};
}  // namespace detail

class BlockCache {
 public:
  static constexpr usize kClassBytes = 64;
  static constexpr usize kClasses = 16;
  static constexpr usize kMaxBlock = kClassBytes * kClasses;  // larger blocks are not cached
  static constexpr u32 kMagazine = 64;                        // blocks moved to/from the depot
  static constexpr usize kDepotBytes = usize{4} << 20;        // per class (without a region)
  static constexpr usize kChunkBytes = usize{2} << 20;        // carved from the region at once

  BlockCache() = default;
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  // Gives every cached block back (to the depot, or the general-purpose allocator).
  ~BlockCache() { flush(); }

  // A block of at least `size` bytes (16-byte aligned), or nullptr when memory is exhausted.
  // Only the owning CPU calls allocate() and deallocate() on a cache. The common case (a block
  // of the class in the magazine in use) is inline; the rest is allocate_slow.
  void* allocate(usize size) {
#if !WARDEN_BLOCK_CACHE_POISONS
    if (cacheable(size)) {
      Class& c = classes_[class_of(size)];
      if (detail::CachedBlock* block = c.blocks) {
        c.blocks = block->next;
        --c.count;
        return block;
      }
    }
#endif
    return allocate_slow(size);
  }
  // `block` came from allocate(size) of any cache, or from BlockCache::allocate_uncached(size).
  // Inline while the magazine in use has room; the rest is deallocate_slow.
  void deallocate(void* block, usize size) {
#if !WARDEN_BLOCK_CACHE_POISONS
    if (cacheable(size) && (!region_active() || in_region(block))) {
      Class& c = classes_[class_of(size)];
      if (c.count != kMagazine) {
        auto* link = static_cast<detail::CachedBlock*>(block);
        link->next = c.blocks;
        c.blocks = link;
        ++c.count;
        return;
      }
    }
#endif
    deallocate_slow(block, size);
  }
  // Gives every block of this cache to the depot (or back to the allocator when it is full).
  void flush();

  // Blocks from / to the general-purpose allocator, sized as a cached block of `size` would be.
  static void* allocate_uncached(usize size);
  static void deallocate_uncached(void* block, usize size);
  // Empties the depot into the general-purpose allocator.
  static void trim_depot();

  static bool cacheable(usize size) { return size != 0 && size <= kMaxBlock; }

  // The block region: `size` bytes at `base` (kChunkBytes-aligned, a multiple of kChunkBytes),
  // from which every CPU's cache carves its blocks. Set once, before any block is allocated.
  static void set_region(void* base, usize size);
  static bool in_region(const void* block) {
    uptr base = region_base_.load(support::MemoryOrder::Relaxed);
    return reinterpret_cast<uptr>(block) - base < region_size_.load(support::MemoryOrder::Relaxed);
  }
  static bool region_active() { return region_size_.load(support::MemoryOrder::Relaxed) != 0; }

 private:
  struct Class {
    detail::CachedBlock* blocks = nullptr;  // the magazine in use (`count` blocks)
    u32 count = 0;
    detail::CachedBlock* full = nullptr;  // a full magazine kept back before going to the depot
  };
  static usize class_of(usize size) { return (size - 1) / kClassBytes; }
  void* allocate_slow(usize size);
  void deallocate_slow(void* block, usize size);
  // A block of `capacity` bytes from this CPU's chunk of the region, or nullptr.
  void* carve(usize capacity);

  Class classes_[kClasses];
  u8* chunk_next_ = nullptr;  // the rest of this CPU's chunk of the region
  u8* chunk_end_ = nullptr;

  // The block region (set_region): set once before any block is allocated.
  static inline support::Atomic<uptr> region_base_{0};
  static inline support::Atomic<usize> region_size_{0};
};

// The calling CPU's cache, or nullptr (the locator's answer). default_allocator() asks it.
using BlockCacheLocator = BlockCache* (*)();
void set_block_cache_locator(BlockCacheLocator locator);

namespace detail {
inline support::Atomic<BlockCacheLocator> g_block_cache_locator{nullptr};
#if __STDC_HOSTED__
// Hosted builds (threads): the calling thread's cache once its locator has named it, so that the
// common case is one thread-local load, not a call through the locator. The locator sets it
// (the host's: async/host_platform.h) and clears it when the thread's cache is destroyed.
extern thread_local constinit BlockCache* t_thread_cache;  // block_cache.cc
#endif
}  // namespace detail

inline BlockCache* current_block_cache() {
#if __STDC_HOSTED__
  if (BlockCache* cache = detail::t_thread_cache) return cache;
#endif
  // Acquire pairs with set_block_cache_locator's release (installed once, before the threads
  // that use it).
  BlockCacheLocator locator = detail::g_block_cache_locator.load(support::MemoryOrder::Acquire);
  return locator != nullptr ? locator() : nullptr;
}

// What the default allocator (default_allocator()) does: the calling CPU's cache, or the
// general-purpose allocator when there is none. Inline, for the frame and record paths of a spawn
// (task.h), which call it without a virtual call.
inline void* default_allocate(usize size) {
  if (BlockCache* cache = current_block_cache()) return cache->allocate(size);
  return BlockCache::allocate_uncached(size);
}
inline void default_deallocate(void* block, usize size) {
  if (BlockCache* cache = current_block_cache()) {
    cache->deallocate(block, size);
  } else {
    BlockCache::deallocate_uncached(block, size);
  }
}

}  // namespace async
