#include <mem/address_space.h>
#include <support/new.h>

namespace mem {

AddressSpace::AddressSpace(PageMapper& page_table, FrameSource& frames, PhysWindow& window,
                           TlbShootdown& tlb, Allocator& objects, VirtAddr low, VirtAddr high,
                           u64 quota_pages)
    : page_table_(page_table),
      frames_(frames),
      window_(window),
      tlb_(tlb),
      objects_(objects),
      tree_(low, high),
      quota_pages_(quota_pages) {}

AddressSpace::~AddressSpace() {
  support::LockGuard guard(lock_);
  while (!tree_.empty()) {
    Region* first = tree_.first_ending_after(tree_.low());
    if (first->owner != nullptr) first = first->owner;
    // Unmapping whole regions needs no split, so this cannot fail for lack of frames.
    if (release_locked(*first).is_error())
      support_must_failed("AddressSpace teardown failed", __FILE__, __LINE__);
  }
}

RegionInfo AddressSpace::info_of(const Region& r) {
  return RegionInfo{r.base, r.size, r.perms, r.backing, r.committed, r.resident};
}

bool AddressSpace::perms_ok(Perms perms) {
  if ((u8(perms) & u8(Perms::Read | Perms::Write | Perms::Execute)) == 0) return false;
  return !has(perms, Perms::Write) || has(perms, Perms::Read);
}

Region* AddressSpace::new_region() {
  void* raw = objects_.allocate(sizeof(Region), alignof(Region));
  return raw ? new (raw) Region() : nullptr;
}

void AddressSpace::delete_region(Region* region) {
  region->~Region();
  objects_.deallocate(region);
}

Region* AddressSpace::region_starting_at(VirtAddr base) {
  Region* r = tree_.find(base);
  return r != nullptr && r->base == base ? r : nullptr;
}

void AddressSpace::flush(ShootdownBatch& batch) {
  if (!batch.needs_flush() && batch.frames().empty()) return;
  tlb_.shootdown(batch);
  if (batch.complete(frames_).is_error())
    support_must_failed("page table released a frame that was not allocated", __FILE__, __LINE__);
}

Result<u64> AddressSpace::unmap_range(VirtAddr va, u64 size, ReleaseFrames release) {
  ShootdownBatch batch;
  u64 pages = 0;
  VirtAddr end = va + size;
  while (va != end) {
    Result<UnmapProgress> step = page_table_.unmap(va, end - va, release, batch, frames_);
    if (step.is_error()) {
      flush(batch);
      return step.error();
    }
    pages += step.value().pages;
    flush(batch);
    if (step.value().done) break;
    va = step.value().next;
  }
  return pages;
}

Result<VirtAddr> AddressSpace::reserve(const ReserveOptions& o) {
  if (o.size == 0 || !is_page_aligned(o.size) || !is_page_aligned(o.guard_size) ||
      !is_page_aligned(o.guard_below) || !support::is_power_of_two(o.align) ||
      o.align < kPageSize || o.size + o.guard_size < o.size ||
      o.size + o.guard_size + o.guard_below < o.size + o.guard_size)
    return Error::Invalid;
  if (o.backing != Backing::Guard && !perms_ok(o.perms)) return Error::Invalid;
  if (o.backing == Backing::Physical && !is_page_aligned(o.phys)) return Error::Invalid;
  u64 total = o.guard_below + o.size + o.guard_size;

  support::LockGuard guard(lock_);
  VirtAddr base;
  if (o.at.has_value()) {
    base = *o.at;
    if (!is_page_aligned(base) || (base & (o.align - 1)) != 0 || base < o.guard_below)
      return Error::Invalid;
    VirtAddr lo = base - o.guard_below;
    if (lo < tree_.low() || lo + total < lo || lo + total > tree_.high()) return Error::OutOfRange;
    if (!tree_.is_free(lo, total)) return Error::Overlap;
  } else {
    // Search for the region's alignment with room below for the low guard: look for a gap of
    // total + align so that an aligned base fits whatever the gap's start.
    support::Optional<VirtAddr> gap = o.guard_below == 0
                                          ? tree_.find_gap(total, o.align)
                                          : tree_.find_gap(total + o.align - kPageSize, kPageSize);
    if (!gap.has_value()) return Error::NoMemory;
    base = support::align_up(*gap + o.guard_below, o.align);
  }

  Region* region = new_region();
  Region* below = o.guard_below > 0 ? new_region() : nullptr;
  Region* above = o.guard_size > 0 ? new_region() : nullptr;
  auto undo = [&] {
    if (region) delete_region(region);
    if (below) delete_region(below);
    if (above) delete_region(above);
  };
  if (region == nullptr || (o.guard_below > 0 && below == nullptr) ||
      (o.guard_size > 0 && above == nullptr)) {
    undo();
    return Error::NoMemory;
  }
  region->base = base;
  region->size = o.size;
  region->perms = o.backing == Backing::Guard ? Perms::None : o.perms;
  region->backing = o.backing;
  region->phys = o.phys;
  region->guard_below = below;
  region->guard_above = above;
  if (below) {
    below->base = base - o.guard_below;
    below->size = o.guard_below;
    below->backing = Backing::Guard;
    below->owner = region;
  }
  if (above) {
    above->base = base + o.size;
    above->size = o.guard_size;
    above->backing = Backing::Guard;
    above->owner = region;
  }
  if (o.backing == Backing::Physical) {
    region->committed = o.size;
    Result<void> mapped = page_table_.map(base, o.phys, o.size, o.perms, frames_, PageSizes::Large);
    if (mapped.is_error()) {
      undo();
      return mapped.error();
    }
  }
  MUST(tree_.insert(*region));
  if (below) MUST(tree_.insert(*below));
  if (above) MUST(tree_.insert(*above));
  return base;
}

Result<void> AddressSpace::release_locked(Region& region) {
  switch (region.backing) {
    case Backing::Anonymous:
    case Backing::Wired: TRY(decommit_locked(region, 0)); break;
    case Backing::Physical: TRY(unmap_range(region.base, region.size, ReleaseFrames::No)); break;
    case Backing::Guard: break;
  }
  Region* guards[] = {region.guard_below, region.guard_above};
  for (Region* g : guards) {
    if (g != nullptr) {
      tree_.remove(*g);
      delete_region(g);
    }
  }
  tree_.remove(region);
  delete_region(&region);
  return {};
}

Result<void> AddressSpace::release(VirtAddr base) {
  support::LockGuard guard(lock_);
  Region* region = region_starting_at(base);
  if (region == nullptr) return Error::NotFound;
  if (region->owner != nullptr) return Error::Invalid;
  return release_locked(*region);
}

Result<void> AddressSpace::commit(VirtAddr base, u64 committed) {
  support::LockGuard guard(lock_);
  Region* r = region_starting_at(base);
  if (r == nullptr) return Error::NotFound;
  if ((r->backing != Backing::Anonymous && r->backing != Backing::Wired) ||
      !is_page_aligned(committed) || committed > r->size || committed < r->committed)
    return Error::Invalid;
  if (committed == r->committed) return {};
  u64 pages = (committed - r->committed) >> kPageShift;
  if (committed_pages_ + pages > quota_pages_) return Error::OutOfRange;
  TRY(frames_.reserve_frames(pages));
  VirtAddr from = r->base + r->committed;
  Result<void> prepared = page_table_.prepare(from, committed - r->committed, frames_);
  if (prepared.is_error()) {
    frames_.unreserve_frames(pages);
    return prepared.error();
  }
  if (r->backing == Backing::Wired) {
    for (u64 i = 0; i < pages; ++i) {
      PhysAddr frame = frames_.alloc_reserved_frame(FrameKind::Program);
      __builtin_memset(window_.virtual_of(frame), 0, kPageSize);
      // The tables exist (prepare), so this map needs no frame and cannot fail.
      MUST(page_table_.map(from + i * kPageSize, frame, kPageSize, r->perms, frames_,
                           PageSizes::Small));
    }
    r->resident += pages;
    resident_pages_ += pages;
  } else {
    r->reserved_frames += pages;
  }
  r->committed = committed;
  committed_pages_ += pages;
  return {};
}

Result<void> AddressSpace::decommit_locked(Region& r, u64 committed) {
  if (committed == r.committed) return {};
  VirtAddr from = r.base + committed;
  u64 pages = (r.committed - committed) >> kPageShift;
  u64 removed = TRY(unmap_range(from, r.committed - committed, ReleaseFrames::Yes));
  u64 unfaulted = pages - removed;
  if (unfaulted > 0) {
    r.reserved_frames -= unfaulted;
    frames_.unreserve_frames(unfaulted);
  }
  r.resident -= removed;
  resident_pages_ -= removed;
  r.committed = committed;
  committed_pages_ -= pages;
  return {};
}

Result<void> AddressSpace::decommit(VirtAddr base, u64 committed) {
  support::LockGuard guard(lock_);
  Region* r = region_starting_at(base);
  if (r == nullptr) return Error::NotFound;
  if ((r->backing != Backing::Anonymous && r->backing != Backing::Wired) ||
      !is_page_aligned(committed) || committed > r->committed)
    return Error::Invalid;
  return decommit_locked(*r, committed);
}

Result<void> AddressSpace::protect(VirtAddr base, Perms perms) {
  support::LockGuard guard(lock_);
  Region* r = region_starting_at(base);
  if (r == nullptr) return Error::NotFound;
  if (r->backing == Backing::Guard || !perms_ok(perms)) return Error::Invalid;
  if (r->committed > 0) {
    ShootdownBatch batch;
    Result<void> changed = page_table_.protect(r->base, r->committed, perms, batch, frames_);
    flush(batch);
    TRY(changed);
  }
  r->perms = perms;
  return {};
}

FaultResult AddressSpace::handle_fault(VirtAddr va, Access access, void (*while_waiting)(void*),
                                       void* context) {
  if (while_waiting == nullptr) {
    lock_.lock();
  } else {
    while (!lock_.try_lock()) {
      while_waiting(context);
      support::cpu_relax();
    }
  }
  FaultResult result = handle_fault_locked(va, access);
  lock_.unlock();
  return result;
}

FaultResult AddressSpace::handle_fault_locked(VirtAddr va, Access access) {
  FaultResult result;
  result.address = va;
  result.access = access;
  Region* r = tree_.find(va);
  if (r == nullptr) {
    result.outcome = FaultOutcome::Unmapped;
    return result;
  }
  result.region = info_of(*r);
  if (r->backing == Backing::Guard) {
    result.outcome = FaultOutcome::Guard;
    return result;
  }
  if (!perms_allow(r->perms, access)) {
    result.outcome = FaultOutcome::Permission;
    return result;
  }
  VirtAddr page = support::align_down(va, kPageSize);
  if (page_table_.is_spurious_fault(va, access)) {
    result.outcome = FaultOutcome::Spurious;
    return result;
  }
  if (page - r->base >= r->committed) {
    result.outcome = FaultOutcome::NotCommitted;
    return result;
  }
  // Mapped, allowed by the region, yet the entry refuses: only a stale entry could do that.
  if (r->backing != Backing::Anonymous || page_table_.query(page).has_value()) {
    result.outcome = FaultOutcome::Permission;
    return result;
  }
  if (r->reserved_frames == 0) {
    result.outcome = FaultOutcome::NoMemory;
    return result;
  }
  PhysAddr frame = frames_.alloc_reserved_frame(FrameKind::Program);
  __builtin_memset(window_.virtual_of(frame), 0, kPageSize);
  Result<void> mapped =
      page_table_.map(page, frame, kPageSize, r->perms, frames_, PageSizes::Small);
  if (mapped.is_error()) {
    // A bug (commit prepared the tables): the frame goes back, the region keeps its count.
    (void)frames_.free_frame(frame);
    result.outcome = FaultOutcome::NoMemory;
    return result;
  }
  --r->reserved_frames;
  ++r->resident;
  ++resident_pages_;
  result.region = info_of(*r);
  result.outcome = FaultOutcome::Resolved;
  return result;
}

support::Optional<RegionInfo> AddressSpace::region_at(VirtAddr va) {
  support::LockGuard guard(lock_);
  Region* r = tree_.find(va);
  if (r == nullptr) return support::kNone;
  return info_of(*r);
}

AddressSpaceStats AddressSpace::stats() {
  support::LockGuard guard(lock_);
  return AddressSpaceStats{tree_.size(), committed_pages_, quota_pages_, resident_pages_};
}

bool AddressSpace::check() {
  support::LockGuard guard(lock_);
  if (!tree_.check()) return false;
  u64 committed = 0, resident = 0;
  bool ok = true;
  tree_.for_each([&](Region& r) {
    if (r.backing == Backing::Anonymous || r.backing == Backing::Wired) {
      committed += r.committed >> kPageShift;
      resident += r.resident;
      if (r.resident + r.reserved_frames != (r.committed >> kPageShift)) ok = false;
    }
  });
  return ok && committed == committed_pages_ && resident == resident_pages_;
}

}  // namespace mem
