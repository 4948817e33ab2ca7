// StringView: a borrowed, not necessarily NUL-terminated run of characters.
#pragma once

#include <support/types.h>

namespace support {

constexpr usize c_string_length(const char* s) {
  usize n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

class StringView {
 public:
  constexpr StringView() = default;
  constexpr StringView(const char* s) : data_(s), size_(s ? c_string_length(s) : 0) {}
  constexpr StringView(const char* s, usize n) : data_(s), size_(n) {}

  constexpr const char* data() const { return data_; }
  constexpr usize size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr char operator[](usize i) const { return data_[i]; }
  constexpr const char* begin() const { return data_; }
  constexpr const char* end() const { return data_ + size_; }

  constexpr bool operator==(StringView other) const {
    if (size_ != other.size_) return false;
    for (usize i = 0; i < size_; ++i)
      if (data_[i] != other.data_[i]) return false;
    return true;
  }
  constexpr bool starts_with(StringView prefix) const {
    return prefix.size_ <= size_ && StringView(data_, prefix.size_) == prefix;
  }
  constexpr bool ends_with(StringView suffix) const {
    return suffix.size_ <= size_ &&
           StringView(data_ + size_ - suffix.size_, suffix.size_) == suffix;
  }
  constexpr StringView substr(usize offset, usize count = ~usize{0}) const {
    if (offset > size_) return {};
    usize rest = size_ - offset;
    return StringView(data_ + offset, count < rest ? count : rest);
  }
  // Index of the first `c`, or size() when absent.
  constexpr usize find(char c) const {
    for (usize i = 0; i < size_; ++i)
      if (data_[i] == c) return i;
    return size_;
  }
  // Index of the first occurrence of `needle`, or size() when absent.
  constexpr usize find(StringView needle) const {
    if (needle.size_ > size_) return size_;
    for (usize i = 0; i + needle.size_ <= size_; ++i)
      if (StringView(data_ + i, needle.size_) == needle) return i;
    return size_;
  }
  constexpr bool contains(StringView needle) const {
    return needle.size_ == 0 || find(needle) < size_;
  }

 private:
  const char* data_ = nullptr;
  usize size_ = 0;
};

// Matches `text` against a glob `pattern` where `*` matches any run and `?` one character.
bool glob_match(StringView pattern, StringView text);

}  // namespace support
