// PageTable<Format>: a page-table walker for any number of levels over memory reached through a
// PhysWindow. The entry layout comes from `Format` (the kernel's arch::RiscvPteFormat for Sv39 and
// Sv48); this file knows only that a table is one 4 KiB frame of 2^Format::kIndexBits 64-bit
// entries and that an entry is invalid, a leaf or a pointer to the next table.
//
// Contracts common to every operation:
//   - Ranges are page aligned, non-empty, canonical for the format and within one half of the
//     address space; otherwise Error::Invalid and nothing changes.
//   - Intermediate tables come from the FrameSource passed in. An operation first counts the
//     frames it will need and reserves them, so it either fails with Error::NoMemory having changed
//     nothing, or completes: nothing half-done, nothing leaked.
//   - Leaves are created with the accessed bit (and dirty when writable) preset.
//   - Nothing here flushes a TLB: removals and downgrades are recorded in a ShootdownBatch; the
//     frames they free are given back only by ShootdownBatch::complete().
//   - Not thread-safe: the owner (an address space) serialises changes. Lookups (query,
//     is_spurious_fault) read entries atomically and may run concurrently with changes.
//
// Format requirements (see arch/pte_format.h): kIndexBits; level_count(); max_leaf_level();
// is_valid, is_leaf, address, accessed, dirty, make_table(pa), make_leaf(pa, perms),
// perms(pte), valid_leaf_perms(perms), allows(pte, access).
#pragma once

#include <mem/shootdown.h>
#include <mem/types.h>
#include <support/optional.h>

namespace mem {

// What a virtual address translates to.
struct Translation {
  PhysAddr phys = 0;   // the physical address of the queried byte
  PhysAddr frame = 0;  // the start of the page (or large page) that holds it
  u64 page_size = 0;
  Perms perms = Perms::None;
  bool accessed = false;
  bool dirty = false;
};

enum class PageSizes : u8 { Small, Large };  // Large: use 2 MiB/1 GiB leaves where aligned
enum class ReleaseFrames : u8 { No, Yes };   // unmap: give leaf frames back after the shootdown

struct UnmapProgress {
  bool done = false;  // false: the batch filled up; complete it and call again from `next`
  VirtAddr next = 0;  // where to resume when not done
  u64 pages = 0;      // 4 KiB pages whose translation was removed by this call
};

// The page-table operations without the format, so that address spaces need no template.
class PageMapper {
 public:
  virtual PhysAddr root() const = 0;
  virtual u32 levels() const = 0;
  // Maps [va, va+size) to [pa, pa+size). Error::Exists if any page of the range is mapped
  // (nothing changes); Error::NoMemory if the tables cannot be allocated (nothing changes).
  virtual Result<void> map(VirtAddr va, PhysAddr pa, u64 size, Perms perms, FrameSource& tables,
                           PageSizes sizes = PageSizes::Large) = 0;
  // Creates every intermediate table down to the 4 KiB level for the range, so that later map()s
  // of single pages in it need no frame. Error::NoMemory changes nothing.
  virtual Result<void> prepare(VirtAddr va, u64 size, FrameSource& tables) = 0;
  // Removes the translations of the range (holes are skipped), splitting a large page that the
  // range covers only in part. A table whose whole span the range covers and that ends up empty
  // is removed too; the root never is. Stops early when `batch` is full (see UnmapProgress).
  // Error::NoMemory if a needed split cannot get a table (nothing changes); Error::Unsupported
  // for ReleaseFrames::Yes on a large page the range covers in part.
  virtual Result<UnmapProgress> unmap(VirtAddr va, u64 size, ReleaseFrames release,
                                      ShootdownBatch& batch, FrameSource& tables) = 0;
  // Sets the permissions of every mapped page of the range (holes are skipped), splitting large
  // pages covered in part. Changed entries are recorded in `batch`. Errors as unmap.
  virtual Result<void> protect(VirtAddr va, u64 size, Perms perms, ShootdownBatch& batch,
                               FrameSource& tables) = 0;
  virtual support::Optional<Translation> query(VirtAddr va) const = 0;
  // True when the current entry already allows `access` at `va`: the fault was raised against a
  // stale TLB entry; a local sfence.vma and a retry resolve it.
  virtual bool is_spurious_fault(VirtAddr va, Access access) const = 0;
  // Frees every table including the root into `frames` (leaf frames are the owner's). Only once no
  // hart can use this table any more and its translations are flushed.
  virtual void destroy(FrameSource& frames) = 0;

