#include "image_device.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace jbd2_test {

ImageDevice ImageDevice::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  return ImageDevice(std::move(bytes));
}

void ImageDevice::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes_.data()),
            static_cast<std::streamsize>(bytes_.size()));
}

fs::Result<void> ImageDevice::transfer(support::Span<fs::BlockRequest> requests) {
  fs::Result<void> first;
  for (fs::BlockRequest& r : requests) {
    u64 offset = r.sector * fs::kSectorSize;
    if (r.data.size() % fs::kSectorSize != 0 || offset > bytes_.size() ||
        r.data.size() > bytes_.size() - offset) {
      r.result = fs::Error::Io;
    } else if (r.write) {
      std::memcpy(bytes_.data() + offset, r.data.data(), r.data.size());
      ++writes_;
      r.result = {};
    } else {
      std::memcpy(r.data.data(), bytes_.data() + offset, r.data.size());
      r.result = {};
    }
    if (r.result.is_error() && first.is_ok()) first = r.result;
  }
  return first;
}

std::vector<uint8_t> ImageDevice::block(u64 number, u32 block_size) const {
  auto begin = bytes_.begin() + static_cast<std::ptrdiff_t>(number * block_size);
  return std::vector<uint8_t>(begin, begin + block_size);
}

fs::Result<void> CrashDevice::transfer(support::Span<fs::BlockRequest> requests) {
  fs::Result<void> first;
  for (fs::BlockRequest& r : requests) {
    if (crashed_) {
      r.result = fs::Error::Io;
    } else if (!r.write) {
      // Reads see the cache over the medium.
      r.result = disk_.transfer(support::Span<fs::BlockRequest>(&r, 1));
      for (const Pending& p : pending_) {
        if (p.sector == r.sector && p.data.size() == r.data.size())
          std::memcpy(r.data.data(), p.data.data(), p.data.size());
      }
    } else if (writes_left_ == 0) {
      cut_power();
      r.result = fs::Error::Io;
    } else {
      --writes_left_;
      pending_.push_back(Pending{r.sector, std::vector<uint8_t>(r.data.begin(), r.data.end())});
      r.result = {};
    }
    if (r.result.is_error() && first.is_ok()) first = r.result;
  }
  return first;
}

fs::Result<void> CrashDevice::flush() {
  if (crashed_) return fs::Error::Io;
  if (writes_left_ == 0) {
    cut_power();
    return fs::Error::Io;
  }
  --writes_left_;
  for (Pending& p : pending_) MUST(disk_.write(p.sector, {p.data.data(), p.data.size()}));
  pending_.clear();
  return {};
}

void CrashDevice::cut_power() {
  crashed_ = true;
  std::shuffle(pending_.begin(), pending_.end(), random_);
  for (Pending& p : pending_)
    if (random_() % 2 == 0) MUST(disk_.write(p.sector, {p.data.data(), p.data.size()}));
  pending_.clear();
}

int run(const std::string& command, std::string* out) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
  int status = pclose(pipe);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void make_image(const std::string& path, const std::string& options, const std::string& size) {
  std::string out;
  int status = run("/usr/sbin/mke2fs -q -F " + options + " " + path + " " + size, &out);
  ASSERT_EQ(status, 0) << out;
}

std::vector<u64> journal_blocks(const std::string& path) {
  // `stat <8>` maps logical ranges to physical ones: "(0-11):290-301, (IND):302, (12-267):...".
  // `blocks <8>` would list the indirect blocks too.
  std::string out;
  run("/usr/sbin/debugfs -R 'stat <8>' " + path, &out);
  std::vector<u64> blocks;
  size_t at = out.find("BLOCKS:");
  if (at == std::string::npos) at = out.find("EXTENTS:");
  for (at = out.find('(', at); at != std::string::npos; at = out.find('(', at + 1)) {
    unsigned long long first = 0, last = 0, physical = 0;
    if (std::sscanf(out.c_str() + at, "(%llu-%llu):%llu", &first, &last, &physical) == 3 ||
        (std::sscanf(out.c_str() + at, "(%llu):%llu", &first, &physical) == 2 &&
         (last = first, true))) {
      for (unsigned long long i = first; i <= last; ++i) {
        if (blocks.size() != i) return {};  // a hole, or out of order: not a journal
        blocks.push_back(physical + (i - first));
      }
    }
  }
  return blocks;
}

std::vector<u64> free_blocks(const std::string& path, u32 count) {
  std::string out;
  run("/usr/sbin/dumpe2fs -h " + path, &out);
  unsigned long long total = 0;
  size_t at = out.find("Block count:");
  if (at != std::string::npos) std::sscanf(out.c_str() + at, "Block count: %llu", &total);
  run("/usr/sbin/debugfs -R 'ffb " + std::to_string(count) + " " + std::to_string(total / 2) +
          "' " + path,
      &out);
  std::vector<u64> blocks;
  at = out.find("Free blocks found:");
  if (at == std::string::npos) return blocks;
  std::istringstream in(out.substr(at + 18));
  unsigned long long block;
  while (blocks.size() < count && in >> block) blocks.push_back(block);
  return blocks;
}

jbd2::Location location(fs::BlockDevice& device, const std::vector<u64>& blocks, u32 block_size) {
  jbd2::Location where;
  where.device = &device;
  where.block_size = block_size;
  for (u64 b : blocks) MUST(where.blocks.try_push(b));
  return where;
}

void set_needs_recovery(ImageDevice& image) { image.bytes()[1024 + 0x60] |= 0x4; }

std::string temp_path(const std::string& name) {
  const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = testing::TempDir();
  std::string test = info->name();
  for (char& c : test)
    if (c == '/') c = '_';  // parameterised tests: "name/param"
  return dir + "jbd2_" + std::to_string(getpid()) + "_" + test + "_" + name;
}

}  // namespace jbd2_test
