// NameMap: $name -> index, open addressing over borrowed keys (the source text outlives it).
#pragma once

#include <support/string_view.h>
#include <support/vector.h>

namespace wat {

class NameMap {
 public:
  enum class Insert : u8 { Ok, Duplicate, NoMemory };

  bool find(support::StringView key, u32& value) const {
    if (entries_.empty()) return false;
    usize mask = entries_.size() - 1;
    for (usize i = hash(key) & mask;; i = (i + 1) & mask) {
      const Entry& e = entries_[i];
      if (!e.used) return false;
      if (e.key == key) {
        value = e.value;
        return true;
      }
    }
  }

  Insert insert(support::StringView key, u32 value) {
    u32 ignored;
    if (find(key, ignored)) return Insert::Duplicate;
    if ((count_ + 1) * 2 > entries_.size()) {
      if (!grow()) return Insert::NoMemory;
    }
    place(key, value);
    ++count_;
    return Insert::Ok;
  }

  void clear() {
    for (Entry& e : entries_) e.used = false;
    count_ = 0;
  }

 private:
  struct Entry {
    support::StringView key;
    u32 value = 0;
    bool used = false;
  };
  static usize hash(support::StringView key) {
    u64 h = 1469598103934665603ull;
    for (char c : key) h = (h ^ static_cast<u8>(c)) * 1099511628211ull;
    return static_cast<usize>(h ^ (h >> 29));
  }
  void place(support::StringView key, u32 value) {
    usize mask = entries_.size() - 1;
    usize i = hash(key) & mask;
    while (entries_[i].used) i = (i + 1) & mask;
    entries_[i].key = key;
    entries_[i].value = value;
    entries_[i].used = true;
  }
  bool grow() {
    usize size = entries_.empty() ? 16 : entries_.size() * 2;
    support::Vector<Entry> old = support::move(entries_);
    if (entries_.try_resize(size).is_error()) {
      entries_ = support::move(old);
      return false;
    }
    for (Entry& e : old)
      if (e.used) place(e.key, e.value);
    return true;
  }

  support::Vector<Entry> entries_;
  usize count_ = 0;
};

}  // namespace wat
