// Per-CPU recycling of blocks (block_cache.h): size classes, magazines, a shared depot.
#include <async/block_cache.h>
#include <support/atomic.h>
#include <support/new.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WARDEN_ASAN 1
#endif
#endif

#if WARDEN_ASAN
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
#if WARDEN_ASAN
  __asan_poison_memory_region(static_cast<u8*>(block) + sizeof(Link), capacity - sizeof(Link));
#else
  (void)block;
  (void)capacity;
#endif
}
void unpoison(void* block, usize capacity) {
#if WARDEN_ASAN
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

// Full magazines shared by every CPU, per class.
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

Link* depot_take(usize index) {
  DepotClass& depot = g_depot[index];
  support::LockGuard guard(depot.lock);
  Link* magazine = depot.magazines;
  if (magazine != nullptr) {
    depot.magazines = magazine->next_magazine;
    --depot.count;
  }
  return magazine;
}

// Keeps a full magazine in the depot, or frees its blocks when the depot has enough.
void depot_put(usize index, Link* magazine) {
  DepotClass& depot = g_depot[index];
  {
    support::LockGuard guard(depot.lock);
    usize magazine_bytes = usize{BlockCache::kMagazine} * (index + 1) * BlockCache::kClassBytes;
    if (depot.count < BlockCache::kDepotBytes / magazine_bytes) {
      magazine->next_magazine = depot.magazines;
      depot.magazines = magazine;
      ++depot.count;
      return;
    }
  }
  free_magazine(magazine, (index + 1) * BlockCache::kClassBytes);
}

support::Atomic<BlockCacheLocator> g_locator{nullptr};

}  // namespace

void set_block_cache_locator(BlockCacheLocator locator) {
  g_locator.store(locator, support::MemoryOrder::Release);
}

BlockCache* current_block_cache() {
  // Acquire pairs with the release above (installed once, before the threads that use it).
  BlockCacheLocator locator = g_locator.load(support::MemoryOrder::Acquire);
  return locator != nullptr ? locator() : nullptr;
}

void* BlockCache::allocate(usize size) {
  if (!cacheable(size)) return allocate_uncached(size);
  usize index = class_of(size);
  Class& c = classes_[index];
  if (c.blocks == nullptr) {
    if (c.full != nullptr) {
      c.blocks = c.full;
      c.full = nullptr;
    } else {
      c.blocks = depot_take(index);
    }
    if (c.blocks != nullptr) c.count = kMagazine;
  }
  Link* block = c.blocks;
  if (block == nullptr) return allocate_uncached(size);
  c.blocks = block->next;
  --c.count;
  unpoison(block, capacity_of(size));
  return block;
}

void BlockCache::deallocate(void* block, usize size) {
  if (!cacheable(size)) {
    deallocate_uncached(block, size);
    return;
  }
  usize index = class_of(size);
  Class& c = classes_[index];
  if (c.count == kMagazine) {  // keep this magazine back; the one kept before goes to the depot
    if (c.full != nullptr) depot_put(index, c.full);
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
    if (c.full != nullptr) depot_put(index, c.full);
    if (c.count == kMagazine) {
      depot_put(index, c.blocks);
    } else {
      free_magazine(c.blocks, capacity);
    }
    c = Class{};
  }
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

void BlockCache::deallocate_uncached(void* block, usize) { ::operator delete(block); }

void BlockCache::trim_depot() {
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