 protected:
  ~PageMapper() = default;
};

template <typename Format> class PageTable final : public PageMapper {
 public:
  static constexpr usize kEntries = usize{1} << Format::kIndexBits;

  // A new, empty table: one frame for the root. Error::NoMemory.
  static Result<PageTable> create(const Format& format, PhysWindow& window, FrameSource& frames) {
    PhysAddr root = TRY(frames.alloc_frame(FrameKind::PageTable));
    __builtin_memset(window.virtual_of(root), 0, kPageSize);
    return PageTable(format, window, root);
  }
  // Adopts an existing root.
  PageTable(const Format& format, PhysWindow& window, PhysAddr root)
      : format_(format), window_(&window), root_(root) {}

  PhysAddr root() const override { return root_; }
  u32 levels() const override { return format_.level_count(); }
  u64 entry_size(u32 level) const { return u64{1} << (kPageShift + Format::kIndexBits * level); }
  u32 va_bits() const { return kPageShift + Format::kIndexBits * format_.level_count(); }
  bool range_ok(VirtAddr va, u64 size) const {
    if (size == 0 || !is_page_aligned(va) || !is_page_aligned(size)) return false;
    VirtAddr last = va + size - 1;
    if (last < va || !canonical(va) || !canonical(last)) return false;
    return (va >> 63) == (last >> 63);
  }

  Result<void> map(VirtAddr va, PhysAddr pa, u64 size, Perms perms, FrameSource& tables,
                   PageSizes sizes = PageSizes::Large) override {
    if (!range_ok(va, size) || !is_page_aligned(pa) || !Format::valid_leaf_perms(perms))
      return Error::Invalid;
    VirtAddr last = va + size - 1;
    if (any_mapped(root_, top(), va, last)) return Error::Exists;
    u64 need = count_tables(root_, top(), va, last, pa, sizes);
    if (need > 0) TRY(tables.reserve_frames(need));
    Build build{pa, va, perms, sizes, &tables, true};
    build_level(root_, top(), va, last, build);
    return {};
  }

  Result<void> prepare(VirtAddr va, u64 size, FrameSource& tables) override {
    if (!range_ok(va, size)) return Error::Invalid;
    VirtAddr last = va + size - 1;
    u64 need = count_tables(root_, top(), va, last, 0, PageSizes::Small);
    if (need > 0) TRY(tables.reserve_frames(need));
    Build build{0, va, Perms::None, PageSizes::Small, &tables, false};
    build_level(root_, top(), va, last, build);
    return {};
  }

  Result<UnmapProgress> unmap(VirtAddr va, u64 size, ReleaseFrames release, ShootdownBatch& batch,
                              FrameSource& tables) override {
    if (!range_ok(va, size)) return Error::Invalid;
    u32 splits = TRY(count_splits(va, size, release));
    if (splits > 0) TRY(tables.reserve_frames(splits));
    Change change{&batch, &tables, splits, release, Perms::None};
    UnmapProgress progress;
    progress.done = unmap_level(root_, top(), va, va + size - 1, change, progress);
    if (progress.done) progress.next = va + size;
    if (change.splits_left > 0) tables.unreserve_frames(change.splits_left);
    return progress;
  }

  Result<void> protect(VirtAddr va, u64 size, Perms perms, ShootdownBatch& batch,
                       FrameSource& tables) override {
    if (!range_ok(va, size) || !Format::valid_leaf_perms(perms)) return Error::Invalid;
    u32 splits = TRY(count_splits(va, size, ReleaseFrames::No));
    if (splits > 0) TRY(tables.reserve_frames(splits));
    Change change{&batch, &tables, splits, ReleaseFrames::No, perms};
    protect_level(root_, top(), va, va + size - 1, change);
    if (change.splits_left > 0) tables.unreserve_frames(change.splits_left);
    return {};
  }

  support::Optional<Translation> query(VirtAddr va) const override {
    u32 level;
    u64 pte = leaf_of(va, level);
    if (!Format::is_valid(pte)) return support::kNone;
    u64 size = entry_size(level);
    Translation t;
    t.frame = Format::address(pte);
    t.phys = t.frame + (va & (size - 1));
    t.page_size = size;
    t.perms = Format::perms(pte);
    t.accessed = Format::accessed(pte);
    t.dirty = Format::dirty(pte);
    return t;
  }

  bool is_spurious_fault(VirtAddr va, Access access) const override {
    u32 level;
    return Format::allows(leaf_of(va, level), access);
  }

  void destroy(FrameSource& frames) override {
    if (root_ == 0) return;
    destroy_level(root_, top(), frames);
    root_ = 0;
  }

 private:
  struct Build {
    PhysAddr pa_of_va;  // physical address that `va` maps to
    VirtAddr va;
    Perms perms;
    PageSizes sizes;
    FrameSource* tables;
    bool write_leaves;
  };
  struct Change {
    ShootdownBatch* batch;
    FrameSource* tables;
    u32 splits_left;
    ReleaseFrames release;
    Perms perms;
  };

  u32 top() const { return format_.level_count() - 1; }
  bool canonical(VirtAddr va) const {
    u32 shift = 64 - va_bits();
    return static_cast<u64>(static_cast<i64>(va << shift) >> shift) == va;
  }
  u64* table(PhysAddr pa) const { return static_cast<u64*>(window_->virtual_of(pa)); }
  u64* entry(PhysAddr tbl, u32 level, VirtAddr va) const {
    return &table(tbl)[(va >> (kPageShift + Format::kIndexBits * level)) & (kEntries - 1)];
  }
  static u64 load(const u64* e) { return __atomic_load_n(e, __ATOMIC_ACQUIRE); }
  static void store(u64* e, u64 value) { __atomic_store_n(e, value, __ATOMIC_RELEASE); }
  bool large_ok(u32 level, PageSizes sizes) const {
    return level == 0 || (sizes == PageSizes::Large && level <= format_.max_leaf_level());
  }

  // Calls fn(a, b_last, full) for each entry of `level` that [lo, last] intersects; fn returns
  // false to stop (then for_each returns false).
  template <typename Fn> bool for_each(u32 level, VirtAddr lo, VirtAddr last, Fn&& fn) const {
    u64 size = entry_size(level);
    VirtAddr a = lo;
    for (;;) {
      VirtAddr base = a & ~(size - 1);
      VirtAddr entry_last = base + (size - 1);
      VirtAddr b = entry_last < last ? entry_last : last;
      if (!fn(a, b, a == base && b == entry_last)) return false;
      if (b == last) return true;
      a = b + 1;
    }
  }

  // The leaf entry for `va` (0 if none) and its level.
  u64 leaf_of(VirtAddr va, u32& level) const {
    if (!canonical(va) || root_ == 0) return 0;
    PhysAddr tbl = root_;
    for (level = top();; --level) {
      u64 pte = load(entry(tbl, level, va));
      if (!Format::is_valid(pte)) return 0;
      if (Format::is_leaf(pte)) return pte;
      if (level == 0) return 0;
      tbl = Format::address(pte);
    }
  }

  bool any_mapped(PhysAddr tbl, u32 level, VirtAddr lo, VirtAddr last) const {
    return !for_each(level, lo, last, [&](VirtAddr a, VirtAddr b, bool) {
      u64 pte = load(entry(tbl, level, a));
      if (!Format::is_valid(pte)) return true;
      if (Format::is_leaf(pte) || level == 0) return false;
      return !any_mapped(Format::address(pte), level - 1, a, b);
    });
  }

  // Tables that build_level would create; tbl == 0 stands for a table not yet there.
  u64 count_tables(PhysAddr tbl, u32 level, VirtAddr lo, VirtAddr last, PhysAddr pa_lo,
                   PageSizes sizes) const {
    if (level == 0) return 0;
    u64 need = 0;
    for_each(level, lo, last, [&](VirtAddr a, VirtAddr b, bool full) {
      PhysAddr pa = pa_lo + (a - lo);
      u64 pte = tbl != 0 ? load(entry(tbl, level, a)) : 0;
      // A large leaf goes only where no table is: an existing (empty) table is reused instead, so
      // that it is neither leaked nor freed without a shootdown.
      if (!Format::is_valid(pte) && full && large_ok(level, sizes) &&
          (pa & (entry_size(level) - 1)) == 0)
        return true;
      if (Format::is_valid(pte) && Format::is_leaf(pte))
        return true;  // prepare() over a large page
      PhysAddr child = Format::is_valid(pte) ? Format::address(pte) : 0;
      if (child == 0) ++need;
      need += count_tables(child, level - 1, a, b, pa, sizes);
      return true;
    });
    return need;
  }

  void build_level(PhysAddr tbl, u32 level, VirtAddr lo, VirtAddr last, const Build& build) {
    if (level == 0 && !build.write_leaves) return;
    for_each(level, lo, last, [&](VirtAddr a, VirtAddr b, bool full) {
      u64* e = entry(tbl, level, a);
      PhysAddr pa = build.pa_of_va + (a - build.va);
      u64 pte = load(e);
      if (level == 0 || (!Format::is_valid(pte) && full && large_ok(level, build.sizes) &&
                         (pa & (entry_size(level) - 1)) == 0)) {
        if (build.write_leaves) store(e, Format::make_leaf(pa, build.perms));
        return true;
      }
      if (Format::is_valid(pte) && Format::is_leaf(pte)) return true;
      PhysAddr child;
      if (Format::is_valid(pte)) {
        child = Format::address(pte);
      } else {
        child = build.tables->alloc_reserved_frame(FrameKind::PageTable);
        __builtin_memset(table(child), 0, kPageSize);
        store(e, Format::make_table(child));  // release: the zeroed table is visible first
      }
      build_level(child, level - 1, a, b, build);
      return true;
    });
  }

  // Splits needed at each end of the range (an upper bound when both ends share a large page).
  Result<u32> count_splits(VirtAddr va, u64 size, ReleaseFrames release) const {
    u32 splits = 0;
    VirtAddr ends[2] = {va, va + size - 1};
    for (int i = 0; i < 2; ++i) {
      VirtAddr boundary = i == 0 ? va : va + size;
      u32 level;
      u64 pte = leaf_of(ends[i], level);
      if (!Format::is_valid(pte)) continue;
      u32 here = 0;
      for (u32 l = level; l > 0 && (boundary & (entry_size(l) - 1)) != 0; --l) ++here;
      if (here > 0 && release == ReleaseFrames::Yes) return Error::Unsupported;
      splits += here;
    }
    return splits;
  }

  // Replaces the large leaf at `e` by a table of leaves one level down with the same frames and
  // permissions (same translation, so no flush is needed for correctness; recorded anyway since
  // the hardware may cache either form).
  void split(u64* e, u64 pte, u32 level, VirtAddr entry_base, Change& change) {
    if (change.splits_left == 0)
      support_must_failed("page-table split not reserved", __FILE__, __LINE__);
    --change.splits_left;
    PhysAddr child = change.tables->alloc_reserved_frame(FrameKind::PageTable);
    u64* t = table(child);
    u64 child_size = entry_size(level - 1);
    PhysAddr base = Format::address(pte);
    Perms perms = Format::perms(pte);
    for (usize i = 0; i < kEntries; ++i) t[i] = Format::make_leaf(base + i * child_size, perms);
    store(e, Format::make_table(child));
    change.batch->add_range(entry_base, entry_size(level));
  }

  bool table_empty(PhysAddr tbl) const {
    const u64* t = table(tbl);
    for (usize i = 0; i < kEntries; ++i)
      if (Format::is_valid(load(&t[i]))) return false;
    return true;
  }

  bool unmap_level(PhysAddr tbl, u32 level, VirtAddr lo, VirtAddr last, Change& change,
                   UnmapProgress& progress) {
    return for_each(level, lo, last, [&](VirtAddr a, VirtAddr b, bool full) {
      u64* e = entry(tbl, level, a);
      u64 pte = load(e);
      if (!Format::is_valid(pte)) return true;
      u64 size = entry_size(level);
      VirtAddr base = a & ~(size - 1);
      if (Format::is_leaf(pte)) {
        if (full) {
          if (change.batch->frame_room() < levels() + 1) {
            progress.next = a;
            return false;
          }
          store(e, 0);
          change.batch->add_range(base, size);
          if (change.release == ReleaseFrames::Yes) change.batch->add_frame(Format::address(pte));
          progress.pages += size >> kPageShift;
          return true;
        }
        split(e, pte, level, base, change);
        pte = load(e);
      }
      if (level == 0) return true;  // malformed: a table pointer at the last level
      PhysAddr child = Format::address(pte);
      if (!unmap_level(child, level - 1, a, b, change, progress)) return false;
      if (full && table_empty(child)) {
        if (change.batch->frame_room() < 1) {
          progress.next = a;
          return false;
        }
        store(e, 0);
        change.batch->add_range(base, size);
        change.batch->add_frame(child);
      }
      return true;
    });
  }

  void protect_level(PhysAddr tbl, u32 level, VirtAddr lo, VirtAddr last, Change& change) {
    for_each(level, lo, last, [&](VirtAddr a, VirtAddr b, bool full) {
      u64* e = entry(tbl, level, a);
      u64 pte = load(e);
      if (!Format::is_valid(pte)) return true;
      u64 size = entry_size(level);
      VirtAddr base = a & ~(size - 1);
      if (Format::is_leaf(pte)) {
        if (full) {
          u64 updated = Format::make_leaf(Format::address(pte), change.perms);
          if (updated != pte) {
            store(e, updated);
            change.batch->add_range(base, size);
          }
          return true;
        }
        split(e, pte, level, base, change);
        pte = load(e);
      }
      if (level > 0) protect_level(Format::address(pte), level - 1, a, b, change);
      return true;
    });
  }

  void destroy_level(PhysAddr tbl, u32 level, FrameSource& frames) {
    if (level > 0) {
      u64* t = table(tbl);
      for (usize i = 0; i < kEntries; ++i) {
        u64 pte = load(&t[i]);
        if (Format::is_valid(pte) && !Format::is_leaf(pte))
          destroy_level(Format::address(pte), level - 1, frames);
      }
    }
    (void)frames.free_frame(tbl);
  }

  Format format_;
  PhysWindow* window_;
  PhysAddr root_;
};

}  // namespace mem
