#include <mem/frame_allocator.h>
#include <mem/frame_cache.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "mem_test_env.h"

namespace mem_test {
namespace {

u64 used_total(const FrameStats& s) {
  u64 sum = 0;
  for (u64 u : s.used) sum += u;
  return sum;
}

struct Fixture {
  explicit Fixture(u64 size = 16 * kMiB) : memory(kRam, size) {}
  HostMemory memory;
  FrameAllocator frames;
};

TEST(FrameAllocator, excludes_reserved_ranges_and_metadata_from_managed_frames) {
  Fixture f;
  PhysRange usable[] = {f.memory.range()};
  // Firmware at the start, an initrd and a device tree in the middle (unaligned edges).
  PhysRange reserved[] = {
      {kRam, 2 * kMiB}, {kRam + 8 * kMiB + 100, 3 * kMiB}, {kRam + 13 * kMiB, 10}};
  ASSERT_TRUE(f.frames.init(usable, reserved, f.memory).is_ok());
  FrameStats s = f.frames.stats();
  u64 all = (16 * kMiB) >> kPageShift;
  u64 reserved_frames = 512 + (3 * kMiB >> kPageShift) + 1 + 1;
  EXPECT_EQ(s.metadata, (all * 12 + kPageSize - 1) / kPageSize);
  EXPECT_EQ(s.total, all - reserved_frames - s.metadata);
  EXPECT_EQ(s.free, s.total);
  EXPECT_EQ(s.available, s.total);
  std::vector<PhysAddr> got;
  while (auto frame = f.frames.alloc(0, FrameKind::Other)) got.push_back(frame.value());
  EXPECT_EQ(got.size(), s.total);
  for (PhysAddr p : got) {
    for (const PhysRange& r : reserved)
      EXPECT_FALSE(p + kPageSize > (r.base & ~(kPageSize - 1)) && p < r.end()) << std::hex << p;
    EXPECT_GE(p, kRam + 2 * kMiB + s.metadata * kPageSize);  // metadata carved after the firmware
  }
  for (PhysAddr p : got) ASSERT_TRUE(f.frames.free(p).is_ok());
  EXPECT_EQ(f.frames.stats().free, s.total);
}

TEST(FrameAllocator, physical_page_zero_is_never_a_frame) {
  HostMemory memory(0, 2 * kMiB);
  FrameAllocator frames;
  PhysRange usable[] = {memory.range()};
  ASSERT_TRUE(frames.init(usable, {}, memory).is_ok());
  EXPECT_EQ(frames.zone_range(0).base, kPageSize);
  while (auto p = frames.alloc(0, FrameKind::Other)) ASSERT_NE(p.value(), 0u);
  EXPECT_EQ(frames.free(0).error(), Error::Invalid);
}

TEST(FrameAllocator, runs_are_aligned_to_their_size) {
  Fixture f;
  PhysRange usable[] = {f.memory.range()};
  ASSERT_TRUE(f.frames.init(usable, {}, f.memory).is_ok());
  for (u32 order = 0; order <= 9; ++order) {
    PhysAddr p = MUST(f.frames.alloc(order, FrameKind::KernelHeap));
    EXPECT_EQ(p % (kPageSize << order), 0u) << order;
    EXPECT_EQ(MUST(f.frames.order_of(p)), order);
  }
  EXPECT_TRUE(f.frames.alloc(FrameAllocator::kMaxOrder + 1, FrameKind::Other).is_error());
  EXPECT_EQ(f.frames.alloc(12, FrameKind::Other).error(), Error::NoMemory);  // 16 MiB: not free
}

TEST(FrameAllocator, double_free_and_foreign_frees_are_errors_that_change_nothing) {
  Fixture f;
  PhysRange usable[] = {f.memory.range()};
  PhysRange reserved[] = {{kRam, kMiB}};
  ASSERT_TRUE(f.frames.init(usable, reserved, f.memory).is_ok());
  PhysAddr run = MUST(f.frames.alloc(2, FrameKind::Program));
  PhysAddr single = MUST(f.frames.alloc(0, FrameKind::Program));
  FrameStats before = f.frames.stats();
  EXPECT_EQ(f.frames.free(run + kPageSize).error(), Error::Invalid);   // inside a run
  EXPECT_EQ(f.frames.free(kRam).error(), Error::Invalid);              // reserved
  EXPECT_EQ(f.frames.free(kRam - kPageSize).error(), Error::Invalid);  // outside RAM
  EXPECT_EQ(f.frames.free(single + 8).error(), Error::Invalid);        // unaligned
  EXPECT_EQ(f.frames.stats().free, before.free);
  ASSERT_TRUE(f.frames.free(single).is_ok());
  EXPECT_EQ(f.frames.free(single).error(), Error::NotFound);  // double free
  ASSERT_TRUE(f.frames.free(run).is_ok());
  EXPECT_EQ(f.frames.free(run).error(), Error::NotFound);
  EXPECT_EQ(f.frames.free(run + 2 * kPageSize).error(), Error::NotFound);  // never allocated, free
  EXPECT_EQ(f.frames.stats().free, f.frames.stats().total);
}

TEST(FrameAllocator, counts_frames_by_kind) {
  Fixture f;
  PhysRange usable[] = {f.memory.range()};
  ASSERT_TRUE(f.frames.init(usable, {}, f.memory).is_ok());
  PhysAddr a = MUST(f.frames.alloc(3, FrameKind::KernelHeap));
  PhysAddr b = MUST(f.frames.alloc(0, FrameKind::PageTable));
  PhysAddr c = MUST(f.frames.alloc(1, FrameKind::Cache));
  FrameStats s = f.frames.stats();
  EXPECT_EQ(s.used[usize(FrameKind::KernelHeap)], 8u);
  EXPECT_EQ(s.used[usize(FrameKind::PageTable)], 1u);
  EXPECT_EQ(s.used[usize(FrameKind::Cache)], 2u);
  EXPECT_EQ(s.free + used_total(s), s.total);
  MUST(f.frames.free(a));
  MUST(f.frames.free(b));
  MUST(f.frames.free(c));
  EXPECT_EQ(used_total(f.frames.stats()), 0u);
}

TEST(FrameAllocator, freed_buddies_merge_back_into_the_largest_runs) {
  Fixture f(8 * kMiB);
  PhysRange usable[] = {f.memory.range()};
  ASSERT_TRUE(f.frames.init(usable, {}, f.memory).is_ok());
  std::vector<PhysAddr> singles;
  while (auto p = f.frames.alloc(0, FrameKind::Other)) singles.push_back(p.value());
  EXPECT_TRUE(f.frames.alloc(0, FrameKind::Other).is_error());
  for (usize i = 0; i < singles.size(); i += 2) MUST(f.frames.free(singles[i]));
  EXPECT_EQ(f.frames.alloc(1, FrameKind::Other).error(), Error::NoMemory);  // fragmented
  for (usize i = 1; i < singles.size(); i += 2) MUST(f.frames.free(singles[i]));
  // 8 MiB minus the first metadata page(s): the upper 4 MiB is one order-10 run again.
  EXPECT_TRUE(f.frames.alloc(10, FrameKind::Other).is_ok());
}

TEST(FrameAllocator, trim_keeps_the_first_frames_of_a_run_and_frees_the_rest) {
  Fixture f;
  PhysRange usable[] = {f.memory.range()};
  ASSERT_TRUE(f.frames.init(usable, {}, f.memory).is_ok());
  u64 free_before = f.frames.stats().free;
  PhysAddr run = MUST(f.frames.alloc(5, FrameKind::KernelHeap));         // 32 frames
  EXPECT_EQ(f.frames.trim(run + kPageSize, 3).error(), Error::Invalid);  // not a run's start
  EXPECT_EQ(f.frames.trim(run, 0).error(), Error::Invalid);
  EXPECT_EQ(f.frames.trim(run, 33).error(), Error::Invalid);
  ASSERT_TRUE(f.frames.trim(run, 21).is_ok());  // 16 + 4 + 1
  FrameStats s = f.frames.stats();
  EXPECT_EQ(s.used[usize(FrameKind::KernelHeap)], 21u);
  EXPECT_EQ(s.free, free_before - 21);
  EXPECT_EQ(s.available, free_before - 21);
  std::vector<std::pair<PhysAddr, u32>> runs;
  FrameAllocator::for_each_run(run, 21, [&](PhysAddr p, u32 k) { runs.push_back({p, k}); });
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0], std::make_pair(run, 4u));
  EXPECT_EQ(runs[1], std::make_pair(run + 16 * kPageSize, 2u));
  EXPECT_EQ(runs[2], std::make_pair(run + 20 * kPageSize, 0u));
  for (auto [p, k] : runs) EXPECT_EQ(MUST(f.frames.order_of(p)), k);
  // The freed tail is allocatable again; the kept runs free one by one.
  PhysAddr tail = MUST(f.frames.alloc(3, FrameKind::Other));
  EXPECT_EQ(tail, run + 24 * kPageSize);
  MUST(f.frames.free(tail));
  for (auto [p, k] : runs) MUST(f.frames.free(p));
  EXPECT_EQ(f.frames.stats().free, free_before);
  EXPECT_EQ(used_total(f.frames.stats()), 0u);
  // Everything merged back: the whole order-5 run is there again.
  PhysAddr again = MUST(f.frames.alloc(5, FrameKind::Other));
  EXPECT_TRUE(f.frames.trim(again, 32).is_ok());  // keeping all of it changes nothing
  EXPECT_EQ(MUST(f.frames.order_of(again)), 5u);
  MUST(f.frames.free(again));
}

