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
  void* allocate(usize size) override { return default_allocate(size); }
  void deallocate(void* block, usize size) override { default_deallocate(block, size); }
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

void* allocate_frame(Allocator& allocator, usize size) {
  return allocate_frame(allocator, size, 0);
}

void deallocate_frame(void* frame, usize) {
  FramePrefix& prefix = prefix_of(frame);
  if (prefix.record_inside != 0) return;  // the record, still alive, frees the block
  deallocate_block(*prefix.allocator, static_cast<u8*>(frame) - kFramePrefix - prefix.reserve,
                   prefix.block_size);
}

}  // namespace detail

}  // namespace async
