// An in-place heap sort: O(n log n) whatever the input (the journal's inputs are hostile), no
// allocation. `less(a, b)` orders the elements.
#pragma once

#include <support/span.h>
#include <support/utility.h>

namespace jbd2 {

template <typename T, typename Less>
void sift_down(support::Span<T> items, usize root, usize size, Less less) {
  for (;;) {
    usize child = 2 * root + 1;
    if (child >= size) return;
    if (child + 1 < size && less(items[child], items[child + 1])) ++child;
    if (!less(items[root], items[child])) return;
    support::swap(items[root], items[child]);
    root = child;
  }
}

template <typename T, typename Less> void heap_sort(support::Span<T> items, Less less) {
  usize n = items.size();
  for (usize i = n / 2; i-- > 0;) sift_down(items, i, n, less);
  for (usize end = n; end > 1; --end) {
    support::swap(items[0], items[end - 1]);
    sift_down(items, 0, end - 1, less);
  }
}

}  // namespace jbd2