TEST(FrameAllocator, reservations_promise_frames_that_unreserved_allocations_cannot_take) {
  Fixture f(4 * kMiB);
  PhysRange usable[] = {f.memory.range()};
  ASSERT_TRUE(f.frames.init(usable, {}, f.memory).is_ok());
  u64 total = f.frames.stats().total;
  ASSERT_TRUE(f.frames.reserve_frames(total - 1).is_ok());
  EXPECT_EQ(f.frames.reserve_frames(2).error(), Error::NoMemory);
  PhysAddr last = MUST(f.frames.alloc_frame(FrameKind::Other));
  EXPECT_EQ(f.frames.alloc_frame(FrameKind::Other).error(), Error::NoMemory);
  std::vector<PhysAddr> reserved;
  for (u64 i = 0; i + 1 < total; ++i)
    reserved.push_back(f.frames.alloc_reserved_frame(FrameKind::Program));
  EXPECT_EQ(f.frames.stats().free, 0u);
  for (PhysAddr p : reserved) MUST(f.frames.free(p));
  MUST(f.frames.free(last));
  EXPECT_EQ(f.frames.stats().available, total);
}

TEST(FrameAllocator, zones_from_several_ranges_and_a_zone_too_small_for_metadata_is_skipped) {
  HostMemory memory(kRam, 16 * kMiB);
  FrameAllocator frames;
  PhysRange usable[] = {{kRam, 4 * kMiB}, {kRam + 8 * kMiB, 8 * kMiB}, {kRam + 5 * kMiB, 100}};
  PhysRange reserved[] = {
      {kRam + 8 * kMiB, 8 * kMiB - 4096}};  // leaves one frame: no metadata room
  ASSERT_TRUE(frames.init(usable, reserved, memory).is_ok());
  EXPECT_EQ(frames.stats().total, 1024u - 3);  // 3 pages of metadata for 1024 frames
  ASSERT_EQ(frames.zone_count(), 1u);
  EXPECT_EQ(frames.zone_range(0).base, kRam);
  EXPECT_EQ(frames.zone_range(0).size, 4 * kMiB);
  EXPECT_EQ(frames.metadata_range(0).base, kRam);
  EXPECT_EQ(frames.metadata_range(0).size, 3 * kPageSize);
  // Moving the metadata's mapping (early map to direct map): a copy of RAM at another address.
  HostMemory moved(kRam, 16 * kMiB);
  std::memcpy(moved.virtual_of(kRam), memory.virtual_of(kRam), 4 * kMiB);
  frames.remap_metadata(moved);
  PhysAddr p = MUST(frames.alloc(0, FrameKind::Other));
  __builtin_memset(memory.virtual_of(kRam), 0xff, 3 * kPageSize);  // the old mapping is unused
  MUST(frames.free(p));
  EXPECT_EQ(frames.stats().free, 1024u - 3);
  PhysRange overlapping[] = {{kRam, 4 * kMiB}, {kRam + kMiB, kMiB}};
  FrameAllocator other;
  EXPECT_EQ(other.init(overlapping, {}, memory).error(), Error::Overlap);
}

