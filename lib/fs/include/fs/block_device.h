// BlockDevice: a device of fixed-size sectors that a disk file system reads and writes (the
// kernel's virtio block driver; on the host, an image file). Every call blocks its caller until the
// device has finished (the kernel's driver waits for the completion interrupt), and is safe from
// several threads at once.
//
// Errors: Io for a device error or a request outside the device; ReadOnly for a write to a
// read-only device. A failed request leaves the sectors it covered in an unknown state.
#pragma once

#include <fs/error.h>
#include <support/span.h>
#include <support/types.h>

namespace fs {

inline constexpr u32 kSectorSize = 512;

// One transfer of whole sectors: `data.size()` is a multiple of kSectorSize.
struct BlockRequest {
  bool write = false;
  u64 sector = 0;
  support::Span<u8> data;  // read into, or written from
  Result<void> result{};   // set by transfer()
};

class BlockDevice {
 public:
  virtual u64 sector_count() const = 0;
  virtual bool read_only() const = 0;
  // Runs every request, as many at once as the device takes (in any order, so two requests must
  // not cover the same sector), and returns when all are done, each with its own result. Returns
  // the first failure, or success when all succeeded.
  virtual Result<void> transfer(support::Span<BlockRequest> requests) = 0;
  // Returns once everything written before the call is on stable storage (a write cache
  // flushed). Writes that finished before it are durable after it; none are reordered past it.
  virtual Result<void> flush() = 0;

  Result<void> read(u64 sector, support::Span<u8> out) {
    BlockRequest r{false, sector, out, {}};
    return transfer(support::Span<BlockRequest>(&r, 1));
  }
  Result<void> write(u64 sector, support::Span<const u8> data) {
    // transfer() never writes into the bytes of a write request.
    BlockRequest r{true, sector, support::Span<u8>(const_cast<u8*>(data.data()), data.size()), {}};
    return transfer(support::Span<BlockRequest>(&r, 1));
  }

 protected:
  ~BlockDevice() = default;
};

}  // namespace fs
