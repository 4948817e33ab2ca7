#include <mem/address_space.h>
#include <mem/frame_cache.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "mem_test_env.h"

namespace mem_test {
namespace {

constexpr VirtAddr kLow = 0x10000000;
constexpr VirtAddr kHigh = u64{1} << 40;

struct Env {
  explicit Env(u64 ram = 32 * kMiB, u64 quota = ~u64{0} >> 20) : memory(kRam, ram), tlb(&frames) {
    PhysRange usable[] = {memory.range()};
    MUST(frames.init(usable, {}, memory));
    start = frames.stats();
    table = new Table(MUST(Table::create(RiscvPteFormat::sv48(), memory, frames)));
    space = new AddressSpace(*table, frames, memory, tlb, objects, kLow, kHigh, quota);
  }
  ~Env() {
    delete space;
    table->destroy(frames);
    delete table;
    FrameStats end = frames.stats();
    EXPECT_EQ(end.free, start.free) << "frames leaked";
    EXPECT_EQ(end.available, start.available) << "reservations leaked";
    EXPECT_EQ(objects.live, 0);
  }
  u64 used(FrameKind kind) { return frames.stats().used[usize(kind)]; }
  u8* bytes(VirtAddr va) {
    auto t = table->query(va);
    EXPECT_TRUE(t.has_value());
    return static_cast<u8*>(memory.virtual_of(t->phys));
  }
  HostMemory memory;
  FrameAllocator frames;
  FrameStats start;
  FakeTlb tlb;
  MallocObjects objects;
  Table* table;
  AddressSpace* space;
};

// A CPU faulting while another holds the lock for a shootdown must answer that shootdown while
// it waits (a trap handler spins with interrupts off): the fault's callback stands for that.
TEST(AddressSpace, a_fault_waiting_for_the_lock_runs_its_callback_so_a_shootdown_can_finish) {
  Env env;
  VirtAddr doomed = MUST(env.space->reserve({.size = 4 * kPageSize}));
  MUST(env.space->commit(doomed, 4 * kPageSize));
  (void)env.space->handle_fault(doomed, Access::Write);  // a resident page: release shoots down
  VirtAddr lazy = MUST(env.space->reserve({.size = 4 * kPageSize}));
  MUST(env.space->commit(lazy, 4 * kPageSize));
  std::atomic<bool> in_shootdown{false}, acknowledged{false}, gave_up{false};
  env.tlb.on_shootdown = [&] {
    in_shootdown = true;
    // Waits for the "other CPU" to acknowledge, as the kernel's shootdown does (bounded here so
    // that a broken handle_fault fails the test instead of hanging it).
    for (int i = 0; i < 20000 && !acknowledged; ++i)
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    gave_up = !acknowledged;
  };
  std::thread releaser([&] { MUST(env.space->release(doomed)); });
  while (!in_shootdown) std::this_thread::yield();
  u64 callbacks = 0;
  std::pair<std::atomic<bool>*, u64*> state{&acknowledged, &callbacks};
  FaultResult r = env.space->handle_fault(
      lazy, Access::Write,
      [](void* context) {
        auto* state = static_cast<std::pair<std::atomic<bool>*, u64*>*>(context);
        *state->first = true;
        ++*state->second;
      },
      &state);
  releaser.join();
  env.tlb.on_shootdown = nullptr;
  EXPECT_EQ(r.outcome, FaultOutcome::Resolved);
  EXPECT_FALSE(gave_up) << "the shootdown was never acknowledged while the fault waited";
  EXPECT_GE(callbacks, 1u);
}

TEST(AddressSpace, lazily_committed_region_maps_a_zeroed_frame_on_first_touch) {
  Env env;
  VirtAddr base = MUST(env.space->reserve({.size = 16 * kPageSize}));
  MUST(env.space->commit(base, 16 * kPageSize));
  EXPECT_EQ(env.used(FrameKind::Program), 0u);
  // Dirty a frame so that a recycled frame would show it.
  PhysAddr dirty = MUST(env.frames.alloc_frame(FrameKind::Other));
  __builtin_memset(env.memory.virtual_of(dirty), 0xab, kPageSize);
  MUST(env.frames.free(dirty));

  FaultResult r = env.space->handle_fault(base + 3 * kPageSize + 17, Access::Write);
  EXPECT_EQ(r.outcome, FaultOutcome::Resolved);
  ASSERT_TRUE(r.region.has_value());
  EXPECT_EQ(r.region->base, base);
  EXPECT_EQ(env.used(FrameKind::Program), 1u);
  u8* page = env.bytes(base + 3 * kPageSize);
  for (usize i = 0; i < kPageSize; ++i) ASSERT_EQ(page[i], 0) << i;
  // A second fault on the same page (another hart raced) is spurious and commits nothing.
  EXPECT_EQ(env.space->handle_fault(base + 3 * kPageSize, Access::Read).outcome,
            FaultOutcome::Spurious);
  EXPECT_EQ(env.used(FrameKind::Program), 1u);
  EXPECT_EQ(env.space->stats().resident_pages, 1u);
  EXPECT_TRUE(env.space->check());
}

TEST(AddressSpace, faults_report_guard_unmapped_permission_and_uncommitted_with_the_region) {
  Env env;
  VirtAddr base = MUST(env.space->reserve(
      {.size = 8 * kPageSize, .perms = Perms::Read, .guard_size = 4 * kPageSize}));
  MUST(env.space->commit(base, 4 * kPageSize));
  FaultResult guard = env.space->handle_fault(base + 9 * kPageSize, Access::Read);
  EXPECT_EQ(guard.outcome, FaultOutcome::Guard);
  EXPECT_EQ(guard.address, base + 9 * kPageSize);
  ASSERT_TRUE(guard.region.has_value());
  EXPECT_EQ(guard.region->backing, Backing::Guard);
  EXPECT_EQ(guard.region->base, base + 8 * kPageSize);
  EXPECT_STREQ(fault_outcome_name(guard.outcome), "guard page");
  EXPECT_STREQ(backing_name(guard.region->backing), "guard");
  EXPECT_STREQ(frame_kind_name(FrameKind::PageTable), "page tables");
  EXPECT_EQ(env.space->handle_fault(base - kPageSize, Access::Read).outcome,
            FaultOutcome::Unmapped);
  FaultResult write = env.space->handle_fault(base, Access::Write);
  EXPECT_EQ(write.outcome, FaultOutcome::Permission);
  EXPECT_EQ(write.access, Access::Write);
  EXPECT_EQ(write.region->base, base);
  EXPECT_EQ(env.space->handle_fault(base + 5 * kPageSize, Access::Read).outcome,
            FaultOutcome::NotCommitted);
  EXPECT_FALSE(env.space->handle_fault(base + 5 * kPageSize, Access::Read).retry());
  EXPECT_EQ(env.space->handle_fault(base, Access::Read).outcome, FaultOutcome::Resolved);
  EXPECT_EQ(env.used(FrameKind::Program), 1u);
}

TEST(AddressSpace, a_stack_has_a_guard_below_and_guards_belong_to_their_region) {
  Env env;
  VirtAddr stack = MUST(env.space->reserve({.size = 4 * kPageSize,
                                            .align = 4 * kPageSize,
                                            .backing = Backing::Wired,
                                            .guard_below = kPageSize}));
  EXPECT_EQ(stack % (4 * kPageSize), 0u);
  MUST(env.space->commit(stack, 4 * kPageSize));
  FaultResult overflow = env.space->handle_fault(stack - 8, Access::Write);
  EXPECT_EQ(overflow.outcome, FaultOutcome::Guard);
  EXPECT_EQ(overflow.region->base, stack - kPageSize);
  EXPECT_EQ(env.space->release(stack - kPageSize).error(), Error::Invalid);
  VirtAddr fixed = MUST(env.space->reserve({.size = kPageSize,
                                            .guard_size = kPageSize,
                                            .guard_below = 2 * kPageSize,
                                            .at = kLow + 0x100000}));
  EXPECT_EQ(fixed, kLow + 0x100000);
  EXPECT_EQ(env.space->region_at(kLow + 0x100000 - 2 * kPageSize)->backing, Backing::Guard);
  EXPECT_EQ(env.space->region_at(kLow + 0x100000 + kPageSize)->backing, Backing::Guard);
  EXPECT_EQ(
      env.space->reserve({.size = kPageSize, .guard_below = 2 * kPageSize, .at = kLow + kPageSize})
          .error(),
      Error::OutOfRange);  // the low guard would start below the address space
  EXPECT_EQ(env.space->stats().regions, 5u);
  // The destructor (in Env) releases the regions whose guards come first.
}

TEST(AddressSpace, commit_is_charged_at_growth_and_fails_cleanly_over_quota_or_frames) {
  Env env(4 * kMiB, /*quota=*/64);
  VirtAddr base = MUST(env.space->reserve({.size = 8 * kMiB}));
  MUST(env.space->commit(base, 32 * kPageSize));
  AddressSpaceStats before = env.space->stats();
  FrameStats frames_before = env.frames.stats();
  EXPECT_EQ(env.space->commit(base, 65 * kPageSize).error(), Error::OutOfRange);
  EXPECT_EQ(env.space->stats().committed_pages, before.committed_pages);
  EXPECT_EQ(env.frames.stats().available, frames_before.available);
  MUST(env.space->commit(base, 64 * kPageSize));
  EXPECT_EQ(env.frames.stats().available, frames_before.available - 32);
  // Frames run out before the quota: a bigger quota on a small machine.
  Env small(1 * kMiB);
  VirtAddr b2 = MUST(small.space->reserve({.size = 8 * kMiB}));
  u64 avail = small.frames.stats().available;
  EXPECT_EQ(small.space->commit(b2, (avail + 1) * kPageSize).error(), Error::NoMemory);
  EXPECT_EQ(small.frames.stats().available, avail);
  EXPECT_EQ(small.space->stats().committed_pages, 0u);
  // Every committed page can then be touched: no fault fails later.
  MUST(small.space->commit(b2, (avail - 4) * kPageSize));
  u64 left = small.frames.stats().available;  // the tables were taken too
  EXPECT_LE(left, 4u);
  for (u64 i = 0; i < avail - 4; ++i)
    ASSERT_EQ(small.space->handle_fault(b2 + i * kPageSize, Access::Write).outcome,
              FaultOutcome::Resolved)
        << i;
  EXPECT_EQ(small.frames.stats().available, left);
  EXPECT_EQ(small.frames.stats().free, left);
  EXPECT_TRUE(small.space->check());
}

TEST(AddressSpace, touching_a_sparse_subset_of_a_64_mib_region_commits_exactly_that_subset) {
  Env env(96 * kMiB);
  constexpr u64 kSize = 64 * kMiB;
  VirtAddr base = MUST(env.space->reserve({.size = kSize, .align = 2 * kMiB}));
  MUST(env.space->commit(base, kSize));
  u64 tables = env.used(FrameKind::PageTable);
  std::mt19937_64 rng(0x5eed0005);
  std::set<u64> touched;
  for (int i = 0; i < 500; ++i) {
    u64 page = rng() % (kSize / kPageSize);
    FaultOutcome o =
        env.space->handle_fault(base + page * kPageSize + rng() % kPageSize, Access::Write).outcome;
    ASSERT_EQ(o, touched.insert(page).second ? FaultOutcome::Resolved : FaultOutcome::Spurious);
  }
  EXPECT_EQ(env.used(FrameKind::Program), touched.size());
  EXPECT_EQ(env.space->stats().resident_pages, touched.size());
  EXPECT_EQ(env.used(FrameKind::PageTable), tables);  // the tables came with the commit
  EXPECT_LE(tables, 1u + 1 + 1 + kSize / (2 * kMiB));
  // Decommitting gives the frames back after a shootdown.
  u64 shootdowns = env.tlb.shootdowns;
  MUST(env.space->decommit(base, 0));
  EXPECT_GT(env.tlb.shootdowns, shootdowns);
  EXPECT_EQ(env.used(FrameKind::Program), 0u);
  EXPECT_EQ(env.space->stats().committed_pages, 0u);
  EXPECT_TRUE(env.space->check());
}

TEST(AddressSpace, wasm_linear_memory_reserves_the_maximum_and_grows_in_place) {
  Env env;
  constexpr u64 kWasmPage = 64 * 1024;
  VirtAddr base = MUST(env.space->reserve({.size = 256 * kWasmPage, .guard_size = 64 * kWasmPage}));
  MUST(env.space->commit(base, 1 * kWasmPage));
  EXPECT_EQ(env.space->handle_fault(base + kWasmPage, Access::Read).outcome,
            FaultOutcome::NotCommitted);
  MUST(env.space->commit(base, 3 * kWasmPage));  // memory.grow 2
  EXPECT_EQ(env.space->handle_fault(base + kWasmPage, Access::Read).outcome,
            FaultOutcome::Resolved);
  EXPECT_EQ(env.space->region_at(base)->committed, 3 * kWasmPage);
  EXPECT_EQ(env.space->handle_fault(base + 256 * kWasmPage + 5, Access::Write).outcome,
            FaultOutcome::Guard);
  EXPECT_EQ(env.space->commit(base, 2 * kWasmPage).error(),
            Error::Invalid);  // no shrinking by commit
  EXPECT_EQ(env.space->commit(base, 257 * kWasmPage).error(), Error::Invalid);
  MUST(env.space->release(base));
  EXPECT_EQ(env.space->stats().regions, 0u);
  EXPECT_EQ(env.used(FrameKind::Program), 0u);
}

TEST(AddressSpace, wired_regions_map_at_commit_and_physical_regions_at_reserve) {
  Env env;
  VirtAddr wired = MUST(env.space->reserve({.size = 8 * kPageSize, .backing = Backing::Wired}));
  MUST(env.space->commit(wired, 8 * kPageSize));
  EXPECT_EQ(env.used(FrameKind::Program), 8u);
  for (u64 i = 0; i < 8; ++i) EXPECT_TRUE(env.table->query(wired + i * kPageSize).has_value());
  EXPECT_EQ(env.space->handle_fault(wired, Access::Write).outcome, FaultOutcome::Spurious);
  VirtAddr mmio = MUST(env.space->reserve({.size = 4 * kMiB,
                                           .align = 2 * kMiB,
                                           .perms = kRW,
                                           .backing = Backing::Physical,
                                           .phys = 0x10000000}));
  auto t = env.table->query(mmio + 2 * kMiB + 8);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->phys, 0x10000000u + 2 * kMiB + 8);
  EXPECT_EQ(t->page_size, 2 * kMiB);
  EXPECT_EQ(env.space->commit(mmio, kPageSize).error(), Error::Invalid);
  MUST(env.space->release(mmio));  // physical frames are not ours: nothing freed, nothing broken
  EXPECT_FALSE(env.table->query(mmio).has_value());
  MUST(env.space->release(wired));
  EXPECT_EQ(env.used(FrameKind::Program), 0u);
  EXPECT_EQ(env.space->release(wired).error(), Error::NotFound);
}

TEST(AddressSpace, protect_changes_the_region_and_its_mapped_pages) {
  Env env;
  VirtAddr base = MUST(env.space->reserve({.size = 4 * kPageSize}));
  MUST(env.space->commit(base, 4 * kPageSize));
  ASSERT_EQ(env.space->handle_fault(base, Access::Write).outcome, FaultOutcome::Resolved);
  MUST(env.space->protect(base, Perms::Read));
  EXPECT_EQ(env.table->query(base)->perms, Perms::Read);
  EXPECT_EQ(env.space->handle_fault(base, Access::Write).outcome, FaultOutcome::Permission);
  EXPECT_EQ(env.space->handle_fault(base + kPageSize, Access::Write).outcome,
            FaultOutcome::Permission);
  EXPECT_EQ(env.space->handle_fault(base + kPageSize, Access::Read).outcome,
            FaultOutcome::Resolved);
  EXPECT_EQ(env.table->query(base + kPageSize)->perms, Perms::Read);
  EXPECT_EQ(env.space->protect(base, Perms::Write | Perms::Execute).error(),
            Error::Invalid);  // W without R
}

TEST(AddressSpace, reserve_at_a_fixed_address_and_failures_change_nothing) {
  Env env;
  VirtAddr a = MUST(env.space->reserve({.size = 4 * kPageSize, .at = kLow + 0x100000}));
  EXPECT_EQ(a, kLow + 0x100000);
  EXPECT_EQ(env.space->reserve({.size = kPageSize, .at = a + kPageSize}).error(), Error::Overlap);
  EXPECT_EQ(env.space->reserve({.size = 100}).error(), Error::Invalid);
  EXPECT_EQ(env.space->reserve({.size = kHigh}).error(), Error::NoMemory);
  env.objects.fail = true;
  EXPECT_EQ(env.space->reserve({.size = kPageSize}).error(), Error::NoMemory);
  env.objects.fail = false;
  EXPECT_EQ(env.space->stats().regions, 1u);
  VirtAddr aligned = MUST(env.space->reserve({.size = kPageSize, .align = 1 << 20}));
  EXPECT_EQ(aligned % (1 << 20), 0u);
}

TEST(AddressSpace, harts_faulting_the_same_pages_commit_one_frame_each) {
  Env env(32 * kMiB);
  constexpr u64 kPages = 256;
  VirtAddr base = MUST(env.space->reserve({.size = kPages * kPageSize}));
  MUST(env.space->commit(base, kPages * kPageSize));
  std::atomic<u64> resolved{0}, spurious{0};
  std::vector<std::thread> harts;
  // Two threads: the ticket spinlock is pathological with more threads than host cores.
  for (int h = 0; h < 2; ++h) {
    harts.emplace_back([&, h] {
      for (u64 i = 0; i < kPages; ++i) {
        u64 page = (i * 7 + h) % kPages;
        FaultOutcome o = env.space->handle_fault(base + page * kPageSize, Access::Write).outcome;
        if (o == FaultOutcome::Resolved) ++resolved;
        if (o == FaultOutcome::Spurious) ++spurious;
      }
    });
  }
  for (auto& t : harts) t.join();
  EXPECT_EQ(resolved.load(), kPages);
  EXPECT_EQ(spurious.load(), kPages);
  EXPECT_EQ(env.used(FrameKind::Program), kPages);
  EXPECT_TRUE(env.space->check());
}

// Randomized model test: reserve/release/commit/decommit/protect/fault against a model of regions
// and committed/resident pages; frame and commit accounting checked throughout.
TEST(AddressSpaceModel, random_operations_match_the_model) {
  Env env(24 * kMiB, /*quota=*/3000);
  struct M {
    u64 size;
    Perms perms;
    Backing backing;
    u64 guard;
    u64 committed = 0;
    std::set<u64> resident;
  };
  std::map<VirtAddr, M> model;
  std::mt19937_64 rng(0x5eed0006);
  u64 committed_pages = 0;
  const Perms choices[] = {Perms::Read, kRW, kRX};
  auto pick = [&]() -> std::map<VirtAddr, M>::iterator {
    if (model.empty()) return model.end();
    auto it = model.lower_bound(kLow + rng() % (64 * kMiB));
    return it == model.end() ? model.begin() : it;
  };
  constexpr int kOps = 100000;
  u64 resolved = 0;
  for (int op = 0; op < kOps; ++op) {
    int what = static_cast<int>(rng() % 100);
    if (what < 8) {
      u64 pages = 1 + rng() % 64;
      M m{pages * kPageSize,
          choices[rng() % 3],
          rng() % 5 == 0 ? Backing::Wired : Backing::Anonymous,
          (rng() % 3 == 0) ? (1 + rng() % 4) * kPageSize : 0,
          0,
          {}};
      auto base = env.space->reserve(
          {.size = m.size, .perms = m.perms, .backing = m.backing, .guard_size = m.guard});
      ASSERT_TRUE(base.is_ok());
      ASSERT_GE(base.value(), kLow);
      model[base.value()] = m;
    } else if (what < 12) {
      auto it = pick();
      if (it != model.end()) {
        ASSERT_TRUE(env.space->release(it->first).is_ok());
        committed_pages -= it->second.committed / kPageSize;
        model.erase(it);
      }
    } else if (what < 30) {
      auto it = pick();
      if (it != model.end()) {
        M& m = it->second;
        u64 target = m.committed + (rng() % 16) * kPageSize;
        if (target > m.size) target = m.size;
        u64 delta = (target - m.committed) / kPageSize;
        Result<void> r = env.space->commit(it->first, target);
        if (committed_pages + delta > 3000) {
          ASSERT_EQ(r.error(), Error::OutOfRange);
        } else if (r.is_error()) {
          ASSERT_EQ(r.error(), Error::NoMemory);
        } else {
          if (m.backing == Backing::Wired)
            for (u64 p = m.committed / kPageSize; p < target / kPageSize; ++p) m.resident.insert(p);
          m.committed = target;
          committed_pages += delta;
        }
      }
    } else if (what < 40) {
      auto it = pick();
      if (it != model.end() && it->second.committed > 0) {
        M& m = it->second;
        u64 target = (rng() % (m.committed / kPageSize + 1)) * kPageSize;
        ASSERT_TRUE(env.space->decommit(it->first, target).is_ok());
        committed_pages -= (m.committed - target) / kPageSize;
        m.resident.erase(m.resident.lower_bound(target / kPageSize), m.resident.end());
        m.committed = target;
      }
    } else if (what < 45) {
      auto it = pick();
      if (it != model.end()) {
        Perms p = choices[rng() % 3];
        ASSERT_TRUE(env.space->protect(it->first, p).is_ok());
        it->second.perms = p;
      }
    } else {  // fault somewhere near a region
      auto it = pick();
      if (it == model.end()) continue;
      VirtAddr va = it->first + rng() % (it->second.size + it->second.guard + 2 * kPageSize);
      Access access = Access(rng() % 3);
      FaultResult r = env.space->handle_fault(va, access);
      // Classify with the model.
      FaultOutcome expected = FaultOutcome::Unmapped;
      auto owner = model.upper_bound(va);
      bool found = false;
      if (owner != model.begin()) {
        --owner;
        const M& m = owner->second;
        if (va < owner->first + m.size) {
          found = true;
          u64 page = (va - owner->first) / kPageSize;
          if (!perms_allow(m.perms, access))
            expected = FaultOutcome::Permission;
          else if (m.resident.count(page))
            expected = FaultOutcome::Spurious;
          else if (page * kPageSize >= m.committed)
            expected = FaultOutcome::NotCommitted;
          else
            expected = FaultOutcome::Resolved;
          if (expected == FaultOutcome::Resolved) owner->second.resident.insert(page);
        } else if (va < owner->first + m.size + m.guard) {
          found = true;
          expected = FaultOutcome::Guard;
        }
      }
      ASSERT_EQ(r.outcome, expected) << std::hex << va << " op " << std::dec << op;
      ASSERT_EQ(r.region.has_value(), found);
      if (expected == FaultOutcome::Resolved) {
        ++resolved;
        // The new page reads as zeros; write a marker that decommit must not leak.
        u8* bytes = env.bytes(va & ~(kPageSize - 1));
        ASSERT_EQ(bytes[va & (kPageSize - 1)], 0);
        bytes[va & (kPageSize - 1)] = 0x5a;
      }
    }
    if (op % 500 == 0 || what < 45) {
      u64 resident = 0;
      for (auto& [b, m] : model) resident += m.resident.size();
      AddressSpaceStats s = env.space->stats();
      ASSERT_EQ(s.committed_pages, committed_pages);
      ASSERT_EQ(s.resident_pages, resident);
      ASSERT_EQ(env.used(FrameKind::Program), resident);
      if (op % 500 == 0) ASSERT_TRUE(env.space->check());
    }
  }
  EXPECT_GT(resolved, 1000u);
}

}  // namespace
}  // namespace mem_test
