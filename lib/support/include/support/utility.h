// The few pieces of <utility>/<type_traits> the portable libraries need, usable freestanding.
#pragma once

#include <support/types.h>

namespace support {

template <typename T> struct RemoveReference {
  using Type = T;
};
template <typename T> struct RemoveReference<T&> {
  using Type = T;
};
template <typename T> struct RemoveReference<T&&> {
  using Type = T;
};
template <typename T> using RemoveReferenceT = typename RemoveReference<T>::Type;

template <typename T> constexpr RemoveReferenceT<T>&& move(T&& value) noexcept {
  return static_cast<RemoveReferenceT<T>&&>(value);
}
template <typename T> constexpr T&& forward(RemoveReferenceT<T>& value) noexcept {
  return static_cast<T&&>(value);
}
template <typename T> constexpr T&& forward(RemoveReferenceT<T>&& value) noexcept {
  return static_cast<T&&>(value);
}
template <typename T> constexpr void swap(T& a, T& b) noexcept {
  T tmp = move(a);
  a = move(b);
  b = move(tmp);
}
template <typename T, typename U> struct IsSame {
  static constexpr bool value = false;
};
template <typename T> struct IsSame<T, T> {
  static constexpr bool value = true;
};
template <typename T, typename U> inline constexpr bool kIsSame = IsSame<T, U>::value;

template <typename T> constexpr const T& min(const T& a, const T& b) { return b < a ? b : a; }
template <typename T> constexpr const T& max(const T& a, const T& b) { return a < b ? b : a; }

// Rounds `value` up to a multiple of `align`, which must be a power of two.
constexpr u64 align_up(u64 value, u64 align) { return (value + align - 1) & ~(align - 1); }
constexpr u64 align_down(u64 value, u64 align) { return value & ~(align - 1); }
constexpr bool is_power_of_two(u64 value) { return value != 0 && (value & (value - 1)) == 0; }

}  // namespace support
