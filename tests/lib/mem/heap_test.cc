#include <mem/heap.h>

#include <map>
#include <thread>
#include <vector>

#include "mem_test_env.h"

namespace mem_test {
namespace {

bool aligned(void* p, usize align) { return (reinterpret_cast<uptr>(p) & (align - 1)) == 0; }

TEST(Heap, small_allocations_come_from_size_classes_and_are_reused) {
  HostPages pages;
  Heap heap(pages, Poison::No);
  void* a = MUST(heap.alloc(24));
  void* b = MUST(heap.alloc(24));
  EXPECT_NE(a, b);
  EXPECT_TRUE(aligned(a, 16));
  EXPECT_EQ(MUST(heap.usable_size(a)), 32u);
  EXPECT_EQ(pages.held, 1u);
  MUST(heap.free(a));
  EXPECT_EQ(MUST(heap.alloc(30)), a);  // the freed slot is the lowest free one
  MUST(heap.free(a));
  MUST(heap.free(b));
  HeapStats s = heap.stats();
  EXPECT_EQ(s.allocations, 0u);
  EXPECT_EQ(s.bytes_in_use, 0u);
  heap.trim();
  EXPECT_EQ(pages.held, 0u);
}

TEST(Heap, aligned_and_large_allocations) {
  HostPages pages;
  Heap heap(pages, Poison::No);
  for (usize align : {16, 32, 64, 128, 256, 4096, 8192, 65536}) {
    for (usize size : {1, 48, 100, 1000, 5000, 70000}) {
      void* p = MUST(heap.alloc(size, align));
      EXPECT_TRUE(aligned(p, align)) << size << " " << align;
      EXPECT_GE(MUST(heap.usable_size(p)), size);
      __builtin_memset(p, 0x11, size);
      MUST(heap.free(p));
    }
  }
  // A large allocation takes the pages it needs, not the next power of two.
  u64 slabs = pages.held;
  void* big = MUST(heap.alloc(3 << 20));
  EXPECT_EQ(heap.stats().pages, slabs + 769);  // the header needs one more page
  EXPECT_EQ(pages.held, slabs + 769);
  MUST(heap.free(big));
  big = MUST(heap.alloc((5 << 12) - 16));
  EXPECT_EQ(pages.held, slabs + 5);
  MUST(heap.free(big));
  EXPECT_EQ(heap.alloc(16, 3).error(), Error::Invalid);
  heap.trim();
  EXPECT_EQ(pages.held, 0u);
  EXPECT_EQ(heap.stats().bytes_in_use, 0u);
}

TEST(Heap, bad_and_double_frees_are_errors) {
  HostPages pages;
  Heap heap(pages, Poison::No);
  void* a = MUST(heap.alloc(64));
  void* keep = MUST(heap.alloc(64));
  EXPECT_EQ(heap.free(static_cast<u8*>(a) + 8).error(), Error::Invalid);
  MUST(heap.free(a));
  EXPECT_EQ(heap.free(a).error(), Error::NotFound);
  EXPECT_EQ(heap.stats().allocations, 1u);
  void* large = MUST(heap.alloc(10000));
  EXPECT_EQ(heap.free(static_cast<u8*>(large) + 16).error(), Error::Invalid);
  MUST(heap.free(large));
  EXPECT_TRUE(heap.free(nullptr).is_ok());
  MUST(heap.free(keep));
}

TEST(Heap, out_of_pages_is_an_error_not_a_crash) {
  HostPages pages;
  pages.limit = 4;
  Heap heap(pages, Poison::No);
  EXPECT_EQ(heap.alloc(5 * 4096).error(), Error::NoMemory);
  std::vector<void*> got;
  while (auto p = heap.alloc(1024)) got.push_back(p.value());
  EXPECT_EQ(got.size(), 4u * 3);  // three 1 KiB objects per slab
  EXPECT_EQ(heap.allocate(8, 16), nullptr);
  EXPECT_GE(heap.stats().failed, 3u);
  for (void* p : got) MUST(heap.free(p));
}

TEST(Heap, poisoning_fills_freed_memory_and_catches_writes_after_free) {
  HostPages pages;
  Heap heap(pages, Poison::Yes);
  u8* a = static_cast<u8*>(MUST(heap.alloc(48)));
  void* keep = MUST(heap.alloc(48));  // keeps the slab alive
  __builtin_memset(a, 0, 48);
  MUST(heap.free(a));
  for (int i = 0; i < 48; ++i) ASSERT_EQ(a[i], Heap::kPoisonByte);
  EXPECT_EQ(heap.stats().poison_errors, 0u);
  a[5] = 1;  // write after free
  EXPECT_EQ(MUST(heap.alloc(48)), a);
  EXPECT_EQ(heap.stats().poison_errors, 1u);
  MUST(heap.free(a));
  MUST(heap.free(keep));
}

TEST(Heap, two_threads_allocating_and_freeing_return_every_page) {
  HostPages pages;
  Heap heap(pages, Poison::Yes);
  auto worker = [&](u64 seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::pair<u8*, usize>> mine;
    // Few iterations: the ticket lock makes oversubscribed hosts slow, and the point is the race.
    for (int i = 0; i < 3000; ++i) {
      if (mine.empty() || (mine.size() < 200 && rng() % 2)) {
        usize size = 1 + rng() % (rng() % 8 == 0 ? 9000 : 512);
        u8* p = static_cast<u8*>(MUST(heap.alloc(size)));
        __builtin_memset(p, static_cast<u8>(seed), size);
        mine.emplace_back(p, size);
      } else {
        usize k = rng() % mine.size();
        auto [p, size] = mine[k];
        ASSERT_EQ(p[0], static_cast<u8>(seed));
        ASSERT_EQ(p[size - 1], static_cast<u8>(seed));
        MUST(heap.free(p));
        mine[k] = mine.back();
        mine.pop_back();
      }
    }
    for (auto [p, size] : mine) MUST(heap.free(p));
  };
  std::thread a(worker, 0x11), b(worker, 0x22);
  a.join();
  b.join();
  EXPECT_EQ(heap.stats().allocations, 0u);
  EXPECT_EQ(heap.stats().poison_errors, 0u);
  heap.trim();
  EXPECT_EQ(pages.held, 0u);
}

// Randomized model test: mixed sizes and alignments, each allocation filled with its own byte and
// checked when freed (overlaps would show), statistics checked against the model.
TEST(HeapModel, random_operations_match_the_model) {
  HostPages pages;
  Heap heap(pages, Poison::Yes);
  struct Live {
    usize size;
    u8 fill;
    bool small;
  };
  std::map<u8*, Live> live;
  std::vector<u8*> handles;  // the live pointers, for a uniform random pick
  std::mt19937_64 rng(0x5eed0007);
  constexpr int kOps = 150000;
  for (int op = 0; op < kOps; ++op) {
    bool allocate = live.empty() || (live.size() < 3000 && rng() % 100 < 52);
    if (allocate) {
      usize size;
      int kind = static_cast<int>(rng() % 100);
      if (kind < 70)
        size = 1 + rng() % 128;
      else if (kind < 95)
        size = 1 + rng() % 1024;
      else
        size = 1025 + rng() % 20000;
      usize align = usize{16} << (rng() % 8 == 0 ? rng() % 9 : 0);
      if (size > 4096 && align > 4096) align = 16;
      void* p = MUST(heap.alloc(size, align));
      u8* bytes = static_cast<u8*>(p);
      ASSERT_TRUE(aligned(p, align));
      ASSERT_FALSE(live.count(bytes));
      auto next = live.lower_bound(bytes);
      if (next != live.end()) ASSERT_LE(bytes + size, next->first);
      if (next != live.begin())
        ASSERT_LE(std::prev(next)->first + std::prev(next)->second.size, bytes);
      u8 fill = static_cast<u8>(rng());
      __builtin_memset(bytes, fill, size);
      live[bytes] = Live{size, fill, size <= 1024 && align <= 64};
      handles.push_back(bytes);
    } else {
      usize pick = rng() % handles.size();
      auto it = live.find(handles[pick]);
      handles[pick] = handles.back();
      handles.pop_back();
      for (usize i = 0; i < it->second.size; i += 1 + it->second.size / 8)
        ASSERT_EQ(it->first[i], it->second.fill);
      ASSERT_EQ(it->first[it->second.size - 1], it->second.fill);
      u8* p = it->first;
      bool slab = it->second.small;
      live.erase(it);
      ASSERT_TRUE(heap.free(p).is_ok());
      // A double free is caught while the slab lives (another object keeps it).
      u8* page = reinterpret_cast<u8*>(reinterpret_cast<uptr>(p) & ~uptr{4095});
      auto near = live.lower_bound(page);
      if (slab && near != live.end() && near->first < page + 4096 && rng() % 4 == 0)
        ASSERT_EQ(heap.free(p).error(), Error::NotFound);
    }
    ASSERT_EQ(heap.stats().allocations, live.size());
  }
  EXPECT_EQ(heap.stats().poison_errors, 0u);
  for (auto& [p, l] : live) MUST(heap.free(p));
  heap.trim();
  EXPECT_EQ(heap.stats().pages, 0u);
  EXPECT_EQ(heap.stats().bytes_in_use, 0u);
  EXPECT_EQ(pages.held, 0u);
}

}  // namespace
}  // namespace mem_test
