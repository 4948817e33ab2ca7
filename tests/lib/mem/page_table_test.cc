#include <mem/page_table.h>

#include <map>
#include <vector>

#include "mem_test_env.h"

namespace mem_test {
namespace {

constexpr u64 kGiB = u64{1} << 30;
constexpr u64 k2M = 2 * kMiB;

// Page tables live in simulated RAM; leaf frames are plain numbers, never touched.
struct Env {
  explicit Env(RiscvPteFormat format = RiscvPteFormat::sv48(), u64 ram = 8 * kMiB)
      : memory(kRam, ram), budget(frames) {
    PhysRange usable[] = {memory.range()};
    MUST(frames.init(usable, {}, memory));
    table = new Table(MUST(Table::create(format, memory, frames)));
  }
  ~Env() {
    table->destroy(frames);
    delete table;
  }
  u64 table_frames() const { return frames.stats().used[usize(FrameKind::PageTable)]; }
  u64 raw_pte(VirtAddr va) {
    // Walk by hand with the real format, for bit-level checks.
    PhysAddr t = table->root();
    for (u32 level = table->levels() - 1;; --level) {
      u64 pte = static_cast<u64*>(memory.virtual_of(t))[(va >> (12 + 9 * level)) & 511];
      if (!RiscvPteFormat::is_valid(pte) || RiscvPteFormat::is_leaf(pte) || level == 0) return pte;
      t = RiscvPteFormat::address(pte);
    }
  }
  HostMemory memory;
  FrameAllocator frames;
  BudgetFrames budget;
  Table* table;
};

TEST(PteFormat, riscv_bit_layout) {
  u64 leaf = RiscvPteFormat::make_leaf(0x80201000, Perms::Read | Perms::Write);
  EXPECT_EQ(leaf, (u64{0x80201} << 10) | 0xc7);  // V R W A D
  u64 ro = RiscvPteFormat::make_leaf(0x1000, Perms::Read | Perms::Execute | Perms::Global);
  EXPECT_EQ(ro, (u64{1} << 10) | 0x6b);  // V R X G A, no D
  EXPECT_EQ(RiscvPteFormat::make_table(0x80400000), (u64{0x80400} << 10) | 1);
  EXPECT_EQ(RiscvPteFormat::address(leaf), 0x80201000u);
  EXPECT_EQ(RiscvPteFormat::sv39().satp_mode(), 8u);
  EXPECT_EQ(RiscvPteFormat::sv48().satp_mode(), 9u);
  EXPECT_TRUE(RiscvPteFormat::allows(leaf, Access::Write));
  EXPECT_FALSE(RiscvPteFormat::allows(leaf & ~RiscvPteFormat::kDirty, Access::Write));
  EXPECT_FALSE(RiscvPteFormat::allows(leaf & ~RiscvPteFormat::kAccessed, Access::Read));
  EXPECT_FALSE(RiscvPteFormat::allows(ro, Access::Write));
  // Write-only requests become read-write: W without R is reserved.
  EXPECT_TRUE(RiscvPteFormat::make_leaf(0, Perms::Write) & RiscvPteFormat::kRead);
}

class PageTableLevels : public ::testing::TestWithParam<u32> {
 protected:
  RiscvPteFormat format() const { return RiscvPteFormat{GetParam()}; }
};

TEST_P(PageTableLevels, map_then_query_translates_every_page_with_accessed_and_dirty_preset) {
  Env env(format());
  VirtAddr va = 0x40000000 + 5 * kPageSize;
  ASSERT_TRUE(env.table->map(va, 0x90003000, 20 * kPageSize, kRW, env.frames).is_ok());
  ASSERT_TRUE(
      env.table->map(va + 32 * kPageSize, 0x91000000, kPageSize, Perms::Read, env.frames).is_ok());
  for (u64 i = 0; i < 20; ++i) {
    auto t = env.table->query(va + i * kPageSize + 7);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->phys, 0x90003000 + i * kPageSize + 7);
    EXPECT_EQ(t->page_size, kPageSize);
    EXPECT_TRUE(t->accessed);
    EXPECT_TRUE(t->dirty);
  }
  auto ro = env.table->query(va + 32 * kPageSize);
  ASSERT_TRUE(ro.has_value());
  EXPECT_TRUE(ro->accessed);
  EXPECT_FALSE(ro->dirty);
  u64 pte = env.raw_pte(va);
  EXPECT_EQ(pte & 0xff, 0xc7u);
  EXPECT_FALSE(env.table->query(va - kPageSize).has_value());
  EXPECT_FALSE(env.table->query(va + 20 * kPageSize).has_value());
  // Root + one table per lower level.
  EXPECT_EQ(env.table_frames(), GetParam());
}

TEST_P(PageTableLevels, large_pages_are_used_where_aligned) {
  Env env(format());
  // 1 GiB + 2 MiB + 4 KiB, aligned to 1 GiB in both spaces.
  VirtAddr va = 4 * kGiB;
  ASSERT_TRUE(env.table->map(va, 8 * kGiB, kGiB + k2M + kPageSize, kRW, env.frames).is_ok());
  EXPECT_EQ(env.table->query(va + 12345)->page_size, kGiB);
  EXPECT_EQ(env.table->query(va + kGiB + 5)->page_size, k2M);
  EXPECT_EQ(env.table->query(va + kGiB + k2M)->page_size, kPageSize);
  EXPECT_EQ(env.table->query(va + kGiB + k2M)->phys, 8 * kGiB + kGiB + k2M);
  // Misaligned physical address: 4 KiB pages only.
  ASSERT_TRUE(env.table->map(16 * kGiB, 0x80001000, k2M, kRW, env.frames).is_ok());
  EXPECT_EQ(env.table->query(16 * kGiB)->page_size, kPageSize);
  // Small pages on request.
  ASSERT_TRUE(env.table->map(20 * kGiB, 0, k2M, kRW, env.frames, PageSizes::Small).is_ok());
  EXPECT_EQ(env.table->query(20 * kGiB)->page_size, kPageSize);
}

TEST_P(PageTableLevels, mapping_over_a_mapped_page_fails_and_changes_nothing) {
  Env env(format());
  ASSERT_TRUE(env.table->map(0x200000, 0x1000000, k2M, kRW, env.frames).is_ok());
  u64 tables = env.table_frames();
  EXPECT_EQ(env.table->map(0x1ff000, 0x5000, 2 * kPageSize, kRW, env.frames).error(),
            Error::Exists);
  EXPECT_EQ(env.table_frames(), tables);
  EXPECT_FALSE(env.table->query(0x1ff000).has_value());
}

TEST_P(PageTableLevels, a_failed_map_leaks_no_table_and_maps_nothing) {
  Env env(format());
  u64 tables = env.table_frames();
  env.budget.set_budget(1);            // needs one table per level below the root for each span
  VirtAddr va = 3 * kGiB - kPageSize;  // crosses a 1 GiB boundary: two table chains
  EXPECT_EQ(env.table->map(va, 0x1000, 2 * kPageSize, kRW, env.budget).error(), Error::NoMemory);
  EXPECT_EQ(env.table_frames(), tables);
  EXPECT_EQ(env.budget.out(), 0u);
  EXPECT_FALSE(env.table->query(va).has_value());
  env.budget.set_budget(~u64{0});
  EXPECT_TRUE(env.table->map(va, 0x1000, 2 * kPageSize, kRW, env.budget).is_ok());
}

TEST_P(PageTableLevels, invalid_ranges_are_refused) {
  Env env(format());
  u32 bits = 12 + 9 * GetParam();
  VirtAddr lower_top = (u64{1} << (bits - 1));
  EXPECT_EQ(env.table->map(0x1001, 0, kPageSize, kRW, env.frames).error(), Error::Invalid);
  EXPECT_EQ(env.table->map(0x1000, 0x10, kPageSize, kRW, env.frames).error(), Error::Invalid);
  EXPECT_EQ(env.table->map(0x1000, 0, 0, kRW, env.frames).error(), Error::Invalid);
  EXPECT_EQ(env.table->map(0x1000, 0, kPageSize, Perms::User, env.frames).error(), Error::Invalid);
  EXPECT_EQ(env.table->map(lower_top - kPageSize, 0, 2 * kPageSize, kRW, env.frames).error(),
            Error::Invalid);
  EXPECT_EQ(env.table->map(lower_top, 0, kPageSize, kRW, env.frames).error(), Error::Invalid);
  // The top of the upper half works, and the last page of the address space too.
  VirtAddr upper = ~u64{0} << (bits - 1);
  ASSERT_TRUE(env.table->map(upper, 0x2000, kPageSize, kRW, env.frames).is_ok());
  ASSERT_TRUE(env.table->map(~u64{0} - kPageSize + 1, 0x3000, kPageSize, kRW, env.frames).is_ok());
  EXPECT_EQ(env.table->query(~u64{0})->phys, 0x3fffu);
  ShootdownBatch batch;
  auto p = MUST(
      env.table->unmap(~u64{0} - kPageSize + 1, kPageSize, ReleaseFrames::No, batch, env.frames));
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.pages, 1u);
  MUST(batch.complete(env.frames));
}

