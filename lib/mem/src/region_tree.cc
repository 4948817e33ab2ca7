#include <mem/region_tree.h>

namespace mem {

void RegionTree::update(Region* n) {
  n->height_ = 1 + support::max(height(n->left_), height(n->right_));
  n->max_gap_ = support::max(n->gap_before_, support::max(max_gap(n->left_), max_gap(n->right_)));
}

Region* RegionTree::rotate_left(Region* n) {
  Region* r = n->right_;
  n->right_ = r->left_;
  r->left_ = n;
  update(n);
  update(r);
  return r;
}

Region* RegionTree::rotate_right(Region* n) {
  Region* l = n->left_;
  n->left_ = l->right_;
  l->right_ = n;
  update(n);
  update(l);
  return l;
}

Region* RegionTree::balance(Region* n) {
  update(n);
  i32 diff = height(n->left_) - height(n->right_);
  if (diff > 1) {
    if (height(n->left_->left_) < height(n->left_->right_)) n->left_ = rotate_left(n->left_);
    return rotate_right(n);
  }
  if (diff < -1) {
    if (height(n->right_->right_) < height(n->right_->left_)) n->right_ = rotate_right(n->right_);
    return rotate_left(n);
  }
  return n;
}

Region* RegionTree::insert_at(Region* node, Region* region) {
  if (node == nullptr) return region;
  if (region->base < node->base)
    node->left_ = insert_at(node->left_, region);
  else
    node->right_ = insert_at(node->right_, region);
  return balance(node);
}

Region* RegionTree::remove_min(Region* node, Region*& min) {
  if (node->left_ == nullptr) {
    min = node;
    return node->right_;
  }
  node->left_ = remove_min(node->left_, min);
  return balance(node);
}

Region* RegionTree::erase(Region* node, VirtAddr base) {
  if (node == nullptr) return nullptr;
  if (base < node->base) {
    node->left_ = erase(node->left_, base);
  } else if (base > node->base) {
    node->right_ = erase(node->right_, base);
  } else {
    Region* left = node->left_;
    Region* right = node->right_;
    node->left_ = node->right_ = nullptr;
    node->height_ = 1;
    if (right == nullptr) return left;
    Region* min = nullptr;
    Region* rest = remove_min(right, min);
    min->left_ = left;
    min->right_ = rest;
    return balance(min);
  }
  return balance(node);
}

// Recomputes the augmentation on the path to `base` after its gap changed.
Region* RegionTree::refresh(Region* node, VirtAddr base) {
  if (node == nullptr) return nullptr;
  if (base < node->base)
    refresh(node->left_, base);
  else if (base > node->base)
    refresh(node->right_, base);
  update(node);
  return node;
}

Region* RegionTree::predecessor(VirtAddr base) const {
  Region* best = nullptr;
  for (Region* n = root_; n != nullptr;) {
    if (n->base < base) {
      best = n;
      n = n->right_;
    } else {
      n = n->left_;
    }
  }
  return best;
}

Region* RegionTree::successor(VirtAddr base) const {
  Region* best = nullptr;
  for (Region* n = root_; n != nullptr;) {
    if (n->base > base) {
      best = n;
      n = n->left_;
    } else {
      n = n->right_;
    }
  }
  return best;
}

Region* RegionTree::last() const {
  Region* n = root_;
  while (n != nullptr && n->right_ != nullptr) n = n->right_;
  return n;
}

Result<void> RegionTree::insert(Region& region) {
  if (region.size == 0 || region.base < low_ || region.end() < region.base || region.end() > high_)
    return Error::OutOfRange;
  Region* pred = predecessor(region.base);
  Region* succ = successor(region.base);
  if (pred != nullptr && pred->end() > region.base) return Error::Overlap;
  if (succ != nullptr && succ->base < region.end()) return Error::Overlap;
  if (Region* same = find(region.base); same != nullptr) return Error::Overlap;
  region.left_ = region.right_ = nullptr;
  region.height_ = 1;
  region.gap_before_ = region.base - (pred ? pred->end() : low_);
  region.max_gap_ = region.gap_before_;
  root_ = insert_at(root_, &region);
  if (succ != nullptr) {
    succ->gap_before_ = succ->base - region.end();
    refresh(root_, succ->base);
  }
  ++count_;
  return {};
}

void RegionTree::remove(Region& region) {
  Region* pred = predecessor(region.base);
  Region* succ = successor(region.base);
  root_ = erase(root_, region.base);
  if (succ != nullptr) {
    succ->gap_before_ = succ->base - (pred ? pred->end() : low_);
    refresh(root_, succ->base);
  }
  --count_;
}

Region* RegionTree::find(VirtAddr va) const {
  for (Region* n = root_; n != nullptr;) {
    if (va < n->base)
      n = n->left_;
    else if (va >= n->end())
      n = n->right_;
    else
      return n;
  }
  return nullptr;
}

Region* RegionTree::first_ending_after(VirtAddr va) const {
  Region* best = nullptr;
  for (Region* n = root_; n != nullptr;) {
    if (n->end() > va) {
      best = n;
      n = n->left_;
    } else {
      n = n->right_;
    }
  }
  return best;
}

bool RegionTree::is_free(VirtAddr base, u64 size) const {
  if (size == 0 || base < low_ || base + size < base || base + size > high_) return false;
  Region* next = first_ending_after(base);
  return next == nullptr || next->base >= base + size;
}

// In-order search of the gaps before each node, lowest address first.
bool RegionTree::search(Region* node, u64 size, u64 align, VirtAddr& out) {
  if (node == nullptr || node->max_gap_ < size) return false;
  if (search(node->left_, size, align, out)) return true;
  if (node->gap_before_ >= size) {
    VirtAddr start = node->base - node->gap_before_;
    VirtAddr candidate = support::align_up(start, align);
    if (candidate >= start && candidate <= node->base && node->base - candidate >= size) {
      out = candidate;
      return true;
    }
  }
  return search(node->right_, size, align, out);
}

support::Optional<VirtAddr> RegionTree::find_gap(u64 size, u64 align) const {
  if (size == 0 || !support::is_power_of_two(align)) return support::kNone;
  VirtAddr found;
  if (search(root_, size, align, found)) return found;
  Region* tail = last();
  VirtAddr start = tail ? tail->end() : low_;
  VirtAddr candidate = support::align_up(start, align);
  if (candidate >= start && candidate <= high_ && high_ - candidate >= size) return candidate;
  return support::kNone;
}

bool RegionTree::check_node(Region* node, VirtAddr& prev_end, i32& h, u64& gap) const {
  if (node == nullptr) {
    h = 0;
    gap = 0;
    return true;
  }
  i32 hl, hr;
  u64 gl, gr;
  if (!check_node(node->left_, prev_end, hl, gl)) return false;
  if (node->base < prev_end || node->gap_before_ != node->base - prev_end) return false;
  prev_end = node->end();
  if (!check_node(node->right_, prev_end, hr, gr)) return false;
  h = 1 + support::max(hl, hr);
  gap = support::max(node->gap_before_, support::max(gl, gr));
  i32 diff = hl - hr;
  return h == node->height_ && gap == node->max_gap_ && diff >= -1 && diff <= 1;
}

bool RegionTree::check() const {
  VirtAddr prev_end = low_;
  i32 h;
  u64 gap;
  usize n = 0;
  for_each([&](Region&) { ++n; });
  return check_node(root_, prev_end, h, gap) && prev_end <= high_ && n == count_;
}

}  // namespace mem
