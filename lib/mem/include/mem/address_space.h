// AddressSpace: regions (reserved ranges with permissions and a backing) over a page table, with
// lazily committed anonymous memory, guard regions, commit accounting against a quota, and the
// page-fault handler.
//
// Commit is charged when it happens, never later: committing N pages charges N pages of the quota
// and reserves N frames from the FrameSource (and creates the page tables the range needs), so that
// a later fault in the committed range always finds a frame and tables. Growth therefore fails
// cleanly (Error::OutOfRange for the quota, Error::NoMemory for frames) at commit time.
//
// A WebAssembly linear memory: reserve(max bytes + guard), commit(base, initial), then
// commit(base, bigger) on memory.grow; accesses past the committed size fault as NotCommitted,
// accesses to the guard as Guard.
//
// Locking: one SpinLock per address space, taken by every public method (including handle_fault),
// so several harts faulting the same page commit one frame: the first maps it, the others find the
// entry already allowing the access and get Spurious. Lock order: address space, then the
// FrameSource's locks (frame cache, frame allocator), then the Allocator's. The lock is held across
// TlbShootdown::shootdown, so the kernel must answer shootdown IPIs while a hart spins for this
// lock: handle_fault takes a callback for that (a fault handler spins with interrupts off).
#pragma once

#include <mem/page_table.h>
#include <mem/region_tree.h>
#include <mem/shootdown.h>
#include <support/spinlock.h>

namespace mem {

struct RegionInfo {
  VirtAddr base = 0;
  u64 size = 0;
  Perms perms = Perms::None;
  Backing backing = Backing::Anonymous;
  u64 committed = 0;
  u64 resident = 0;
};

enum class FaultOutcome : u8 {
  Resolved,      // a zeroed frame was mapped: retry the access
  Spurious,      // the entry already allows the access: local sfence.vma, then retry
  Unmapped,      // no region contains the address
  Guard,         // the address is in a guard region
  Permission,    // the region does not allow this access
  NotCommitted,  // in a region, beyond its committed size
  NoMemory,      // a broken reservation (a bug), reported rather than hidden
};

constexpr const char* fault_outcome_name(FaultOutcome outcome) {
  switch (outcome) {
    case FaultOutcome::Resolved: return "resolved";
    case FaultOutcome::Spurious: return "spurious";
    case FaultOutcome::Unmapped: return "unmapped";
    case FaultOutcome::Guard: return "guard page";
    case FaultOutcome::Permission: return "permission";
    case FaultOutcome::NotCommitted: return "not committed";
    case FaultOutcome::NoMemory: return "no memory";
  }
  return "?";
}

struct FaultResult {
  FaultOutcome outcome = FaultOutcome::Unmapped;
  VirtAddr address = 0;
  Access access = Access::Read;
  support::Optional<RegionInfo> region;  // the region containing `address`, if any
  bool retry() const {
    return outcome == FaultOutcome::Resolved || outcome == FaultOutcome::Spurious;
  }
};

struct ReserveOptions {
  u64 size = 0;           // bytes, page aligned
  u64 align = kPageSize;  // power of two, at least a page
  Perms perms = kRW;      // at least one of R/W/X; W implies R
  Backing backing = Backing::Anonymous;
  PhysAddr phys = 0;               // Physical: the page-aligned physical base
  u64 guard_size = 0;              // a Guard region of this many bytes right above the region
  u64 guard_below = 0;             // a Guard region of this many bytes right below (stacks)
  support::Optional<VirtAddr> at;  // a fixed base instead of a gap search
};

struct AddressSpaceStats {
  u64 regions = 0;          // including guard regions
  u64 committed_pages = 0;  // charged against the quota
  u64 quota_pages = 0;
  u64 resident_pages = 0;  // frames mapped in anonymous and wired regions
};

class AddressSpace {
 public:
  // Regions live in [low, high). Borrows everything; the page table (and its root) stays the
  // caller's. `frames` serves faults from any CPU (the kernel passes a current-CPU adapter).
  AddressSpace(PageMapper& page_table, FrameSource& frames, PhysWindow& window, TlbShootdown& tlb,
               Allocator& objects, VirtAddr low, VirtAddr high, u64 quota_pages);
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;
  // Releases every region (frames back after a shootdown). The page table is left empty but alive.
  ~AddressSpace();

  // Creates a region and its guards (the returned base is the region's; guards sit just outside
  // it; `at` and `align` apply to the region itself). Anonymous and Wired regions start with
  // nothing committed; Physical regions are mapped at once (large pages where aligned).
  // Errors: Error::Invalid for bad options, Error::Overlap when `at` is taken, Error::OutOfRange
  // when `at` (with its guards) is outside the address space, Error::NoMemory when no gap is
  // large enough or a Region object or page tables cannot be allocated. Nothing changes on error.
  Result<VirtAddr> reserve(const ReserveOptions& options);
  // Unmaps and removes the region that starts at `base` and its guards; its frames and commit
  // charge are given back. Error::NotFound if no region starts there; Error::Invalid for a guard
  // that belongs to another region (release that region instead).
  Result<void> release(VirtAddr base);
  // Grows the committed prefix of an Anonymous or Wired region to `committed` bytes. Wired pages
  // are mapped now. Error::OutOfRange over the quota, Error::NoMemory without frames or tables,
  // Error::Invalid for a size that is not page aligned, shrinks or exceeds the region, or another
  // backing. Nothing changes on error.
  Result<void> commit(VirtAddr base, u64 committed);
  // Shrinks the committed prefix to `committed` bytes: pages beyond are unmapped and their frames
  // freed after a shootdown; the charge is returned. Error::Invalid as commit.
  Result<void> decommit(VirtAddr base, u64 committed);
  // Changes the permissions of the region that starts at `base` and of its mapped pages.
  Result<void> protect(VirtAddr base, Perms perms);
  // Resolves a page fault at `va` (see FaultOutcome). Never blocks beyond the address-space lock.
  // While the lock is taken by another CPU, `while_waiting(context)` runs between attempts: the
  // kernel answers cross-calls there, since a trap handler spins with interrupts off and the
  // lock's holder may be waiting for this CPU to acknowledge a shootdown.
  FaultResult handle_fault(VirtAddr va, Access access, void (*while_waiting)(void*) = nullptr,
                           void* context = nullptr);

  support::Optional<RegionInfo> region_at(VirtAddr va);
  AddressSpaceStats stats();
  // Checks the region tree and the accounting (tests).
  bool check();

 private:
  static RegionInfo info_of(const Region& region);
  static bool perms_ok(Perms perms);
  Region* region_starting_at(VirtAddr base) REQUIRES(lock_);
  FaultResult handle_fault_locked(VirtAddr va, Access access) REQUIRES(lock_);
  Result<void> release_locked(Region& region) REQUIRES(lock_);
  Result<void> decommit_locked(Region& region, u64 committed) REQUIRES(lock_);
  // Unmaps [va, va+size) completely, flushing and completing the batch as often as needed.
  Result<u64> unmap_range(VirtAddr va, u64 size, ReleaseFrames release);
  void flush(ShootdownBatch& batch);
  Region* new_region();
  void delete_region(Region* region);

  support::SpinLock lock_;
  PageMapper& page_table_;
  FrameSource& frames_;
  PhysWindow& window_;
  TlbShootdown& tlb_;
  Allocator& objects_;
  RegionTree tree_ GUARDED_BY(lock_);
  u64 quota_pages_;
  u64 committed_pages_ GUARDED_BY(lock_) = 0;
  u64 resident_pages_ GUARDED_BY(lock_) = 0;
};

}  // namespace mem
