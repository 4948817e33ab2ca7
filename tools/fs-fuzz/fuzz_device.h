// The fuzz targets' device: the fuzzed bytes as the start of a larger, otherwise zero disk.
// Reads past the bytes give zeros; writes past them are dropped (a target only needs to survive
// them), writes into them change them, as a hostile journal can make recovery do.
#pragma once

#include <fs/block_device.h>
#include <support/types.h>

namespace fs_fuzz {

class FuzzDevice final : public fs::BlockDevice {
 public:
  // `bytes` is copied (rounded up to whole sectors); the disk is `sectors` long (at least the
  // bytes).
  FuzzDevice(const u8* bytes, usize size, u64 sectors);
  ~FuzzDevice();
  FuzzDevice(const FuzzDevice&) = delete;
  FuzzDevice& operator=(const FuzzDevice&) = delete;

  u64 sector_count() const override { return sectors_; }
  bool read_only() const override { return false; }
  fs::Result<void> transfer(support::Span<fs::BlockRequest> requests) override;
  fs::Result<void> flush() override { return {}; }

 private:
  u8* bytes_;
  usize size_;
  u64 sectors_;
};

}  // namespace fs_fuzz