TEST_P(PageTableLevels, unmapping_part_of_a_large_page_splits_it) {
  Env env(format());
  ASSERT_TRUE(env.table->map(k2M, 0x40000000, k2M, kRW, env.frames).is_ok());
  ASSERT_EQ(env.table->query(k2M)->page_size, k2M);
  u64 tables = env.table_frames();
  ShootdownBatch batch;
  auto p =
      MUST(env.table->unmap(k2M + 4 * kPageSize, kPageSize, ReleaseFrames::No, batch, env.frames));
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.pages, 1u);
  EXPECT_EQ(env.table_frames(), tables + 1);
  EXPECT_FALSE(env.table->query(k2M + 4 * kPageSize).has_value());
  for (u64 i : {0, 3, 5, 511}) {
    auto t = env.table->query(k2M + i * kPageSize);
    ASSERT_TRUE(t.has_value()) << i;
    EXPECT_EQ(t->phys, 0x40000000 + i * kPageSize);
    EXPECT_EQ(t->page_size, kPageSize);
    EXPECT_TRUE(t->dirty);
  }
  ASSERT_FALSE(batch.ranges().empty());
  EXPECT_EQ(batch.ranges()[0].base, k2M);  // the old large entry is flushed
  EXPECT_TRUE(batch.frames().empty());
  MUST(batch.complete(env.frames));
  // Releasing frames of a large page unmapped in part is refused.
  ASSERT_TRUE(env.table->map(2 * k2M, 0x40000000, k2M, kRW, env.frames).is_ok());
  EXPECT_EQ(env.table->unmap(2 * k2M, kPageSize, ReleaseFrames::Yes, batch, env.frames).error(),
            Error::Unsupported);
}

