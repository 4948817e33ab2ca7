#include <mem/shootdown.h>

namespace mem {

void ShootdownBatch::add_range(VirtAddr base, u64 size) {
  if (size == 0 || flush_all_) return;
  for (usize i = 0; i < range_count_; ++i) {
    VirtRange& r = ranges_[i];
    if (base <= r.end() && r.base <= base + size) {  // overlapping or adjacent: merge
      VirtAddr lo = support::min(r.base, base);
      VirtAddr hi = support::max(r.end(), base + size);
      r = VirtRange{lo, hi - lo};
      return;
    }
  }
  if (range_count_ == kRangeCapacity) {
    flush_all_ = true;
    return;
  }
  ranges_[range_count_++] = VirtRange{base, size};
}

void ShootdownBatch::add_frame(PhysAddr frame) {
  if (frame_count_ == kFrameCapacity)
    support_must_failed("ShootdownBatch overflow: check frame_room()", __FILE__, __LINE__);
  frames_[frame_count_++] = frame;
}

Result<void> ShootdownBatch::complete(FrameSource& frames) {
  Result<void> first = support::ok();
  for (usize i = 0; i < frame_count_; ++i) {
    Result<void> freed = frames.free_frame(frames_[i]);
    if (freed.is_error() && first.is_ok()) first = freed;
  }
  clear();
  return first;
}

}  // namespace mem
