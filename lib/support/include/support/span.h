// Span<T>: a borrowed, bounds-known view of contiguous objects.
#pragma once

#include <support/types.h>

namespace support {

template <typename T> class Span {
 public:
  constexpr Span() = default;
  constexpr Span(T* data, usize size) : data_(data), size_(size) {}
  template <usize N> constexpr Span(T (&array)[N]) : data_(array), size_(N) {}
  // A Span<const T> from a Span<T>.
  template <typename U> constexpr Span(Span<U> other) : data_(other.data()), size_(other.size()) {}

  constexpr T* data() const { return data_; }
  constexpr usize size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr T& operator[](usize index) const { return data_[index]; }
  constexpr T* begin() const { return data_; }
  constexpr T* end() const { return data_ + size_; }

  // The sub-span [offset, offset + count), clipped to the span.
  constexpr Span subspan(usize offset, usize count = ~usize{0}) const {
    if (offset > size_) return {};
    usize rest = size_ - offset;
    return Span(data_ + offset, count < rest ? count : rest);
  }

 private:
  T* data_ = nullptr;
  usize size_ = 0;
};

using Bytes = Span<const u8>;

}  // namespace support