TEST_P(PageTableLevels, protecting_part_of_a_large_page_splits_it) {
  Env env(format());
  ASSERT_TRUE(env.table->map(kGiB, kGiB, kGiB, kRW, env.frames).is_ok());
  ShootdownBatch batch;
  ASSERT_TRUE(env.table->protect(kGiB + k2M + kPageSize, kPageSize, Perms::Read, batch, env.frames)
                  .is_ok());
  EXPECT_EQ(env.table->query(kGiB)->page_size, k2M);
  EXPECT_EQ(env.table->query(kGiB + k2M)->page_size, kPageSize);
  EXPECT_EQ(env.table->query(kGiB + k2M + kPageSize)->perms, Perms::Read);
  EXPECT_FALSE(env.table->query(kGiB + k2M + kPageSize)->dirty);
  EXPECT_EQ(env.table->query(kGiB + k2M + 2 * kPageSize)->perms, kRW);
  EXPECT_TRUE(env.table->is_spurious_fault(kGiB + k2M + 2 * kPageSize, Access::Write));
  EXPECT_FALSE(env.table->is_spurious_fault(kGiB + k2M + kPageSize, Access::Write));
  EXPECT_TRUE(batch.needs_flush());
  MUST(batch.complete(env.frames));
}

TEST_P(PageTableLevels, unmap_frees_tables_and_frames_only_when_the_shootdown_completes) {
  Env env(format());
  u64 start_tables = env.table_frames();
  PhysAddr leaves[8];
  for (PhysAddr& leaf : leaves) leaf = MUST(env.frames.alloc_frame(FrameKind::Program));
  for (usize i = 0; i < 8; ++i)
    ASSERT_TRUE(
        env.table->map(0x7000000 + i * kPageSize, leaves[i], kPageSize, kRW, env.frames).is_ok());
  u64 mapped_tables = env.table_frames();
  ShootdownBatch batch;
  // The range covers the whole span of every table below the root (Sv39: 1 GiB root entries; Sv48:
  // the whole lower 512 GiB).
  u64 span = GetParam() == 3 ? 4 * kGiB : 512 * kGiB;
  auto p = MUST(env.table->unmap(0, span, ReleaseFrames::Yes, batch, env.frames));
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.pages, 8u);
  // Nothing is free yet: a hart may still hold the translations.
  EXPECT_EQ(env.table_frames(), mapped_tables);
  EXPECT_EQ(env.frames.stats().used[usize(FrameKind::Program)], 8u);
  EXPECT_EQ(batch.frames().size(), 8 + (mapped_tables - start_tables));
  MUST(batch.complete(env.frames));
  EXPECT_EQ(env.table_frames(), start_tables);
  EXPECT_EQ(env.frames.stats().used[usize(FrameKind::Program)], 0u);
}

