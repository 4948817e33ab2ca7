// Per-CPU recycling of blocks (block_cache.h): size classes, magazines, a shared depot.
#include <async/block_cache.h>
#include <support/atomic.h>
#include <support/new.h>

#if WARDEN_BLOCK_CACHE_POISONS
extern "C" void __asan_poison_memory_region(void const volatile* addr, usize size);
extern "C" void __asan_unpoison_memory_region(void const volatile* addr, usize size);
#endif

namespace async {

namespace {

using Link = detail::CachedBlock;
static_assert(sizeof(Link) <= BlockCache::kClassBytes);

// Under AddressSanitizer a cached block is poisoned but for its links, so that a use after free
// is still reported while the block waits in a cache.
void poison(void* block, usize capacity) {
#if WARDEN_BLOCK_CACHE_POISONS
  __asan_poison_memory_region(static_cast<u8*>(block) + sizeof(Link), capacity - sizeof(Link));
#else
  (void)block;
  (void)capacity;
#endif
}
void unpoison(void* block, usize capacity) {
#if WARDEN_BLOCK_CACHE_POISONS
  __asan_unpoison_memory_region(block, capacity);
#else
  (void)block;
  (void)capacity;
#endif
}

usize capacity_of(usize size) {
  if (!BlockCache::cacheable(size)) return size;
  return (size + BlockCache::kClassBytes - 1) / BlockCache::kClassBytes * BlockCache::kClassBytes;
}

// How much of the block region (BlockCache::set_region) is handed out: chunks of it go by one
// fetch_add each.
support::Atomic<usize> g_region_used{0};

// What is left of the chunks of CPUs that stopped caching (a thread that ended), for the next
// CPU that needs a chunk, so that short-lived threads do not use the region up.
struct ChunkRest {
  u8* next;
  u8* end;
};
constexpr usize kChunkRests = 64;
support::SpinLock g_rests_lock;
ChunkRest g_rests[kChunkRests] GUARDED_BY(g_rests_lock);
usize g_rest_count GUARDED_BY(g_rests_lock) = 0;

// Magazines shared by every CPU, per class: full ones, and without a region nothing else; with a
// region also the partial ones of CPUs that flushed (each magazine's first block counts its
// blocks).
struct DepotClass {
  support::SpinLock lock;
  Link* magazines GUARDED_BY(lock) = nullptr;
  u32 count GUARDED_BY(lock) = 0;
};
DepotClass g_depot[BlockCache::kClasses];

void free_magazine(Link* block, usize capacity) {
  while (block != nullptr) {
    Link* next = block->next;
    unpoison(block, capacity);
    ::operator delete(block);
    block = next;
  }
}

// A magazine from the depot (its block count in `count`), or nullptr.
Link* depot_take(usize index, u32& count) {
  DepotClass& depot = g_depot[index];
  support::LockGuard guard(depot.lock);
  Link* magazine = depot.magazines;
  if (magazine != nullptr) {
    depot.magazines = magazine->next_magazine;
    --depot.count;
    count = static_cast<u32>(magazine->count);
  }
  return magazine;
}

// Keeps a magazine of `count` blocks in the depot, or frees its blocks when the depot has enough.
// With a region every cached block is the region's: the depot keeps them all.
void depot_put(usize index, Link* magazine, u32 count) {
  if (magazine == nullptr) return;
  DepotClass& depot = g_depot[index];
  {
    support::LockGuard guard(depot.lock);
    usize magazine_bytes = usize{BlockCache::kMagazine} * (index + 1) * BlockCache::kClassBytes;
    if (BlockCache::region_active() || depot.count < BlockCache::kDepotBytes / magazine_bytes) {
      magazine->count = count;
      magazine->next_magazine = depot.magazines;
      depot.magazines = magazine;
      ++depot.count;
      return;
    }
  }
  free_magazine(magazine, (index + 1) * BlockCache::kClassBytes);
}

}  // namespace

#if __STDC_HOSTED__
thread_local constinit BlockCache* detail::t_thread_cache = nullptr;
#endif

void set_block_cache_locator(BlockCacheLocator locator) {
  detail::g_block_cache_locator.store(locator, support::MemoryOrder::Release);
}

void BlockCache::set_region(void* base, usize size) {
  region_base_.store(reinterpret_cast<uptr>(base), support::MemoryOrder::Relaxed);
  region_size_.store(size, support::MemoryOrder::Release);
}

void* BlockCache::carve(usize capacity) {
  if (static_cast<usize>(chunk_end_ - chunk_next_) < capacity) {
    if (!region_active()) return nullptr;
    // The rest of the old chunk (less than a block) is left unused.
    chunk_next_ = chunk_end_ = nullptr;
    {
      support::LockGuard guard(g_rests_lock);
      if (g_rest_count != 0) {
        ChunkRest& rest = g_rests[--g_rest_count];
        chunk_next_ = rest.next;
        chunk_end_ = rest.end;
      }
    }
    if (chunk_next_ == nullptr) {
      usize size = region_size_.load(support::MemoryOrder::Acquire);
      if (g_region_used.load(support::MemoryOrder::Relaxed) >= size) return nullptr;
      usize offset = g_region_used.fetch_add(kChunkBytes, support::MemoryOrder::Relaxed);
      if (offset + kChunkBytes > size) return nullptr;  // used up
      chunk_next_ =
          reinterpret_cast<u8*>(region_base_.load(support::MemoryOrder::Relaxed)) + offset;
      chunk_end_ = chunk_next_ + kChunkBytes;
    }
    if (static_cast<usize>(chunk_end_ - chunk_next_) < capacity) return nullptr;
  }
  void* block = chunk_next_;
  chunk_next_ += capacity;
  return block;
}

void* BlockCache::allocate_slow(usize size) {
  if (!cacheable(size)) return allocate_uncached(size);
  usize index = class_of(size);
  Class& c = classes_[index];
  if (c.blocks == nullptr) {
    if (c.full != nullptr) {
      c.blocks = c.full;
      c.full = nullptr;
      c.count = kMagazine;
    } else {
      c.blocks = depot_take(index, c.count);
    }
  }
  Link* block = c.blocks;
  if (block == nullptr) {
    usize capacity = capacity_of(size);
    if (void* carved = carve(capacity)) return carved;
    return allocate_uncached(size);
  }
  c.blocks = block->next;
  --c.count;
  unpoison(block, capacity_of(size));
  return block;
}

void BlockCache::deallocate_slow(void* block, usize size) {
  // With a region only its blocks are cached: the others (it was used up) go back at once.
  if (!cacheable(size) || (region_active() && !in_region(block))) {
    deallocate_uncached(block, size);
    return;
  }
  usize index = class_of(size);
  Class& c = classes_[index];
  if (c.count == kMagazine) {  // keep this magazine back; the one kept before goes to the depot
    if (c.full != nullptr) depot_put(index, c.full, kMagazine);
    c.full = c.blocks;
    c.blocks = nullptr;
    c.count = 0;
  }
  auto* link = static_cast<Link*>(block);
  link->next = c.blocks;
  c.blocks = link;
  ++c.count;
  poison(block, capacity_of(size));
}

void BlockCache::flush() {
  for (usize index = 0; index < kClasses; ++index) {
    Class& c = classes_[index];
    usize capacity = (index + 1) * kClassBytes;
    depot_put(index, c.full, kMagazine);
    if (c.count == kMagazine || (region_active() && c.count != 0)) {
      depot_put(index, c.blocks, c.count);
    } else {
      free_magazine(c.blocks, capacity);
    }
    c = Class{};
  }
  if (chunk_end_ - chunk_next_ >= static_cast<isize>(kClassBytes)) {
    support::LockGuard guard(g_rests_lock);
    if (g_rest_count < kChunkRests) g_rests[g_rest_count++] = ChunkRest{chunk_next_, chunk_end_};
  }
  chunk_next_ = chunk_end_ = nullptr;
}

void* BlockCache::allocate_uncached(usize size) {
  usize capacity = capacity_of(size);
  void* block = ::operator new(capacity, std::nothrow);
  if (block != nullptr) return block;
  // Under pressure: give back what the caches hold, then try once more.
  if (BlockCache* cache = current_block_cache()) cache->flush();
  trim_depot();
  return ::operator new(capacity, std::nothrow);
}

// A region block never goes to malloc's free. Freed without a cache (after the thread's cache was
// destroyed: a static object's task at exit), it stays unused: the region is not returned anyway.
void BlockCache::deallocate_uncached(void* block, usize) {
  if (region_active() && in_region(block)) return;
  ::operator delete(block);
}

void BlockCache::trim_depot() {
  if (region_active()) return;  // every cached block is the region's, which is not returned
  for (usize index = 0; index < kClasses; ++index) {
    Link* magazines;
    {
      DepotClass& depot = g_depot[index];
      support::LockGuard guard(depot.lock);
      magazines = depot.magazines;
      depot.magazines = nullptr;
      depot.count = 0;
    }
    while (magazines != nullptr) {
      Link* next = magazines->next_magazine;
      free_magazine(magazines, (index + 1) * kClassBytes);
      magazines = next;
    }
  }
}

}  // namespace async
