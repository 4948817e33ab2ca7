// Host helpers for the ext2 tests: an image file held in memory as an fs::BlockDevice, and
// running e2fsprogs (mke2fs, debugfs, e2fsck) on image files.
#pragma once

#include <fs/block_device.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace ext2_test {

class ImageDevice final : public fs::BlockDevice {
 public:
  explicit ImageDevice(std::vector<u8> bytes) : bytes_(std::move(bytes)) {}
  static ImageDevice load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return ImageDevice(std::vector<u8>(std::istreambuf_iterator<char>(in), {}));
  }
  void save(const std::string& path) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes_.data()),
              static_cast<std::streamsize>(bytes_.size()));
  }

  u64 sector_count() const override { return bytes_.size() / fs::kSectorSize; }
  bool read_only() const override { return read_only_; }
  fs::Result<void> transfer(support::Span<fs::BlockRequest> requests) override {
    fs::Result<void> first;
    for (fs::BlockRequest& r : requests) {
      u64 at = r.sector * fs::kSectorSize;
      if (r.data.size() % fs::kSectorSize != 0 || at > bytes_.size() ||
          r.data.size() > bytes_.size() - at || (r.write && read_only_)) {
        r.result = fs::Error::Io;
      } else if (r.write) {
        std::copy(r.data.begin(), r.data.end(), bytes_.begin() + static_cast<long>(at));
        ++writes_;
        r.result = fs::Result<void>();
      } else {
        std::copy(bytes_.begin() + static_cast<long>(at),
                  bytes_.begin() + static_cast<long>(at + r.data.size()), r.data.begin());
        r.result = fs::Result<void>();
      }
      if (r.result.is_error() && first.is_ok()) first = r.result;
    }
    return first;
  }
  fs::Result<void> flush() override {
    ++flushes_;
    return {};
  }

  std::vector<u8>& bytes() { return bytes_; }
  void set_read_only(bool read_only) { read_only_ = read_only; }
  u64 flushes() const { return flushes_; }
  u64 writes() const { return writes_; }

 private:
  std::vector<u8> bytes_;
  bool read_only_ = false;
  u64 flushes_ = 0;
  u64 writes_ = 0;
};

struct Command {
  int status;
  std::string output;
};

// Runs a shell command; its standard output (and error, when `with_stderr`).
inline Command run(const std::string& command, bool with_stderr = true) {
  std::string full = command + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace ext2_test
