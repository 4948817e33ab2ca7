#include <mem/frame_cache.h>

namespace mem {

bool FrameCache::refill() {
  count_ += global_.take_for_cache(frames_ + count_, kBatch);
  return count_ > 0;
}

PhysAddr FrameCache::pop(FrameKind kind) {
  PhysAddr frame = frames_[--count_];
  global_.release_from_cache(frame, kind);
  return frame;
}

Result<PhysAddr> FrameCache::alloc_frame(FrameKind kind) {
  if (kind >= FrameKind::CpuCached) return Error::Invalid;
  if (count_ == 0 && !refill()) return Error::NoMemory;
  return pop(kind);
}

PhysAddr FrameCache::alloc_reserved_frame(FrameKind kind) {
  // The reservation promised a frame in the buddy lists; a cached frame (already taken from
  // availability when it entered the cache) serves instead, and the promise goes back.
  if (count_ == 0) return global_.alloc_reserved_frame(kind);
  global_.add_available(1);
  return pop(kind);
}

Result<void> FrameCache::free_frame(PhysAddr frame) {
  Result<u32> order = global_.order_of(frame);
  if (order.is_ok() && order.value() > 0) return global_.free(frame);
  TRY(global_.claim_for_cache(frame));
  if (count_ == kCapacity) {
    global_.return_from_cache(frames_ + count_ - kBatch, kBatch);
    count_ -= kBatch;
  }
  frames_[count_++] = frame;
  return {};
}

void FrameCache::drain_all() {
  if (count_ == 0) return;
  global_.return_from_cache(frames_, count_);
  count_ = 0;
}

}  // namespace mem
