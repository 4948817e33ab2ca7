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

DefaultAllocator g_default_allocator;

// A coroutine frame is preceded by this prefix (16 bytes keep the frame 16-byte aligned) and, in
// front of it, `reserve` bytes where try_spawn can build the task's record (claim_record_area):
//   block: [record area: reserve bytes][FramePrefix][frame: size bytes]
// With the record inside, deleting the frame leaves the block allocated, and the record frees
// the whole block when its last reference goes (SpawnedTask::free_record).
struct FramePrefix {
  Allocator* allocator;  // where the block came from
  u32 block_size;        // reserve + prefix + frame
  u16 reserve;
  u8 record_inside;  // set by claim_record_area before the task is published; read after
  u8 tag;            // kFrameTag: a frame of ours
};
constexpr usize kFramePrefix = sizeof(FramePrefix);
static_assert(kFramePrefix % 16 == 0);
constexpr u8 kFrameTag = 0xA5;

FramePrefix& prefix_of(void* frame) {
  return *reinterpret_cast<FramePrefix*>(static_cast<u8*>(frame) - kFramePrefix);
}

}  // namespace

Allocator& default_allocator() { return g_default_allocator; }

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

void* allocate_frame(Allocator& allocator, usize size) {
  return allocate_frame(allocator, size, 0);
}

void* allocate_frame(Allocator& allocator, usize size, usize record_reserve) {
  usize reserve = support::align_up(record_reserve, 16);
  usize block_size = reserve + kFramePrefix + size;
  if (reserve > 0xFFFF || block_size > 0xFFFFFFFFu) return nullptr;
  void* block = allocator.allocate(block_size);
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
  prefix.allocator->deallocate(static_cast<u8*>(frame) - kFramePrefix - prefix.reserve,
                               prefix.block_size);
}

void* claim_record_area(void* frame, Allocator& allocator, usize record_size, usize& block_size) {
  FramePrefix& prefix = prefix_of(frame);
  if (prefix.tag != kFrameTag || prefix.allocator != &allocator || prefix.reserve < record_size) {
    return nullptr;
  }
  prefix.record_inside = 1;
  block_size = prefix.block_size;
  return static_cast<u8*>(frame) - kFramePrefix - prefix.reserve;
}

}  // namespace detail

}  // namespace async
