#include <mem/frame_allocator.h>

namespace mem {

namespace {

constexpr u32 kNone = 0xffffffff;

enum State : u8 {
  kReserved = 0,    // not managed: firmware, kernel image, metadata, holes
  kFreeHead = 1,    // first frame of a free run of `order`
  kFreeInside = 2,  // inside a free run
  kUsedHead = 3,    // first frame of an allocated run of `order`, of `kind`
  kUsedInside = 4,  // inside an allocated run
  kAvailable = 5,   // transient, during init only
};

constexpr u8 kFreeingKind = 0xfe;  // transient kind while a free is in progress

}  // namespace

struct FrameAllocator::FrameInfo {
  u32 next;
  u32 prev;
  u8 state;
  u8 order;
  u8 kind;
  u8 pad;

  u8 load_state() const { return __atomic_load_n(&state, __ATOMIC_ACQUIRE); }
  void set_state(u8 value) { __atomic_store_n(&state, value, __ATOMIC_RELEASE); }
  u8 load_kind() const { return __atomic_load_n(&kind, __ATOMIC_ACQUIRE); }
};

Result<void> FrameAllocator::init(support::Span<const PhysRange> usable,
                                  support::Span<const PhysRange> reserved, PhysWindow& window) {
  // Nobody else can see the allocator yet; the lock is for the free lists' rule (and cheap).
  support::LockGuard guard(lock_);
  if (initialised_) return Error::Invalid;
  for (usize i = 0; i < usable.size(); ++i)
    for (usize j = i + 1; j < usable.size(); ++j)
      if (usable[i].base < usable[j].end() && usable[j].base < usable[i].end())
        return Error::Overlap;

  auto reserved_overlap = [&](u64 lo, u64 hi) -> const PhysRange* {
    for (const PhysRange& r : reserved) {
      u64 rlo = support::align_down(r.base, kPageSize);
      u64 rhi = support::align_up(r.end(), kPageSize);
      if (r.size != 0 && rlo < hi && lo < rhi) return &r;
    }
    return nullptr;
  };

  for (const PhysRange& range : usable) {
    if (zone_count_ == kMaxZones) break;
    u64 base = support::align_up(range.base, kPageSize);
    u64 end = support::align_down(range.end(), kPageSize);
    // Physical page 0 is never handed out: 0 stands for "no frame" (e.g. an absent table).
    if (base == 0) base = kPageSize;
    if (end <= base) continue;
    u64 frames = (end - base) >> kPageShift;
    if (frames >= kNone) continue;  // indices are 32 bits: 16 TiB per zone
    u64 meta_bytes = support::align_up(frames * sizeof(FrameInfo), kPageSize);

    // Carve the metadata from the first stretch of the zone that no reserved range touches.
    u64 meta = base;
    while (meta + meta_bytes <= end) {
      const PhysRange* hit = reserved_overlap(meta, meta + meta_bytes);
      if (hit == nullptr) break;
      meta = support::align_up(hit->end(), kPageSize);
    }
    if (meta + meta_bytes > end) continue;

    Zone& zone = zones_[zone_count_++];
    zone.base_pfn = base >> kPageShift;
    zone.frames = frames;
    zone.info = static_cast<FrameInfo*>(window.virtual_of(meta));
    zone.meta_phys = meta;
    zone.meta_bytes = meta_bytes;
    for (u32& head : zone.free_head) head = kNone;
    for (u64 i = 0; i < frames; ++i) zone.info[i] = FrameInfo{kNone, kNone, kAvailable, 0, 0, 0};

    auto mark_reserved = [&](u64 lo, u64 hi) {
      lo = support::max(lo, base);
      hi = support::min(hi, end);
      for (u64 a = lo; a < hi; a += kPageSize)
        zone.info[(a - base) >> kPageShift].state = kReserved;
    };
    for (const PhysRange& r : reserved)
      if (r.size != 0)
        mark_reserved(support::align_down(r.base, kPageSize),
                      support::align_up(r.end(), kPageSize));
    mark_reserved(meta, meta + meta_bytes);
    metadata_ += meta_bytes >> kPageShift;

    // Hand every maximal run of available frames to the buddy lists as aligned blocks.
    u64 i = 0;
    while (i < frames) {
      if (zone.info[i].state != kAvailable) {
        ++i;
        continue;
      }
      u64 run_end = i;
      while (run_end < frames && zone.info[run_end].state == kAvailable) ++run_end;
      while (i < run_end) {
        u64 pfn = zone.base_pfn + i;
        u32 order = 0;
        while (order < kMaxOrder && (pfn & ((u64{2} << order) - 1)) == 0 &&
               i + (u64{2} << order) <= run_end)
          ++order;
        u64 count = u64{1} << order;
        for (u64 k = 1; k < count; ++k) zone.info[i + k].state = kFreeInside;
        push_free(zone, i, order);
        buddy_free_ += count;
        total_ += count;
        i += count;
      }
    }
  }
  if (total_ == 0) return Error::NoMemory;
  available_ = static_cast<i64>(buddy_free_);
  initialised_ = true;
  return {};
}

FrameAllocator::Zone* FrameAllocator::zone_of(u64 pfn) const {
  for (usize z = 0; z < zone_count_; ++z) {
    const Zone& zone = zones_[z];
    if (pfn >= zone.base_pfn && pfn - zone.base_pfn < zone.frames) return const_cast<Zone*>(&zone);
  }
  return nullptr;
}

FrameAllocator::FrameInfo* FrameAllocator::info_of(PhysAddr frame) const {
  if (!is_page_aligned(frame)) return nullptr;
  u64 pfn = frame >> kPageShift;
  Zone* zone = zone_of(pfn);
  return zone ? &zone->info[pfn - zone->base_pfn] : nullptr;
}

bool FrameAllocator::contains(PhysAddr frame) const { return zone_of(frame >> kPageShift); }

void FrameAllocator::push_free(Zone& zone, u64 index, u32 order) {
  FrameInfo& info = zone.info[index];
  info.order = static_cast<u8>(order);
  info.prev = kNone;
  info.next = zone.free_head[order];
  if (info.next != kNone) zone.info[info.next].prev = static_cast<u32>(index);
  zone.free_head[order] = static_cast<u32>(index);
  info.set_state(kFreeHead);
}

void FrameAllocator::unlink_free(Zone& zone, u64 index, u32 order) {
  FrameInfo& info = zone.info[index];
  if (info.prev != kNone)
    zone.info[info.prev].next = info.next;
  else
    zone.free_head[order] = info.next;
  if (info.next != kNone) zone.info[info.next].prev = info.prev;
  info.next = info.prev = kNone;
}

void FrameAllocator::add_used(FrameKind kind, i64 delta) {
  __atomic_fetch_add(&used_[usize(kind)], delta, __ATOMIC_RELAXED);
}

bool FrameAllocator::take_available(u64 count) {
  i64 current = __atomic_load_n(&available_, __ATOMIC_RELAXED);
  do {
    if (current < static_cast<i64>(count)) return false;
  } while (!__atomic_compare_exchange_n(&available_, &current, current - static_cast<i64>(count),
                                        true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
  return true;
}

void FrameAllocator::add_available(u64 count) {
  __atomic_fetch_add(&available_, static_cast<i64>(count), __ATOMIC_RELAXED);
}

Result<PhysAddr> FrameAllocator::alloc_locked(u32 order, FrameKind kind) {
  for (u32 k = order; k <= kMaxOrder; ++k) {
    for (usize z = 0; z < zone_count_; ++z) {
      Zone& zone = zones_[z];
      u32 index = zone.free_head[k];
      if (index == kNone) continue;
      unlink_free(zone, index, k);
      while (k > order) {
        --k;
        push_free(zone, index + (u64{1} << k), k);
      }
      u64 count = u64{1} << order;
      FrameInfo& head = zone.info[index];
      head.order = static_cast<u8>(order);
      __atomic_store_n(&head.kind, static_cast<u8>(kind), __ATOMIC_RELAXED);
      for (u64 i = 1; i < count; ++i) zone.info[index + i].set_state(kUsedInside);
      head.set_state(kUsedHead);
      __atomic_store_n(&buddy_free_, buddy_free_ - count, __ATOMIC_RELAXED);
      add_used(kind, static_cast<i64>(count));
      return (zone.base_pfn + index) << kPageShift;
    }
  }
  return Error::NoMemory;
}

Result<PhysAddr> FrameAllocator::alloc(u32 order, FrameKind kind) {
  if (order > kMaxOrder || kind >= FrameKind::CpuCached) return Error::Invalid;
  u64 count = u64{1} << order;
  if (!take_available(count)) return Error::NoMemory;
  support::LockGuard guard(lock_);
  Result<PhysAddr> result = alloc_locked(order, kind);
  if (result.is_error()) add_available(count);
  return result;
}

Result<PhysAddr> FrameAllocator::alloc_reserved(u32 order, FrameKind kind) {
  if (order > kMaxOrder || kind >= FrameKind::CpuCached) return Error::Invalid;
  support::LockGuard guard(lock_);
  return alloc_locked(order, kind);
}

PhysAddr FrameAllocator::alloc_reserved_frame(FrameKind kind) {
  Result<PhysAddr> frame = alloc_reserved(0, kind);
  if (frame.is_error()) support_must_failed("frame reservation broken", __FILE__, __LINE__);
  return frame.value();
}

Result<void> FrameAllocator::reserve_frames(u64 count) {
  if (!take_available(count)) return Error::NoMemory;
  return {};
}

void FrameAllocator::unreserve_frames(u64 count) { add_available(count); }

Result<void> FrameAllocator::free_locked(PhysAddr base, bool from_cache) {
  if (!is_page_aligned(base)) return Error::Invalid;
  u64 pfn = base >> kPageShift;
  Zone* zone = zone_of(pfn);
  if (zone == nullptr) return Error::Invalid;
  u64 index = pfn - zone->base_pfn;
  FrameInfo& head = zone->info[index];
  u8 state = head.load_state();
  if (state == kFreeHead || state == kFreeInside) return Error::NotFound;
  if (state != kUsedHead) return Error::Invalid;
  u8 kind = head.load_kind();
  if (from_cache != (kind == u8(FrameKind::CpuCached))) return Error::NotFound;
  if (kind == kFreeingKind || !__atomic_compare_exchange_n(&head.kind, &kind, kFreeingKind, false,
                                                           __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
    return Error::NotFound;

  u32 order = head.order;
  u64 count = u64{1} << order;
  for (u64 i = 0; i < count; ++i) zone->info[index + i].set_state(kFreeInside);
  while (order < kMaxOrder) {
    u64 buddy_pfn = pfn ^ (u64{1} << order);
    if (buddy_pfn < zone->base_pfn || buddy_pfn - zone->base_pfn >= zone->frames) break;
    u64 buddy = buddy_pfn - zone->base_pfn;
    FrameInfo& info = zone->info[buddy];
    if (info.state != kFreeHead || info.order != order) break;
    unlink_free(*zone, buddy, order);
    info.set_state(kFreeInside);
    if (buddy_pfn < pfn) pfn = buddy_pfn;
    ++order;
  }
  push_free(*zone, pfn - zone->base_pfn, order);
  __atomic_store_n(&buddy_free_, buddy_free_ + count, __ATOMIC_RELAXED);
  add_used(FrameKind(kind), -static_cast<i64>(count));
  add_available(count);
  return {};
}

Result<void> FrameAllocator::free(PhysAddr base) {
  support::LockGuard guard(lock_);
  return free_locked(base, false);
}

Result<void> FrameAllocator::trim(PhysAddr base, u64 keep) {
  if (!is_page_aligned(base)) return Error::Invalid;
  u64 pfn = base >> kPageShift;
  support::LockGuard guard(lock_);
  Zone* zone = zone_of(pfn);
  if (zone == nullptr) return Error::Invalid;
  u64 index = pfn - zone->base_pfn;
  FrameInfo& head = zone->info[index];
  if (head.load_state() != kUsedHead) return Error::Invalid;
  u8 kind = head.load_kind();
  if (kind == u8(FrameKind::CpuCached) || kind == kFreeingKind) return Error::Invalid;
  u32 order = head.order;
  u64 count = u64{1} << order;
  if (keep == 0 || keep > count) return Error::Invalid;
  if (keep == count) return {};
  // The run becomes used runs: keep's pieces, then the tail's (each aligned to its size, since
  // the run is aligned to its own), and the tail's are freed.
  auto mark = [&](u64 at, u32 k) {
    FrameInfo& piece = zone->info[index + at];
    piece.order = static_cast<u8>(k);
    __atomic_store_n(&piece.kind, kind, __ATOMIC_RELAXED);
    piece.set_state(kUsedHead);
  };
  u64 at = 0;
  for_each_run(0, keep, [&](PhysAddr offset, u32 k) { mark(offset >> kPageShift, k); });
  at = keep;
  while (at < count) {
    u32 k = static_cast<u32>(__builtin_ctzll(at));
    mark(at, k);
    Result<void> freed = free_locked(base + (at << kPageShift), false);
    if (freed.is_error()) support_must_failed("trim: a piece did not free", __FILE__, __LINE__);
    at += u64{1} << k;
  }
  return {};
}

Result<u32> FrameAllocator::order_of(PhysAddr base) const {
  FrameInfo* info = info_of(base);
  if (info == nullptr || info->load_state() != kUsedHead) return Error::Invalid;
  return u32{info->order};
}

usize FrameAllocator::take_for_cache(PhysAddr* out, usize count) {
  // Cached frames are not available: a reservation must always find its frames in the buddy lists,
  // whatever the per-CPU caches hold.
  i64 current = __atomic_load_n(&available_, __ATOMIC_RELAXED);
  u64 want;
  do {
    want = current <= 0 ? 0 : support::min(static_cast<u64>(current), u64{count});
    if (want == 0) return 0;
  } while (!__atomic_compare_exchange_n(&available_, &current, current - static_cast<i64>(want),
                                        true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
  support::LockGuard guard(lock_);
  usize taken = 0;
  while (taken < want) {
    Result<PhysAddr> frame = alloc_locked(0, FrameKind::CpuCached);
    if (frame.is_error()) break;
    out[taken++] = frame.value();
  }
  if (taken < want) add_available(want - taken);
  return taken;
}

void FrameAllocator::return_from_cache(const PhysAddr* frames, usize count) {
  support::LockGuard guard(lock_);
  for (usize i = 0; i < count; ++i) {
    Result<void> freed = free_locked(frames[i], true);
    if (freed.is_error())
      support_must_failed("cache returned a frame it did not hold", __FILE__, __LINE__);
  }
}

Result<void> FrameAllocator::claim_for_cache(PhysAddr frame) {
  FrameInfo* info = info_of(frame);
  if (info == nullptr) return Error::Invalid;
  u8 state = info->load_state();
  if (state == kFreeHead || state == kFreeInside) return Error::NotFound;
  if (state != kUsedHead || __atomic_load_n(&info->order, __ATOMIC_RELAXED) != 0)
    return Error::Invalid;
  u8 kind = info->load_kind();
  if (kind == u8(FrameKind::CpuCached) || kind == kFreeingKind) return Error::NotFound;
  if (!__atomic_compare_exchange_n(&info->kind, &kind, u8(FrameKind::CpuCached), false,
                                   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
    return Error::NotFound;
  add_used(FrameKind(kind), -1);
  add_used(FrameKind::CpuCached, 1);
  return {};
}

void FrameAllocator::release_from_cache(PhysAddr frame, FrameKind kind) {
  FrameInfo* info = info_of(frame);
  __atomic_store_n(&info->kind, u8(kind), __ATOMIC_RELEASE);
  add_used(FrameKind::CpuCached, -1);
  add_used(kind, 1);
}

PhysRange FrameAllocator::zone_range(usize zone) const {
  if (zone >= zone_count_) return {};
  return PhysRange{zones_[zone].base_pfn << kPageShift, zones_[zone].frames << kPageShift};
}

PhysRange FrameAllocator::metadata_range(usize zone) const {
  if (zone >= zone_count_) return {};
  return PhysRange{zones_[zone].meta_phys, zones_[zone].meta_bytes};
}

void FrameAllocator::remap_metadata(PhysWindow& window) {
  support::LockGuard guard(lock_);
  for (usize z = 0; z < zone_count_; ++z)
    zones_[z].info = static_cast<FrameInfo*>(window.virtual_of(zones_[z].meta_phys));
}

FrameStats FrameAllocator::stats() const {
  FrameStats s;
  s.total = total_;
  s.metadata = metadata_;
  for (usize k = 0; k < kFrameKindCount; ++k)
    s.used[k] = static_cast<u64>(__atomic_load_n(&used_[k], __ATOMIC_RELAXED));
  s.cached = s.used[usize(FrameKind::CpuCached)];
  s.used[usize(FrameKind::CpuCached)] = 0;
  s.free = __atomic_load_n(&buddy_free_, __ATOMIC_RELAXED) + s.cached;
  i64 available = __atomic_load_n(&available_, __ATOMIC_RELAXED);
  s.available = available > 0 ? static_cast<u64>(available) : 0;
  return s;
}

}  // namespace mem