TEST(FrameCache, serves_single_frames_and_counts_cached_frames_as_free) {
  Fixture f;
  PhysRange usable[] = {f.memory.range()};
  ASSERT_TRUE(f.frames.init(usable, {}, f.memory).is_ok());
  FrameStats start = f.frames.stats();
  {
    FrameCache cache(f.frames);
    PhysAddr p = MUST(cache.alloc_frame(FrameKind::Program));
    FrameStats s = f.frames.stats();
    EXPECT_EQ(s.used[usize(FrameKind::Program)], 1u);
    EXPECT_EQ(s.cached, FrameCache::kBatch - 1);
    EXPECT_EQ(s.free, start.free - 1);
    EXPECT_EQ(s.available, start.available - FrameCache::kBatch);
    MUST(cache.free_frame(p));
    EXPECT_EQ(cache.free_frame(p).error(), Error::NotFound);  // double free into the cache
    EXPECT_EQ(f.frames.free(p).error(), Error::NotFound);     // or behind its back
    EXPECT_EQ(cache.free_frame(p + 1).error(), Error::Invalid);
    EXPECT_EQ(f.frames.stats().free, start.free);
    PhysAddr run = MUST(f.frames.alloc(3, FrameKind::Other));
    MUST(cache.free_frame(run));  // runs go straight back
    cache.drain_all();
    EXPECT_EQ(f.frames.stats().cached, 0u);
  }
  FrameStats end = f.frames.stats();
  EXPECT_EQ(end.free, start.free);
  EXPECT_EQ(end.available, start.available);
}

