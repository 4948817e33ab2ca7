// Helpers shared by the file system tests: a clock the test drives and string conversions.
#pragma once

#include <fs/file_system.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fs_test {

struct FakeClock {
  u64 now = 1000;
  static u64 read(void* self) { return static_cast<FakeClock*>(self)->now; }
};

inline support::StringView sv(const std::string& s) {
  return support::StringView(s.data(), s.size());
}
inline support::Bytes bytes(const std::string& s) {
  return support::Bytes(reinterpret_cast<const u8*>(s.data()), s.size());
}

inline std::string read_string(fs::FileSystem& fs, const fs::NodeRef& node, u64 offset = 0,
                               usize size = 1 << 20) {
  std::string out(size, '\0');
  auto got = fs.read(node, offset, support::Span<u8>(reinterpret_cast<u8*>(out.data()), size));
  EXPECT_TRUE(got.is_ok());
  out.resize(got.is_ok() ? got.value() : 0);
  return out;
}

struct Listed {
  std::string name;
  u64 inode;
  fs::Kind kind;
  bool operator==(const Listed&) const = default;
};

// Every readdir entry of `dir`, "." and ".." included.
inline std::vector<Listed> list(fs::FileSystem& fs, const fs::NodeRef& dir) {
  std::vector<Listed> out;
  u64 cookie = 0;
  for (;;) {
    auto entry = fs.readdir(dir, cookie);
    EXPECT_TRUE(entry.is_ok());
    if (entry.is_error() || !entry.value().has_value()) break;
    const fs::DirEntry& e = *entry.value();
    out.push_back({std::string(e.name().data(), e.name().size()), e.inode, e.kind});
    EXPECT_GT(e.next_cookie, cookie);
    cookie = e.next_cookie;
  }
  return out;
}

inline std::vector<std::string> names(fs::FileSystem& fs, const fs::NodeRef& dir) {
  std::vector<std::string> out;
  for (auto& e : list(fs, dir)) out.push_back(e.name);
  return out;
}

}  // namespace fs_test
