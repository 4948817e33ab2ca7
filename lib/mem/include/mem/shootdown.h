// ShootdownBatch: what an unmap or a permission downgrade leaves to do once every hart has
// forgotten the old translations: the virtual ranges to flush, and the frames (leaf pages and
// page-table frames) that may be reused only afterwards.
//
// Protocol: page-table operations add to the batch; the kernel flushes the ranges (local
// sfence.vma, remote harts by IPI), waits until every hart that may hold the translations is done,
// then calls complete(), which gives the frames back. A batch has a fixed capacity: an unmap stops
// early when the batch fills up and says where to resume. Not thread-safe; owned by one operation.
#pragma once

#include <mem/types.h>
#include <support/span.h>

namespace mem {

class ShootdownBatch {
 public:
  static constexpr usize kFrameCapacity = 64;
  static constexpr usize kRangeCapacity = 8;

  ShootdownBatch() = default;
  ShootdownBatch(const ShootdownBatch&) = delete;
  ShootdownBatch& operator=(const ShootdownBatch&) = delete;

  // Records a range to flush; adjacent ranges merge; past capacity the batch asks for a full flush.
  void add_range(VirtAddr base, u64 size);
  // Records a frame to release after the flush. The caller checks frame_room() first.
  void add_frame(PhysAddr frame);
  usize frame_room() const { return kFrameCapacity - frame_count_; }

  bool needs_flush() const { return range_count_ > 0 || flush_all_; }
  // Too many ranges were recorded: flush the whole address space instead.
  bool flush_all() const { return flush_all_; }
  support::Span<const VirtRange> ranges() const { return {ranges_, range_count_}; }
  support::Span<const PhysAddr> frames() const { return {frames_, frame_count_}; }

  // The shootdown has completed: frees every gathered frame into `frames` and empties the batch.
  // Returns the first error a free reported (a bug: the frame was not allocated), after trying all.
  Result<void> complete(FrameSource& frames);
  // Empties the batch without releasing frames (only when it recorded no frames, or for tests).
  void clear() { range_count_ = frame_count_ = 0, flush_all_ = false; }

 private:
  VirtRange ranges_[kRangeCapacity];
  PhysAddr frames_[kFrameCapacity];
  usize range_count_ = 0;
  usize frame_count_ = 0;
  bool flush_all_ = false;
};

// The kernel's TLB shootdown, used by AddressSpace: returns once every hart that may cache
// translations of this address space has flushed `batch`'s ranges (or everything).
class TlbShootdown {
 public:
  virtual void shootdown(const ShootdownBatch& batch) = 0;

 protected:
  ~TlbShootdown() = default;
};

}  // namespace mem