TEST(FrameCache, a_frame_freed_on_another_cpu_cannot_be_freed_twice) {
  Fixture f;
  PhysRange usable[] = {f.memory.range()};
  ASSERT_TRUE(f.frames.init(usable, {}, f.memory).is_ok());
  FrameCache cpu0(f.frames), cpu1(f.frames);
  PhysAddr p = MUST(cpu0.alloc_frame(FrameKind::KernelHeap));
  MUST(cpu1.free_frame(p));
  EXPECT_EQ(cpu0.free_frame(p).error(), Error::NotFound);
  // Overflowing a cache drains a batch to the allocator.
  std::vector<PhysAddr> many;
  for (usize i = 0; i < 3 * FrameCache::kCapacity; ++i)
    many.push_back(MUST(cpu0.alloc_frame(FrameKind::Other)));
  for (PhysAddr q : many) MUST(cpu1.free_frame(q));
  EXPECT_LE(cpu1.held(), FrameCache::kCapacity);
}

TEST(FrameCache, two_cpus_freeing_the_same_frame_at_once_succeed_exactly_once) {
  Fixture f;
  PhysRange usable[] = {f.memory.range()};
  ASSERT_TRUE(f.frames.init(usable, {}, f.memory).is_ok());
  const FrameStats start = f.frames.stats();
  constexpr u64 kRounds = 3000;
  std::atomic<u64> round{0}, done{0}, frees{0}, refused{0};
  std::atomic<PhysAddr> frame{0};
  auto cpu = [&](int id) {
    FrameCache cache(f.frames);
    for (u64 r = 1; r <= kRounds; ++r) {
      while (round.load() < r) std::this_thread::yield();
      PhysAddr p = frame.load();
      // One CPU frees into its cache, the other alternates between its cache and the allocator.
      Result<void> result = (id == 1 && r % 2) ? f.frames.free(p) : cache.free_frame(p);
      (result.is_ok() ? frees : refused)++;
      done++;
      // Both attempts on `p` must be over before this cache hands `p` out again: otherwise the
      // other CPU's late free would hit a frame that is legitimately allocated again (a double
      // free by the test, not a bug the allocator could see).
      while (done.load() < 2 * r) std::this_thread::yield();
      // Keep the caches busy so that refills and drains race with the next round's frees too.
      if (r % 7 == 0) {
        PhysAddr q = MUST(cache.alloc_frame(FrameKind::Other));
        MUST(cache.free_frame(q));
      }
    }
  };
  std::thread a(cpu, 0), b(cpu, 1);
  for (u64 r = 1; r <= kRounds; ++r) {
    frame.store(MUST(f.frames.alloc(0, FrameKind::Program)));
    round.store(r);
    while (done.load() < 2 * r) std::this_thread::yield();
  }
  a.join();
  b.join();
  EXPECT_EQ(frees.load(), kRounds);
  EXPECT_EQ(refused.load(), kRounds);
  FrameStats end = f.frames.stats();
  EXPECT_EQ(end.free, start.free);
  EXPECT_EQ(end.available, start.available);
  EXPECT_EQ(end.cached, 0u);
}

