// Hosted (Linux) pieces of the engine: a MemoryProvider over mmap. Not part of the kernel build.
#pragma once

#include <wasm/runtime.h>

namespace wasm {

// Reserves the maximum with PROT_NONE and commits pages with mprotect as memory grows.
class MmapMemoryProvider final : public MemoryProvider {
 public:
  u8* reserve(u64 initial_bytes, u64 max_bytes) override;
  bool commit(u8* base, u64 old_bytes, u64 new_bytes) override;
  void release(u8* base, u64 max_bytes) override;
};

}  // namespace wasm
