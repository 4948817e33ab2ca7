// FrameCache: a per-CPU stack of single frames in front of the FrameAllocator, so that the common
// path (one frame) takes no shared lock: refills take kBatch frames and drains give back kBatch
// frames under one acquisition of the allocator's lock.
//
// Not thread-safe: the kernel owns one per CPU and uses it only from that CPU with preemption (and,
// if interrupt handlers allocate frames, interrupts) disabled. Freeing a frame into any CPU's cache
// is checked against the allocator's metadata: a double free is an error even across CPUs.
#pragma once

#include <mem/frame_allocator.h>

namespace mem {

class FrameCache final : public FrameSource {
 public:
  static constexpr usize kCapacity = 64;
  static constexpr usize kBatch = 16;

  explicit FrameCache(FrameAllocator& global) : global_(global) {}
  FrameCache(const FrameCache&) = delete;
  FrameCache& operator=(const FrameCache&) = delete;
  // Frames still held go back to the allocator.
  ~FrameCache() { drain_all(); }

  Result<PhysAddr> alloc_frame(FrameKind kind) override;
  // Single frames stay in the cache; runs (order > 0) go straight back to the allocator.
  Result<void> free_frame(PhysAddr frame) override;
  Result<void> reserve_frames(u64 count) override { return global_.reserve_frames(count); }
  void unreserve_frames(u64 count) override { global_.unreserve_frames(count); }
  PhysAddr alloc_reserved_frame(FrameKind kind) override;

  // Returns every held frame to the allocator (CPU going offline, statistics, tests).
  void drain_all();
  usize held() const { return count_; }

 private:
  PhysAddr pop(FrameKind kind);
  bool refill();

  FrameAllocator& global_;
  PhysAddr frames_[kCapacity];
  usize count_ = 0;
};

}  // namespace mem