// Randomized model test: allocations through the allocator and two per-CPU caches, frees through
// any path, double frees, reservations; checked against a map of live runs and running counters,
// and by the content written into each live run.
TEST(FrameAllocatorModel, random_operations_match_the_model) {
  HostMemory memory(kRam, 8 * kMiB);
  FrameAllocator frames;
  PhysRange usable[] = {memory.range()};
  PhysRange reserved[] = {{kRam + 3 * kMiB + 5000, 70000}};
  ASSERT_TRUE(frames.init(usable, reserved, memory).is_ok());
  FrameCache caches[2] = {FrameCache(frames), FrameCache(frames)};
  const FrameStats start = frames.stats();

  struct Live {
    u32 order;
    FrameKind kind;
    u64 tag;
  };
  std::map<PhysAddr, Live> live;
  std::vector<PhysAddr> freed;  // recently freed, for double-free attempts
  u64 used[kFrameKindCount] = {};
  u64 reservations = 0, reserved_allocs_left = 0;
  std::mt19937_64 rng(0x5eed0001);
  u64 tag = 1;
  constexpr int kOps = 200000;
  auto check_counters = [&] {
    FrameStats s = frames.stats();
    u64 cached = caches[0].held() + caches[1].held();
    u64 in_use = 0;
    for (usize k = 0; k < kFrameKindCount; ++k) {
      ASSERT_EQ(s.used[k], used[k]) << k;
      in_use += used[k];
    }
    ASSERT_EQ(s.cached, cached);
    ASSERT_EQ(s.free + in_use, s.total);
    ASSERT_EQ(s.available + reservations, s.free - cached);
  };
  auto add_live = [&](PhysAddr p, u32 order, FrameKind kind) {
    ASSERT_EQ(p % (kPageSize << order), 0u);
    auto next = live.lower_bound(p);
    if (next != live.end()) ASSERT_GE(next->first, p + (kPageSize << order)) << "overlap";
    if (next != live.begin()) {
      auto prev = std::prev(next);
      ASSERT_LE(prev->first + (kPageSize << prev->second.order), p) << "overlap";
    }
    for (const PhysRange& r : reserved)
      ASSERT_TRUE(p + (kPageSize << order) <= r.base || p >= r.end());
    u64* words = static_cast<u64*>(memory.virtual_of(p));
    words[0] = tag;
    words[((kPageSize << order) / 8) - 1] = tag;
    live[p] = Live{order, kind, tag++};
    used[usize(kind)] += u64{1} << order;
  };
  for (int op = 0; op < kOps; ++op) {
    int what = static_cast<int>(rng() % 100);
    FrameKind kind = FrameKind(rng() % 5);
    FrameCache& cache = caches[rng() % 2];
    if (what < 30) {  // allocate through a cache
      auto p = cache.alloc_frame(kind);
      if (p.is_ok()) add_live(p.value(), 0, kind);
    } else if (what < 45) {  // allocate a run
      u32 order = static_cast<u32>(rng() % 6);
      auto p = frames.alloc(order, kind);
      if (p.is_ok()) add_live(p.value(), order, kind);
    } else if (what < 50) {  // draw from a reservation
      if (reserved_allocs_left > 0) {
        PhysAddr p =
            (rng() % 2) ? cache.alloc_reserved_frame(kind) : frames.alloc_reserved_frame(kind);
        --reserved_allocs_left;
        --reservations;
        add_live(p, 0, kind);
      }
    } else if (what < 88) {  // free a live run through any path
      if (!live.empty()) {
        auto it = live.lower_bound(kRam + (rng() % (8 * kMiB)));
        if (it == live.end()) it = live.begin();
        PhysAddr p = it->first;
        u64* words = static_cast<u64*>(memory.virtual_of(p));
        ASSERT_EQ(words[0], it->second.tag);
        ASSERT_EQ(words[((kPageSize << it->second.order) / 8) - 1], it->second.tag);
        Result<void> r = (rng() % 3 == 0) ? frames.free(p) : cache.free_frame(p);
        ASSERT_TRUE(r.is_ok());
        used[usize(it->second.kind)] -= u64{1} << it->second.order;
        live.erase(it);
        freed.push_back(p);
        if (freed.size() > 64) freed.erase(freed.begin());
      }
    } else if (what < 93) {  // double free or a free inside a run: always an error
      if (!freed.empty()) {
        PhysAddr p = freed[rng() % freed.size()];
        if (!live.count(p)) {
          Result<void> r = (rng() % 2) ? frames.free(p) : cache.free_frame(p);
          // It may have been reallocated as part of a larger run (Invalid) or be free (NotFound).
          ASSERT_TRUE(r.is_error());
        }
      }
      if (!live.empty()) {
        auto it = live.begin();
        if (it->second.order > 0) {
          ASSERT_EQ(frames.free(it->first + kPageSize).error(), Error::Invalid);
          ASSERT_EQ(cache.free_frame(it->first + kPageSize).error(), Error::Invalid);
        }
      }
    } else if (what < 97) {  // reserve
      u64 n = rng() % 8;
      if (frames.reserve_frames(n).is_ok()) {
        reservations += n;
        reserved_allocs_left += n;
      }
    } else if (what < 99) {  // unreserve some
      u64 n = reserved_allocs_left ? rng() % (reserved_allocs_left + 1) : 0;
      frames.unreserve_frames(n);
      reservations -= n;
      reserved_allocs_left -= n;
    } else {
      cache.drain_all();
    }
    check_counters();
    if (HasFatalFailure()) return;
  }
  for (auto& [p, l] : live) MUST(frames.free(p));
  frames.unreserve_frames(reservations);
  caches[0].drain_all();
  caches[1].drain_all();
  FrameStats end = frames.stats();
  EXPECT_EQ(end.free, start.free);
  EXPECT_EQ(end.available, start.available);
  EXPECT_EQ(used_total(end), 0u);
  // Everything merged back: both 2 MiB runs free of metadata and of the reserved range are whole.
  std::vector<PhysAddr> big;
  while (auto p = frames.alloc(9, FrameKind::Other)) big.push_back(p.value());
  EXPECT_EQ(big.size(), 2u);
  for (PhysAddr p : big) MUST(frames.free(p));
}

}  // namespace
}  // namespace mem_test
