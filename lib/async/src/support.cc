// Frame allocation, the default allocator and error names.
#include <async/error.h>
#include <async/platform.h>
#include <async/task.h>
#include <support/new.h>

namespace async {

namespace {

class DefaultAllocator final : public Allocator {
 public:
  void* allocate(usize size) override { return ::operator new(size, std::nothrow); }
  void deallocate(void* block, usize) override { ::operator delete(block); }
};

DefaultAllocator g_default_allocator;

// A coroutine frame is preceded by the allocator it came from (16 bytes keep the frame aligned).
constexpr usize kFramePrefix = 16;

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
  void* block = allocator.allocate(size + kFramePrefix);
  if (block == nullptr) return nullptr;
  *static_cast<Allocator**>(block) = &allocator;
  return static_cast<u8*>(block) + kFramePrefix;
}

void deallocate_frame(void* frame, usize size) {
  void* block = static_cast<u8*>(frame) - kFramePrefix;
  Allocator* allocator = *static_cast<Allocator**>(block);
  allocator->deallocate(block, size + kFramePrefix);
}

}  // namespace detail

}  // namespace async
