#include <mem/region_tree.h>

#include <map>
#include <memory>
#include <vector>

#include "mem_test_env.h"

namespace mem_test {
namespace {

constexpr VirtAddr kLow = 0x10000;
constexpr VirtAddr kHigh = 0x100000000;

Region make(VirtAddr base, u64 size) {
  Region r;
  r.base = base;
  r.size = size;
  return r;
}

TEST(RegionTree, insert_find_and_refuse_overlaps) {
  RegionTree tree(kLow, kHigh);
  Region a = make(0x20000, 0x3000), b = make(0x30000, 0x1000), c = make(0x22000, 0x1000);
  ASSERT_TRUE(tree.insert(a).is_ok());
  ASSERT_TRUE(tree.insert(b).is_ok());
  EXPECT_EQ(tree.insert(c).error(), Error::Overlap);
  Region same = make(0x20000, 0x1000);
  EXPECT_EQ(tree.insert(same).error(), Error::Overlap);
  Region low = make(0x0, 0x1000), high = make(kHigh - 0x1000, 0x2000), empty = make(0x50000, 0);
  EXPECT_EQ(tree.insert(low).error(), Error::OutOfRange);
  EXPECT_EQ(tree.insert(high).error(), Error::OutOfRange);
  EXPECT_EQ(tree.insert(empty).error(), Error::OutOfRange);
  EXPECT_EQ(tree.find(0x22fff), &a);
  EXPECT_EQ(tree.find(0x23000), nullptr);
  EXPECT_EQ(tree.find(0x30000), &b);
  EXPECT_EQ(tree.first_ending_after(0x23000), &b);
  EXPECT_TRUE(tree.is_free(0x23000, 0xd000));
  EXPECT_FALSE(tree.is_free(0x23000, 0xe000));
  EXPECT_TRUE(tree.check());
}

TEST(RegionTree, gap_search_finds_the_lowest_aligned_fit) {
  RegionTree tree(kLow, kHigh);
  Region a = make(0x10000, 0x1000), b = make(0x13000, 0x1000), c = make(0x40000, 0x1000);
  ASSERT_TRUE(tree.insert(a).is_ok());
  ASSERT_TRUE(tree.insert(b).is_ok());
  ASSERT_TRUE(tree.insert(c).is_ok());
  EXPECT_EQ(*tree.find_gap(0x2000, 0x1000), 0x11000u);   // between a and b
  EXPECT_EQ(*tree.find_gap(0x3000, 0x1000), 0x14000u);   // after b
  EXPECT_EQ(*tree.find_gap(0x1000, 0x10000), 0x20000u);  // aligned inside the b..c gap
  EXPECT_EQ(*tree.find_gap(0x30000, 0x1000), 0x41000u);  // only the tail fits
  EXPECT_FALSE(tree.find_gap(kHigh, 0x1000).has_value());
  tree.remove(b);
  EXPECT_EQ(*tree.find_gap(0x3000, 0x1000), 0x11000u);  // the gaps merged
  EXPECT_TRUE(tree.check());
}

TEST(RegionTree, stays_balanced_with_ascending_inserts) {
  RegionTree tree(kLow, kHigh);
  std::vector<std::unique_ptr<Region>> regions;
  for (int i = 0; i < 4096; ++i) {
    regions.push_back(std::make_unique<Region>(make(kLow + i * 0x2000, 0x1000)));
    ASSERT_TRUE(tree.insert(*regions.back()).is_ok());
  }
  EXPECT_TRUE(tree.check());  // includes the AVL height rule
  EXPECT_EQ(tree.size(), 4096u);
  EXPECT_EQ(*tree.find_gap(0x1000, 0x1000), kLow + 0x1000);
  EXPECT_EQ(*tree.find_gap(0x2000, 0x1000), kLow + 4096 * 0x2000 - 0x1000);
}

// Randomized model test: insert/remove/find/gap search against a std::map of ranges.
TEST(RegionTreeModel, random_operations_match_the_model) {
  constexpr VirtAddr lo = 0x100000, hi = lo + 0x4000000;  // 64 MiB, 16384 pages
  RegionTree tree(lo, hi);
  std::map<VirtAddr, std::unique_ptr<Region>> model;
  std::mt19937_64 rng(0x5eed0004);
  auto model_free = [&](VirtAddr base, u64 size) {
    if (base < lo || base + size > hi) return false;
    auto it = model.upper_bound(base);
    if (it != model.end() && it->first < base + size) return false;
    if (it != model.begin() && std::prev(it)->second->end() > base) return false;
    return true;
  };
  auto model_gap = [&](u64 size, u64 align) -> std::optional<VirtAddr> {
    VirtAddr start = lo;
    for (auto& [base, r] : model) {
      VirtAddr c = (start + align - 1) & ~(align - 1);
      if (c + size <= base) return c;
      start = r->end();
    }
    VirtAddr c = (start + align - 1) & ~(align - 1);
    if (c + size <= hi) return c;
    return std::nullopt;
  };
  constexpr int kOps = 150000;
  for (int op = 0; op < kOps; ++op) {
    int what = static_cast<int>(rng() % 100);
    u64 size = (1 + (rng() % 4 == 0 ? rng() % 256 : rng() % 8)) * kPageSize;
    if (what < 40) {  // insert at a random place
      VirtAddr base = lo + (rng() % 16400) * kPageSize - 2 * kPageSize;
      auto r = std::make_unique<Region>(make(base, size));
      bool free = model_free(base, size);
      Result<void> result = tree.insert(*r);
      ASSERT_EQ(result.is_ok(), free) << std::hex << base << " " << size;
      if (free) model[base] = std::move(r);
    } else if (what < 55) {  // insert where the gap search says
      u64 align = kPageSize << (rng() % 6);
      auto gap = tree.find_gap(size, align);
      auto expected = model_gap(size, align);
      ASSERT_EQ(gap.has_value(), expected.has_value());
      if (gap) {
        ASSERT_EQ(*gap, *expected);
        auto r = std::make_unique<Region>(make(*gap, size));
        ASSERT_TRUE(tree.insert(*r).is_ok());
        model[*gap] = std::move(r);
      }
    } else if (what < 90) {  // remove
      if (!model.empty()) {
        auto it = model.lower_bound(lo + (rng() % 16384) * kPageSize);
        if (it == model.end()) it = model.begin();
        tree.remove(*it->second);
        model.erase(it);
      }
    } else {  // lookups
      VirtAddr va = lo + rng() % (hi - lo);
      Region* found = tree.find(va);
      auto it = model.upper_bound(va);
      Region* expected = nullptr;
      if (it != model.begin() && std::prev(it)->second->contains(va))
        expected = std::prev(it)->second.get();
      ASSERT_EQ(found, expected);
    }
    ASSERT_EQ(tree.size(), model.size());
    if (op % 2000 == 0) ASSERT_TRUE(tree.check()) << op;
  }
  ASSERT_TRUE(tree.check());
  for (auto& [base, r] : model) tree.remove(*r);
  EXPECT_TRUE(tree.empty());
  EXPECT_EQ(*tree.find_gap(hi - lo, kPageSize), lo);
}

}  // namespace
}  // namespace mem_test
