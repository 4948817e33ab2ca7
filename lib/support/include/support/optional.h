// Optional<T>: a T or nothing, usable freestanding.
#pragma once

#include <support/new.h>
#include <support/utility.h>

namespace support {

struct NoneType {};
inline constexpr NoneType kNone{};

template <typename T> class Optional {
 public:
  Optional() : has_(false) {}
  Optional(NoneType) : has_(false) {}
  Optional(const T& value) : has_(true) { new (&value_) T(value); }
  Optional(T&& value) : has_(true) { new (&value_) T(move(value)); }
  Optional(const Optional& other) : has_(other.has_) {
    if (has_) new (&value_) T(other.value_);
  }
  Optional(Optional&& other) : has_(other.has_) {
    if (has_) new (&value_) T(move(other.value_));
  }
  Optional& operator=(Optional other) {
    reset();
    has_ = other.has_;
    if (has_) new (&value_) T(move(other.value_));
    return *this;
  }
  ~Optional() { reset(); }

  void reset() {
    if (has_) value_.~T();
    has_ = false;
  }
  bool has_value() const { return has_; }
  explicit operator bool() const { return has_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T& operator*() { return value_; }
  const T& operator*() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  T value_or(const T& fallback) const { return has_ ? value_ : fallback; }

 private:
  union {
    T value_;
  };
  bool has_;
};

}  // namespace support
