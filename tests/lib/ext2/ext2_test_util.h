// Shared fixture for the ext2 tests: a scratch folder, images made by mke2fs, mounting them
// from memory, and checking them with e2fsck and debugfs.
#pragma once

#include <ext2/volume.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "image_device.h"

namespace ext2_test {

inline support::StringView sv(const std::string& s) { return {s.data(), s.size()}; }
inline support::Bytes bytes(const std::string& s) {
  return {reinterpret_cast<const u8*>(s.data()), s.size()};
}

struct FakeClock {
  u64 now = 1'700'000'000'000'000'000ull;
  static u64 read(void* self) { return static_cast<FakeClock*>(self)->now; }
};

// Bytes from a seeded generator (reproducible test data).
inline std::string pattern(size_t size, u32 seed) {
  std::mt19937 rng(seed);
  std::string s(size, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Where two byte strings first differ (for failure messages).
inline std::string difference(const std::string& got, const std::string& want) {
  if (got == want) return "equal";
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  return "sizes " + std::to_string(got.size()) + " and " + std::to_string(want.size()) +
         ", first difference at byte " + std::to_string(i);
}

// What the mount says, kept as a std::string.
struct StringSink final : support::FormatSink {
  using support::FormatSink::write;
  void write(const char* data, usize size) override { text.append(data, size); }
  std::string text;
};

class Ext2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/warden-ext2-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (volume_) {
      delete volume_;
      volume_ = nullptr;
    }
    std::filesystem::remove_all(dir_);
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // mke2fs with `args` (e.g. "-t ext2 -b 1024"), `size` like "8M", populated from `from`.
  void make_image(const std::string& image, const std::string& args, const std::string& size,
                  const std::string& from = "") {
    std::string cmd = "/usr/sbin/mke2fs -q -F -o Linux -E root_owner=0:0 " + args;
    if (!from.empty()) cmd += " -d " + quote(from);
    cmd += " " + quote(image) + " " + size;
    Command c = run(cmd);
    ASSERT_EQ(c.status, 0) << cmd << "\n" << c.output;
  }

  // e2fsck -fn exits 0 (nothing to fix); prints its report otherwise.
  void expect_clean(const std::string& image) {
    Command c = run("/usr/sbin/e2fsck -fn " + quote(image));
    EXPECT_EQ(c.status, 0) << "e2fsck -fn " << image << ":\n" << c.output;
  }

  std::string debugfs(const std::string& image, const std::string& request) {
    return run("/usr/sbin/debugfs -R " + quote(request) + " " + quote(image), false).output;
  }

  fs::Result<ext2::Volume*> mount(const std::string& image, bool read_only = false) {
    device_ = std::make_unique<ImageDevice>(ImageDevice::load(image));
    return mount_device(read_only);
  }
  fs::Result<ext2::Volume*> mount_device(bool read_only = false) {
    ext2::Options options;
    options.read_only = read_only;
    options.clock = &FakeClock::read;
    options.clock_context = &clock_;
    why_.text.clear();
    auto r = ext2::Volume::mount(*device_, options, &why_);
    if (r.is_ok()) volume_ = r.value();
    return r;
  }
  std::string why() const { return why_.text; }
  // Unmounts, deletes the volume and writes the image back to its file.
  void unmount_to(const std::string& image) {
    ASSERT_NE(volume_, nullptr);
    auto r = volume_->unmount();
    EXPECT_TRUE(r.is_ok()) << fs::error_name(r.error());
    delete volume_;
    volume_ = nullptr;
    device_->save(image);
  }

  // The inode at `p` (absolute, no symlinks followed), or the error of the failing step.
  fs::Result<ext2::Ino> resolve(const std::string& p) {
    ext2::Ino at = volume_->root();
    size_t i = 1;
    while (i < p.size()) {
      size_t j = p.find('/', i);
      if (j == std::string::npos) j = p.size();
      std::string part = p.substr(i, j - i);
      auto r = volume_->lookup(at, sv(part));
      if (r.is_error()) return r.error();
      at = r.value();
      i = j + 1;
    }
    return at;
  }

  std::string read_all(ext2::Ino ino) {
    std::string out;
    std::vector<u8> buffer(1 << 20);
    for (u64 at = 0;;) {
      auto r = volume_->read(ino, at, support::Span<u8>(buffer.data(), buffer.size()));
      EXPECT_TRUE(r.is_ok());
      if (r.is_error() || r.value() == 0) break;
      out.append(reinterpret_cast<char*>(buffer.data()), r.value());
      at += r.value();
    }
    return out;
  }

  std::vector<std::string> list(ext2::Ino dir) {
    std::vector<std::string> names;
    u64 cookie = 0;
    for (int guard = 0; guard < 100000; ++guard) {
      auto r = volume_->readdir(dir, cookie);
      EXPECT_TRUE(r.is_ok());
      if (r.is_error() || !r.value()) break;
      const fs::DirEntry& e = *r.value();
      std::string name(e.name().data(), e.name().size());
      if (name != "." && name != "..") names.push_back(name);
      cookie = e.next_cookie;
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<ImageDevice> device_;
  ext2::Volume* volume_ = nullptr;
  StringSink why_;
};

}  // namespace ext2_test
