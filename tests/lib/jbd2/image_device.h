// Test helpers for the journal: an fs::BlockDevice over bytes in memory (loaded from and saved to
// an image file), one that loses unflushed writes at a "power cut", and the e2fsprogs commands.
#pragma once

#include <fs/block_device.h>
#include <jbd2/journal.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace jbd2_test {

class ImageDevice : public fs::BlockDevice {
 public:
  explicit ImageDevice(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  static ImageDevice load(const std::string& path);
  void save(const std::string& path) const;

  u64 sector_count() const override { return bytes_.size() / fs::kSectorSize; }
  bool read_only() const override { return false; }
  fs::Result<void> transfer(support::Span<fs::BlockRequest> requests) override;
  fs::Result<void> flush() override {
    ++flushes_;
    return {};
  }

  std::vector<uint8_t>& bytes() { return bytes_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  std::vector<uint8_t> block(u64 number, u32 block_size) const;
  u64 writes() const { return writes_; }
  u64 flushes() const { return flushes_; }

 private:
  std::vector<uint8_t> bytes_;
  u64 writes_ = 0;
  u64 flushes_ = 0;
};

// A device whose writes stay in a volatile cache until flush(); after `writes_allowed` write
// requests and flushes the power goes: that request and every later one fail, and of the writes
// not yet flushed a random subset (any order, as a disk's cache may) reaches the medium. The
// medium is `disk`.
class CrashDevice : public fs::BlockDevice {
 public:
  CrashDevice(ImageDevice& disk, u64 writes_allowed, u32 seed)
      : disk_(disk), writes_left_(writes_allowed), random_(seed) {}
  u64 sector_count() const override { return disk_.sector_count(); }
  bool read_only() const override { return false; }
  fs::Result<void> transfer(support::Span<fs::BlockRequest> requests) override;
  fs::Result<void> flush() override;
  bool crashed() const { return crashed_; }

 private:
  struct Pending {
    u64 sector;
    std::vector<uint8_t> data;
  };
  void cut_power();

  ImageDevice& disk_;
  u64 writes_left_;
  std::mt19937 random_;
  std::vector<Pending> pending_;
  bool crashed_ = false;
};

// Runs a shell command; its exit status, and its output in *out when given.
int run(const std::string& command, std::string* out = nullptr);
// A file system image made by `mke2fs -q -F OPTIONS PATH SIZE`.
void make_image(const std::string& path, const std::string& options, const std::string& size);
// The journal inode's blocks (`debugfs -R 'blocks <8>'`).
std::vector<u64> journal_blocks(const std::string& path);
// `count` free blocks of the image, from the middle of the file system on (`debugfs ffb`).
std::vector<u64> free_blocks(const std::string& path, u32 count);
// The journal's Location on `device` for an image made with 1 KiB blocks or `block_size`.
jbd2::Location location(fs::BlockDevice& device, const std::vector<u64>& blocks,
                        u32 block_size = 1024);
// Sets the ext2 superblock's "needs recovery" flag (incompat 0x4), as a mounted file system does
// while its journal holds transactions.
void set_needs_recovery(ImageDevice& image);
// A scratch file path for this test.
std::string temp_path(const std::string& name);

}  // namespace jbd2_test
