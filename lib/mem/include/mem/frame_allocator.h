// FrameAllocator: a buddy allocator of 4 KiB frames over the usable physical ranges minus the
// reserved ones. Runs of 2^order frames (order 0..kMaxOrder) are aligned to their size in physical
// addresses. Its metadata (12 bytes per frame) is carved from the managed memory itself and reached
// through the PhysWindow.
//
// Every frame has a state in the metadata, so that freeing a frame that is free (double free), the
// inside of a run, a reserved frame or an address outside the managed ranges is an error, never a
// silent corruption.
//
// Counters: total, free, available, used per FrameKind. Frames held in per-CPU FrameCaches count
// as free (and as `cached`) but not as available: `available` is what the buddy lists hold beyond
// outstanding reservations, so that a reserved frame is always found in the buddy lists
// (invariant: buddy-free == available + outstanding reservations).
//
// Locking: an internal SpinLock guards the buddy lists. Counters are atomics, readable without the
// lock. The kernel calls it with interrupts disabled if any interrupt handler allocates frames.
#pragma once

#include <mem/types.h>
#include <support/span.h>
#include <support/spinlock.h>

namespace mem {

struct FrameStats {
  u64 total = 0;      // managed frames (free + used), excluding metadata and reserved ranges
  u64 free = 0;       // free in the buddy lists plus held by per-CPU caches
  u64 cached = 0;     // of `free`, held by per-CPU caches
  u64 available = 0;  // in the buddy lists and not promised by a reservation
  u64 metadata = 0;   // frames holding the allocator's own metadata
  u64 used[kFrameKindCount] = {};  // by kind (CpuCached is always 0 here: see `cached`)
};

class FrameAllocator final : public FrameSource {
 public:
  static constexpr u32 kMaxOrder = 18;  // 1 GiB runs
  static constexpr usize kMaxZones = 8;

  FrameAllocator() = default;
  FrameAllocator(const FrameAllocator&) = delete;
  FrameAllocator& operator=(const FrameAllocator&) = delete;

  // Takes ownership of `usable` minus `reserved` (both rounded to frames: usable inwards,
  // reserved outwards; physical page 0 is never managed, so 0 is never a frame). Each usable
  // range is a zone, at most kMaxZones; a zone too small or too fragmented to hold its own
  // metadata is skipped. Error::Invalid if called twice, Error::Overlap if usable ranges overlap,
  // Error::NoMemory if no frame could be managed. `window` must map every usable frame.
  Result<void> init(support::Span<const PhysRange> usable, support::Span<const PhysRange> reserved,
                    PhysWindow& window);

  // A run of 2^order frames aligned to its size. Error::NoMemory when not enough frames are
  // available, or no run that large is free (fragmentation); Error::Invalid for order > kMaxOrder.
  Result<PhysAddr> alloc(u32 order, FrameKind kind);
  // Like alloc, drawing 2^order frames from the caller's reservation (see FrameSource).
  // Error::NoMemory only on fragmentation (never for order 0).
  Result<PhysAddr> alloc_reserved(u32 order, FrameKind kind);
  // Frees the run that starts at `base`, whatever its order. Errors as FrameSource::free_frame;
  // a frame held by a per-CPU cache cannot be freed here (Error::NotFound).
  Result<void> free(PhysAddr base);
  // Keeps the first `keep` frames of the allocated run at `base` and frees the rest: the kept
  // frames become the runs of keep's binary decomposition, largest first from `base` (each
  // aligned to its size), to be freed one by one. Error::Invalid when `base` is not the start of
  // an allocated run, or `keep` is 0 or larger than the run; nothing changes then.
  Result<void> trim(PhysAddr base, u64 keep);
  // The runs trim() leaves: calls `f(run_base, order)` for each run of `pages` frames from `base`.
  template <typename F> static void for_each_run(PhysAddr base, u64 pages, F f) {
    for (u32 k = 64; k-- > 0;) {
      if ((pages >> k & 1) == 0) continue;
      f(base, k);
      base += kPageSize << k;
    }
  }
  // The order of the allocated run that starts at `base`.
  Result<u32> order_of(PhysAddr base) const;
  bool contains(PhysAddr frame) const;

  FrameStats stats() const;

  // The managed zones (one per usable range kept) and where each keeps its metadata, for the boot
  // log's memory map.
  usize zone_count() const { return zone_count_; }
  PhysRange zone_range(usize zone) const;
  PhysRange metadata_range(usize zone) const;
  // The metadata is reached through pointers computed from the window at init; a kernel that
  // moves from its early mapping to the final direct map calls this with the new window.
  void remap_metadata(PhysWindow& window);

  // FrameSource (order 0).
  Result<PhysAddr> alloc_frame(FrameKind kind) override { return alloc(0, kind); }
  Result<void> free_frame(PhysAddr frame) override { return free(frame); }
  Result<void> reserve_frames(u64 count) override;
  void unreserve_frames(u64 count) override;
  PhysAddr alloc_reserved_frame(FrameKind kind) override;

  // For FrameCache: move up to `count` single frames into/out of a per-CPU cache under one lock
  // acquisition. Cached frames are allocated with kind CpuCached, count as free, not available.
  usize take_for_cache(PhysAddr* out, usize count);
  void return_from_cache(const PhysAddr* frames, usize count);
  // Without the lock: checks that `frame` is an allocated single frame not held by a cache and
  // marks it cache-held (atomically, so two CPUs freeing the same frame cannot both succeed).
  Result<void> claim_for_cache(PhysAddr frame);
  // Without the lock: retags a cache-held frame as `kind` (handing it out).
  void release_from_cache(PhysAddr frame, FrameKind kind);
  // Availability bookkeeping (a FrameCache gives back a reservation unit when it serves a reserved
  // allocation from its own frames).
  bool take_available(u64 count);
  void add_available(u64 count);

 private:
  struct FrameInfo;
  struct Zone {
    u64 base_pfn = 0;
    u64 frames = 0;
    FrameInfo* info = nullptr;
    PhysAddr meta_phys = 0;
    u64 meta_bytes = 0;
    u32 free_head[kMaxOrder + 1];
  };

  Zone* zone_of(u64 pfn) const;
  FrameInfo* info_of(PhysAddr frame) const;
  // The buddy lists (each zone's free_head and the links in FrameInfo) change only under lock_.
  void push_free(Zone& zone, u64 index, u32 order) REQUIRES(lock_);
  void unlink_free(Zone& zone, u64 index, u32 order) REQUIRES(lock_);
  Result<PhysAddr> alloc_locked(u32 order, FrameKind kind) REQUIRES(lock_);
  Result<void> free_locked(PhysAddr base, bool from_cache) REQUIRES(lock_);
  void add_used(FrameKind kind, i64 delta);

  support::SpinLock lock_;
  Zone zones_[kMaxZones];  // fixed by init(), but for the free lists
  usize zone_count_ = 0;
  bool initialised_ = false;
  u64 total_ = 0;
  u64 metadata_ = 0;
  u64 buddy_free_ = 0;              // written under lock_, read atomically
  i64 available_ = 0;               // atomic
  i64 used_[kFrameKindCount] = {};  // atomic
};

}  // namespace mem