TEST_P(PageTableLevels, unmap_stops_when_the_batch_is_full_and_resumes) {
  Env env(format());
  std::vector<PhysAddr> leaves;
  for (int i = 0; i < 300; ++i) {
    leaves.push_back(MUST(env.frames.alloc_frame(FrameKind::Program)));
    ASSERT_TRUE(env.table->map(0x100000 + i * kPageSize, leaves.back(), kPageSize, kRW, env.frames)
                    .is_ok());
  }
  ShootdownBatch batch;
  VirtAddr va = 0x100000, end = 0x100000 + 300 * kPageSize;
  int rounds = 0;
  u64 pages = 0;
  while (true) {
    auto p = MUST(env.table->unmap(va, end - va, ReleaseFrames::Yes, batch, env.frames));
    pages += p.pages;
    ++rounds;
    MUST(batch.complete(env.frames));
    if (p.done) break;
    ASSERT_GT(p.next, va);
    va = p.next;
  }
  EXPECT_EQ(pages, 300u);
  EXPECT_GE(rounds, 5);
  EXPECT_EQ(env.frames.stats().used[usize(FrameKind::Program)], 0u);
  // The range covers neither 2 MiB table's whole span: both stay (empty), as do the upper tables.
  EXPECT_EQ(env.table_frames(), GetParam() + 1);
}

TEST_P(PageTableLevels, spurious_fault_only_when_the_entry_allows_the_access) {
  Env env(format());
  ASSERT_TRUE(env.table->map(0x10000, 0x1000, kPageSize, kRW, env.frames).is_ok());
  ASSERT_TRUE(env.table->map(0x11000, 0x2000, kPageSize, Perms::Read, env.frames).is_ok());
  ASSERT_TRUE(env.table->map(0x12000, 0x3000, kPageSize, kRX, env.frames).is_ok());
  EXPECT_TRUE(env.table->is_spurious_fault(0x10008, Access::Read));
  EXPECT_TRUE(env.table->is_spurious_fault(0x10008, Access::Write));
  EXPECT_FALSE(env.table->is_spurious_fault(0x10008, Access::Execute));
  EXPECT_FALSE(env.table->is_spurious_fault(0x11000, Access::Write));
  EXPECT_TRUE(env.table->is_spurious_fault(0x12000, Access::Execute));
  EXPECT_FALSE(env.table->is_spurious_fault(0x13000, Access::Read));  // not mapped
  // A hart that clears A (or D) is honoured: the fault is then real, not spurious.
  u64* pte = nullptr;
  {
    PhysAddr t = env.table->root();
    for (u32 level = env.table->levels() - 1; level > 0; --level)
      t = RiscvPteFormat::address(
          static_cast<u64*>(env.memory.virtual_of(t))[(u64{0x10000} >> (12 + 9 * level)) & 511]);
    pte = &static_cast<u64*>(env.memory.virtual_of(t))[0x10];
  }
  *pte &= ~RiscvPteFormat::kDirty;
  EXPECT_TRUE(env.table->is_spurious_fault(0x10000, Access::Read));
  EXPECT_FALSE(env.table->is_spurious_fault(0x10000, Access::Write));
  *pte &= ~RiscvPteFormat::kAccessed;
  EXPECT_FALSE(env.table->is_spurious_fault(0x10000, Access::Read));
  ShootdownBatch batch;
  ASSERT_TRUE(env.table->protect(0x10000, kPageSize, kRW, batch, env.frames).is_ok());
  EXPECT_TRUE(env.table->is_spurious_fault(0x10000, Access::Write));
  batch.clear();
}

