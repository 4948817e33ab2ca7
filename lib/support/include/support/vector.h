// Vector<T>: a growable array whose growth can fail. try_push/try_resize return Result<void>
// (Error::NoMemory when the allocation fails); nothing here panics on out-of-memory.
// Elements must be movable; storage comes from `new (std::nothrow) u8[]`.
#pragma once

#include <support/new.h>
#include <support/result.h>
#include <support/span.h>
#include <support/utility.h>

namespace support {

template <typename T> class Vector {
 public:
  Vector() = default;
  Vector(const Vector&) = delete;
  Vector& operator=(const Vector&) = delete;
  Vector(Vector&& other) : data_(other.data_), size_(other.size_), capacity_(other.capacity_) {
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
  }
  Vector& operator=(Vector&& other) {
    if (this != &other) {
      clear_and_free();
      data_ = other.data_;
      size_ = other.size_;
      capacity_ = other.capacity_;
      other.data_ = nullptr;
      other.size_ = other.capacity_ = 0;
    }
    return *this;
  }
  ~Vector() { clear_and_free(); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  usize size() const { return size_; }
  usize capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  T& operator[](usize i) { return data_[i]; }
  const T& operator[](usize i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }
  Span<T> span() { return Span<T>(data_, size_); }
  Span<const T> span() const { return Span<const T>(data_, size_); }

  // Ensures room for `capacity` elements without reallocation. Error::NoMemory on failure.
  Result<void> try_reserve(usize capacity) {
    if (capacity <= capacity_) return {};
    if (capacity > ~usize{0} / sizeof(T)) return Error::NoMemory;
    u8* raw = new (std::nothrow) u8[capacity * sizeof(T) + alignof(T)];
    if (raw == nullptr) return Error::NoMemory;
    // new[] of u8 gives at least alignof(max_align_t); offset by the header we keep below.
    T* fresh = reinterpret_cast<T*>(align_up(reinterpret_cast<uptr>(raw) + 1, alignof(T)));
    reinterpret_cast<u8*>(fresh)[-1] = static_cast<u8>(reinterpret_cast<u8*>(fresh) - raw);
    for (usize i = 0; i < size_; ++i) {
      new (&fresh[i]) T(move(data_[i]));
      data_[i].~T();
    }
    free_storage();
    data_ = fresh;
    capacity_ = capacity;
    return {};
  }
  Result<void> try_push(const T& value) {
    if (size_ == capacity_) TRY(grow(size_ + 1));
    new (&data_[size_]) T(value);
    ++size_;
    return {};
  }
  Result<void> try_push(T&& value) {
    if (size_ == capacity_) TRY(grow(size_ + 1));
    new (&data_[size_]) T(move(value));
    ++size_;
    return {};
  }
  // Resizes to `size`, value-initialising new elements.
  Result<void> try_resize(usize size) {
    if (size > capacity_) TRY(grow(size));
    while (size_ < size) new (&data_[size_++]) T();
    while (size_ > size) data_[--size_].~T();
    return {};
  }
  void pop_back() { data_[--size_].~T(); }
  void shrink_to(usize size) {
    while (size_ > size) data_[--size_].~T();
  }
  void clear() { shrink_to(0); }

 private:
  Result<void> grow(usize minimum) {
    usize next = capacity_ < 4 ? 4 : capacity_ * 2;
    return try_reserve(next < minimum ? minimum : next);
  }
  void free_storage() {
    if (data_ == nullptr) return;
    u8* fresh = reinterpret_cast<u8*>(data_);
    delete[] (fresh - fresh[-1]);
  }
  void clear_and_free() {
    clear();
    free_storage();
    data_ = nullptr;
    capacity_ = 0;
  }

  T* data_ = nullptr;
  usize size_ = 0;
  usize capacity_ = 0;
};

}  // namespace support
