#include "fuzz_device.h"

#include <cstring>
#include <new>

namespace fs_fuzz {

FuzzDevice::FuzzDevice(const u8* bytes, usize size, u64 sectors) {
  size_ = (size + fs::kSectorSize - 1) / fs::kSectorSize * fs::kSectorSize;
  bytes_ = new u8[size_ == 0 ? 1 : size_]();
  if (size != 0) std::memcpy(bytes_, bytes, size);
  sectors_ = sectors > size_ / fs::kSectorSize ? sectors : size_ / fs::kSectorSize;
}

FuzzDevice::~FuzzDevice() { delete[] bytes_; }

fs::Result<void> FuzzDevice::transfer(support::Span<fs::BlockRequest> requests) {
  fs::Result<void> first;
  for (fs::BlockRequest& r : requests) {
    usize length = r.data.size();
    if (length % fs::kSectorSize != 0 || r.sector > sectors_ ||
        length / fs::kSectorSize > sectors_ - r.sector) {
      r.result = fs::Error::Io;
      if (first.is_ok()) first = r.result;
      continue;
    }
    r.result = {};
    u64 offset = r.sector * fs::kSectorSize;
    usize inside = offset >= size_ ? 0 : (size_ - offset < length ? size_ - offset : length);
    if (r.write) {
      if (inside != 0) std::memcpy(bytes_ + offset, r.data.data(), inside);
    } else {
      if (inside != 0) std::memcpy(r.data.data(), bytes_ + offset, inside);
      std::memset(r.data.data() + inside, 0, length - inside);
    }
  }
  return first;
}

}  // namespace fs_fuzz
