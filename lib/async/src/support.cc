// Frame allocation, the default allocator and error names.
#include <async/block_cache.h>
#include <async/error.h>
#include <async/platform.h>
#include <async/task.h>
#include <support/new.h>
#include <support/utility.h>

namespace async {

namespace {

// The general-purpose allocator behind the calling CPU's BlockCache, when the platform installed
// one (block_cache.h). A block of a cacheable size is always sized as its class (also when it
// bypasses the cache), so that any cache may take it back.
class DefaultAllocator final : public Allocator {
 public:
  void* allocate(usize size) override {
    if (BlockCache* cache = current_block_cache()) return cache->allocate(size);
    return BlockCache::allocate_uncached(size);
  }
  void deallocate(void* block, usize size) override {
    if (BlockCache* cache = current_block_cache()) {
      cache->deallocate(block, size);
    } else {
      BlockCache::deallocate_uncached(block, size);
    }
  }
};

DefaultAllocator g_default_allocator_object;

}  // namespace

Allocator* const detail::g_default_allocator = &g_default_allocator_object;

const char* error_name(Error error) {
  switch (error) {
    case Error::NoMemory: return "no memory";
    case Error::Closed: return "closed";
    case Error::Cancelled: return "cancelled";
    case Error::TimedOut: return "timed out";
  }
  return "unknown";
}

namespace detail {

// The default allocator is called directly (its type is final): no virtual call, and its cache's
// common case inlines (block_cache.h).
void* allocate_block(Allocator& allocator, usize size) {
  if (&allocator == &g_default_allocator_object) return g_default_allocator_object.allocate(size);
  return allocator.allocate(size);
}

void deallocate_block(Allocator& allocator, void* block, usize size) {
  if (&allocator == &g_default_allocator_object) {
    g_default_allocator_object.deallocate(block, size);
  } else {
    allocator.deallocate(block, size);
  }
}

void* allocate_frame(Allocator& allocator, usize size) {
  return allocate_frame(allocator, size, 0);
}

void* allocate_frame(Allocator& allocator, usize size, usize record_reserve) {
  usize reserve = support::align_up(record_reserve, 16);
  usize block_size = reserve + kFramePrefix + size;
  if (reserve > 0xFFFF || block_size > 0xFFFFFFFFu) return nullptr;
  void* block = allocate_block(allocator, block_size);
  if (block == nullptr) return nullptr;
  void* frame = static_cast<u8*>(block) + reserve + kFramePrefix;
  FramePrefix& prefix = prefix_of(frame);
  prefix.allocator = &allocator;
  prefix.block_size = static_cast<u32>(block_size);
  prefix.reserve = static_cast<u16>(reserve);
  prefix.record_inside = 0;
  prefix.tag = kFrameTag;
  return frame;
}

void deallocate_frame(void* frame, usize) {
  FramePrefix& prefix = prefix_of(frame);
  if (prefix.record_inside != 0) return;  // the record, still alive, frees the block
  deallocate_block(*prefix.allocator, static_cast<u8*>(frame) - kFramePrefix - prefix.reserve,
                   prefix.block_size);
}

}  // namespace detail

}  // namespace async
