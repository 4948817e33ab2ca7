// What one heap allocation costs, for charging it to whoever asked for it (a program's store, a
// compilation, the file system's quota).
#pragma once

#include <support/types.h>

namespace support {

// The kernel heap's size classes (lib/mem checks that they are its own).
inline constexpr u64 kHeapClasses[] = {16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024};

// The bytes an allocation of `bytes` takes: its size class, or whole pages with a 16-byte header
// above 1024 bytes (the kernel heap), plus 16 so that it also covers a hosted malloc's chunk (the
// size and 8 bytes, in multiples of 16). 0 for nothing.
constexpr u64 allocation_cost(u64 bytes) {
  if (bytes == 0) return 0;
  for (u64 size : kHeapClasses) {
    if (bytes <= size) return size + 16;
  }
  return (bytes + 16 + 4095) / 4096 * 4096;
}

}  // namespace support
