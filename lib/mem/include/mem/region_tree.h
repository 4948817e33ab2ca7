// RegionTree: the regions of an address space, in an intrusive AVL tree ordered by base address
// and augmented with the largest free gap of each subtree, so that finding a free range of a given
// size and alignment skips every subtree whose gaps are all too small.
//
// Regions never overlap. The tree allocates nothing (the node lives in the Region) and is not
// thread-safe: the address space's lock guards it.
#pragma once

#include <mem/types.h>
#include <support/optional.h>

namespace mem {

enum class Backing : u8 {
  Anonymous,  // zero-filled frames, committed lazily (a fault maps a zeroed frame)
  Physical,   // a fixed physical range (MMIO, framebuffers), mapped at reserve time
  Wired,      // anonymous but every committed page is mapped at commit time, never faults
  Guard,      // reserved, never mapped: any access is a guard fault
};

constexpr const char* backing_name(Backing backing) {
  switch (backing) {
    case Backing::Anonymous: return "anonymous";
    case Backing::Physical: return "physical";
    case Backing::Wired: return "wired";
    case Backing::Guard: return "guard";
  }
  return "?";
}

struct Region {
  VirtAddr base = 0;
  u64 size = 0;
  Perms perms = Perms::None;
  Backing backing = Backing::Anonymous;
  PhysAddr phys = 0;        // Physical: what `base` maps to
  u64 committed = 0;        // bytes from `base` that may hold frames (Physical: all of it)
  u64 reserved_frames = 0;  // frames promised to this region's committed, not yet faulted pages
  u64 resident = 0;         // pages currently mapped with a frame of this region
  Region* guard_below = nullptr;  // the guard region right below this one, if any (stacks)
  Region* guard_above = nullptr;  // the guard region right above this one, if any (wasm memory)
  Region* owner = nullptr;        // for a guard region: the region it protects

  VirtAddr end() const { return base + size; }
  bool contains(VirtAddr va) const { return va >= base && va - base < size; }

  // Tree links, owned by RegionTree.
  Region* left_ = nullptr;
  Region* right_ = nullptr;
  i32 height_ = 1;
  u64 gap_before_ = 0;  // free bytes between the previous region (or the tree's low end) and base
  u64 max_gap_ = 0;     // the largest gap_before_ in this subtree
};

class RegionTree {
 public:
  // Regions live in [low, high).
  RegionTree(VirtAddr low, VirtAddr high) : low_(low), high_(high) {}
  RegionTree(const RegionTree&) = delete;
  RegionTree& operator=(const RegionTree&) = delete;

  VirtAddr low() const { return low_; }
  VirtAddr high() const { return high_; }
  usize size() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Error::OutOfRange outside [low, high) or empty, Error::Overlap if it meets another region.
  Result<void> insert(Region& region);
  // `region` must be in the tree.
  void remove(Region& region);
  // The region containing `va`, or nullptr.
  Region* find(VirtAddr va) const;
  // The first region whose end is above `va` (containing va or after it), or nullptr.
  Region* first_ending_after(VirtAddr va) const;
  // The lowest free range of `size` bytes aligned to `align` (a power of two) within [low, high).
  support::Optional<VirtAddr> find_gap(u64 size, u64 align) const;
  // Whether [base, base+size) is free and within [low, high).
  bool is_free(VirtAddr base, u64 size) const;

  // Calls fn(Region&) in address order.
  template <typename Fn> void for_each(Fn&& fn) const { walk(root_, fn); }
  // Verifies ordering, balance and the gap augmentation (tests).
  bool check() const;

 private:
  template <typename Fn> static void walk(Region* node, Fn& fn) {
    if (node == nullptr) return;
    walk(node->left_, fn);
    Region* right = node->right_;  // fn may not remove, but keep the walk robust to relinking
    fn(*node);
    walk(right, fn);
  }
  static i32 height(Region* n) { return n ? n->height_ : 0; }
  static u64 max_gap(Region* n) { return n ? n->max_gap_ : 0; }
  static void update(Region* n);
  static Region* rotate_left(Region* n);
  static Region* rotate_right(Region* n);
  static Region* balance(Region* n);
  static Region* insert_at(Region* node, Region* region);
  static Region* remove_min(Region* node, Region*& min);
  static Region* erase(Region* node, VirtAddr base);
  static Region* refresh(Region* node, VirtAddr base);
  Region* predecessor(VirtAddr base) const;  // the last region with base < `base`
  Region* successor(VirtAddr base) const;    // the first region with base > `base`
  Region* last() const;
  static bool search(Region* node, u64 size, u64 align, VirtAddr& out);
  bool check_node(Region* node, VirtAddr& prev_end, i32& h, u64& gap) const;

  Region* root_ = nullptr;
  VirtAddr low_;
  VirtAddr high_;
  usize count_ = 0;
};

}  // namespace mem