TEST_P(PageTableLevels, prepare_creates_tables_so_single_page_maps_need_no_frame) {
  Env env(format());
  ASSERT_TRUE(env.table->prepare(0x40000000, 8 * kMiB, env.frames).is_ok());
  env.budget.set_budget(0);
  for (u64 off = 0; off < 8 * kMiB; off += 64 * kPageSize)
    ASSERT_TRUE(env.table->map(0x40000000 + off, off, kPageSize, kRW, env.budget, PageSizes::Small)
                    .is_ok());
  EXPECT_EQ(env.table->map(0x40000000 + 8 * kMiB, 0, kPageSize, kRW, env.budget).error(),
            Error::NoMemory);
}

INSTANTIATE_TEST_SUITE_P(Sv39AndSv48, PageTableLevels, ::testing::Values(3u, 4u),
                         [](const auto& info) { return info.param == 3 ? "Sv39" : "Sv48"; });

// Randomized model test: map/unmap/protect with large pages, failure injection, and the query,
// accessed/dirty and spurious-fault rules checked against a per-page map.
void run_model(RiscvPteFormat format, u64 seed, int ops) {
  Env env(format, 16 * kMiB);
  const VirtAddr window = 2 * kGiB - 16 * k2M;  // 64 MiB straddling a 1 GiB boundary
  const u64 window_pages = (64 * kMiB) >> kPageShift;
  struct Page {
    bool mapped = false;
    PhysAddr pa = 0;
    Perms perms = Perms::None;
  };
  std::vector<Page> model(window_pages);  // indexed by page number in the window
  auto page_of = [&](VirtAddr va) -> Page* {
    if (va < window || va >= window + window_pages * kPageSize) return nullptr;
    return &model[(va - window) / kPageSize];
  };
  std::mt19937_64 rng(seed);
  auto expect_page = [&](VirtAddr va) {
    auto t = env.table->query(va);
    Page* it = page_of(va);
    if (it == nullptr || !it->mapped) {
      ASSERT_FALSE(t.has_value()) << std::hex << va;
      for (Access a : {Access::Read, Access::Write, Access::Execute})
        ASSERT_FALSE(env.table->is_spurious_fault(va, a));
      return;
    }
    ASSERT_TRUE(t.has_value()) << std::hex << va;
    ASSERT_EQ(t->phys, it->pa);
    Perms expected = it->perms;
    if (has(expected, Perms::Write)) expected = expected | Perms::Read;
    ASSERT_EQ(t->perms, expected);
    ASSERT_TRUE(t->accessed);
    ASSERT_EQ(t->dirty, has(expected, Perms::Write));
    for (Access a : {Access::Read, Access::Write, Access::Execute})
      ASSERT_EQ(env.table->is_spurious_fault(va + 8, a), perms_allow(expected, a));
  };
  const Perms choices[] = {Perms::Read, kRW, kRX, Perms::Read | Perms::Write | Perms::Execute,
                           Perms::Read | Perms::User};
  u64 checked = 0;
  for (int op = 0; op < ops; ++op) {
    // Ranges: mostly small, sometimes 2 MiB-aligned multi-megabyte ones (large pages).
    u64 pages, first;
    if (rng() % 8 == 0) {
      first = (rng() % 32) * 512;
      pages = 512 * (1 + rng() % 3) + (rng() % 2 ? rng() % 64 : 0);
    } else {
      first = rng() % window_pages;
      pages = 1 + rng() % 24;
    }
    if (first + pages > window_pages) pages = window_pages - first;
    VirtAddr va = window + first * kPageSize;
    u64 size = pages * kPageSize;
    int what = static_cast<int>(rng() % 100);
    if (what < 45) {
      PhysAddr pa = (rng() % 2) ? (0x100000000 + (rng() % 1024) * k2M + (va & (k2M - 1)))
                                : (0x200000000 + (rng() % 100000) * kPageSize);
      Perms perms = choices[rng() % 5];
      bool inject = rng() % 10 == 0;
      u64 tables_before = env.table_frames();
      env.budget.set_budget(inject ? rng() % 3 : ~u64{0});
      Result<void> r = env.table->map(va, pa, size, perms, env.budget,
                                      rng() % 4 ? PageSizes::Large : PageSizes::Small);
      env.budget.set_budget(~u64{0});
      bool any = false;
      for (u64 i = 0; i < pages && !any; ++i) any = model[first + i].mapped;
      if (any) {
        ASSERT_EQ(r.error(), Error::Exists);
      } else if (r.is_error()) {
        ASSERT_TRUE(inject);
        ASSERT_EQ(r.error(), Error::NoMemory);
        ASSERT_EQ(env.table_frames(), tables_before);
      } else {
        for (u64 i = 0; i < pages; ++i) model[first + i] = Page{true, pa + i * kPageSize, perms};
      }
    } else if (what < 75) {
      ShootdownBatch batch;
      VirtAddr at = va;
      u64 removed = 0;
      for (;;) {
        auto p = env.table->unmap(at, va + size - at, ReleaseFrames::No, batch, env.frames);
        ASSERT_TRUE(p.is_ok());
        removed += p.value().pages;
        ASSERT_TRUE(batch.complete(env.frames).is_ok());
        if (p.value().done) break;
        at = p.value().next;
      }
      u64 expected = 0;
      for (u64 i = 0; i < pages; ++i) {
        expected += model[first + i].mapped;
        model[first + i].mapped = false;
      }
      ASSERT_EQ(removed, expected);
    } else {
      ShootdownBatch batch;
      Perms perms = choices[rng() % 5];
      ASSERT_TRUE(env.table->protect(va, size, perms, batch, env.frames).is_ok());
      ASSERT_TRUE(batch.complete(env.frames).is_ok());
      for (u64 i = 0; i < pages; ++i) model[first + i].perms = perms;
    }
    // Check the touched range and its surroundings, a few random pages, and all now and then.
    for (u64 i = 0; i < pages + 2; i += 1 + pages / 16) {
      expect_page(va - kPageSize + i * kPageSize);
      if (::testing::Test::HasFatalFailure()) return;
    }
    for (int k = 0; k < 4; ++k) expect_page(window + (rng() % window_pages) * kPageSize);
    if (op % 10000 == 9999) {
      for (u64 i = 0; i < window_pages; ++i) expect_page(window + i * kPageSize);
      checked += window_pages;
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Unmapping everything frees every table but the root.
  ShootdownBatch batch;
  VirtAddr at = window;
  for (;;) {
    auto p =
        MUST(env.table->unmap(at, window + 64 * kMiB - at, ReleaseFrames::No, batch, env.frames));
    MUST(batch.complete(env.frames));
    if (p.done) break;
    at = p.next;
  }
  // Tables whose whole span was unmapped are gone; the two 1 GiB-span tables the window only
  // partly covers (and, in Sv48, the 512 GiB-span one) stay, empty.
  EXPECT_EQ(env.table_frames(), format.level_count() == 4 ? 4u : 3u);
  env.table->destroy(env.frames);
  EXPECT_EQ(env.table_frames(), 0u);
  EXPECT_GT(checked, 0u);
}

TEST(PageTableModel, sv48_random_operations_match_the_model) {
  run_model(RiscvPteFormat::sv48(), 0x5eed0002, 100000);
}
TEST(PageTableModel, sv39_random_operations_match_the_model) {
  run_model(RiscvPteFormat::sv39(), 0x5eed0003, 100000);
}

}  // namespace
}  // namespace mem_test
